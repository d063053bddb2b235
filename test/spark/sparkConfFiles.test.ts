/**
 * SparkConfFiles: the ConfigMap notebook pods mount, its files built by a pure function.
 */
import { parse } from "yaml";
import { parsePlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { gpuPlacement } from "../../components/gpu/gpuNodePool";
import { activeGpuPlacements, SparkConfFiles, sparkConfFiles, SparkConfFilesInput, SPARK_CONF_CONFIGMAP } from "../../components/spark/sparkConfFiles";
import { fakeDigest, settle, setupMocks, valueOf } from "../helpers/mocks";
import { validateKubernetesObject } from "../helpers/kubeSchema";
import { restrictedViolations } from "../helpers/podSecurity";
import { parseSparkProperties } from "../helpers/sparkProperties";

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const PLACEMENT = gpuPlacement({ name: "g5", gpusPerNode: 4 });

function input(spark: PlatformConfigInput["spark"] = {}, extra: Partial<SparkConfFilesInput> = {}): SparkConfFilesInput {
    const config = parsePlatformConfig({ spark, gpuPools: [{ name: "g5", gpusPerNode: 4 }], image: { gpu: true } }, { hubPassword: true });
    return { spark: config.spark, image: IMAGE, gpuImage: GPU_IMAGE, matchNodePurpose: "ignore", uid: 1000, gid: 100, eventLogS3: false, ...extra };
}

describe("sparkConfFiles", () => {
    it("writes spark-defaults.conf and a valid executor template, and no GPU files without placements", () => {
        const files = sparkConfFiles(input());
        expect(Object.keys(files).sort()).toEqual(["executor-pod-template.yaml", "spark-defaults.conf"]);
        expect(parseSparkProperties(files["spark-defaults.conf"])["spark.kubernetes.container.image"]).toBe(IMAGE);
        expect(validateKubernetesObject(parse(files["executor-pod-template.yaml"]))).toEqual([]);
    });

    it("adds the GPU properties file and template for placed GPU executors", () => {
        const i = input({ gpuExecutors: { enabled: true } });
        const files = sparkConfFiles({ ...i, gpu: activeGpuPlacements(i.spark, [PLACEMENT]) });
        expect(parseSparkProperties(files["spark-gpu.conf"])["spark.kubernetes.container.image"]).toBe(GPU_IMAGE);
        expect(parse(files["executor-pod-template-gpu.yaml"]).spec.containers[0].image).toBe(GPU_IMAGE);
    });

    it("uses GPU pools only when GPU executors are enabled", () => {
        expect(activeGpuPlacements(input().spark, [PLACEMENT])).toBeUndefined();
        expect(activeGpuPlacements(input({ gpuExecutors: { enabled: true } }).spark, [])).toBeUndefined();
        expect(activeGpuPlacements(input({ gpuExecutors: { enabled: true } }).spark, [PLACEMENT])).toEqual([PLACEMENT]);
    });

    it("names no PriorityClass in either template (the executor-pod admission policy refuses one)", () => {
        const i = input({ gpuExecutors: { enabled: true } });
        const files = sparkConfFiles({ ...i, gpu: activeGpuPlacements(i.spark, [PLACEMENT]) });
        for (const file of ["executor-pod-template.yaml", "executor-pod-template-gpu.yaml"]) {
            const spec = parse(files[file]).spec;
            expect({ file, priorityClassName: spec.priorityClassName }).toEqual({ file, priorityClassName: undefined });
            expect(restrictedViolations(spec)).toEqual([]);
        }
    });

    it("starts executors in the namespace the notebook pod's environment names, in both properties files", () => {
        const i = input({ gpuExecutors: { enabled: true } });
        const files = sparkConfFiles({ ...i, gpu: activeGpuPlacements(i.spark, [PLACEMENT]) });
        for (const file of ["spark-defaults.conf", "spark-gpu.conf"]) {
            const props = parseSparkProperties(files[file]);
            expect({ file, namespace: props["spark.kubernetes.namespace"] }).toEqual({ file, namespace: "${env:SPARK_EXECUTOR_NAMESPACE}" });
            expect({ file, driverPod: props["spark.kubernetes.driver.pod.name"] }).toEqual({ file, driverPod: undefined });
        }
    });
});

describe("SparkConfFiles", () => {
    it("declares the fixed-name ConfigMap and outputs its name and spark-defaults.conf", async () => {
        const recorder = setupMocks();
        const conf = new SparkConfFiles("spark-conf", { notebookNamespace: "ds", spark: input().spark, image: IMAGE, uid: 1000, gid: 100 });
        await settle(recorder);
        const configMap = recorder.one("kubernetes:core/v1:ConfigMap");
        expect(configMap.name).toBe("spark-conf-configmap");
        expect(configMap.inputs.metadata).toMatchObject({ name: SPARK_CONF_CONFIGMAP, namespace: "ds" });
        expect(await valueOf(conf.configMapName)).toBe(SPARK_CONF_CONFIGMAP);
        const defaults = await valueOf(conf.sparkDefaults);
        expect(defaults).toBe(configMap.inputs.data["spark-defaults.conf"]);
        // Executors run in each user's namespace, where they cannot be owned by the driver pod.
        expect(parseSparkProperties(defaults)).toMatchObject({ "spark.kubernetes.namespace": "${env:SPARK_EXECUTOR_NAMESPACE}" });
        expect(parseSparkProperties(defaults)["spark.kubernetes.driver.pod.name"]).toBeUndefined();
    });
});
