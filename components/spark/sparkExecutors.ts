/**
 * Client-mode Spark from notebook pods: the notebook pod is the driver and starts executor pods of
 * the same image through the Kubernetes API. This component composes the parts (each usable alone):
 * the identities and the driver's RBAC (SparkDriverAccess), the Spark configuration the hub mounts
 * into notebook pods (SparkConfFiles), the NetworkPolicies between drivers and executors
 * (SparkNetworkPolicies) and an optional history server (SparkHistoryServer). It declares itself
 * what they share: the executor namespace, the executor quota and the event-log volume.
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
    /**
     * A separate namespace for executor pods, created here; must differ from notebookNamespace.
     * Executors there cannot be owned by their notebook pod. Default: none: executors run in notebookNamespace.
     */
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
    /** Annotations of the notebook and history ServiceAccounts (e.g. the notebook IRSA role ARN). Default: none */
    serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /**
     * Annotations of the history server's ServiceAccount instead of serviceAccountAnnotations (e.g. an
     * IRSA role whose trust policy names that account and that may read the event logs). Default: serviceAccountAnnotations
     */
    historyServiceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** S3 through Hadoop's S3A connector with the pods' web identity, in every pod's Spark conf (the data bucket's region). Default: not configured */
    s3?: S3AccessOptions;
    /** Annotations of the executor ServiceAccount (e.g. its own IRSA role ARN, trusted by that account only). Default: none */
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

/** Labels of the executor namespace. */
const EXECUTOR_NAMESPACE_LABELS = { "app.kubernetes.io/part-of": "ds-platform", "app.kubernetes.io/component": "spark-executors" };

/** The PriorityClass that scopes the executor quota beside notebooks; cluster-scoped, so named after the notebook namespace. */
export function executorPriorityClassArgs(notebookNamespace: pulumi.Input<string>): k8s.scheduling.v1.PriorityClassArgs {
    return {
        metadata: { name: pulumi.interpolate`${notebookNamespace}-spark-executor` },
        value: 0,
        preemptionPolicy: "Never",
        description: "Spark executors of ds-platform notebooks; scopes their pod quota. Never preempts.",
    };
}

/**
 * The executor-pod quota. A ResourceQuota cannot select labels: in a namespace of their own executors
 * are all its pods (no priorityClassName); beside notebooks it is scoped to their PriorityClass.
 */
export function executorQuotaArgs(namespace: pulumi.Input<string>, maxPods: number, priorityClassName?: pulumi.Input<string>): k8s.core.v1.ResourceQuotaArgs {
    const scope: Pick<k8s.types.input.core.v1.ResourceQuotaSpec, "scopeSelector"> = priorityClassName
        ? { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: [priorityClassName] }] } }
        : {};
    return { metadata: { name: "spark-executor-pods", namespace }, spec: { hard: { pods: String(maxPods) }, ...scope } };
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
    /** Namespace executor pods run in. */
    public readonly executorNamespace: pulumi.Output<string>;
    /** The generated spark-defaults.conf. */
    public readonly sparkDefaults: pulumi.Output<string>;
    /** ServiceAccount of notebook pods (in the notebook namespace), for IRSA trust policies. */
    public readonly notebookServiceAccountName: string;
    /** ServiceAccount of executor pods (in the executor namespace), for IRSA trust policies. */
    public readonly executorServiceAccountName: string;
    /** ServiceAccount of the history server (in the notebook namespace), when it runs. */
    public readonly historyServiceAccountName?: string;
    /** In-cluster URL of the history server UI, when it runs. */
    public readonly historyServerUrl?: pulumi.Output<string>;
    /**
     * The event-log claim notebook pods must mount at `mountPath` (file event logs only): add it to the
     * hub's extra volumes, or Spark sessions fail to open their log directory.
     */
    public readonly eventLogVolume?: { claimName: pulumi.Output<string>; mountPath: string };
    /** The ServiceAccounts and the driver's RBAC. */
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
        const separate = args.executorNamespace !== undefined;
        const eventLogS3 = args.eventLog?.s3 ?? false;
        const eventLogDir = args.eventLog ? pulumi.output(args.eventLog.dir).apply((d) => checkEventLogDir(d, eventLogS3)) : undefined;
        const child = { parent: this };
        // The parts were declared directly under this component before they had components of their own.
        const formerParent: FormerParent = { parent: this, name };

        // Executor namespace ----------------------------------------------------------------------
        let executorNamespace: pulumi.Output<string>;
        if (separate) {
            const ns = new k8s.core.v1.Namespace(
                `${name}-executors`,
                {
                    metadata: {
                        name: args.executorNamespace,
                        labels: EXECUTOR_NAMESPACE_LABELS,
                    },
                },
                child,
            );
            executorNamespace = ns.metadata.name;
            pulumi.log.warn(
                `Spark executors run in their own namespace ${args.executorNamespace}: they cannot be owned by their notebook pod, ` +
                    "so executors of a driver killed outright (out of memory, a lost node) remain, finished, until deleted by hand",
                this,
            );
        } else {
            executorNamespace = pulumi.output(args.notebookNamespace);
        }
        this.executorNamespace = executorNamespace;
        // The parts take a separate namespace only when there is one: beside notebooks, executors are owned by their driver pod.
        const separateNamespace = separate ? executorNamespace : undefined;

        this.access = new SparkDriverAccess(
            `${name}-access`,
            {
                notebookNamespace: args.notebookNamespace,
                executorNamespace,
                onDemandPvc: spark.onDemandPvc.enabled,
                imagePullSecretName: args.imagePullSecretName,
                notebookServiceAccountAnnotations: args.serviceAccountAnnotations,
                executorServiceAccountAnnotations: args.executorServiceAccountAnnotations,
                formerParent,
            },
            child,
        );

        // Executor quota --------------------------------------------------------------------------
        let priorityClassName: pulumi.Output<string> | undefined;
        if (spark.maxExecutorPods > 0) {
            if (!separate) {
                priorityClassName = new k8s.scheduling.v1.PriorityClass(`${name}-executor`, executorPriorityClassArgs(args.notebookNamespace), child).metadata.name;
            }
            new k8s.core.v1.ResourceQuota(`${name}-executor-pods`, executorQuotaArgs(executorNamespace, spark.maxExecutorPods, priorityClassName), child);
        }

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
                executorNamespace: separateNamespace,
                image: args.image,
                gpuImage: args.gpuImage,
                gpuPlacements: gpu,
                matchNodePurpose: args.matchNodePurpose,
                uid: args.uid,
                gid: args.gid,
                imagePullSecretName: args.imagePullSecretName,
                priorityClassName,
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
            { notebookNamespace: args.notebookNamespace, executorNamespace: separateNamespace, spark, formerParent },
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

        this.notebookServiceAccountName = NOTEBOOK_SERVICE_ACCOUNT;
        this.executorServiceAccountName = EXECUTOR_SERVICE_ACCOUNT;
        this.wiring = {
            serviceAccountName: NOTEBOOK_SERVICE_ACCOUNT,
            configMapName: this.conf.configMapName,
            confDir: SPARK_CONF_DIR,
            env: { ...DRIVER_POD_ENV },
            podLabels: { ...SPARK_DRIVER_LABELS },
            ...(this.eventLogVolume ? { eventLogVolume: this.eventLogVolume } : {}),
        };
        this.registerOutputs({
            wiring: this.wiring,
            executorNamespace: this.executorNamespace,
            sparkDefaults: this.sparkDefaults,
            notebookServiceAccountName: this.notebookServiceAccountName,
            executorServiceAccountName: this.executorServiceAccountName,
            historyServerUrl: this.historyServerUrl,
            eventLogVolume: this.eventLogVolume,
        });
    }
}
