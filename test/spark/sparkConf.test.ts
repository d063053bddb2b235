/**
 * The pure Spark builders: RBAC rules, spark-defaults.conf, executor pod templates and NetworkPolicies.
 */
import { parse } from "yaml";
import { assertNoProblems, parsePlatformConfig, SparkConfig, PlatformConfigInput, sparkRules } from "../../components/config/config";
import { avoidGpuNodesAffinity, gpuNodeAffinity, gpuPlacement, gpuToleration, GPU_RESOURCE } from "../../components/gpu/gpuNodePool";
import {
    driverEgressPolicy as typedDriverEgressPolicy,
    EXECUTOR_CONTAINER_NAME,
    EXECUTOR_NAMESPACE_ENV,
    EXECUTOR_SERVICE_ACCOUNT,
    EXECUTORS_OF_LABEL,
    executorPodTemplate as typedExecutorPodTemplate,
    GPU_DISCOVERY_SCRIPT,
    gpuSparkOverrides,
    KUBERNETES_API_PORTS,
    renderPodTemplate,
    renderSparkDefaults,
    S3_WEB_IDENTITY_PROVIDER,
    s3aProperties,
    SPARK_DRIVER_LABELS,
    SPARK_EXECUTOR_LABELS,
    sparkDefaults,
    sparkDriverRoleRules,
    sparkMemoryMiB,
    sparkPortRanges,
} from "../../components/spark/sparkConf";
import { fakeDigest } from "../helpers/mocks";
import { validateKubernetesObject } from "../helpers/kubeSchema";
import { readable } from "../helpers/manifests";
import { restrictedViolations } from "../helpers/podSecurity";

const driverEgressPolicy = readable(typedDriverEgressPolicy);
const executorPodTemplate = readable(typedExecutorPodTemplate);

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;

function sparkConfig(spark: PlatformConfigInput["spark"] = {}, gpu = false): SparkConfig {
    return parsePlatformConfig(
        { spark, ...(gpu ? { gpuPools: [{ name: "g5", gpusPerNode: 4 }], image: { gpu: true } } : {}) },
        { hubPassword: true },
    ).spark;
}

describe("sparkDriverRoleRules", () => {
    it("grants exactly the pod and configmap verbs Spark's backend uses, and nothing on services", () => {
        expect(sparkDriverRoleRules({ onDemandPvc: false })).toEqual([
            { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete", "deletecollection"] },
            { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "delete", "deletecollection"] },
        ]);
    });
    it("adds claim verbs only with on-demand PVCs", () => {
        const rules = sparkDriverRoleRules({ onDemandPvc: true });
        expect(rules).toHaveLength(3);
        expect(rules[2]).toEqual({ apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["create", "get", "list", "delete", "deletecollection"] });
    });
    it("never uses wildcards or patch", () => {
        for (const rule of sparkDriverRoleRules({ onDemandPvc: true })) {
            expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain("*");
            expect(rule.verbs).not.toContain("patch");
        }
    });
});

describe("sparkDefaults", () => {
    const spark = sparkConfig({ executor: { cores: 2, memory: "4g", memoryOverhead: "1g", coresLimit: 3 }, dynamicAllocation: { maxExecutors: 7 } });
    const conf = sparkDefaults({ spark, image: IMAGE });

    it("configures a client-mode driver in the notebook pod", () => {
        expect(Object.fromEntries(conf)).toMatchObject({
            "spark.master": "k8s://https://kubernetes.default.svc:443",
            "spark.submit.deployMode": "client",
            "spark.kubernetes.container.image": IMAGE,
            "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
            "spark.driver.host": "${env:POD_IP}",
            "spark.driver.bindAddress": "0.0.0.0",
            "spark.driver.port": String(spark.driverPort),
            "spark.driver.blockManager.port": String(spark.blockManagerPort),
            "spark.blockManager.port": String(spark.blockManagerPort),
            "spark.port.maxRetries": String(spark.sessionsPerNotebook - 1),
            "spark.kubernetes.executor.podTemplateFile": "/etc/spark/conf/executor-pod-template.yaml",
            "spark.kubernetes.executor.podTemplateContainerName": EXECUTOR_CONTAINER_NAME,
            "spark.kubernetes.authenticate.executor.serviceAccountName": EXECUTOR_SERVICE_ACCOUNT,
            "spark.executor.cores": "2",
            "spark.executor.memory": "4g",
            "spark.executor.memoryOverhead": "1g",
            "spark.kubernetes.executor.request.cores": "2",
            "spark.kubernetes.executor.limit.cores": "3",
            "spark.dynamicAllocation.enabled": "true",
            "spark.dynamicAllocation.shuffleTracking.enabled": "true",
            "spark.dynamicAllocation.minExecutors": "0",
            "spark.dynamicAllocation.maxExecutors": "7",
            "spark.dynamicAllocation.executorIdleTimeout": "60s",
            "spark.kubernetes.driver.service.deleteOnTermination": "false",
            "spark.kubernetes.driver.ownPersistentVolumeClaim": "false",
            "spark.kubernetes.driver.reusePersistentVolumeClaim": "false",
        });
        for (const [key, value] of Object.entries(SPARK_EXECUTOR_LABELS)) {
            expect(conf.get(`spark.kubernetes.executor.label.${key}`)).toBe(value);
        }
    });
    it("starts executors in the user's own namespace, which the hub names in the notebook pod's environment", () => {
        expect(EXECUTOR_NAMESPACE_ENV).toBe("SPARK_EXECUTOR_NAMESPACE");
        expect(conf.get("spark.kubernetes.namespace")).toBe("${env:SPARK_EXECUTOR_NAMESPACE}");
        // Spark would look the driver pod up in that namespace, where it is not: no driver pod name,
        // so executors get no owner reference (owners cannot cross namespaces).
        expect(conf.has("spark.kubernetes.driver.pod.name")).toBe(false);
        expect([...conf.values()].filter((v) => v.includes("POD_NAME"))).toEqual([]);
    });
    it("adds pull secrets, event logs and on-demand claims only when asked", () => {
        expect([...conf.keys()].filter((k) => /pullSecrets|eventLog|persistentVolumeClaim\./.test(k))).toEqual([]);
        const full = sparkDefaults({
            spark: sparkConfig({ onDemandPvc: { enabled: true, size: "20Gi", storageClass: "gp3" } }),
            image: IMAGE,
            imagePullSecretName: "pull",
            eventLogDir: "s3a://bucket/spark-events/",
            eventLogS3: true,
        });
        const prefix = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1";
        expect(Object.fromEntries(full)).toMatchObject({
            "spark.kubernetes.container.image.pullSecrets": "pull",
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": "s3a://bucket/spark-events/",
            [`${prefix}.options.claimName`]: "OnDemand",
            [`${prefix}.options.storageClass`]: "gp3",
            [`${prefix}.options.sizeLimit`]: "20Gi",
            // A driver pod in the platform namespace cannot own claims in the executor namespace.
            "spark.kubernetes.driver.ownPersistentVolumeClaim": "false",
            "spark.kubernetes.driver.reusePersistentVolumeClaim": "false",
        });
        expect(full.get("spark.hadoop.fs.s3a.aws.credentials.provider")).toMatch(/WebIdentity/);
    });
    it("configures S3A with the web identity and the bucket's region whenever S3 is given", () => {
        expect([...conf.keys()].filter((k) => k.startsWith("spark.hadoop.fs.s3a."))).toEqual([]);
        const s3 = sparkDefaults({ spark, image: IMAGE, s3: { region: "eu-west-1" } });
        expect(s3.get("spark.eventLog.enabled")).toBeUndefined();
        expect(Object.fromEntries([...s3].filter(([k]) => k.startsWith("spark.hadoop.")))).toEqual({
            "spark.hadoop.fs.s3a.aws.credentials.provider": "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider",
            "spark.hadoop.fs.s3a.endpoint.region": "eu-west-1",
        });
        expect(Object.fromEntries(s3aProperties({ region: "us-east-1", endpoint: "https://s3.example.internal", pathStyleAccess: true }))).toEqual({
            "spark.hadoop.fs.s3a.aws.credentials.provider": S3_WEB_IDENTITY_PROVIDER,
            "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
            "spark.hadoop.fs.s3a.endpoint": "https://s3.example.internal",
            "spark.hadoop.fs.s3a.path.style.access": "true",
        });
    });
    it("renders a properties file, one key and value per line, in order", () => {
        const text = renderSparkDefaults(conf);
        const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
        expect(lines.map((l) => l.split(" ")[0])).toEqual([...conf.keys()]);
        expect(lines[0]).toBe("spark.master k8s://https://kubernetes.default.svc:443");
        expect(renderSparkDefaults({ "a.b": "c\\d" })).toContain("a.b c\\\\d");
        expect(() => renderSparkDefaults({ "a b": "c" })).toThrow(/"a b"/);
        expect(() => renderSparkDefaults({ ab: "c\nd" })).toThrow(/ab has a line break/);
    });
});

describe("GPU executors", () => {
    const spark = sparkConfig({ gpuExecutors: { enabled: true, gpusPerExecutor: 2 }, executor: { cores: 4 } }, true);
    const placement = gpuPlacement({ name: "g5", gpusPerNode: 4 });
    it("asks for the placement's resource with the image's discovery script and the gpu image", () => {
        expect(Object.fromEntries(gpuSparkOverrides(spark, [placement], GPU_IMAGE))).toEqual({
            "spark.kubernetes.container.image": GPU_IMAGE,
            "spark.kubernetes.executor.podTemplateFile": "/etc/spark/conf/executor-pod-template-gpu.yaml",
            "spark.executor.resource.gpu.amount": "2",
            "spark.executor.resource.gpu.vendor": GPU_RESOURCE.split("/")[0],
            "spark.executor.resource.gpu.discoveryScript": GPU_DISCOVERY_SCRIPT,
            "spark.task.resource.gpu.amount": "0.5",
            // Capped at what the pool holds: one g5 pool of 2 nodes with 4 GPUs, 2 per executor.
            "spark.dynamicAllocation.maxExecutors": "4",
        });
    });
    it("rejects GPU counts the pool or the cores cannot hold", () => {
        expect(() => sparkConfig({ gpuExecutors: { enabled: true, gpusPerExecutor: 8 } }, true)).toThrow(
            /spark\.gpuExecutors\.gpusPerExecutor: exceeds the 4 GPUs per node of pool g5 \(got 8\)/,
        );
        expect(() => sparkConfig({ gpuExecutors: { enabled: true, gpusPerExecutor: 2 }, executor: { cores: 3 } }, true)).toThrow(/cannot be shared evenly by 3 cores/);
        // Direct callers of the builders (other programs) get the same rules.
        const pools = [{ name: placement.poolName, gpusPerNode: placement.gpusPerNode }];
        const tooMany = { ...spark, gpuExecutors: { ...spark.gpuExecutors, gpusPerExecutor: 8 } };
        expect(() => assertNoProblems(sparkRules(tooMany, { gpuPools: pools }), { spark: tooMany })).toThrow(
            /spark\.gpuExecutors\.gpusPerExecutor: exceeds the 4 GPUs per node of pool g5 \(got 8\)/,
        );
        expect(sparkRules(spark, { gpuPools: pools })).toEqual([]);
    });
});

describe("executorPodTemplate", () => {
    const spark = sparkConfig({ executor: { cores: 2, memory: "3g", memoryOverhead: "512m" } });
    it("is a valid Pod running the given image as the notebook user, off GPU nodes", () => {
        const pod = executorPodTemplate({ spark, image: IMAGE, uid: 1000, gid: 100 });
        expect(validateKubernetesObject(pod)).toEqual([]);
        const c = pod.spec.containers[0];
        expect(c.name).toBe(EXECUTOR_CONTAINER_NAME);
        expect(c.image).toBe(IMAGE);
        expect(c.resources).toEqual({ requests: { cpu: "2", memory: "3584Mi" }, limits: { cpu: "2", memory: "3584Mi" } });
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(pod.spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 100, fsGroup: 100, runAsNonRoot: true });
        expect(pod.spec.affinity.nodeAffinity).toEqual(avoidGpuNodesAffinity());
        expect(pod.spec.tolerations).toBeUndefined();
        expect(pod.spec.automountServiceAccountToken).toBe(false);
        expect(parse(renderPodTemplate(pod))).toEqual(pod);
    });
    it("meets the restricted Pod Security Standard its executor namespace enforces, and names no PriorityClass or node", () => {
        const gspark = sparkConfig({ gpuExecutors: { enabled: true, gpusPerExecutor: 1 } }, true);
        for (const pod of [
            executorPodTemplate({ spark, image: IMAGE, uid: 1000, gid: 100 }),
            executorPodTemplate({ spark: gspark, image: GPU_IMAGE, uid: 1000, gid: 100, gpu: [gpuPlacement({ name: "g5", gpusPerNode: 4 })] }),
        ]) {
            expect(restrictedViolations(pod.spec)).toEqual([]);
            expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
            expect(pod.spec.priorityClassName).toBeUndefined();
            expect(pod.spec.nodeName).toBeUndefined();
            expect(pod.spec.serviceAccountName).toBe(EXECUTOR_SERVICE_ACCOUNT);
            expect(pod.spec.initContainers).toBeUndefined();
        }
        // The check itself refuses what restricted refuses.
        const pod = executorPodTemplate({ spark, image: IMAGE, uid: 1000, gid: 100 });
        expect(restrictedViolations({ ...pod.spec, securityContext: { runAsUser: 1000 } })).toEqual([
            "container spark-executor: runAsNonRoot is not true (pod or container)",
            "container spark-executor: seccompProfile is unset (pod or container)",
        ]);
        expect(restrictedViolations({ ...pod.spec, volumes: [{ name: "h", hostPath: { path: "/" } }] })).toEqual(["volume h is of type hostPath"]);
    });
    it("GPU variant tolerates, selects and requests the placement's GPUs", () => {
        const gspark = sparkConfig({ gpuExecutors: { enabled: true, gpusPerExecutor: 2 } }, true);
        const placement = gpuPlacement({ name: "g5", gpusPerNode: 4 });
        const pod = executorPodTemplate({ spark: gspark, image: GPU_IMAGE, uid: 1000, gid: 100, gpu: [placement] });
        expect(validateKubernetesObject(pod)).toEqual([]);
        expect(pod.spec.tolerations).toEqual([gpuToleration(placement)]);
        expect(pod.spec.affinity.nodeAffinity).toEqual(gpuNodeAffinity(placement));
        expect(pod.spec.containers[0].resources.limits[placement.resourceName]).toBe("2");
    });
    it("converts Spark sizes in binary units", () => {
        expect(sparkMemoryMiB("2g")).toBe(2048);
        expect(sparkMemoryMiB("512m")).toBe(512);
        expect(() => sparkMemoryMiB("2GB")).toThrow(/allowed: a number with k, m, g or t/);
    });
});

describe("NetworkPolicies", () => {
    const spark = sparkConfig({ driverPort: 30000, blockManagerPort: 30100, sessionsPerNotebook: 3 });
    const ports = sparkPortRanges(spark);

    it("let drivers reach executors' block managers in this platform's executor namespaces only, and the API server", () => {
        expect(ports).toEqual({ driver: { port: 30000, endPort: 30002 }, blockManager: { port: 30100, endPort: 30102 } });
        const egress = driverEgressPolicy({ notebookNamespace: "ds", platformNamespace: "ds", ports });
        expect(egress.metadata.namespace).toBe("ds");
        expect(egress.spec.podSelector).toEqual({ matchLabels: SPARK_DRIVER_LABELS });
        expect(egress.spec.policyTypes).toEqual(["Egress"]);
        expect(egress.spec.egress).toEqual([
            {
                to: [{ podSelector: { matchLabels: SPARK_EXECUTOR_LABELS }, namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: "ds" } } }],
                ports: [{ protocol: "TCP", port: 30100, endPort: 30102 }],
            },
            { ports: KUBERNETES_API_PORTS.map((port) => ({ protocol: "TCP", port })) },
        ]);
        expect(validateKubernetesObject(egress)).toEqual([]);
    });
    it("select executor namespaces by the platform they belong to, not by the notebook namespace's name", () => {
        const egress = driverEgressPolicy({ notebookNamespace: "notebooks", platformNamespace: "team-a", ports });
        expect(egress.metadata.namespace).toBe("notebooks");
        expect(egress.spec.egress[0].to[0].namespaceSelector).toEqual({ matchLabels: { [EXECUTORS_OF_LABEL]: "team-a" } });
    });
    it("open a single port where one session per notebook is allowed", () => {
        const single = sparkPortRanges(sparkConfig({ driverPort: 30000, blockManagerPort: 30100, sessionsPerNotebook: 1 }));
        const egress = driverEgressPolicy({ notebookNamespace: "ds", platformNamespace: "ds", ports: single });
        expect(egress.spec.egress[0].ports).toEqual([{ protocol: "TCP", port: 30100 }]);
        expect(validateKubernetesObject(egress)).toEqual([]);
    });
    it("refuse overlapping driver and block-manager ranges, naming the key", () => {
        expect(() => sparkConfig({ driverPort: 30000, blockManagerPort: 30001 })).toThrow(
            /spark\.blockManagerPort: ports 30001-30004 overlap the driver ports 30000-30003 \(spark\.sessionsPerNotebook = 4\); move one so the ranges are disjoint/,
        );
    });
});
