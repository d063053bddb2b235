/**
 * SparkDriverAccess: the notebook and executor ServiceAccounts and the driver's Role and RoleBinding,
 * built by pure functions and declared by the component.
 */
import {
    driverRoleArgs,
    driverRoleBindingArgs,
    executorServiceAccountArgs,
    notebookServiceAccountArgs,
    SparkDriverAccess,
    SPARK_DRIVER_ROLE,
} from "../../components/spark/sparkDriverAccess";
import { EXECUTOR_SERVICE_ACCOUNT, NOTEBOOK_SERVICE_ACCOUNT, sparkDriverRoleRules } from "../../components/spark/sparkConf";
import { settle, setupMocks, valueOf } from "../helpers/mocks";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";

describe("driver access builders", () => {
    it("put the Role, its binding and the executor account in the notebook namespace unless executors have their own", () => {
        const shared = { notebookNamespace: "ds" };
        expect(driverRoleArgs(shared).metadata).toEqual({ name: SPARK_DRIVER_ROLE, namespace: "ds" });
        expect(executorServiceAccountArgs(shared).metadata).toMatchObject({ name: EXECUTOR_SERVICE_ACCOUNT, namespace: "ds" });
        const separate = { notebookNamespace: "ds", executorNamespace: "spark" };
        expect(driverRoleArgs(separate).metadata).toEqual({ name: SPARK_DRIVER_ROLE, namespace: "spark" });
        expect(driverRoleBindingArgs(separate, "r", "sa")).toEqual({
            metadata: { name: SPARK_DRIVER_ROLE, namespace: "spark" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" },
            subjects: [{ kind: "ServiceAccount", name: "sa", namespace: "ds" }],
        });
        expect(notebookServiceAccountArgs(separate).metadata).toMatchObject({ name: NOTEBOOK_SERVICE_ACCOUNT, namespace: "ds" });
    });

    it("grant claim rights only with on-demand claims", () => {
        expect(driverRoleArgs({ notebookNamespace: "ds" }).rules).toEqual(sparkDriverRoleRules({ onDemandPvc: false }));
        expect(driverRoleArgs({ notebookNamespace: "ds", onDemandPvc: true }).rules).toEqual(sparkDriverRoleRules({ onDemandPvc: true }));
    });

    it("give executors no API token, and both accounts the pull secret", () => {
        const a = { notebookNamespace: "ds", imagePullSecretName: "pull" };
        expect(executorServiceAccountArgs(a)).toMatchObject({ automountServiceAccountToken: false, imagePullSecrets: [{ name: "pull" }] });
        expect(notebookServiceAccountArgs(a).imagePullSecrets).toEqual([{ name: "pull" }]);
        expect(notebookServiceAccountArgs({ notebookNamespace: "ds" }).imagePullSecrets).toBeUndefined();
    });
});

describe("SparkDriverAccess", () => {
    it("declares two valid ServiceAccounts, a Role and its binding as children, and outputs the account names", async () => {
        const recorder = setupMocks();
        const access = new SparkDriverAccess("spark-access", {
            notebookNamespace: "ds",
            executorNamespace: "spark",
            notebookServiceAccountAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notebook" },
        });
        await settle(recorder);
        const objects = recorder.resources.filter((r) => kubernetesGvk(r.type));
        expect(objects.map((r) => r.name).sort()).toEqual(["spark-access-binding", "spark-access-executor-sa", "spark-access-notebook-sa", "spark-access-role"]);
        for (const r of objects) {
            expect({ name: r.name, errors: validateKubernetesObject({ ...kubernetesGvk(r.type), ...r.inputs }) }).toEqual({ name: r.name, errors: [] });
        }
        expect(recorder.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs.subjects).toEqual([{ kind: "ServiceAccount", name: NOTEBOOK_SERVICE_ACCOUNT, namespace: "ds" }]);
        expect(await valueOf(access.notebookServiceAccountName)).toBe(NOTEBOOK_SERVICE_ACCOUNT);
        expect(await valueOf(access.executorServiceAccountName)).toBe(EXECUTOR_SERVICE_ACCOUNT);
        expect(await valueOf(access.roleName)).toBe(SPARK_DRIVER_ROLE);
    });
});
