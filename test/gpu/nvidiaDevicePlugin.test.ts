import { gpuPoolSchema } from "../../components/config/config";
import { DevicePluginPool, NvidiaDevicePlugin, devicePluginValues, needsDevicePlugin } from "../../components/gpu/nvidiaDevicePlugin";
import { GPU_POOL_LABEL, GPU_TAINT, gpuPlacement, gpuToleration } from "../../components/gpu/gpuNodePool";
import { loadShared } from "../helpers/sharedData";
import { settle, setupMocks } from "../helpers/mocks";

const CHART_VALUES = "nvidia-device-plugin/0.20.0/values.yaml";
/**
 * Keys the chart reads that its values.yaml does not list: Chart.yaml switches the
 * node-feature-discovery dependency on the condition `nfd.enabled,gfd.enabled`.
 */
const CHART_CONDITION_KEYS = new Set(["nfd.enabled"]);

/** Every leaf path of the values we set; objects are walked, arrays are leaves (Helm replaces lists). */
function leafPaths(values: unknown, prefix = ""): string[] {
    if (values === null || typeof values !== "object" || Array.isArray(values)) {
        return [prefix];
    }
    return Object.entries(values).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Paths of `values` that the chart's default values.yaml does not have. */
function unknownPaths(values: Record<string, unknown>, defaults: unknown): string[] {
    return leafPaths(values).filter((path) => {
        if (CHART_CONDITION_KEYS.has(path)) {
            return false;
        }
        let node: unknown = defaults;
        for (const key of path.split(".")) {
            if (node === null || typeof node !== "object" || !(key in (node as object))) {
                // A map the chart leaves open (such as nodeSelector: {}) accepts any key.
                return !(node !== null && typeof node === "object" && Object.keys(node as object).length === 0);
            }
            node = (node as Record<string, unknown>)[key];
        }
        return false;
    });
}

const pool = (name: string, amiType: "AL2023_x86_64_NVIDIA" | "BOTTLEROCKET_x86_64_NVIDIA"): DevicePluginPool => ({
    placement: gpuPlacement(gpuPoolSchema.parse({ name, amiType })),
    amiType,
});
const CHART = { repository: "https://nvidia.github.io/k8s-device-plugin", version: "0.20.0" };

describe("devicePluginValues", () => {
    const values = devicePluginValues([pool("a10", "AL2023_x86_64_NVIDIA"), pool("br", "BOTTLEROCKET_x86_64_NVIDIA"), pool("h100", "AL2023_x86_64_NVIDIA")])!;

    test("every key path set exists in the chart's default values", () => {
        expect(leafPaths(values).length).toBeGreaterThan(3);
        expect(unknownPaths(values, loadShared(CHART_VALUES))).toEqual([]);
    });

    test("the checker itself catches a misspelt key", () => {
        expect(unknownPaths({ ...values, tolerationz: [] }, loadShared(CHART_VALUES))).toEqual(["tolerationz"]);
    });

    test("tolerations match GPU_TAINT", () => {
        expect(values.tolerations).toEqual([gpuToleration(gpuPlacement({ name: "a10", gpusPerNode: 1 }))]);
        expect(values.tolerations).toEqual([{ key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: GPU_TAINT.effect }]);
    });

    test("the affinity replaces the NFD-based default and selects only pools that need the plugin", () => {
        const defaults = loadShared<any>(CHART_VALUES);
        expect(JSON.stringify(defaults.affinity)).toContain("feature.node.kubernetes.io");
        const terms = (values.affinity as any).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toEqual([{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "In", values: ["a10", "h100"] }] }]);
        expect(JSON.stringify(values)).not.toContain("feature.node.kubernetes.io");
    });

    test("GPU feature discovery and NFD are off", () => {
        expect(values.gfd).toEqual({ enabled: false });
        expect(values.nfd).toEqual({ enabled: false });
    });

    test("no values when every pool is Bottlerocket", () => {
        expect(needsDevicePlugin("BOTTLEROCKET_x86_64_NVIDIA")).toBe(false);
        expect(needsDevicePlugin("AL2023_x86_64_NVIDIA")).toBe(true);
        expect(devicePluginValues([pool("br", "BOTTLEROCKET_x86_64_NVIDIA")])).toBeUndefined();
        expect(devicePluginValues([])).toBeUndefined();
    });
});

describe("NvidiaDevicePlugin", () => {
    test("declares one release of the configured chart in kube-system", async () => {
        const recorder = setupMocks();
        const plugin = new NvidiaDevicePlugin("dp", { pools: [pool("a10", "AL2023_x86_64_NVIDIA")], chart: CHART });
        await settle(recorder);
        const release = recorder.one("kubernetes:helm.sh/v3:Release");
        expect(release.inputs).toMatchObject({ chart: "nvidia-device-plugin", version: "0.20.0", namespace: "kube-system", repositoryOpts: { repo: CHART.repository } });
        expect(release.inputs.values).toEqual(devicePluginValues([pool("a10", "AL2023_x86_64_NVIDIA")]));
        expect(plugin.release).toBeDefined();
    });

    test("declares nothing when only Bottlerocket pools exist", async () => {
        const recorder = setupMocks();
        const plugin = new NvidiaDevicePlugin("dp", { pools: [pool("br", "BOTTLEROCKET_x86_64_NVIDIA")], chart: CHART });
        await settle(recorder);
        expect(recorder.ofType("kubernetes:helm.sh/v3:Release")).toHaveLength(0);
        expect(plugin.release).toBeUndefined();
    });
});
