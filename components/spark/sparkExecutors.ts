/**
 * Client-mode Spark from notebook pods: the notebook pod is the driver and starts executor pods of
 * the same image through the Kubernetes API. This component composes the parts (each usable alone):
 * the driver's ClusterRole and the admission policies of executor namespaces (SparkDriverAccess), the
 * Spark configuration the hub mounts into notebook pods (SparkConfFiles), the drivers' NetworkPolicy
 * (SparkNetworkPolicies) and an optional history server (SparkHistoryServer). It declares itself the
 * event-log volume, and hands the hub what it creates for each user (userIsolation.ts): a notebook
 * ServiceAccount and an executor namespace of that user's own, with its quota and NetworkPolicies.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SparkConfig } from "../config/config";
import { GpuPlacement } from "../gpu/placement";
import { NodePurposeMatch } from "../cluster/nodePurpose";
import { FormerParent } from "./formerParent";
import {
    DRIVER_POD_ENV,
    EXECUTOR_SERVICE_ACCOUNT,
    HISTORY_SERVICE_ACCOUNT,
    NOTEBOOK_SERVICE_ACCOUNT,
    NotebookSparkWiring,
    S3AccessOptions,
    SPARK_CONF_DIR,
    SPARK_DRIVER_LABELS,
} from "./sparkConf";
import { activeGpuPlacements, SparkConfFiles } from "./sparkConfFiles";
import { SparkDriverAccess } from "./sparkDriverAccess";
import { SparkHistoryServer } from "./sparkHistoryServer";
import { defaultExecutorNamespacePrefix, UserIsolationHookConfig, userIsolationHookConfig } from "./userIsolation";
import { SparkNetworkPolicies } from "./sparkNetworkPolicies";
import { assertNoProblems, sparkRules } from "../config/config";

export { EXECUTOR_SERVICE_ACCOUNT, HISTORY_SERVICE_ACCOUNT, NOTEBOOK_SERVICE_ACCOUNT, type NotebookSparkWiring, SPARK_CONF_DIR } from "./sparkConf";
export { SPARK_CONF_CONFIGMAP } from "./sparkConfFiles";

/** Where Spark event logs go. */
export interface SparkEventLog {
    /** spark.eventLog.dir: `s3a://bucket/prefix/` (s3) or `file:/absolute/path` (a volume this component creates). */
    dir: pulumi.Input<string>;
    /** Whether `dir` is on S3, read and written with the pods' web identity (IRSA). Default: false */
    s3?: boolean;
}

export interface SparkExecutorsArgs {
    /** Namespace of the notebook (driver) pods. Required. */
    notebookNamespace: pulumi.Input<string>;
    /** The platform's Spark settings. Required. */
    spark: SparkConfig;
    /** The platform namespace's name: it names the cluster-wide objects. Default: notebookNamespace, when a plain string */
    platformNamespace?: string;
    /** Prefix of the per-user executor namespaces, `<prefix>-<user>`. Default: `<platformNamespace>-u` */
    executorNamespace?: string;
    /** Executor (and history server) image: the notebook image, pinned by digest. Required. */
    image: pulumi.Input<string>;
    /** The notebook image's gpu target, for GPU executors. Default: image */
    gpuImage?: pulumi.Input<string>;
    /** GPU pools GPU executors may land on; they exist only when this is non-empty and spark.gpuExecutors.enabled. Default: none */
    gpuPlacements?: GpuPlacement[];
    /** How executors (user pods) and the history server (a core pod) use the node-purpose labels. Default: ignore */
    matchNodePurpose?: NodePurposeMatch;
    /** UID executors run as. Required. */
    uid: number;
    /** GID (and fsGroup) executors run as. Required. */
    gid: number;
    /** Pull secret for the image, in every namespace that runs it. Default: none */
    imagePullSecretName?: pulumi.Input<string>;
    /** Annotations of each user's notebook ServiceAccount and of the history ServiceAccount (e.g. the notebook IRSA role ARN). Default: none */
    serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /**
     * Annotations of the history server's ServiceAccount instead of serviceAccountAnnotations (e.g. an
     * IRSA role whose trust policy names that account and that may read the event logs). Default: serviceAccountAnnotations
     */
    historyServiceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** S3 through Hadoop's S3A connector with the pods' web identity, in every pod's Spark conf (the data bucket's region). Default: not configured */
    s3?: S3AccessOptions;
    /** Annotations of the executor ServiceAccount of every executor namespace (e.g. its own IRSA role ARN). Default: none */
    executorServiceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Event log location; a history server needs it. Default: no event logs */
    eventLog?: SparkEventLog;
    /** Protect the event log volume from deletion and replacement. Required. */
    protect: boolean;
}


const FILE_DIR = /^file:(\/\/)?(\/[^\s]*)$/;

/** The mount path of a `file:` event-log directory. */
export function eventLogMountPath(dir: string): string {
    const m = FILE_DIR.exec(dir);
    if (!m) {
        throw new Error(`eventLog.dir ${JSON.stringify(dir)}: allowed without eventLog.s3 is file:/absolute/path or file:///absolute/path`);
    }
    return m[2].replace(/\/+$/, "") || "/";
}

function checkEventLogDir(dir: string, s3: boolean): string {
    if (s3 && !/^s3a:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(dir)) {
        throw new Error(`eventLog.dir ${JSON.stringify(dir)}: allowed with eventLog.s3 is s3a://<bucket>/<prefix>`);
    }
    if (!s3) {
        eventLogMountPath(dir);
    }
    return dir;
}

/** The event-log claim, written by every notebook pod and read by the history server: it must be shared. */
export function eventLogClaimArgs(namespace: pulumi.Input<string>, history: SparkConfig["historyServer"]): k8s.core.v1.PersistentVolumeClaimArgs {
    return {
        metadata: { name: "spark-event-logs", namespace },
        spec: {
            accessModes: ["ReadWriteMany"],
            storageClassName: history.storageClass,
            resources: { requests: { storage: history.logVolumeSize } },
        },
    };
}

/**
 * Client-mode Spark for every notebook pod. Pass `wiring` to the hub; the notebook pods then run as
 * the notebook ServiceAccount with SPARK_CONF_DIR mounted, and `SparkSession.builder.getOrCreate()`
 * starts executors of the same image.
 */
export class SparkExecutors extends pulumi.ComponentResource {
    /** For the hub: ServiceAccount, ConfigMap, environment and labels of notebook pods. */
    public readonly wiring: NotebookSparkWiring;
    /** Each user's executors run in the namespace `<executorNamespacePrefix>-<user>`. */
    public readonly executorNamespacePrefix: string;
    /** The generated spark-defaults.conf. */
    public readonly sparkDefaults: pulumi.Output<string>;
    /** IRSA trust subjects: each user's notebook ServiceAccount (`notebook-*` in the platform namespace). */
    public readonly notebookServiceAccountName = `${NOTEBOOK_SERVICE_ACCOUNT}-*`;
    /** IRSA trust subjects: the executor ServiceAccount of every executor namespace. */
    public readonly executorServiceAccountName = EXECUTOR_SERVICE_ACCOUNT;
    /** IRSA trust subjects: every executor namespace, `<prefix>-*`. */
    public readonly executorNamespace: string;
    /** What the hub creates for each user before a spawn, and deletes after a stop. */
    public readonly userIsolation: pulumi.Output<UserIsolationHookConfig>;
    /** ServiceAccount of the history server (in the notebook namespace), when it runs. */
    public readonly historyServiceAccountName?: string;
    /** In-cluster URL of the history server UI, when it runs. */
    public readonly historyServerUrl?: pulumi.Output<string>;
    /**
     * The event-log claim notebook pods must mount at `mountPath` (file event logs only): add it to the
     * hub's extra volumes, or Spark sessions fail to open their log directory.
     */
    public readonly eventLogVolume?: { claimName: pulumi.Output<string>; mountPath: string };
    /** The driver's ClusterRole, the hub's rights and the admission policies of executor namespaces. */
    public readonly access: SparkDriverAccess;
    /** The ConfigMap notebook pods mount. */
    public readonly conf: SparkConfFiles;
    /** The NetworkPolicies between drivers and executors. */
    public readonly network: SparkNetworkPolicies;
    /** The history server, when it runs. */
    public readonly history?: SparkHistoryServer;

    constructor(name: string, args: SparkExecutorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkExecutors", name, {}, opts);
        const { spark } = args;
        const gpu = activeGpuPlacements(spark, args.gpuPlacements);
        // Callers other than the platform may pass unchecked settings: the same rules the config parse runs.
        assertNoProblems(
            // What this component does: executors in the namespace argument, GPU executors only with placements.
            sparkRules({ ...spark, namespace: args.executorNamespace, gpuExecutors: { ...spark.gpuExecutors, enabled: gpu !== undefined } }, {
                gpuPools: (gpu ?? []).map((p) => ({ name: p.poolName, gpusPerNode: p.gpusPerNode })),
                notebookNamespace: typeof args.notebookNamespace === "string" ? args.notebookNamespace : undefined,
            }),
            { spark },
        );
        const problems: string[] = [];
        if (spark.historyServer.enabled && !args.eventLog) {
            problems.push("spark.historyServer.enabled: needs an event log location (the eventLog argument, e.g. the data bucket's s3a:// URI)");
        }
        if (args.eventLog && typeof args.eventLog.dir === "string") {
            try {
                checkEventLogDir(args.eventLog.dir, args.eventLog.s3 ?? false);
            } catch (e) {
                problems.push((e as Error).message);
            }
        }
        if (problems.length > 0) {
            throw new Error(`Invalid Spark settings:\n  - ${problems.join("\n  - ")}`);
        }
        const eventLogS3 = args.eventLog?.s3 ?? false;
        const eventLogDir = args.eventLog ? pulumi.output(args.eventLog.dir).apply((d) => checkEventLogDir(d, eventLogS3)) : undefined;
        const child = { parent: this };
        // The parts were declared directly under this component before they had components of their own.
        const formerParent: FormerParent = { parent: this, name };

        // Each user's executors run in a namespace of their own, which the hub creates before that user's server starts.
        const platformNamespace = args.platformNamespace ?? (typeof args.notebookNamespace === "string" ? args.notebookNamespace : undefined);
        if (platformNamespace === undefined) {
            throw new Error("platformNamespace: required when notebookNamespace is not a plain string (it names the cluster-wide objects)");
        }
        const prefix = args.executorNamespace ?? defaultExecutorNamespacePrefix(platformNamespace);
        this.executorNamespacePrefix = prefix;
        this.executorNamespace = `${prefix}-*`;
        const images = [args.image, ...(gpu && args.gpuImage ? [args.gpuImage] : [])];
        this.access = new SparkDriverAccess(
            `${name}-access`,
            { platformNamespace, executorNamespacePrefix: prefix, onDemandPvc: spark.onDemandPvc.enabled, images, uid: args.uid, gid: args.gid },
            child,
        );
        const gpuResources = [...new Set((gpu ?? []).map((p) => p.resourceName))];
        this.userIsolation = pulumi
            .all([args.imagePullSecretName, args.serviceAccountAnnotations, args.executorServiceAccountAnnotations])
            .apply(([pullSecret, notebookAnnotations, executorAnnotations]) =>
                userIsolationHookConfig({
                    hubNamespace: platformNamespace,
                    executorNamespacePrefix: prefix,
                    spark,
                    gpuResources,
                    imagePullSecretName: pullSecret,
                    notebookServiceAccountAnnotations: notebookAnnotations,
                    executorServiceAccountAnnotations: executorAnnotations,
                }),
            );

        // Event-log volume ------------------------------------------------------------------------
        if (args.eventLog && !eventLogS3) {
            // A plain string is known now; an Output is checked when it resolves (checkEventLogDir).
            if (typeof args.eventLog.dir !== "string") {
                throw new Error("eventLog.dir: a file: event-log directory must be a plain string, since it is also a mount path");
            }
            const claim = new k8s.core.v1.PersistentVolumeClaim(`${name}-event-logs`, eventLogClaimArgs(args.notebookNamespace, spark.historyServer), {
                ...child,
                protect: args.protect,
                retainOnDelete: args.protect,
            });
            this.eventLogVolume = { claimName: claim.metadata.name, mountPath: eventLogMountPath(args.eventLog.dir) };
        }

        this.conf = new SparkConfFiles(
            `${name}-conf`,
            {
                notebookNamespace: args.notebookNamespace,
                spark,
                image: args.image,
                gpuImage: args.gpuImage,
                gpuPlacements: gpu,
                matchNodePurpose: args.matchNodePurpose,
                uid: args.uid,
                gid: args.gid,
                imagePullSecretName: args.imagePullSecretName,
                eventLogDir,
                eventLogS3,
                s3: args.s3,
                formerParent,
            },
            child,
        );
        this.sparkDefaults = this.conf.sparkDefaults;

        this.network = new SparkNetworkPolicies(
            `${name}-network`,
            { notebookNamespace: args.notebookNamespace, spark, formerParent },
            child,
        );

        if (spark.historyServer.enabled && eventLogDir) {
            this.history = new SparkHistoryServer(
                `${name}-history`,
                {
                    namespace: args.notebookNamespace,
                    image: args.image,
                    uid: args.uid,
                    gid: args.gid,
                    eventLogDir,
                    eventLogS3,
                    s3: args.s3,
                    eventLogVolume: this.eventLogVolume,
                    // Only S3 event logs need a cloud identity; a volume is mounted.
                    serviceAccountAnnotations: eventLogS3 ? (args.historyServiceAccountAnnotations ?? args.serviceAccountAnnotations) : undefined,
                    imagePullSecretName: args.imagePullSecretName,
                    matchNodePurpose: args.matchNodePurpose,
                    formerParent,
                },
                child,
            );
            this.historyServiceAccountName = HISTORY_SERVICE_ACCOUNT;
            this.historyServerUrl = this.history.url;
        }

        this.wiring = {
            userIsolation: this.userIsolation,
            configMapName: this.conf.configMapName,
            confDir: SPARK_CONF_DIR,
            env: { ...DRIVER_POD_ENV },
            podLabels: { ...SPARK_DRIVER_LABELS },
            ...(this.eventLogVolume ? { eventLogVolume: this.eventLogVolume } : {}),
        };
        this.registerOutputs({
            wiring: this.wiring,
            sparkDefaults: this.sparkDefaults,
            executorNamespacePrefix: this.executorNamespacePrefix,
            historyServerUrl: this.historyServerUrl,
            eventLogVolume: this.eventLogVolume,
        });
    }
}
