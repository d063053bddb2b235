/**
 * The pure builders of per-user Spark isolation (components/spark/userIsolation.ts): the objects the
 * hub creates for each user, the ClusterRoles of drivers and of the hub, and the admission policies
 * of executor namespaces. Per-user templates are checked as one user gets them, with the hub's
 * placeholder substitution (helpers/userObjects.ts).
 */
import { parsePlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { GPU_RESOURCE } from "../../components/gpu/placement";
import { SPARK_DRIVER_LABELS, SPARK_EXECUTOR_LABELS, sparkDriverRoleRules, sparkPortRanges } from "../../components/spark/sparkConf";
import {
    admissionPolicyNames,
    cleanupSelectors,
    collectionPath,
    defaultExecutorNamespacePrefix,
    driverClusterRoleArgs as typedDriverClusterRoleArgs,
    driverClusterRoleName,
    EXECUTORS_OF_LABEL,
    executorClaimPolicyArgs as typedExecutorClaimPolicyArgs,
    executorPodPolicyArgs as typedExecutorPodPolicyArgs,
    executorPodValidations,
    HUB_SERVICE_ACCOUNT,
    hubClusterRoleArgs as typedHubClusterRoleArgs,
    hubClusterRoleBindingArgs as typedHubClusterRoleBindingArgs,
    hubClusterRoleName,
    hubClusterRoleRules,
    hubBindingPolicyArgs as typedHubBindingPolicyArgs,
    hubScopePolicyArgs as typedHubScopePolicyArgs,
    MAX_EXECUTOR_NAMESPACE_PREFIX,
    MAX_NAMESPACE_LENGTH,
    MIN_USER_SLUG_LENGTH,
    perUserObjects,
    policyBindingArgs as typedPolicyBindingArgs,
    USER_LABEL,
    USER_NAMESPACE_PLACEHOLDER,
    USER_PLACEHOLDER,
    UserIsolationInput,
    userIsolationHookConfig,
    userQuotaHard,
} from "../../components/spark/userIsolation";
import { validateKubernetesObject } from "../helpers/kubeSchema";
import { readable } from "../helpers/manifests";
import { fakeDigest } from "../helpers/mocks";
import { allStrings, forUser, userTarget } from "../helpers/userObjects";

const driverClusterRoleArgs = readable(typedDriverClusterRoleArgs);
const hubClusterRoleArgs = readable(typedHubClusterRoleArgs);
const hubClusterRoleBindingArgs = readable(typedHubClusterRoleBindingArgs);
const executorPodPolicyArgs = readable(typedExecutorPodPolicyArgs);
const executorClaimPolicyArgs = readable(typedExecutorClaimPolicyArgs);
const hubScopePolicyArgs = readable(typedHubScopePolicyArgs);
const hubBindingPolicyArgs = readable(typedHubBindingPolicyArgs);
const policyBindingArgs = readable(typedPolicyBindingArgs);

const NS = "ds-platform";
const PREFIX = defaultExecutorNamespacePrefix(NS);
const ANA = userTarget(PREFIX, "ana");
const BEN = userTarget(PREFIX, "ben");
const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const NOTEBOOK_ROLE = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notebook" };
const EXECUTOR_ROLE = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/executor" };

function spark(input: PlatformConfigInput["spark"] = {}) {
    return parsePlatformConfig({ spark: input }, { hubPassword: true }).spark;
}

function isolation(extra: Partial<UserIsolationInput> = {}, sparkInput: PlatformConfigInput["spark"] = {}): UserIsolationInput {
    return { hubNamespace: NS, executorNamespacePrefix: PREFIX, spark: spark(sparkInput), gpuResources: [], ...extra };
}

/** The objects `target` gets, by kind and name. */
function objectsOf(i: UserIsolationInput, target = ANA): any[] {
    return perUserObjects(i).map((o) => forUser(o, target));
}

function find(objects: any[], kind: string, namespace?: string): any[] {
    return objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
}

describe("perUserObjects, as one user gets them", () => {
    const full = isolation({
        gpuResources: [GPU_RESOURCE],
        imagePullSecretName: "registry-pull",
        notebookServiceAccountAnnotations: NOTEBOOK_ROLE,
        executorServiceAccountAnnotations: EXECUTOR_ROLE,
    });

    it("are templates over the user and the user's namespace, with no other user-specific value", () => {
        const templates = perUserObjects(full);
        const strings = allStrings(templates);
        expect(strings.some((s) => s.includes(USER_PLACEHOLDER))).toBe(true);
        expect(strings.some((s) => s.includes(USER_NAMESPACE_PLACEHOLDER))).toBe(true);
        // Rendered, no placeholder is left, and one user's objects never name the other.
        expect(allStrings(objectsOf(full)).filter((s) => s.includes("$("))).toEqual([]);
        expect(allStrings(objectsOf(full, ANA)).filter((s) => /\bben\b|-ben$/.test(s))).toEqual([]);
        expect(allStrings(objectsOf(full, BEN)).filter((s) => /\bana\b|-ana$/.test(s))).toEqual([]);
        expect(allStrings(objectsOf(full, BEN)).filter((s) => s === "ben" || s.endsWith("-ben")).length).toBeGreaterThan(3);
    });

    it("are each valid against the Kubernetes v1.35 spec (strict), with and without the optional parts", () => {
        for (const i of [isolation(), full, isolation({ gpuResources: [GPU_RESOURCE] }, { maxExecutorPods: 0, executorPublicEgress: false })]) {
            for (const o of objectsOf(i)) {
                expect({ object: `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, errors: validateKubernetesObject(o) }).toEqual({
                    object: `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`,
                    errors: [],
                });
            }
        }
    });

    it("start with the namespace, so that everything applied after it has somewhere to go", () => {
        const objects = objectsOf(full);
        expect(objects[0]).toMatchObject({ kind: "Namespace", metadata: { name: "ds-platform-u-ana" } });
        expect(objects.filter((o) => o.kind === "Namespace")).toHaveLength(1);
        // Everything else is in the user's namespace or the platform namespace, nowhere else.
        expect(new Set(objects.slice(1).map((o) => o.metadata.namespace))).toEqual(new Set(["ds-platform-u-ana", NS]));
    });

    it("put the user's executors in a namespace that enforces the restricted level and names its platform and user", () => {
        const [namespace] = find(objectsOf(full), "Namespace");
        expect(namespace.metadata.name).toBe(ANA.namespace);
        expect(namespace.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            [EXECUTORS_OF_LABEL]: NS,
            [USER_LABEL]: "ana",
        });
        // Nothing weaker warns or audits.
        for (const mode of ["warn", "audit"]) {
            expect(namespace.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
        }
    });

    it("give the user a notebook ServiceAccount of their own in the platform namespace, with the notebook role and the pull secret", () => {
        const [notebook] = find(objectsOf(full), "ServiceAccount", NS);
        expect(notebook.metadata).toMatchObject({ name: "notebook-ana", namespace: NS, labels: { [USER_LABEL]: "ana" }, annotations: NOTEBOOK_ROLE });
        expect(notebook.imagePullSecrets).toEqual([{ name: "registry-pull" }]);
        const [bare] = find(objectsOf(isolation()), "ServiceAccount", NS);
        expect(bare.imagePullSecrets).toBeUndefined();
        expect(bare.metadata.annotations).toBeUndefined();
    });

    it("give executors a ServiceAccount without an API token in the user's namespace", () => {
        const [executor] = find(objectsOf(full), "ServiceAccount", ANA.namespace);
        expect(executor.metadata).toMatchObject({ name: "spark-executor", namespace: ANA.namespace, annotations: EXECUTOR_ROLE });
        expect(executor.automountServiceAccountToken).toBe(false);
        expect(executor.imagePullSecrets).toEqual([{ name: "registry-pull" }]);
    });

    it("bind the driver ClusterRole in the user's namespace to that user's notebook ServiceAccount only", () => {
        const bindings = find(objectsOf(full), "RoleBinding");
        expect(bindings).toHaveLength(1);
        const [binding] = bindings;
        expect(binding.metadata.namespace).toBe(ANA.namespace);
        expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${NS}-spark-driver` });
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "notebook-ana", namespace: NS }]);
        // Ben's binding is in Ben's namespace and names Ben.
        const [bens] = find(objectsOf(full, BEN), "RoleBinding");
        expect(bens.metadata.namespace).toBe("ds-platform-u-ben");
        expect(bens.subjects).toEqual([{ kind: "ServiceAccount", name: "notebook-ben", namespace: NS }]);
    });

    it("cap the user's executor pods and GPUs with the configured quota", () => {
        const quota = (i: UserIsolationInput) => find(objectsOf(i), "ResourceQuota");
        // Defaults: 8 executor pods and 2 GPUs per user.
        expect(quota(full)).toEqual([
            { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "spark-executors", namespace: ANA.namespace }, spec: { hard: { pods: "8", "requests.nvidia.com/gpu": "2" } } },
        ]);
        expect(quota(isolation({}, { maxExecutorPods: 12 }))[0].spec.hard).toEqual({ pods: "12" });
        expect(quota(isolation({ gpuResources: ["nvidia.com/gpu", "amd.com/gpu"] }, { maxExecutorGpus: 5 }))[0].spec.hard).toEqual({
            pods: "8",
            "requests.nvidia.com/gpu": "5",
            "requests.amd.com/gpu": "5",
        });
        // 0 pods means no cap on pods; with nothing to cap there is no quota at all.
        expect(quota(isolation({ gpuResources: [GPU_RESOURCE] }, { maxExecutorPods: 0 }))[0].spec.hard).toEqual({ "requests.nvidia.com/gpu": "2" });
        expect(quota(isolation({}, { maxExecutorPods: 0 }))).toEqual([]);
        expect(userQuotaHard({ spark: spark({ maxExecutorPods: 0 }), gpuResources: [] })).toEqual({});
    });

    it("let the user's executors and that user's drivers reach each other on the Spark ports, and nobody else", () => {
        const s = spark({ driverPort: 30000, blockManagerPort: 30100, sessionsPerNotebook: 2 });
        const ports = sparkPortRanges(s);
        expect(ports).toEqual({ driver: { port: 30000, endPort: 30001 }, blockManager: { port: 30100, endPort: 30101 } });
        const objects = objectsOf({ ...isolation(), spark: s });
        const anaDrivers = {
            podSelector: { matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: "ana" } },
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } },
        };
        const driverPorts = [
            { protocol: "TCP", port: 30000, endPort: 30001 },
            { protocol: "TCP", port: 30100, endPort: 30101 },
        ];
        const [executors] = find(objects, "NetworkPolicy", ANA.namespace);
        // Every pod of the namespace, so that no pod there escapes the policy by its labels.
        expect(executors.spec.podSelector).toEqual({});
        expect(executors.spec.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(executors.spec.ingress).toEqual([{ from: [anaDrivers, { podSelector: {} }], ports: [{ protocol: "TCP", port: 30100, endPort: 30101 }] }]);
        expect(executors.spec.egress.slice(0, 3)).toEqual([
            { to: [anaDrivers], ports: driverPorts },
            { to: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 30100, endPort: 30101 }] },
            { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
        ]);

        const [drivers] = find(objects, "NetworkPolicy", NS);
        expect(drivers.metadata.name).toBe("spark-driver-ana");
        expect(drivers.spec.podSelector).toEqual({ matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: "ana" } });
        expect(drivers.spec.policyTypes).toEqual(["Ingress"]);
        expect(drivers.spec.ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: { ...SPARK_EXECUTOR_LABELS } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ANA.namespace } } }],
                ports: driverPorts,
            },
        ]);
        // Ana's policies name neither Ben nor Ben's namespace.
        expect(allStrings(objects).filter((v) => v.includes("ben"))).toEqual([]);
    });

    it("let executors reach public addresses only when executorPublicEgress is on, never private ones", () => {
        const egressOf = (i: UserIsolationInput) => find(objectsOf(i), "NetworkPolicy", ANA.namespace)[0].spec.egress;
        const open = egressOf(isolation({}, { executorPublicEgress: true }));
        expect(open).toHaveLength(4);
        expect(open[3].to[0].ipBlock.cidr).toBe("0.0.0.0/0");
        expect(open[3].to[0].ipBlock.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]));
        const closed = egressOf(isolation({}, { executorPublicEgress: false }));
        expect(closed).toHaveLength(3);
        expect(JSON.stringify(closed)).not.toContain("ipBlock");
    });
});

describe("executor namespace names", () => {
    it("leave at least MIN_USER_SLUG_LENGTH characters of the user's name within the 63 of a DNS label", () => {
        expect(MAX_NAMESPACE_LENGTH).toBe(63);
        expect(MAX_EXECUTOR_NAMESPACE_PREFIX + 1 + MIN_USER_SLUG_LENGTH).toBe(MAX_NAMESPACE_LENGTH);
        const prefix = "p".repeat(MAX_EXECUTOR_NAMESPACE_PREFIX);
        const longest = userTarget(prefix, "u".repeat(MIN_USER_SLUG_LENGTH)).namespace;
        expect(longest).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        expect(longest.length).toBeLessThanOrEqual(63);
    });

    it("take prefixes the configuration allows, and refuse one that leaves too little for the user", () => {
        expect(spark({ namespace: "p".repeat(MAX_EXECUTOR_NAMESPACE_PREFIX) }).namespace).toHaveLength(MAX_EXECUTOR_NAMESPACE_PREFIX);
        expect(() => spark({ namespace: "p".repeat(MAX_EXECUTOR_NAMESPACE_PREFIX + 1) })).toThrow(/spark\.namespace: .*at most 46 characters/);
    });

    it("default to <platform namespace>-u", () => {
        expect(defaultExecutorNamespacePrefix("team-a")).toBe("team-a-u");
    });
});

describe("collectionPath", () => {
    it("is the REST collection of each kind the hub applies, namespaced where the object is", () => {
        expect(collectionPath({ apiVersion: "v1", kind: "Namespace", metadata: {} })).toBe("/api/v1/namespaces");
        expect(collectionPath({ apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: "x" } })).toBe("/api/v1/namespaces/x/serviceaccounts");
        expect(collectionPath({ apiVersion: "v1", kind: "ResourceQuota", metadata: { namespace: "x" } })).toBe("/api/v1/namespaces/x/resourcequotas");
        expect(collectionPath({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { namespace: "x" } })).toBe(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/x/rolebindings",
        );
        expect(collectionPath({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace: "x" } })).toBe("/apis/networking.k8s.io/v1/namespaces/x/networkpolicies");
    });

    it("refuses a kind it has no path for, naming it", () => {
        expect(() => collectionPath({ apiVersion: "v1", kind: "Secret", metadata: { namespace: "x" } })).toThrow(/no REST path known for kind Secret/);
    });
});

describe("userIsolationHookConfig", () => {
    const i = isolation({ gpuResources: [GPU_RESOURCE], imagePullSecretName: "registry-pull" });
    const config = userIsolationHookConfig(i);

    it("survives Helm values unchanged: plain JSON data", () => {
        expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    });

    it("hands the hub every per-user object, each with the collection it is applied to", () => {
        expect(config.objects.map((o) => o.manifest)).toEqual(perUserObjects(i));
        const paths = config.objects.map((o) => forUser(o, ANA)).map((o) => `${o.manifest.kind} ${o.path}`);
        expect(paths).toEqual([
            "Namespace /api/v1/namespaces",
            `ServiceAccount /api/v1/namespaces/${NS}/serviceaccounts`,
            `ServiceAccount /api/v1/namespaces/${ANA.namespace}/serviceaccounts`,
            `RoleBinding /apis/rbac.authorization.k8s.io/v1/namespaces/${ANA.namespace}/rolebindings`,
            `ResourceQuota /api/v1/namespaces/${ANA.namespace}/resourcequotas`,
            `NetworkPolicy /apis/networking.k8s.io/v1/namespaces/${ANA.namespace}/networkpolicies`,
            `NetworkPolicy /apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
        ]);
    });

    it("names the platform, the prefix, the labels, the notebook ServiceAccount template and the namespace variable the hook and spark-defaults.conf share", () => {
        expect(config).toMatchObject({
            hubNamespace: NS,
            executorNamespacePrefix: PREFIX,
            maxNamespaceLength: 63,
            userLabel: USER_LABEL,
            executorsOfLabel: EXECUTORS_OF_LABEL,
            notebookServiceAccount: `notebook-${USER_PLACEHOLDER}`,
            executorNamespaceEnv: "SPARK_EXECUTOR_NAMESPACE",
            pullSecretName: "registry-pull",
        });
        expect(userIsolationHookConfig(isolation()).pullSecretName).toBeUndefined();
    });

    it("cleans up, after a stop, only what Spark leaves in the user's own namespace", () => {
        expect(config.cleanup.length).toBeGreaterThan(0);
        for (const c of config.cleanup) {
            expect(forUser(c.path, ANA)).toMatch(new RegExp(`^/api/v1/namespaces/${ANA.namespace}/(pods|configmaps|persistentvolumeclaims)$`));
            expect(c.labelSelector).not.toBe("");
        }
        const pods = cleanupSelectors().find((c) => c.resource === "pods")!;
        expect(pods.labelSelector).toBe(Object.entries(SPARK_EXECUTOR_LABELS).map(([k, v]) => `${k}=${v}`).join(","));
    });
});

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

describe("driverClusterRoleArgs", () => {
    it("is a valid ClusterRole named after the platform with exactly Spark's rules, claims only with on-demand PVCs", () => {
        const role = driverClusterRoleArgs(NS, false);
        expect(role.metadata.name).toBe(driverClusterRoleName(NS));
        expect(role.metadata.name).toBe("ds-platform-spark-driver");
        expect(role.rules).toEqual(sparkDriverRoleRules({ onDemandPvc: false }));
        expect(JSON.stringify(role.rules)).not.toContain("persistentvolumeclaims");
        expect(driverClusterRoleArgs(NS, true).rules).toEqual(sparkDriverRoleRules({ onDemandPvc: true }));
        expect(validateKubernetesObject({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", ...role })).toEqual([]);
    });

    it("reads no secrets, has no wildcards and nothing beyond pods, configmaps and claims", () => {
        for (const rule of driverClusterRoleArgs(NS, true).rules) {
            expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain("*");
            expect(rule.apiGroups).toEqual([""]);
            expect(["pods", "configmaps", "persistentvolumeclaims"]).toEqual(expect.arrayContaining(rule.resources));
            expect(rule.verbs).not.toEqual(expect.arrayContaining(["escalate"]));
            expect(rule.verbs).not.toContain("bind");
        }
        // Configmaps: Spark creates and deletes its executor conf maps, but never reads one by name.
        const configmaps = driverClusterRoleArgs(NS, false).rules.find((r: any) => r.resources.includes("configmaps"));
        expect(configmaps.verbs).not.toContain("get");
    });
});

describe("hubClusterRoleRules", () => {
    const rules = hubClusterRoleRules(NS);
    const grants = (resource: string, verb: string) => rules.filter((r) => r.resources.includes(resource) && r.verbs.includes(verb));

    it("lets the hub bind only the driver ClusterRole, and never escalate", () => {
        const bind = rules.filter((r) => r.verbs.includes("bind"));
        expect(bind).toHaveLength(1);
        expect(bind[0]).toMatchObject({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: [driverClusterRoleName(NS)] });
        expect(rules.filter((r) => r.verbs.includes("escalate") || r.verbs.includes("impersonate"))).toEqual([]);
        expect(rules.filter((r) => r.resources.some((res) => ["roles", "clusterroles", "clusterrolebindings"].includes(res)) && r.verbs.some((v) => ["create", "patch", "update"].includes(v)))).toEqual([]);
    });

    it("never lets the hub read or list secrets cluster-wide: it may only write the copied pull secret", () => {
        for (const verb of ["get", "list", "watch", "delete", "deletecollection", "update"]) {
            expect({ verb, rules: grants("secrets", verb) }).toEqual({ verb, rules: [] });
        }
        expect(grants("secrets", "create")).toHaveLength(1);
    });

    it("has no wildcard and lets the hub create no pods", () => {
        expect(JSON.stringify(rules)).not.toContain("*");
        expect(grants("pods", "create")).toEqual([]);
        expect(grants("pods", "get")).toEqual([]);
    });

    it("covers exactly what the hook applies (server-side apply: get, create, patch) and cleans up (deletecollection)", () => {
        const plural: Record<string, string> = {
            Namespace: "namespaces",
            ServiceAccount: "serviceaccounts",
            RoleBinding: "rolebindings",
            ResourceQuota: "resourcequotas",
            NetworkPolicy: "networkpolicies",
        };
        const applied = perUserObjects(isolation({ gpuResources: [GPU_RESOURCE] })) as any[];
        for (const o of applied) {
            const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
            // Server-side apply creates or patches; only namespaces are also read (the hook checks their labels).
            for (const verb of o.kind === "Namespace" ? ["get", "create", "patch"] : ["create", "patch"]) {
                const ok = rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(plural[o.kind]) && r.verbs.includes(verb) && !r.resourceNames);
                expect({ kind: o.kind, verb, ok }).toEqual({ kind: o.kind, verb, ok: true });
            }
        }
        for (const c of cleanupSelectors()) {
            expect({ resource: c.resource, ok: grants(c.resource, "deletecollection").length > 0 }).toEqual({ resource: c.resource, ok: true });
        }
    });

    test("reads nothing cluster-wide but namespaces and the driver ClusterRole (reads do not go through admission)", () => {
        const reads = rules.filter((r) => r.verbs.some((v) => ["get", "list", "watch"].includes(v)));
        expect(reads.map((r) => ({ resources: r.resources, names: r.resourceNames }))).toEqual([
            { resources: ["namespaces"], names: undefined },
            { resources: ["clusterroles"], names: [driverClusterRoleName(NS)] },
        ]);
    });

    it("is declared as a valid ClusterRole bound to the chart's hub ServiceAccount in the platform namespace", () => {
        const role = hubClusterRoleArgs(NS);
        const binding = hubClusterRoleBindingArgs(NS);
        expect(role.metadata.name).toBe(hubClusterRoleName(NS));
        expect(role.rules).toEqual(rules);
        expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name });
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: HUB_SERVICE_ACCOUNT, namespace: NS }]);
        expect(HUB_SERVICE_ACCOUNT).toBe("hub");
        expect(validateKubernetesObject({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", ...role })).toEqual([]);
        expect(validateKubernetesObject({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", ...binding })).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------
// Admission
// ---------------------------------------------------------------------------------------------

/** A CEL expression's parentheses and brackets balance and its string literals close (outside literals). */
function celShapeProblems(expression: string): string[] {
    const stack: string[] = [];
    const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
    let quote: string | undefined;
    for (let i = 0; i < expression.length; i++) {
        const ch = expression[i];
        if (quote) {
            if (ch === "\\") {
                i++;
            } else if (ch === quote) {
                quote = undefined;
            }
        } else if (ch === "'" || ch === '"') {
            quote = ch;
        } else if ("([{".includes(ch)) {
            stack.push(ch);
        } else if (ch in pairs && stack.pop() !== pairs[ch]) {
            return [`unbalanced ${ch} at ${i}`];
        }
    }
    return [...(quote ? ["unterminated string"] : []), ...(stack.length > 0 ? [`unclosed ${stack.join("")}`] : [])];
}

describe("admission policies", () => {
    const names = admissionPolicyNames(NS);
    const rules = { images: [IMAGE, GPU_IMAGE, IMAGE], uid: 1000, gid: 100 };
    const podPolicy = executorPodPolicyArgs({ ...rules, hubNamespace: NS });
    const claimPolicy = executorClaimPolicyArgs(NS);
    const hubPolicy = hubScopePolicyArgs(NS, PREFIX);
    const bindingPolicy = hubBindingPolicyArgs(NS);

    it("are valid ValidatingAdmissionPolicies that fail closed, each named after the platform, each validation with a message and refused as Forbidden", () => {
        expect([podPolicy, claimPolicy, hubPolicy, bindingPolicy].map((p) => p.metadata.name)).toEqual([
            names.executorPods,
            names.executorClaims,
            names.hubScope,
            names.hubBindings,
        ]);
        expect(new Set(Object.values(names)).size).toBe(4);
        for (const policy of [podPolicy, claimPolicy, hubPolicy, bindingPolicy]) {
            expect(validateKubernetesObject({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", ...policy })).toEqual([]);
            expect(policy.spec.failurePolicy).toBe("Fail");
            expect(policy.spec.validations.length).toBeGreaterThan(0);
            for (const v of policy.spec.validations) {
                expect(v.message.length).toBeGreaterThan(20);
                // Refused as RBAC refuses: 403 Forbidden (the default reason, Invalid, answers 422).
                expect(v.reason).toBe("Forbidden");
                expect({ expression: v.expression, problems: celShapeProblems(v.expression) }).toEqual({ expression: v.expression, problems: [] });
            }
            expect(new Set(policy.spec.validations.map((v: any) => v.message)).size).toBe(policy.spec.validations.length);
        }
    });

    it("bind each policy with Deny, so that a failed validation refuses the request", () => {
        for (const name of Object.values(names)) {
            const binding = policyBindingArgs(name);
            expect(binding.metadata.name).toBe(name);
            expect(binding.spec).toEqual({ policyName: name, validationActions: ["Deny"] });
            expect(validateKubernetesObject({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", ...binding })).toEqual([]);
        }
    });

    it("admit into executor namespaces (and only those of this platform) only pods that are executors as the platform defines them", () => {
        expect(podPolicy.spec.matchConstraints).toEqual({
            namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: NS } },
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
        });
        const v = podPolicy.spec.validations as { expression: string; message: string }[];
        const about = (re: RegExp) => v.filter((x) => re.test(x.message));
        // The executor label, the executor ServiceAccount, the platform's images, the user and group.
        expect(about(/label/)[0].expression).toContain(`'${Object.keys(SPARK_EXECUTOR_LABELS)[0]}'`);
        expect(about(/ServiceAccount spark-executor/)[0].expression).toContain("object.spec.serviceAccountName == 'spark-executor'");
        const images = about(/image by digest/)[0];
        expect(images.expression).toContain(`['${IMAGE}', '${GPU_IMAGE}']`);
        expect(about(/UID 1000 and GID 100/)[0].expression).toMatch(/runAsUser == 1000.*runAsGroup == 100/);
        // Privilege, host access, secrets, other claims, init containers, priority and node names are refused.
        for (const re of [/not privileged/, /no hostPath, no Secret/, /reads no Secret/, /no init or ephemeral containers/, /no PriorityClass and no node/]) {
            expect({ re: String(re), found: about(re).length }).toEqual({ re: String(re), found: 1 });
        }
        // Spark's on-demand claims are named <app>-exec-<id>-pvc-<n>; the volume rule admits exactly those.
        const volumes = about(/no hostPath/)[0].expression;
        const claimPattern = /matches\('([^']+)'\)/.exec(volumes)![1];
        expect(new RegExp(claimPattern).test("spark-1a2b-exec-3-pvc-0")).toBe(true);
        expect(new RegExp(claimPattern).test("claim-ana")).toBe(false);
    });

    it("build the same pod validations the component fills in once the images are known", () => {
        expect(executorPodValidations(rules)).toEqual(podPolicy.spec.validations);
    });

    it("keep executor claims from binding an existing volume or cloning another claim", () => {
        expect(claimPolicy.spec.matchConstraints.namespaceSelector).toEqual({ matchLabels: { [EXECUTORS_OF_LABEL]: NS } });
        expect(claimPolicy.spec.matchConstraints.resourceRules[0].resources).toEqual(["persistentvolumeclaims"]);
        const expression = claimPolicy.spec.validations.map((x: any) => x.expression).join(" && ");
        for (const field of ["volumeName", "dataSource", "dataSourceRef"]) {
            expect(expression).toContain(`!has(object.spec.${field})`);
        }
    });

    it("confine the hub's writes to the platform namespace and this platform's executor namespaces, and its grants to the driver ClusterRole", () => {
        expect(hubPolicy.spec.matchConditions).toEqual([{ name: "the-hub", expression: `request.userInfo.username == 'system:serviceaccount:${NS}:hub'` }]);
        const v = hubPolicy.spec.validations as { expression: string; message: string }[];
        expect(v.find((x) => /creates only executor namespaces/.test(x.message))!.expression).toContain(`object.metadata.name.startsWith('${PREFIX}-')`);
        expect(v.find((x) => /creates only executor namespaces/.test(x.message))!.expression).toContain("'restricted'");
        expect(v.find((x) => /writes only in/.test(x.message))!.expression).toContain(`request.namespace == '${NS}'`);
        // Grants are checked by a policy of their own, which matches RoleBindings only, so that
        // `object.roleRef` type-checks (the API server reports a field another kind lacks).
        expect(v.some((x) => x.expression.includes("roleRef"))).toBe(false);
        expect(bindingPolicy.spec.matchConditions).toEqual(hubPolicy.spec.matchConditions);
        expect(bindingPolicy.spec.matchConstraints.resourceRules).toEqual([
            { apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["rolebindings"] },
        ]);
        expect(bindingPolicy.spec.validations[0].expression).toBe(`object.roleRef.kind == 'ClusterRole' && object.roleRef.name == '${driverClusterRoleName(NS)}'`);
    });

    it("watch every write the hub's ClusterRole allows (cluster-wide rights are only as narrow as this policy)", () => {
        const watched = (group: string, resource: string, operation: string) =>
            hubPolicy.spec.matchConstraints.resourceRules.some((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.operations.includes(operation));
        const operationOf: Record<string, string> = { create: "CREATE", patch: "UPDATE", update: "UPDATE", delete: "DELETE", deletecollection: "DELETE" };
        for (const rule of hubClusterRoleRules(NS)) {
            for (const verb of rule.verbs.filter((x) => x in operationOf)) {
                for (const resource of rule.resources) {
                    for (const group of rule.apiGroups) {
                        const entry = { group, resource, verb, watched: watched(group, resource, operationOf[verb]) };
                        expect(entry).toEqual({ ...entry, watched: true });
                    }
                }
            }
        }
    });
});
