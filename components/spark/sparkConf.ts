/**
 * Pure builders for client-mode Spark on Kubernetes: the driver's RBAC rules, spark-defaults.conf, the
 * executor pod templates and the NetworkPolicies between notebook (driver) pods and executor pods.
 *
 * The notebook pod is the Spark driver. It reads `spark-defaults.conf` from SPARK_CONF_DIR, asks the
 * API server for executor pods built from the template, and executors connect back to it by pod IP.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { SparkConfig } from "../config/config";
import { sparkPortRanges } from "../config/rules";
import { avoidGpuNodesAffinity, GpuPlacement, gpuNodeAffinity, gpuToleration } from "../gpu/placement";
import { NodePurposeMatch, withNodePurpose } from "../cluster/nodePurpose";
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT, RESTRICTED_POD_SECURITY_CONTEXT } from "../shared/security";
import { sparkSizeMiB } from "../shared/quantities";
import type { UserIsolationHookConfig } from "./userIsolation";

/** Where notebook pods mount the Spark ConfigMap; the image sets SPARK_CONF_DIR to this path. */
export const SPARK_CONF_DIR = "/etc/spark/conf";
/** ConfigMap keys, i.e. file names under SPARK_CONF_DIR. */
export const SPARK_DEFAULTS_FILE = "spark-defaults.conf";
export const SPARK_GPU_CONF_FILE = "spark-gpu.conf";
export const EXECUTOR_TEMPLATE_FILE = "executor-pod-template.yaml";
export const GPU_EXECUTOR_TEMPLATE_FILE = "executor-pod-template-gpu.yaml";

/** Each user's notebook pods run as `notebook-<user>`: the driver's identity towards the API server (and IRSA on AWS). */
export const NOTEBOOK_SERVICE_ACCOUNT = "notebook";
/** ServiceAccount of executor pods: no RBAC; only a cloud identity for data access. */
export const EXECUTOR_SERVICE_ACCOUNT = "spark-executor";
/** ServiceAccount of the history server: no RBAC; reads event logs. */
export const HISTORY_SERVICE_ACCOUNT = "spark-history";

/** Label on notebook pods; the Spark NetworkPolicies select drivers by it. */
export const SPARK_DRIVER_LABELS: Readonly<Record<string, string>> = { "ds-platform.io/spark-driver": "true" };
/** Label of executor namespaces: the platform (its namespace) whose hub manages them. */
export const EXECUTORS_OF_LABEL = "ds-platform.io/executors-of";
/** Label of executor namespaces and notebook pods: the user they belong to (KubeSpawner's safe slug). */
export const USER_LABEL = "ds-platform.io/user";
/** Environment variable of notebook pods naming their user's executor namespace; spark.kubernetes.namespace reads it. */
export const EXECUTOR_NAMESPACE_ENV = "SPARK_EXECUTOR_NAMESPACE";
/** Label Spark puts on every executor pod (spark.kubernetes.executor.label.*). */
export const SPARK_EXECUTOR_LABELS: Readonly<Record<string, string>> = { "ds-platform.io/spark-executor": "true" };

/** Spark uses the first container of a template as the executor container. */
export const EXECUTOR_CONTAINER_NAME = "spark-executor";
/** The image's GPU discovery script (images/notebook). */
export const GPU_DISCOVERY_SCRIPT = "/opt/spark-scripts/gpu-discovery.sh";
/** In-cluster API server, port included: Spark requires an explicit port in k8s:// masters. */
export const KUBERNETES_MASTER = "k8s://https://kubernetes.default.svc:443";
/**
 * Ports the API server listens on behind the `kubernetes` Service (443 on EKS, 6443 on kubeadm-style
 * clusters). NetworkPolicy cannot name the API server, and most CNIs match the translated endpoint.
 */
export const KUBERNETES_API_PORTS = [443, 6443] as const;
/** Mount path of on-demand executor local-dir claims. */
export const EXECUTOR_LOCAL_DIR = "/data/spark-local";
export const HISTORY_UI_PORT = 18080;

/** Downward-API environment that lets spark-defaults.conf name the notebook pod and its IP. */
export const DRIVER_POD_ENV: Record<string, { valueFrom: { fieldRef: { fieldPath: string } } }> = {
    POD_NAME: { valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    POD_IP: { valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
};

/** What the JupyterHub component needs so that every notebook pod can drive Spark executors. */
export interface NotebookSparkWiring {
    /**
     * What the hub creates for each user before a spawn (that user's notebook ServiceAccount and
     * executor namespace) and deletes after a stop; the pod runs as that ServiceAccount.
     */
    userIsolation: pulumi.Input<UserIsolationHookConfig>;
    /** ConfigMap holding spark-defaults.conf and the executor pod template. */
    configMapName: pulumi.Input<string>;
    /** Where that ConfigMap is mounted in notebook pods (SPARK_CONF_DIR). */
    confDir: string;
    /** Extra environment for notebook pods, in z2jh singleuser.extraEnv form (name -> string or {valueFrom}). */
    env: Record<string, string | { valueFrom: Record<string, unknown> }>;
    /** Labels to put on notebook pods (the Spark NetworkPolicies select them). */
    podLabels: Record<string, string>;
    /**
     * The event-log claim and where drivers write to it (file event logs only). Every notebook pod
     * must mount it there, or Spark sessions fail to open their log directory.
     */
    eventLogVolume?: { claimName: pulumi.Input<string>; mountPath: string };
}

export interface PortRange {
    port: number;
    endPort: number;
}

export { sparkPortRanges } from "../config/rules";
export { PRIVATE_IPV4 } from "../shared/network";

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

export interface PolicyRule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
}

/**
 * What Spark 4's Kubernetes scheduler backend does with the API in client mode, and so all the driver
 * may do (in the executor namespace):
 * - pods: create executors; get/watch its own pod (owner references, readiness) and executors;
 *   list/watch for the snapshot sources; delete/deletecollection when scaling down and on stop.
 *   No patch: Spark patches pods only for the statefulset/deployment allocators, decommission labels
 *   and deleteOnTermination=false, none of which the platform sets.
 * - configmaps: create the per-application executor conf map, delete it by label on stop
 *   (list/delete or one deletecollection, depending on the client version).
 * - persistentvolumeclaims, only with on-demand local-dir claims: create them, list reusable ones,
 *   delete the driver-owned ones on stop.
 * - no services: in client mode Spark creates no driver service; the platform sets
 *   spark.kubernetes.driver.service.deleteOnTermination=false so stop() does not try to delete one.
 */
export function sparkDriverRoleRules(opts: { onDemandPvc: boolean }): PolicyRule[] {
    const rules: PolicyRule[] = [
        { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete", "deletecollection"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "delete", "deletecollection"] },
    ];
    if (opts.onDemandPvc) {
        rules.push({ apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["create", "get", "list", "delete", "deletecollection"] });
    }
    return rules;
}

// ---------------------------------------------------------------------------------------------
// spark-defaults.conf
// ---------------------------------------------------------------------------------------------

export interface SparkDefaultsOptions {
    spark: SparkConfig;
    /** Executor image, pinned by digest. */
    image: string;
    imagePullSecretName?: string;
    /** spark.eventLog.dir; event logging is off without it. */
    eventLogDir?: string;
    /** Whether the event log directory is on S3 (s3a://, credentials from the pod's web identity). */
    eventLogS3?: boolean;
    /** S3 through Hadoop's S3A connector (the platform's data bucket), with the pods' web identity. Default: not configured */
    s3?: S3AccessOptions;
}

/** How Spark reaches S3: the bucket's region and, for S3-compatible stores, an endpoint. */
export interface S3AccessOptions {
    /** Region of the bucket (fs.s3a.endpoint.region). Required. */
    region: string;
    /** Endpoint URL (fs.s3a.endpoint), e.g. a VPC or FIPS endpoint. Default: the region's S3 endpoint */
    endpoint?: string;
    /** Path-style requests (fs.s3a.path.style.access), for stores without virtual-host buckets. Default: false */
    pathStyleAccess?: boolean;
}

/**
 * Hadoop S3A settings (as spark.hadoop.* properties) for driver, executors and the history server:
 * credentials only from the web-identity token IRSA projects into the pod (AWS_ROLE_ARN,
 * AWS_WEB_IDENTITY_TOKEN_FILE), and the bucket's region so no region lookup is needed.
 */
export function s3aProperties(s3?: S3AccessOptions): Map<string, string> {
    const conf = new Map<string, string>([["spark.hadoop.fs.s3a.aws.credentials.provider", S3_WEB_IDENTITY_PROVIDER]]);
    if (s3) {
        conf.set("spark.hadoop.fs.s3a.endpoint.region", s3.region);
        if (s3.endpoint) {
            conf.set("spark.hadoop.fs.s3a.endpoint", s3.endpoint);
        }
        if (s3.pathStyleAccess) {
            conf.set("spark.hadoop.fs.s3a.path.style.access", "true");
        }
    }
    return conf;
}

/** Whole MiB of a Spark size such as 512m or 4g, rounded up, as a pod's memory is written. */
export function sparkMemoryMiB(size: string): number {
    return Math.ceil(sparkSizeMiB(size));
}

/** The executor's CPU limit in cores. */
function coresLimit(spark: SparkConfig): number {
    return spark.executor.coresLimit ?? spark.executor.cores;
}

/**
 * spark-defaults.conf for CPU executors, as an ordered key -> value map. `${env:...}` values are
 * substituted by Spark when it reads them, from the notebook pod's downward-API environment.
 */
export function sparkDefaults(opts: SparkDefaultsOptions): Map<string, string> {
    const { spark } = opts;
    const ranges = sparkPortRanges(spark);
    const conf = new Map<string, string>([
        ["spark.master", KUBERNETES_MASTER],
        ["spark.submit.deployMode", "client"],
        // Each user's executors run in that user's namespace, which the hub names in the pod's environment.
        ["spark.kubernetes.namespace", `\${env:${EXECUTOR_NAMESPACE_ENV}}`],
        ["spark.kubernetes.container.image", opts.image],
        ["spark.kubernetes.container.image.pullPolicy", "IfNotPresent"],
    ]);
    if (opts.imagePullSecretName) {
        conf.set("spark.kubernetes.container.image.pullSecrets", opts.imagePullSecretName);
    }
    conf.set("spark.driver.host", "${env:POD_IP}");
    conf.set("spark.driver.bindAddress", "0.0.0.0");
    conf.set("spark.driver.port", String(ranges.driver.port));
    conf.set("spark.driver.blockManager.port", String(ranges.blockManager.port));
    conf.set("spark.blockManager.port", String(ranges.blockManager.port));
    // A second session in the same notebook pod binds the next port; the NetworkPolicies open the range.
    conf.set("spark.port.maxRetries", String(spark.sessionsPerNotebook - 1));
    conf.set("spark.kubernetes.executor.podTemplateFile", `${SPARK_CONF_DIR}/${EXECUTOR_TEMPLATE_FILE}`);
    conf.set("spark.kubernetes.executor.podTemplateContainerName", EXECUTOR_CONTAINER_NAME);
    conf.set("spark.kubernetes.authenticate.executor.serviceAccountName", EXECUTOR_SERVICE_ACCOUNT);
    for (const [key, value] of Object.entries(SPARK_EXECUTOR_LABELS)) {
        conf.set(`spark.kubernetes.executor.label.${key}`, value);
    }
    conf.set("spark.executor.cores", String(spark.executor.cores));
    conf.set("spark.executor.memory", spark.executor.memory);
    conf.set("spark.executor.memoryOverhead", spark.executor.memoryOverhead);
    conf.set("spark.kubernetes.executor.request.cores", String(spark.executor.cores));
    conf.set("spark.kubernetes.executor.limit.cores", String(coresLimit(spark)));
    conf.set("spark.dynamicAllocation.enabled", "true");
    // No external shuffle service on Kubernetes: executors holding shuffle data stay until it is unused.
    conf.set("spark.dynamicAllocation.shuffleTracking.enabled", "true");
    conf.set("spark.dynamicAllocation.minExecutors", String(spark.dynamicAllocation.minExecutors));
    conf.set("spark.dynamicAllocation.maxExecutors", String(spark.dynamicAllocation.maxExecutors));
    conf.set("spark.dynamicAllocation.executorIdleTimeout", `${spark.dynamicAllocation.idleTimeoutSeconds}s`);
    // Client mode creates no driver service; without this, stop() would try to delete one (no RBAC).
    conf.set("spark.kubernetes.driver.service.deleteOnTermination", "false");
    const pvc = spark.onDemandPvc;
    if (pvc.enabled) {
        const prefix = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1";
        conf.set(`${prefix}.options.claimName`, "OnDemand");
        if (pvc.storageClass) {
            conf.set(`${prefix}.options.storageClass`, pvc.storageClass);
        }
        conf.set(`${prefix}.options.sizeLimit`, pvc.size);
        conf.set(`${prefix}.mount.path`, EXECUTOR_LOCAL_DIR);
        conf.set(`${prefix}.mount.readOnly`, "false");
    }
    // Claims cannot be owned by a driver pod in another namespace: Spark deletes them on stop, the hub when the server stops.
    conf.set("spark.kubernetes.driver.ownPersistentVolumeClaim", "false");
    conf.set("spark.kubernetes.driver.reusePersistentVolumeClaim", "false");
    if (opts.eventLogDir) {
        conf.set("spark.eventLog.enabled", "true");
        conf.set("spark.eventLog.dir", opts.eventLogDir);
        conf.set("spark.eventLog.rolling.enabled", "true");
    }
    if (opts.s3 || (opts.eventLogDir && opts.eventLogS3)) {
        for (const [key, value] of s3aProperties(opts.s3)) {
            conf.set(key, value);
        }
    }
    // spark.pyspark.python is left unset: the image's PYSPARK_PYTHON names the same interpreter in
    // notebook and executor pods.
    return conf;
}

/** AWS SDK v2 provider that reads the IRSA web-identity token (Spark 4 ships Hadoop 3.4, SDK v2). */
export const S3_WEB_IDENTITY_PROVIDER = "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider";

/**
 * The GPU executor settings layered over the defaults. They live in a complete properties file of
 * their own (`spark-gpu.conf`): `--properties-file` replaces spark-defaults.conf rather than adding
 * to it, so the file repeats every default. A notebook opts in before its session starts, with
 * `os.environ["PYSPARK_SUBMIT_ARGS"] = "--properties-file /etc/spark/conf/spark-gpu.conf pyspark-shell"`.
 */
export function gpuSparkOverrides(spark: SparkConfig, placements: GpuPlacement[], gpuImage: string): Map<string, string> {
    const gpus = spark.gpuExecutors.gpusPerExecutor;
    const cores = spark.executor.cores;
    const resources = [...new Set(placements.map((p) => p.resourceName))];
    if (resources.length !== 1) {
        throw new Error(`GPU executors need pools that offer one GPU resource; got ${resources.join(", ") || "no pool"}`);
    }
    // Spark requests `<vendor>/gpu`; the vendor is the domain of the placement's resource name.
    const [vendor, resource] = resources[0].split("/");
    if (resource !== "gpu") {
        throw new Error(`GPU resource ${resources[0]} is not of the form <vendor>/gpu that Spark requests`);
    }
    // Every task slot (core) gets an equal share of the executor's GPUs.
    const perTask = gpus >= cores ? gpus / cores : 1 / (cores / gpus);
    return new Map([
        ["spark.kubernetes.container.image", gpuImage],
        ["spark.kubernetes.executor.podTemplateFile", `${SPARK_CONF_DIR}/${GPU_EXECUTOR_TEMPLATE_FILE}`],
        ["spark.executor.resource.gpu.amount", String(gpus)],
        ["spark.executor.resource.gpu.vendor", vendor],
        ["spark.executor.resource.gpu.discoveryScript", GPU_DISCOVERY_SCRIPT],
        ["spark.task.resource.gpu.amount", String(perTask)],
        ["spark.dynamicAllocation.maxExecutors", String(spark.gpuExecutors.maxExecutors ?? spark.dynamicAllocation.maxExecutors)],
    ]);
}

/** The text of a Spark properties file. */
export function renderSparkDefaults(conf: Map<string, string> | Record<string, string>): string {
    const entries = conf instanceof Map ? [...conf.entries()] : Object.entries(conf);
    const lines = entries.map(([key, value]) => {
        if (!/^[A-Za-z0-9._\-/]+$/.test(key)) {
            throw new Error(`Spark property name ${JSON.stringify(key)} has characters a properties file cannot hold as is`);
        }
        if (/[\r\n]/.test(value)) {
            throw new Error(`Spark property ${key} has a line break in its value`);
        }
        // Properties files treat backslash as an escape.
        return `${key} ${value.replace(/\\/g, "\\\\")}`;
    });
    return `# Generated by ds-platform; changes are overwritten on the next deployment.\n${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Executor pod templates
// ---------------------------------------------------------------------------------------------

export interface ExecutorTemplateOptions {
    spark: SparkConfig;
    image: string;
    uid: number;
    gid: number;
    /** GPU pools executors may land on, for the GPU template. */
    gpu?: GpuPlacement[];
    /** How executors use the node-purpose labels (they are user pods). Default: ignore */
    matchNodePurpose?: NodePurposeMatch;
}

/**
 * The executor pod template. Spark overwrites the container's image, resources and args from its
 * conf; they are written here consistently all the same, so the template alone describes the pod.
 */
export function executorPodTemplate(opts: ExecutorTemplateOptions): k8s.types.input.core.v1.Pod {
    const { spark } = opts;
    const gpu = opts.gpu && opts.gpu.length > 0 ? opts.gpu : undefined;
    const gpuResource = gpu?.[0].resourceName;
    const memoryMiB = sparkMemoryMiB(spark.executor.memory) + sparkMemoryMiB(spark.executor.memoryOverhead);
    const limits: Record<string, string> = { cpu: String(coresLimit(spark)), memory: `${memoryMiB}Mi` };
    if (gpuResource) {
        limits[gpuResource] = String(spark.gpuExecutors.gpusPerExecutor);
    }
    const tolerations = gpu ? [...new Map(gpu.map((p) => [JSON.stringify(gpuToleration(p)), gpuToleration(p)])).values()] : [];
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { labels: { ...SPARK_EXECUTOR_LABELS } },
        spec: {
            serviceAccountName: EXECUTOR_SERVICE_ACCOUNT,
            automountServiceAccountToken: false,
            restartPolicy: "Never",
            securityContext: { runAsUser: opts.uid, runAsGroup: opts.gid, fsGroup: opts.gid, ...RESTRICTED_POD_SECURITY_CONTEXT },
            affinity: { nodeAffinity: withNodePurpose(gpu ? gpuNodeAffinity(...gpu) : avoidGpuNodesAffinity(), "user", opts.matchNodePurpose ?? "ignore") },
            ...(tolerations.length > 0 ? { tolerations } : {}),
            containers: [
                {
                    name: EXECUTOR_CONTAINER_NAME,
                    image: opts.image,
                    args: ["executor"],
                    resources: {
                        requests: { cpu: String(spark.executor.cores), memory: `${memoryMiB}Mi`, ...(gpuResource ? { [gpuResource]: limits[gpuResource] } : {}) },
                        limits,
                    },
                    securityContext: { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT },
                },
            ],
        },
    };
}

/**
 * YAML text of a pod template, as Spark reads it from spark.kubernetes.executor.podTemplateFile. The
 * pod must hold plain values: a file cannot hold an Output.
 */
export function renderPodTemplate(pod: k8s.types.input.core.v1.Pod): string {
    return stringify(pod);
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicies
// ---------------------------------------------------------------------------------------------

export interface SparkNetworkOptions {
    notebookNamespace: pulumi.Input<string>;
    ports: { driver: PortRange; blockManager: PortRange };
}

/** A NetworkPolicy whose metadata and spec are plain objects, so callers can name it and pass the spec on. */
export interface NetworkPolicyManifest extends k8s.types.input.networking.v1.NetworkPolicy {
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/** A NetworkPolicy port (range) for TCP. */
export function tcp(range: PortRange): k8s.types.input.networking.v1.NetworkPolicyPort {
    return range.endPort > range.port ? { protocol: "TCP", port: range.port, endPort: range.endPort } : { protocol: "TCP", port: range.port };
}

/**
 * Notebook pods may reach executors' block managers, in the executor namespaces of this platform, and
 * the API server. Additive to the chart's own notebook egress policy. Which executors accept a driver
 * is each executor namespace's own policy (its user's drivers only). The API server is allowed by
 * port only: NetworkPolicy cannot name it.
 */
export function driverEgressPolicy(o: SparkNetworkOptions & { platformNamespace: pulumi.Input<string> }): NetworkPolicyManifest {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { namespace: o.notebookNamespace },
        spec: {
            podSelector: { matchLabels: { ...SPARK_DRIVER_LABELS } },
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ podSelector: { matchLabels: { ...SPARK_EXECUTOR_LABELS } }, namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: o.platformNamespace } } }],
                    ports: [tcp(o.ports.blockManager)],
                },
                { ports: KUBERNETES_API_PORTS.map((port) => ({ protocol: "TCP", port })) },
            ],
        },
    };
}
