/**
 * The AWS side was one component; it is now EksCluster, ClusterAddons, GPU pools, the data bucket and
 * ServiceAccountRoles. A stack deployed before keeps every resource only if each URN it holds is
 * either declared again or an alias of exactly one declared resource. Mocked URNs name only the
 * immediate parent's type, so the engine's URNs and aliases (own aliases, and those inherited from
 * ancestors' aliases) are computed here from the declared types, names, parents and aliases.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../helpers/mocks";
import { DeclaredOptions, renderStack, TEST_SECRETS } from "../helpers/render";

const BEFORE: string[] = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "prod-urns-before-aws-split.json"), "utf8"));
const PREFIX = "urn:pulumi:prod::ds-platform::";

function urnWith(name: string, type: string, parentUrn?: string): string {
    return `${PREFIX}${parentUrn ? `${parentUrn.split("::")[2]}$` : ""}${type}::${name}`;
}

/**
 * Deleted on purpose by per-user Spark isolation: the shared notebook and executor ServiceAccounts, the
 * driver's Role and RoleBinding in one shared executor namespace, and the NetworkPolicies that let every
 * executor reach every driver. Each user's are created by the hub instead (components/spark/userIsolation.ts).
 */
const RETIRED_BY_USER_ISOLATION = [
    "kubernetes:core/v1:ServiceAccount::prod-spark-executor-sa",
    "kubernetes:core/v1:ServiceAccount::prod-spark-notebook-sa",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-spark-driver-ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-spark-executors",
    "kubernetes:rbac.authorization.k8s.io/v1:Role::prod-spark-driver",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::prod-spark-driver",
];

const nameOf = (urn: string) => urn.split("::").slice(3).join("::");
const typeOf = (urn: string) => urn.split("::")[2].split("$").pop()!;

describe("the prod stack after the AWS split", () => {
    let declared: Map<string, DeclaredOptions>;
    let urns: Map<string, string>;
    let aliases: Map<string, string[]>;

    beforeAll(async () => {
        const rendered = await renderStack("prod", { secrets: TEST_SECRETS.prod });
        declared = new Map(rendered.options.map((o) => [`${o.type}::${o.name}`, o]));
        const qualifiedType = (label: string): string => {
            const o = declared.get(label)!;
            return o.parent ? `${qualifiedType(o.parent)}$${o.type}` : o.type;
        };
        urns = new Map([...declared.keys()].map((label) => [label, `${PREFIX}${qualifiedType(label)}::${declared.get(label)!.name}`]));

        const own = async (label: string): Promise<string[]> => {
            const o = declared.get(label)!;
            const result: string[] = [];
            for (const declaredAlias of o.aliases ?? []) {
                const a = await valueOf(declaredAlias as pulumi.Input<string | pulumi.Alias>);
                if (typeof a === "string") {
                    result.push(a);
                    continue;
                }
                let parentUrn = o.parent ? urns.get(o.parent) : undefined;
                if ("parent" in a) {
                    parentUrn = pulumi.Resource.isInstance(a.parent) ? urns.get(rendered.labelOf(a.parent)!) : await valueOf(a.parent as pulumi.Input<string> | undefined);
                }
                const name = a.name !== undefined ? await valueOf(a.name) : o.name;
                const type = a.type !== undefined ? await valueOf(a.type) : o.type;
                result.push(urnWith(name, type, parentUrn));
            }
            return result;
        };
        const memo = new Map<string, Promise<string[]>>();
        const all = (label: string): Promise<string[]> => {
            if (!memo.has(label)) {
                memo.set(
                    label,
                    (async () => {
                        const o = declared.get(label)!;
                        const mine = await own(label);
                        if (!o.parent) {
                            return mine;
                        }
                        const parentName = declared.get(o.parent)!.name;
                        const inherited = (await all(o.parent)).flatMap((parentAlias) =>
                            [urnWith(o.name, o.type), ...mine].map((childUrn) => {
                                const childName = nameOf(childUrn);
                                const name = childName.startsWith(parentName) ? nameOf(parentAlias) + childName.slice(parentName.length) : childName;
                                return urnWith(name, typeOf(childUrn), parentAlias);
                            }),
                        );
                        return [...new Set([...mine, ...inherited])];
                    })(),
                );
            }
            return memo.get(label)!;
        };
        aliases = new Map(await Promise.all([...declared.keys()].map(async (label) => [label, await all(label)] as const)));
    });

    it("declares or aliases every resource an existing prod stack holds, each to exactly one resource, except those retired on purpose", () => {
        const current = new Set(urns.values());
        const claims = (urn: string) => [...aliases.entries()].filter(([, as]) => as.includes(urn)).map(([label]) => label);
        const lost = BEFORE.filter((urn) => !current.has(urn) && claims(urn).length === 0);
        expect(lost.map((u) => `${typeOf(u)}::${nameOf(u)}`).sort()).toEqual([...RETIRED_BY_USER_ISOLATION].sort());
        const contested = BEFORE.filter((urn) => !current.has(urn) && claims(urn).length > 1).map((urn) => [urn, claims(urn)]);
        expect(contested).toEqual([]);
    });

    it("no alias names another declared resource, and none is claimed twice (the engine refuses both)", () => {
        const owner = new Map<string, string>();
        for (const [label, urn] of urns) {
            owner.set(urn, label);
        }
        const problems: string[] = [];
        for (const [label, as] of aliases) {
            for (const a of as) {
                const other = owner.get(a);
                if (other && other !== label) {
                    problems.push(`${label} aliases ${a}, which is ${other}`);
                }
                owner.set(a, other ?? label);
            }
        }
        expect(problems).toEqual([]);
    });

    it("what moved keeps its type and name, except the named renames: three policies now named after their role, the Spark parts' objects named after their part", () => {
        const renamed = BEFORE.filter((urn) => ![...urns.values()].some((u) => typeOf(u) === typeOf(urn) && nameOf(u) === nameOf(urn)));
        expect(renamed.map((u) => `${typeOf(u)}::${nameOf(u)}`).sort()).toEqual([
            "aws:iam/rolePolicy:RolePolicy::prod-aws-autoscaler-policy",
            "aws:iam/rolePolicy:RolePolicy::prod-model-iris-read",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment::prod-aws-ebs-csi-policy",
            "ds-platform:aws:AwsCluster::prod-aws",
            "kubernetes:apps/v1:Deployment::prod-spark-history",
            "kubernetes:core/v1:ConfigMap::prod-spark-conf",
            "kubernetes:core/v1:Service::prod-spark-history",
            "kubernetes:core/v1:ServiceAccount::prod-spark-executor-sa",
            "kubernetes:core/v1:ServiceAccount::prod-spark-notebook-sa",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-spark-driver-egress",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-spark-driver-ingress",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-spark-executors",
            "kubernetes:rbac.authorization.k8s.io/v1:Role::prod-spark-driver",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::prod-spark-driver",
        ]);
    });
});
