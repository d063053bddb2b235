/**
 * Who may do what, for the committed stacks: each stack is rendered under mocks from its
 * Pulumi.<stack>.yaml, and its RBAC (every Role, ClusterRole and binding the program declares, plus
 * what the hub creates for the users "ana" and "ben") is evaluated by helpers/rbac.ts, row by row.
 *
 * Not in the render, and so not in the matrix: the RBAC inside Helm charts (the z2jh chart's own hub
 * Role, which lets the hub manage pods, claims and secrets in the platform namespace) and the
 * cluster's default roles. RBAC is not the last word either: the admission policies of
 * userIsolation.ts further confine what the hub writes and what pods run in executor namespaces.
 *
 * The matrix as a markdown table, markers included, ready to paste:
 *
 *   UPDATE_RBAC_MATRIX=1 npx jest test/rbacMatrix.test.ts 2>/dev/null
 *
 * When README.md has the markers `<!-- rbac-matrix:begin -->` and `<!-- rbac-matrix:end -->`, the
 * table between them must be this one.
 */
import * as fs from "fs";
import * as path from "path";
import { defaultExecutorNamespacePrefix, driverClusterRoleName } from "../components/spark/userIsolation";
import { Rbac, RbacRequest, serviceAccountUser } from "./helpers/rbac";
import {
    ALL_NAMESPACES,
    CLUSTER_SCOPE,
    RbacAnswer,
    rbacMatrix,
    rbacMatrixMarkdown,
    RbacQuestion,
    readmeMatrix,
    README_MATRIX_BEGIN,
    README_MATRIX_END,
    requestOf,
    StackRbac,
    stackRbac,
} from "./helpers/rbacMatrix";
import { committedStacks, renderStack, TEST_SECRETS } from "./helpers/render";
import { PROJECT_ROOT } from "./helpers/sharedData";

const NS = "ds-platform";
const PREFIX = defaultExecutorNamespacePrefix(NS);
const ANA_NS = `${PREFIX}-ana`;
const BEN_NS = `${PREFIX}-ben`;
const ANA = `${NS}:notebook-ana`;
const BEN = `${NS}:notebook-ben`;
const HUB = `${NS}:hub`;
const ANA_EXECUTORS = `${ANA_NS}:spark-executor`;
const DRIVER_ROLE = driverClusterRoleName(NS);

type Row = RbacQuestion & { expected: "allowed" | "denied" };
const row = (serviceAccount: string, verb: string, resource: string, namespace: string, expected: Row["expected"], name?: string): Row => ({
    serviceAccount,
    verb,
    resource,
    namespace,
    expected,
    ...(name ? { name } : {}),
});

const ROWS: Row[] = [
    // Ana's notebook (her Spark driver) manages executors in her own namespace, and nowhere else.
    ...["create", "get", "list", "watch", "delete", "deletecollection"].map((verb) => row(ANA, verb, "pods", ANA_NS, "allowed")),
    row(ANA, "create", "configmaps", ANA_NS, "allowed"),
    row(ANA, "get", "pods", NS, "denied"),
    row(ANA, "list", "pods", NS, "denied"),
    row(ANA, "delete", "pods", NS, "denied"),
    row(ANA, "get", "pods", BEN_NS, "denied"),
    row(ANA, "list", "pods", BEN_NS, "denied"),
    row(ANA, "create", "pods", BEN_NS, "denied"),
    row(ANA, "delete", "pods", BEN_NS, "denied"),
    row(ANA, "list", "pods", ALL_NAMESPACES, "denied"),
    row(ANA, "create", "pods/exec", ANA_NS, "denied"),
    row(ANA, "patch", "pods", ANA_NS, "denied"),
    ...[NS, ANA_NS, BEN_NS, "kube-system"].flatMap((ns) => [row(ANA, "get", "secrets", ns, "denied"), row(ANA, "list", "secrets", ns, "denied")]),
    row(ANA, "list", "secrets", ALL_NAMESPACES, "denied"),
    ...[NS, ANA_NS, BEN_NS].map((ns) => row(ANA, "get", "configmaps", ns, "denied")),
    row(ANA, "create", "rolebindings.rbac.authorization.k8s.io", ANA_NS, "denied"),
    row(ANA, "create", "namespaces", CLUSTER_SCOPE, "denied"),
    row(ANA, "create", "serviceaccounts/token", ANA_NS, "denied"),
    // Ben's is the mirror image.
    row(BEN, "create", "pods", BEN_NS, "allowed"),
    row(BEN, "list", "pods", ANA_NS, "denied"),
    // Executors have no rights at all.
    row(ANA_EXECUTORS, "get", "pods", ANA_NS, "denied"),
    row(ANA_EXECUTORS, "create", "pods", ANA_NS, "denied"),
    row(ANA_EXECUTORS, "get", "secrets", ANA_NS, "denied"),
    // The hub creates each user's objects, binds only the driver ClusterRole, and reads no secret outside its namespace.
    row(HUB, "create", "namespaces", CLUSTER_SCOPE, "allowed"),
    row(HUB, "create", "rolebindings.rbac.authorization.k8s.io", ANA_NS, "allowed"),
    row(HUB, "create", "serviceaccounts", NS, "allowed"),
    row(HUB, "bind", "clusterroles.rbac.authorization.k8s.io", CLUSTER_SCOPE, "allowed", DRIVER_ROLE),
    ...["cluster-admin", "admin", "edit"].map((name) => row(HUB, "bind", "clusterroles.rbac.authorization.k8s.io", CLUSTER_SCOPE, "denied", name)),
    row(HUB, "escalate", "clusterroles.rbac.authorization.k8s.io", CLUSTER_SCOPE, "denied", DRIVER_ROLE),
    row(HUB, "create", "clusterrolebindings.rbac.authorization.k8s.io", CLUSTER_SCOPE, "denied"),
    row(HUB, "create", "roles.rbac.authorization.k8s.io", ANA_NS, "denied"),
    row(HUB, "impersonate", "serviceaccounts", ANA_NS, "denied"),
    ...["kube-system", ANA_NS].flatMap((ns) => [row(HUB, "get", "secrets", ns, "denied"), row(HUB, "list", "secrets", ns, "denied")]),
    row(HUB, "list", "secrets", ALL_NAMESPACES, "denied"),
    row(HUB, "watch", "secrets", ALL_NAMESPACES, "denied"),
    row(HUB, "create", "secrets", ANA_NS, "allowed"),
    row(HUB, "create", "pods", ANA_NS, "denied"),
    row(HUB, "deletecollection", "pods", ANA_NS, "allowed"),
];

const label = (r: RbacQuestion) => `${r.serviceAccount} ${r.verb} ${r.resource}${r.name ? ` ${r.name}` : ""} in ${r.namespace}`;

describe("the RBAC evaluator", () => {
    const sa = (ns: string, name: string) => ({ kind: "ServiceAccount", name, namespace: ns });
    const rbac = new Rbac([
        { kind: "ClusterRole", metadata: { name: "pods" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] },
        { kind: "ClusterRole", metadata: { name: "bind-one" }, rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["pods"] }] },
        { kind: "ClusterRole", metadata: { name: "scale" }, rules: [{ apiGroups: ["*"], resources: ["*/scale"], verbs: ["*"] }] },
        { kind: "Role", metadata: { name: "cm", namespace: "a" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] },
        { kind: "RoleBinding", metadata: { name: "b", namespace: "a" }, roleRef: { kind: "ClusterRole", name: "pods" }, subjects: [sa("x", "s")] },
        { kind: "RoleBinding", metadata: { name: "c", namespace: "a" }, roleRef: { kind: "Role", name: "cm" }, subjects: [{ kind: "Group", name: "system:serviceaccounts:y" }] },
        // A RoleBinding naming a Role of another namespace grants nothing.
        { kind: "RoleBinding", metadata: { name: "d", namespace: "b" }, roleRef: { kind: "Role", name: "cm" }, subjects: [sa("x", "s")] },
        { kind: "ClusterRoleBinding", metadata: { name: "e" }, roleRef: { kind: "ClusterRole", name: "bind-one" }, subjects: [sa("x", "s")] },
        { kind: "ClusterRoleBinding", metadata: { name: "f" }, roleRef: { kind: "ClusterRole", name: "scale" }, subjects: [{ kind: "User", name: "u" }] },
    ]);
    const may = (r: Partial<RbacRequest>) => rbac.decide({ user: serviceAccountUser("x", "s"), verb: "get", group: "", resource: "pods", ...r }).allowed;

    it("grants a ClusterRole bound by a RoleBinding in that namespace only", () => {
        expect(may({ namespace: "a" })).toBe(true);
        expect(may({ namespace: "b" })).toBe(false);
        expect(may({})).toBe(false);
        expect(may({ namespace: "a", verb: "delete" })).toBe(false);
        expect(may({ namespace: "a", user: serviceAccountUser("y", "s") })).toBe(false);
    });

    it("resolves a Role in the binding's namespace and matches ServiceAccounts by their groups", () => {
        expect(may({ user: serviceAccountUser("y", "any"), resource: "configmaps", namespace: "a" })).toBe(true);
        expect(may({ user: serviceAccountUser("z", "any"), resource: "configmaps", namespace: "a" })).toBe(false);
        expect(may({ resource: "configmaps", namespace: "b" })).toBe(false);
    });

    it("honours resourceNames: only requests naming a listed object", () => {
        const bind = { verb: "bind", group: "rbac.authorization.k8s.io", resource: "clusterroles" };
        expect(may({ ...bind, name: "pods" })).toBe(true);
        expect(may({ ...bind, name: "cluster-admin" })).toBe(false);
        expect(may(bind)).toBe(false);
    });

    it("reads wildcards and */subresource rules as the API server does", () => {
        const user = { user: "u" };
        expect(may({ ...user, verb: "patch", group: "apps", resource: "deployments/scale", namespace: "q" })).toBe(true);
        expect(may({ ...user, verb: "patch", group: "apps", resource: "deployments", namespace: "q" })).toBe(false);
    });

    it("refuses to misread aggregated ClusterRoles", () => {
        expect(() => new Rbac([{ kind: "ClusterRole", metadata: { name: "agg" }, aggregationRule: { clusterRoleSelectors: [] } }])).toThrow(/aggregated/);
    });

    it("turns matrix questions into requests", () => {
        expect(requestOf({ serviceAccount: "n:s", verb: "bind", resource: "clusterroles.rbac.authorization.k8s.io", name: "r", namespace: CLUSTER_SCOPE })).toEqual({
            user: "system:serviceaccount:n:s",
            verb: "bind",
            group: "rbac.authorization.k8s.io",
            resource: "clusterroles",
            name: "r",
            namespace: undefined,
        });
        expect(requestOf({ serviceAccount: "n:s", verb: "create", resource: "pods/exec", namespace: "q" })).toMatchObject({ group: "", resource: "pods/exec", namespace: "q" });
    });
});

describe("RBAC of the committed stacks", () => {
    const stacks: Record<string, StackRbac> = {};
    let matrix: RbacAnswer[];

    beforeAll(async () => {
        for (const stack of committedStacks()) {
            const rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] ?? {} });
            stacks[stack] = stackRbac(rendered, ["ana", "ben"]);
        }
        matrix = rbacMatrix(stacks, ROWS);
        if (process.env.UPDATE_RBAC_MATRIX === "1") {
            // Straight to stdout: jest's console.log would indent every line, and an indented table is a code block.
            process.stdout.write(`\n${README_MATRIX_BEGIN}\n${rbacMatrixMarkdown(matrix)}\n${README_MATRIX_END}\n\n`);
        }
    });

    it("are rendered for both stacks, with the platform namespace and executor prefix the rows name", () => {
        expect(Object.keys(stacks)).toEqual(["dev", "prod"]);
        for (const s of Object.values(stacks)) {
            expect({ namespace: s.namespace, prefix: s.executorNamespacePrefix }).toEqual({ namespace: NS, prefix: PREFIX });
            expect(s.objects.filter((o) => o.kind === "ClusterRole").map((o) => o.metadata.name)).toEqual(expect.arrayContaining([DRIVER_ROLE]));
        }
    });

    it("hold exactly one per-user RoleBinding for each user: that user's notebook ServiceAccount, bound to the driver ClusterRole in that user's namespace", () => {
        for (const s of Object.values(stacks)) {
            const perUser = s.objects.filter((o) => o.kind === "RoleBinding" && o.metadata.namespace?.startsWith(`${PREFIX}-`));
            expect(perUser.map((b) => ({ namespace: b.metadata.namespace, roleRef: b.roleRef, subjects: b.subjects }))).toEqual(
                ["ana", "ben"].map((user) => ({
                    namespace: `${PREFIX}-${user}`,
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DRIVER_ROLE },
                    subjects: [{ kind: "ServiceAccount", name: `notebook-${user}`, namespace: NS }],
                })),
            );
            // Nothing binds the driver ClusterRole cluster-wide.
            expect(s.objects.filter((o) => o.kind === "ClusterRoleBinding" && o.roleRef?.name === DRIVER_ROLE)).toEqual([]);
        }
    });

    describe.each(ROWS.map((r, i) => [label(r), r.expected, i] as const))("%s", (_label, expected, i) => {
        it(`is ${expected}`, () => {
            for (const [stack, answer] of Object.entries(matrix[i].answers)) {
                // `via` names the bindings that allow it, for a readable failure.
                expect({ stack, allowed: answer.allowed ? "allowed" : "denied", via: answer.via }).toEqual({ stack, allowed: expected, via: expected === "allowed" ? answer.via : [] });
            }
        });
    });

    it("let no subject but ana's notebook create or read pods in ana's namespace, except cluster-wide readers of pods", () => {
        for (const [stack, s] of Object.entries(stacks)) {
            const subjects = [...new Set(s.objects.flatMap((o) => (o.subjects ?? []).filter((x) => x.kind === "ServiceAccount").map((x) => `${x.namespace}:${x.name}`)))];
            const may = (sa: string, verb: string, namespace: string) => s.rbac.decide(requestOf({ serviceAccount: sa, verb, resource: "pods", namespace })).allowed;
            expect({ stack, creators: subjects.filter((sa) => may(sa, "create", ANA_NS)) }).toEqual({ stack, creators: [ANA] });
            // Whoever may read ana's pods may read every namespace's (a scheduler, an autoscaler): none of the users.
            for (const reader of subjects.filter((sa) => may(sa, "list", ANA_NS) && sa !== ANA)) {
                expect({ stack, reader, everywhere: may(reader, "list", ALL_NAMESPACES) }).toEqual({ stack, reader, everywhere: true });
                expect(reader).not.toMatch(/:notebook-/);
            }
            // Nobody in the render may read secrets in a user's namespace.
            expect({ stack, readers: subjects.filter((sa) => s.rbac.decide(requestOf({ serviceAccount: sa, verb: "get", resource: "secrets", namespace: ANA_NS })).allowed) }).toEqual({
                stack,
                readers: [],
            });
        }
    });

    it("let the hub bind no ClusterRole but the driver's, of every ClusterRole in the render and the cluster's defaults", () => {
        for (const [stack, s] of Object.entries(stacks)) {
            const names = [...s.objects.filter((o) => o.kind === "ClusterRole").map((o) => o.metadata.name), "cluster-admin", "admin", "edit", "view"];
            const bindable = names.filter(
                (name) => s.rbac.decide(requestOf({ serviceAccount: HUB, verb: "bind", resource: "clusterroles.rbac.authorization.k8s.io", name, namespace: CLUSTER_SCOPE })).allowed,
            );
            expect({ stack, bindable }).toEqual({ stack, bindable: [DRIVER_ROLE] });
            expect(s.rbac.decide(requestOf({ serviceAccount: HUB, verb: "bind", resource: "roles.rbac.authorization.k8s.io", name: "any", namespace: ANA_NS })).allowed).toBe(false);
        }
    });

    it("is the table between README.md's rbac-matrix markers, when README.md has them", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        const inReadme = readmeMatrix(readme);
        if (inReadme === undefined) {
            return;
        }
        expect(inReadme).toBe(rbacMatrixMarkdown(matrix));
    });
});
