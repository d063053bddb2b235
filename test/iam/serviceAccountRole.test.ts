import * as pulumi from "@pulumi/pulumi";
import { ServiceAccountRole, serviceAccountRoleChildNames } from "../../components/iam/serviceAccountRole";
import { irsaTrustPolicy } from "../../components/iam/policies";
import { settle, setupMocks, valueOf } from "../helpers/mocks";

const OIDC = { arn: "arn:aws:iam::123456789012:oidc-provider/oidc.example/id/X", url: "https://oidc.example/id/X" };
const POLICY = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] };

async function declare(extra: Partial<ConstructorParameters<typeof ServiceAccountRole>[1]> = {}) {
    const recorder = setupMocks();
    const options = new Map<string, pulumi.ResourceOptions>();
    const role = new ServiceAccountRole(
        "r",
        { oidcProvider: OIDC, serviceAccount: { namespace: pulumi.output("ns"), name: "sa" }, ...extra },
        { transformations: [(t) => (options.set(`${t.type}::${t.name}`, t.opts), undefined)] },
    );
    await settle(recorder);
    return { recorder, role, options };
}

describe("ServiceAccountRole", () => {
    test("a role trusted by exactly its ServiceAccount, its inline and managed policies, and the annotation for it", async () => {
        const { recorder, role } = await declare({
            description: "test",
            inlinePolicies: { read: POLICY },
            managedPolicyArns: { csi: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" },
        });
        const r = recorder.one("aws:iam/role:Role");
        expect(r.name).toBe("r");
        expect(r.inputs.description).toBe("test");
        expect(JSON.parse(r.inputs.assumeRolePolicy)).toEqual(irsaTrustPolicy(OIDC.arn, OIDC.url, { namespace: "ns", name: "sa" }));
        const inline = recorder.one("aws:iam/rolePolicy:RolePolicy");
        expect(inline.name).toBe("r-read");
        expect(inline.inputs.role).toBe("r-id");
        expect(JSON.parse(inline.inputs.policy)).toEqual(POLICY);
        const attached = recorder.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
        expect(attached.name).toBe("r-csi");
        expect(attached.inputs.policyArn).toBe("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
        expect(await valueOf(role.roleArn)).toBe("arn:aws:iam::123456789012:role/r");
        expect(await valueOf(role.serviceAccountAnnotations)).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/r" });
    });

    test("without a description or policies, the role is all there is", async () => {
        const { recorder } = await declare();
        expect(recorder.resources.map((r) => r.type).sort()).toEqual(["aws:iam/role:Role", "ds-platform:iam:ServiceAccountRole"]);
        expect(recorder.one("aws:iam/role:Role").inputs.description).toBeUndefined();
    });

    test("a role moved in from elsewhere is aliased at its former parent, renamed policies under their former names", async () => {
        const former = "urn:pulumi:test::ds-platform::ds-platform:aws:Old::old";
        const { options } = await declare({ inlinePolicies: { read: POLICY, other: POLICY }, formerly: { parent: former, policyNames: { read: "old-read" } } });
        expect(options.get("aws:iam/role:Role::r")?.aliases).toEqual([{ name: "r", parent: former }]);
        expect(options.get("aws:iam/rolePolicy:RolePolicy::r-read")?.aliases).toEqual([{ name: "old-read", parent: former }]);
        expect(options.get("aws:iam/rolePolicy:RolePolicy::r-other")?.aliases).toEqual([{ name: "r-other", parent: former }]);
    });

    test("a new role declares no aliases", async () => {
        const { options } = await declare({ inlinePolicies: { read: POLICY } });
        expect([...options.values()].map((o) => o.aliases ?? [])).toEqual([[], [], []]);
    });

    test("child names: the role is the component's name, policies <name>-<key>", () => {
        expect(serviceAccountRoleChildNames("x", { inlinePolicies: { a: POLICY }, managedPolicyArns: { b: "arn" } })).toEqual({
            role: "x",
            inlinePolicies: [{ key: "a", name: "x-a" }],
            managedPolicies: [{ key: "b", name: "x-b" }],
        });
    });
});
