import { NODE_PURPOSE_LABEL, nodePurposeLabels } from "../../components/cluster/nodePurpose";
import { GpuPoolConfig, gpuPoolSchema } from "../../components/config/config";
import {
    GPU_POOL_LABEL,
    GPU_RESOURCE,
    GPU_TAINT,
    GpuNodePool,
    TaintEffect,
    autoscalerDiscoveryTags,
    autoscalerNodeTemplateTags,
    eksLaunchTemplateArgs,
    eksTaintEffect,
    gpuNodeTemplate,
    gpuPlacement,
    rootDeviceName,
} from "../../components/gpu/gpuNodePool";
import { registerMockOutputs, settle, setupMocks } from "../helpers/mocks";

registerMockOutputs("aws:eks/nodeGroup:NodeGroup", (a) => ({ resources: [{ autoscalingGroups: [{ name: `asg-of-${a.name}` }] }] }));

const pool = (over: Partial<GpuPoolConfig>): GpuPoolConfig => gpuPoolSchema.parse({ name: "a10", ...over });

describe("eksTaintEffect", () => {
    test("converts each Kubernetes effect to the EKS spelling", () => {
        expect(eksTaintEffect("NoSchedule")).toBe("NO_SCHEDULE");
        expect(eksTaintEffect("PreferNoSchedule")).toBe("PREFER_NO_SCHEDULE");
        expect(eksTaintEffect("NoExecute")).toBe("NO_EXECUTE");
        expect(eksTaintEffect(GPU_TAINT.effect)).toBe("NO_SCHEDULE");
    });

    test("names the bad effect and the allowed ones", () => {
        expect(() => eksTaintEffect("NO_SCHEDULE" as TaintEffect)).toThrow(/"NO_SCHEDULE".*allowed: NoSchedule, PreferNoSchedule, NoExecute/);
    });
});

describe("autoscaler tags", () => {
    test("node-template tags follow the placement: GPU count, taint and every label", () => {
        const placement = gpuPlacement(pool({ name: "big", gpusPerNode: 8 }));
        placement.nodeLabels["example.com/zone-class"] = "fast";
        expect(autoscalerNodeTemplateTags(placement)).toEqual({
            [`k8s.io/cluster-autoscaler/node-template/resources/${GPU_RESOURCE}`]: "8",
            [`k8s.io/cluster-autoscaler/node-template/taint/${GPU_TAINT.key}`]: `${GPU_TAINT.value}:${GPU_TAINT.effect}`,
            [`k8s.io/cluster-autoscaler/node-template/label/${GPU_POOL_LABEL}`]: "big",
            "k8s.io/cluster-autoscaler/node-template/label/example.com/zone-class": "fast",
            // Scale-from-zero nodes must satisfy the user pods' node-purpose requirement too.
            [`k8s.io/cluster-autoscaler/node-template/label/${NODE_PURPOSE_LABEL}`]: "user",
        });
    });

    test("with a node template, the tags also state the allocatable CPU and memory, and its GPU count", () => {
        const placement = gpuPlacement(pool({ name: "a10", instanceTypes: ["g5.xlarge"] }));
        expect(autoscalerNodeTemplateTags(placement, { cpu: "3920m", memory: "15391Mi", gpus: 1 })).toEqual({
            "k8s.io/cluster-autoscaler/node-template/resources/cpu": "3920m",
            "k8s.io/cluster-autoscaler/node-template/resources/memory": "15391Mi",
            [`k8s.io/cluster-autoscaler/node-template/resources/${GPU_RESOURCE}`]: "1",
            [`k8s.io/cluster-autoscaler/node-template/taint/${GPU_TAINT.key}`]: `${GPU_TAINT.value}:${GPU_TAINT.effect}`,
            [`k8s.io/cluster-autoscaler/node-template/label/${GPU_POOL_LABEL}`]: "a10",
            [`k8s.io/cluster-autoscaler/node-template/label/${NODE_PURPOSE_LABEL}`]: "user",
        });
    });

    test("a pool's node template comes from the instance type catalogue: the smallest allocatable of its types", () => {
        // g5.xlarge: 4 vCPUs less 80m; 16384 MiB less 255 + 11 x 58 and 100. g5.2xlarge is larger in both.
        expect(gpuNodeTemplate(pool({ instanceTypes: ["g5.2xlarge", "g5.xlarge"] }))).toEqual({ cpu: "3920m", memory: "15391Mi", gpus: 1 });
        expect(gpuNodeTemplate(pool({ instanceTypes: ["g6.12xlarge"], gpusPerNode: 4 }))).toEqual({ cpu: "47810m", memory: "193679Mi", gpus: 4 });
        expect(() => gpuNodeTemplate(pool({ instanceTypes: ["g6.12xlarge"], gpusPerNode: 1 }))).toThrow(/gpusPerNode is 1 but g6\.12xlarge has 4 GPU\(s\) per node/);
        expect(() => gpuNodeTemplate(pool({ instanceTypes: ["g9.mega"] }))).toThrow(/g9\.mega is not in the catalogue; add it to INSTANCE_TYPES in components\/cluster\/instanceTypes\.ts/);
    });

    test("discovery tags name the cluster", () => {
        expect(autoscalerDiscoveryTags("c1")).toEqual({ "k8s.io/cluster-autoscaler/enabled": "true", "k8s.io/cluster-autoscaler/c1": "owned" });
    });
});

describe("launch templates", () => {
    test("IMDSv2 only, hop limit 1, encrypted gp3 root on the AMI's data device", () => {
        for (const [amiType, device] of [
            ["AL2023_x86_64_NVIDIA", "/dev/xvda"],
            ["BOTTLEROCKET_x86_64_NVIDIA", "/dev/xvdb"],
        ]) {
            const lt = eksLaunchTemplateArgs({ amiType, diskSizeGb: 123, description: "d" });
            expect(lt.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
            expect(lt.blockDeviceMappings).toEqual([
                { deviceName: device, ebs: { volumeSize: 123, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
            ]);
            expect(rootDeviceName(amiType)).toBe(device);
        }
    });
});

describe("GpuNodePool", () => {
    test("without eks it only describes placement and declares no AWS resource", async () => {
        const recorder = setupMocks();
        const p = new GpuNodePool("plain", { pool: pool({ name: "existing", gpusPerNode: 2 }) });
        await settle(recorder);
        expect(p.placement).toEqual(gpuPlacement({ name: "existing", gpusPerNode: 2 }));
        expect(p.nodeGroup).toBeUndefined();
        expect(recorder.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    });

    test("with eks it creates a group scaling from zero, tainted and labelled, with its ASG tagged", async () => {
        const recorder = setupMocks();
        const config = pool({ name: "a10", maxSize: 5, gpusPerNode: 1, instanceTypes: ["g5.2xlarge"] });
        const p = new GpuNodePool("g", { pool: config, eks: { clusterName: "c1", nodeGroupDependencies: [], nodeRoleArn: "arn:aws:iam::1:role/node", privateSubnetIds: ["subnet-1"] } });
        await settle(recorder);
        const ng = recorder.one("aws:eks/nodeGroup:NodeGroup");
        expect(ng.inputs).toMatchObject({
            clusterName: "c1",
            amiType: "AL2023_x86_64_NVIDIA",
            instanceTypes: ["g5.2xlarge"],
            scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 5 },
            labels: { ...p.placement.nodeLabels, ...nodePurposeLabels("user") },
            taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
            subnetIds: ["subnet-1"],
        });
        const tags = recorder.ofType("aws:autoscaling/tag:Tag");
        expect(Object.fromEntries(tags.map((t) => [t.inputs.tag.key, t.inputs.tag.value]))).toEqual({
            ...autoscalerNodeTemplateTags(p.placement, { cpu: "7910m", memory: "31775Mi", gpus: 1 }),
            ...autoscalerDiscoveryTags("c1"),
        });
        expect(tags.every((t) => t.inputs.autoscalingGroupName === "asg-of-g-ng" && t.inputs.tag.propagateAtLaunch === false)).toBe(true);
        expect(tags.map((t) => t.name).sort()).toEqual([
            "g-asg-enabled",
            "g-asg-label-ds-platform-io-gpu-pool",
            "g-asg-label-hub-jupyter-org-node-purpose",
            "g-asg-owned",
            "g-asg-resources-cpu",
            "g-asg-resources-memory",
            "g-asg-resources-nvidia-com-gpu",
            "g-asg-taint-nvidia-com-gpu",
        ]);
    });
});
