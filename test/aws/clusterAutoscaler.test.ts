import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, ClusterAutoscaler, clusterAutoscalerPolicy, clusterAutoscalerValues } from "../../components/aws/clusterAutoscaler";
import { chartReference } from "../../components/shared/helmChart";
import { autoscalerDiscoveryTags } from "../../components/gpu/gpuNodePool";
import { clusterAutoscalerImage, clusterAutoscalerExtraRules, SUPPORTED_KUBERNETES_VERSIONS } from "../../components/cluster/kubernetesVersions";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { settle, setupMocks } from "../helpers/mocks";

describe("clusterAutoscalerPolicy", () => {
    const policy = clusterAutoscalerPolicy("c1");

    test("scaling actions only on groups owned by this cluster", () => {
        const scale = policy.Statement.find((s) => s.Sid === "ScaleOwnedGroups")!;
        expect(scale.Action).toEqual(["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]);
        const [ownedKey, ownedValue] = Object.entries(autoscalerDiscoveryTags("c1")).find(([, v]) => v === "owned")!;
        expect(scale.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${ownedKey}`]: ownedValue } });
    });

    test("every unconditioned action is read-only", () => {
        const open = policy.Statement.filter((s) => !s.Condition).flatMap((s) => s.Action as string[]);
        expect(open.length).toBeGreaterThan(0);
        expect(open.filter((a) => !/:(Describe|Get)/.test(a))).toEqual([]);
    });
});

describe("clusterAutoscalerValues", () => {
    const values: any = clusterAutoscalerValues({
        clusterName: "c1",
        region: "eu-west-1",
        roleArn: "arn:aws:iam::1:role/ca",
        nodeSelector: { "ds-platform.io/node-role": "system" },
        image: clusterAutoscalerImage("1.33"),
    });

    test("auto-discovers this cluster in its region on AWS", () => {
        expect(values).toMatchObject({ cloudProvider: "aws", awsRegion: "eu-west-1", autoDiscovery: { clusterName: "c1" } });
    });

    test("the service account it creates is the one the IAM role trusts, annotated with the role", () => {
        expect(values.rbac.serviceAccount).toEqual({ create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name, annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/ca" } });
    });

    test("runs the cluster-autoscaler of the cluster's minor, not the chart's default", () => {
        expect(values.image).toEqual({ repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.33.6" });
    });

    test("balances similar groups, ignores system pods, expands least-waste, runs on system nodes", () => {
        expect(values.extraArgs).toEqual({ "balance-similar-node-groups": true, "skip-nodes-with-system-pods": false, expander: "least-waste" });
        expect(values.nodeSelector).toEqual({ "ds-platform.io/node-role": "system" });
    });
});

describe("chartReference", () => {
    test("HTTP repositories, OCI registries and local paths", () => {
        expect(chartReference({ repository: "https://charts.example.com", version: "1.0.0" }, "x")).toEqual({ chart: "x", version: "1.0.0", repositoryOpts: { repo: "https://charts.example.com" } });
        expect(chartReference({ repository: "oci://registry.example.com/charts/", version: "1.0.0" }, "x")).toEqual({ chart: "oci://registry.example.com/charts/x", version: "1.0.0" });
        expect(chartReference({ repository: "./charts/x", version: "1.0.0" }, "x")).toEqual({ chart: "./charts/x", version: "1.0.0" });
    });
});

describe("ClusterAutoscaler", () => {
    const declare = async (kubernetesVersion: (typeof SUPPORTED_KUBERNETES_VERSIONS)[number]) => {
        const recorder = setupMocks();
        new ClusterAutoscaler("ca", {
            clusterName: "c1",
            region: "eu-west-1",
            roleArn: "arn:aws:iam::123456789012:role/ca-role",
            chart: { repository: "https://kubernetes.github.io/autoscaler", version: "9.46.6" },
            nodeSelector: { role: "system" },
            kubernetesVersion,
        });
        await settle(recorder);
        return recorder;
    };

    test("the release runs as the given IRSA role, and declares no AWS resource of its own", async () => {
        const recorder = await declare("1.33");
        expect(recorder.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
        const release = recorder.one("kubernetes:helm.sh/v3:Release");
        expect(release.inputs).toMatchObject({ chart: "cluster-autoscaler", version: "9.46.6", namespace: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace });
        expect(release.inputs.values.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:iam::123456789012:role/ca-role");
        expect(release.inputs.values.image).toEqual(clusterAutoscalerImage("1.33"));
        // The chart's ClusterRole covers what 1.33 watches: nothing is added.
        expect(recorder.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
    });

    test("from 1.35, which always watches DRA objects, the service account also gets read access to them", async () => {
        const recorder = await declare("1.35");
        const role = recorder.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        expect(role.inputs.rules).toEqual(clusterAutoscalerExtraRules("1.35"));
        expect(role.inputs.rules).toEqual([{ apiGroups: ["resource.k8s.io"], resources: ["resourceslices", "deviceclasses", "resourceclaims"], verbs: ["get", "list", "watch"] }]);
        const binding = recorder.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.inputs.metadata.name });
        expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", ...CLUSTER_AUTOSCALER_SERVICE_ACCOUNT }]);
        for (const o of [role, binding]) {
            expect(validateKubernetesObject({ ...kubernetesGvk(o.type), ...o.inputs })).toEqual([]);
        }
        expect(recorder.one("kubernetes:helm.sh/v3:Release").inputs.values.image.tag).toBe("v1.35.2");
    });
});
