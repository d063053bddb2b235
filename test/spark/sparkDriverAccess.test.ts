/**
 * SparkDriverAccess: the cluster-wide half of per-user isolation, declared as children: the driver's
 * ClusterRole (bound per user by the hub), the hub's ClusterRole and binding, and the four admission
 * policies of executor namespaces with their bindings. The builders are tested in userIsolation.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { sparkDriverRoleRules } from "../../components/spark/sparkConf";
import { SparkDriverAccess } from "../../components/spark/sparkDriverAccess";
import { admissionPolicyNames, driverClusterRoleName, executorPodValidations, hubClusterRoleName } from "../../components/spark/userIsolation";
import { fakeDigest, ResourceRecorder, settle, setupMocks, valueOf } from "../helpers/mocks";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";
const ADMISSION = "kubernetes:admissionregistration.k8s.io/v1";

async function render(onDemandPvc?: boolean): Promise<{ recorder: ResourceRecorder; access: SparkDriverAccess }> {
    const recorder = setupMocks();
    const access = new SparkDriverAccess("spark-access", {
        platformNamespace: "ds",
        executorNamespacePrefix: "ds-u",
        onDemandPvc,
        // The images are known only once built and pushed.
        images: [pulumi.output(IMAGE), pulumi.output(GPU_IMAGE)],
        uid: 1000,
        gid: 100,
    });
    await settle(recorder);
    return { recorder, access };
}

describe("SparkDriverAccess", () => {
    let out: { recorder: ResourceRecorder; access: SparkDriverAccess };
    beforeAll(async () => {
        out = await render();
    });

    it("declares two ClusterRoles, the hub's binding and four admission policies with their bindings, all valid, and nothing namespaced", () => {
        const objects = out.recorder.resources.filter((r) => kubernetesGvk(r.type));
        expect(objects.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
            [
                `${ADMISSION}:ValidatingAdmissionPolicy spark-access-executorClaims`,
                `${ADMISSION}:ValidatingAdmissionPolicy spark-access-executorPods`,
                `${ADMISSION}:ValidatingAdmissionPolicy spark-access-hubScope`,
                `${ADMISSION}:ValidatingAdmissionPolicy spark-access-hubBindings`,
                `${ADMISSION}:ValidatingAdmissionPolicyBinding spark-access-executorClaims`,
                `${ADMISSION}:ValidatingAdmissionPolicyBinding spark-access-executorPods`,
                `${ADMISSION}:ValidatingAdmissionPolicyBinding spark-access-hubScope`,
                `${ADMISSION}:ValidatingAdmissionPolicyBinding spark-access-hubBindings`,
                `${RBAC}:ClusterRole spark-access-driver`,
                `${RBAC}:ClusterRole spark-access-hub`,
                `${RBAC}:ClusterRoleBinding spark-access-hub`,
            ].sort(),
        );
        for (const r of objects) {
            expect({ name: r.name, errors: validateKubernetesObject({ ...kubernetesGvk(r.type), ...r.inputs }) }).toEqual({ name: r.name, errors: [] });
            expect(r.inputs.metadata.namespace).toBeUndefined();
        }
        // No Role, RoleBinding or ServiceAccount: those are per user, created by the hub.
        expect(out.recorder.resources.filter((r) => /:(Role|RoleBinding|ServiceAccount|Namespace)$/.test(r.type))).toEqual([]);
    });

    it("names the driver ClusterRole after the platform, with Spark's rules, and outputs its name", async () => {
        const driver = out.recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-driver"));
        expect(driver.inputs.metadata.name).toBe(driverClusterRoleName("ds"));
        expect(driver.inputs.rules).toEqual(sparkDriverRoleRules({ onDemandPvc: false }));
        expect(await valueOf(out.access.driverClusterRoleName)).toBe("ds-spark-driver");
        const withClaims = await render(true);
        expect(withClaims.recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-driver")).inputs.rules).toEqual(sparkDriverRoleRules({ onDemandPvc: true }));
    });

    it("binds the hub's ClusterRole to the chart's hub ServiceAccount in the platform namespace", () => {
        const role = out.recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-hub"));
        const binding = out.recorder.one(`${RBAC}:ClusterRoleBinding`);
        expect(role.inputs.metadata.name).toBe(hubClusterRoleName("ds"));
        expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.inputs.metadata.name });
        expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "hub", namespace: "ds" }]);
        const bind = role.inputs.rules.filter((r: any) => r.verbs.includes("bind"));
        expect(bind).toEqual([expect.objectContaining({ resources: ["clusterroles"], resourceNames: ["ds-spark-driver"] })]);
    });

    it("fills the executor-pod policy with the built images, once known, and binds every policy with Deny", async () => {
        const names = admissionPolicyNames("ds");
        const policies = out.recorder.ofType(`${ADMISSION}:ValidatingAdmissionPolicy`);
        const pods = policies.find((p) => p.inputs.metadata.name === names.executorPods)!;
        expect(pods.inputs.spec.validations).toEqual(executorPodValidations({ images: [IMAGE, GPU_IMAGE], uid: 1000, gid: 100 }));
        expect(JSON.stringify(pods.inputs.spec.validations)).toContain(`['${IMAGE}', '${GPU_IMAGE}']`);
        const bindings = out.recorder.ofType(`${ADMISSION}:ValidatingAdmissionPolicyBinding`);
        expect(bindings.map((b) => b.inputs.spec).sort((a, b) => a.policyName.localeCompare(b.policyName))).toEqual(
            Object.values(names)
                .sort()
                .map((policyName) => ({ policyName, validationActions: ["Deny"] })),
        );
        expect((await Promise.all(out.access.policyNames.map((n) => valueOf(n)))).sort()).toEqual(Object.values(names).sort());
    });
});
