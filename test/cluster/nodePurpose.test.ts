import { avoidGpuNodesAffinity, gpuNodeAffinity, gpuPlacement, GPU_POOL_LABEL } from "../../components/gpu/gpuNodePool";
import { buildProfileList } from "../../components/hub/hubValues";
import { NODE_PURPOSE_LABEL, nodePurposeLabels, withNodePurpose } from "../../components/cluster/nodePurpose";
import { executorPodTemplate as typedExecutorPodTemplate } from "../../components/spark/sparkConf";
import { parsePlatformConfig } from "../../components/config/config";
import { validateKubernetesObject } from "../helpers/kubeSchema";
import { fakeDigest } from "../helpers/mocks";
import { readable } from "../helpers/manifests";

const executorPodTemplate = readable(typedExecutorPodTemplate);

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("purpose")}`;
const USER = { key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] };

describe("withNodePurpose", () => {
    it("require: adds the rule to every ORed term, so no term escapes it", () => {
        const pools = [gpuPlacement({ name: "a", gpusPerNode: 1 }), gpuPlacement({ name: "b", gpusPerNode: 4 })];
        const affinity = withNodePurpose(gpuNodeAffinity(...pools), "user", "require");
        const terms = affinity.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
        expect(terms).toHaveLength(2);
        for (const [i, term] of terms.entries()) {
            expect(term.matchExpressions).toEqual([{ key: GPU_POOL_LABEL, operator: "In", values: [pools[i].poolName] }, USER]);
        }
        expect(affinity.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    });
    it("require on an affinity without required terms makes one", () => {
        expect(withNodePurpose({}, "core", "require")).toEqual({
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: NODE_PURPOSE_LABEL, operator: "In", values: ["core"] }] }] },
        });
    });
    it("prefer: keeps the required terms and adds a weight-100 preference, as z2jh does", () => {
        const affinity = withNodePurpose(avoidGpuNodesAffinity(), "user", "prefer");
        expect(affinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual(avoidGpuNodesAffinity().requiredDuringSchedulingIgnoredDuringExecution);
        expect(affinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{ weight: 100, preference: { matchExpressions: [USER] } }]);
    });
    it("ignore: leaves the affinity as it is", () => {
        expect(withNodePurpose(avoidGpuNodesAffinity(), "user", "ignore")).toEqual(avoidGpuNodesAffinity());
    });
    it("labels a node of a purpose with the z2jh label", () => {
        expect(nodePurposeLabels("core")).toEqual({ "hub.jupyter.org/node-purpose": "core" });
    });
});

describe("node purpose in the platform's pods", () => {
    const config = parsePlatformConfig(
        {
            gpuPools: [{ name: "g5", gpusPerNode: 1 }],
            profiles: [
                { name: "cpu", displayName: "CPU", cpu: { guarantee: 1, limit: 1 }, memory: { guarantee: "1Gi", limit: "2Gi" } },
                { name: "gpu", displayName: "GPU", cpu: { guarantee: 1, limit: 1 }, memory: { guarantee: "1Gi", limit: "2Gi" }, gpus: 1 },
            ],
            cluster: { matchNodePurpose: "require" },
        },
        { hubPassword: true, hubAdminPassword: true },
    );
    const placements = { g5: gpuPlacement(config.gpuPools[0]) };

    it("profiles keep their GPU rule and gain the user-node rule (their override replaces z2jh's list)", () => {
        const [cpu, gpu] = buildProfileList(config.profiles, { cpu: IMAGE }, placements, "require");
        expect(cpu.kubespawner_override.node_affinity_required).toEqual([{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "DoesNotExist" }, USER] }]);
        expect(gpu.kubespawner_override.node_affinity_required).toEqual([{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "In", values: ["g5"] }, USER] }]);
        // prefer is z2jh's own preference, which profiles do not override: their terms stay as they are.
        const [preferCpu] = buildProfileList(config.profiles, { cpu: IMAGE }, placements, "prefer");
        expect(preferCpu.kubespawner_override.node_affinity_required).toEqual([{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "DoesNotExist" }] }]);
    });

    it("executors are user pods", () => {
        const pod = executorPodTemplate({ spark: config.spark, image: IMAGE, uid: 1000, gid: 100, matchNodePurpose: "require" });
        expect(validateKubernetesObject(pod)).toEqual([]);
        expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
            { matchExpressions: [{ key: GPU_POOL_LABEL, operator: "DoesNotExist" }, USER] },
        ]);
    });

    it("defaults to require on aws and prefer on kubeconfig", () => {
        expect(config.cluster.matchNodePurpose).toBe("require");
        expect(parsePlatformConfig({}, { hubPassword: true }).cluster.matchNodePurpose).toBe("prefer");
        expect(parsePlatformConfig({ cluster: { provider: "aws" }, aws: { region: "eu-west-1" }, hub: { auth: { type: "github", github: { clientId: "x", callbackUrl: "https://h.example.com/hub/oauth_callback" } } } }, { oauthClientSecret: true }).cluster.matchNodePurpose).toBe(
            "require",
        );
    });
});
