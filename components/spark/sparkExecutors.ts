/**
 * Client-mode Spark from notebook pods: the notebook pod is the driver and starts executor pods of
 * the same image through the Kubernetes API. This component declares the identities, the driver's
 * RBAC, the Spark configuration the hub mounts into notebook pods, the NetworkPolicies between
 * drivers and executors, an optional executor quota and an optional history server.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SparkConfig } from "../config/config";
import { avoidGpuNodesAffinity, GpuPlacement } from "../gpu/gpuNodePool";
import { NodePurposeMatch, withNodePurpose } from "../cluster/nodePurpose";
import {
    driverEgressPolicy,
    driverIngressPolicy,
    DRIVER_POD_ENV,
    EXECUTOR_SERVICE_ACCOUNT,
    EXECUTOR_TEMPLATE_FILE,
    executorPodTemplate,
    executorPolicy,
    GPU_EXECUTOR_TEMPLATE_FILE,
    gpuSparkOverrides,
    HISTORY_SERVICE_ACCOUNT,
    HISTORY_UI_PORT,
    NOTEBOOK_SERVICE_ACCOUNT,
    renderPodTemplate,
    renderSparkDefaults,
    S3AccessOptions,
    s3aProperties,
    SPARK_CONF_DIR,
    SPARK_DEFAULTS_FILE,
    SPARK_DRIVER_LABELS,
    SPARK_GPU_CONF_FILE,
    sparkDefaults,
    sparkDriverRoleRules,
    sparkPortRanges,
} from "./sparkConf";
import { assertNoProblems, sparkRules } from "../config/config";

export { EXECUTOR_SERVICE_ACCOUNT, HISTORY_SERVICE_ACCOUNT, NOTEBOOK_SERVICE_ACCOUNT, SPARK_CONF_DIR } from "./sparkConf";

/** What the JupyterHub component needs so that every notebook pod can drive Spark executors. */
export interface NotebookSparkWiring {
    /** ServiceAccount notebook pods run as (it may create executor pods). */
    serviceAccountName: string;
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

/** Names of the namespaced objects; fixed so operators and other components can find them. */
const SPARK_DRIVER_ROLE = "spark-driver";
export const SPARK_CONF_CONFIGMAP = "spark-conf";

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

    constructor(name: string, args: SparkExecutorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkExecutors", name, {}, opts);
        const { spark } = args;
        const gpu = spark.gpuExecutors.enabled && args.gpuPlacements && args.gpuPlacements.length > 0 ? args.gpuPlacements : undefined;
        const matchNodePurpose = args.matchNodePurpose ?? "ignore";
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
        const ports = sparkPortRanges(spark);
        const eventLogS3 = args.eventLog?.s3 ?? false;
        const eventLogDir = args.eventLog ? pulumi.output(args.eventLog.dir).apply((d) => checkEventLogDir(d, eventLogS3)) : undefined;
        const pullSecrets = args.imagePullSecretName ? [{ name: args.imagePullSecretName }] : undefined;
        const child = { parent: this };

        // Namespaces ------------------------------------------------------------------------------
        let executorNamespace: pulumi.Output<string>;
        if (separate) {
            const ns = new k8s.core.v1.Namespace(
                `${name}-executors`,
                {
                    metadata: {
                        name: args.executorNamespace,
                        labels: { "app.kubernetes.io/part-of": "ds-platform", "app.kubernetes.io/component": "spark-executors" },
                    },
                },
                child,
            );
            executorNamespace = ns.metadata.name;
            pulumi.log.warn(
                `Spark executors run in their own namespace ${args.executorNamespace}: they cannot be owned by their notebook pod, ` +
                    "so executors of a notebook that dies without stopping its SparkContext remain (terminated) until deleted by hand",
                this,
            );
        } else {
            executorNamespace = pulumi.output(args.notebookNamespace);
        }
        this.executorNamespace = executorNamespace;

        // Identities and the driver's rights ------------------------------------------------------
        const notebookSa = new k8s.core.v1.ServiceAccount(
            `${name}-notebook-sa`,
            {
                metadata: { name: NOTEBOOK_SERVICE_ACCOUNT, namespace: args.notebookNamespace, annotations: args.serviceAccountAnnotations },
                imagePullSecrets: pullSecrets,
            },
            child,
        );
        new k8s.core.v1.ServiceAccount(
            `${name}-executor-sa`,
            {
                // No RBAC and no API token: executors only talk to the driver, each other and data stores.
                metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace: executorNamespace, annotations: args.executorServiceAccountAnnotations },
                automountServiceAccountToken: false,
                imagePullSecrets: pullSecrets,
            },
            child,
        );
        const role = new k8s.rbac.v1.Role(
            `${name}-driver`,
            { metadata: { name: SPARK_DRIVER_ROLE, namespace: executorNamespace }, rules: sparkDriverRoleRules({ onDemandPvc: spark.onDemandPvc.enabled }) },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-driver`,
            {
                metadata: { name: SPARK_DRIVER_ROLE, namespace: executorNamespace },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: notebookSa.metadata.name, namespace: args.notebookNamespace }],
            },
            child,
        );

        // Executor quota --------------------------------------------------------------------------
        // A ResourceQuota cannot select labels. In a namespace of their own executors are all its pods;
        // beside notebooks they carry a PriorityClass of their own and the quota is scoped to it.
        let priorityClassName: pulumi.Output<string> | undefined;
        if (spark.maxExecutorPods > 0) {
            let scope: Record<string, unknown> = {};
            if (!separate) {
                const priority = new k8s.scheduling.v1.PriorityClass(
                    `${name}-executor`,
                    {
                        // Cluster-scoped: the notebook namespace keeps the name unique per platform.
                        metadata: { name: pulumi.interpolate`${args.notebookNamespace}-spark-executor` },
                        value: 0,
                        preemptionPolicy: "Never",
                        description: "Spark executors of ds-platform notebooks; scopes their pod quota. Never preempts.",
                    },
                    child,
                );
                priorityClassName = priority.metadata.name;
                scope = { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: [priorityClassName] }] } };
            }
            new k8s.core.v1.ResourceQuota(
                `${name}-executor-pods`,
                { metadata: { name: "spark-executor-pods", namespace: executorNamespace }, spec: { hard: { pods: String(spark.maxExecutorPods) }, ...scope } },
                child,
            );
        }

        // Configuration mounted at SPARK_CONF_DIR -------------------------------------------------
        const files = pulumi
            .all([executorNamespace, args.image, args.gpuImage ?? args.image, args.imagePullSecretName, eventLogDir, priorityClassName])
            .apply(([ns, image, gpuImage, pullSecret, logDir, priorityClass]) => {
                const defaults = sparkDefaults({
                    spark,
                    executorNamespace: ns,
                    sharedNamespace: !separate,
                    image,
                    imagePullSecretName: pullSecret,
                    eventLogDir: logDir,
                    eventLogS3,
                    s3: args.s3,
                });
                const template = { spark, image, uid: args.uid, gid: args.gid, priorityClassName: priorityClass, matchNodePurpose };
                const data: Record<string, string> = {
                    [SPARK_DEFAULTS_FILE]: renderSparkDefaults(defaults),
                    [EXECUTOR_TEMPLATE_FILE]: renderPodTemplate(executorPodTemplate(template)),
                };
                if (gpu) {
                    const gpuConf = new Map([...defaults, ...gpuSparkOverrides(spark, gpu, gpuImage)]);
                    data[SPARK_GPU_CONF_FILE] = renderSparkDefaults(gpuConf);
                    data[GPU_EXECUTOR_TEMPLATE_FILE] = renderPodTemplate(executorPodTemplate({ ...template, image: gpuImage, gpu }));
                }
                return data;
            });
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-conf`,
            {
                // A fixed name: updates land in running notebook pods, whose next Spark session reads them.
                metadata: { name: SPARK_CONF_CONFIGMAP, namespace: args.notebookNamespace, labels: { "app.kubernetes.io/component": "spark-conf" } },
                data: files,
            },
            child,
        );
        this.sparkDefaults = files.apply((f) => f[SPARK_DEFAULTS_FILE]);

        // Network ---------------------------------------------------------------------------------
        const net = { notebookNamespace: args.notebookNamespace, executorNamespace, sharedNamespace: !separate, ports };
        for (const [purpose, policy] of [
            ["driver-ingress", driverIngressPolicy(net)],
            ["driver-egress", driverEgressPolicy(net)],
            ["executors", executorPolicy({ ...net, publicEgress: spark.executorPublicEgress })],
        ] as const) {
            new k8s.networking.v1.NetworkPolicy(`${name}-${purpose}`, { metadata: { ...policy.metadata, name: `spark-${purpose}` }, spec: policy.spec }, child);
        }

        // Event logs and history server -----------------------------------------------------------
        let eventLogClaim: k8s.core.v1.PersistentVolumeClaim | undefined;
        let eventLogMount: string | undefined;
        if (args.eventLog && !eventLogS3) {
            // Written by every notebook pod, read by the history server: the volume must be shared.
            eventLogClaim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-event-logs`,
                {
                    metadata: { name: "spark-event-logs", namespace: args.notebookNamespace },
                    spec: {
                        accessModes: ["ReadWriteMany"],
                        storageClassName: spark.historyServer.storageClass,
                        resources: { requests: { storage: spark.historyServer.logVolumeSize } },
                    },
                },
                { ...child, protect: args.protect, retainOnDelete: args.protect },
            );
            // A plain string is known now; an Output is checked when it resolves (checkEventLogDir).
            eventLogMount = typeof args.eventLog.dir === "string" ? eventLogMountPath(args.eventLog.dir) : undefined;
            if (!eventLogMount) {
                throw new Error("eventLog.dir: a file: event-log directory must be a plain string, since it is also a mount path");
            }
            this.eventLogVolume = { claimName: eventLogClaim.metadata.name, mountPath: eventLogMount };
        }
        if (spark.historyServer.enabled && eventLogDir) {
            this.historyServiceAccountName = HISTORY_SERVICE_ACCOUNT;
            const historySa = new k8s.core.v1.ServiceAccount(
                `${name}-history-sa`,
                {
                    metadata: { name: HISTORY_SERVICE_ACCOUNT, namespace: args.notebookNamespace, annotations: eventLogS3 ? (args.historyServiceAccountAnnotations ?? args.serviceAccountAnnotations) : undefined },
                    automountServiceAccountToken: false,
                    imagePullSecrets: pullSecrets,
                },
                child,
            );
            const labels = { "app.kubernetes.io/name": "spark-history-server", "app.kubernetes.io/part-of": "ds-platform" };
            const historyOpts = eventLogDir.apply((dir) =>
                [
                    `-Dspark.history.fs.logDirectory=${dir}`,
                    `-Dspark.history.ui.port=${HISTORY_UI_PORT}`,
                    // The server reads no spark-defaults.conf (none is mounted): the S3A settings go here.
                    ...(eventLogS3 ? [...s3aProperties(args.s3)].map(([key, value]) => `-D${key}=${value}`) : []),
                ].join(" "),
            );
            new k8s.apps.v1.Deployment(
                `${name}-history`,
                {
                    metadata: { name: "spark-history", namespace: args.notebookNamespace, labels },
                    spec: {
                        replicas: 1,
                        selector: { matchLabels: labels },
                        template: {
                            metadata: { labels },
                            spec: {
                                serviceAccountName: historySa.metadata.name,
                                automountServiceAccountToken: false,
                                securityContext: { runAsUser: args.uid, runAsGroup: args.gid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                                affinity: { nodeAffinity: withNodePurpose(avoidGpuNodesAffinity(), "core", matchNodePurpose) },
                                containers: [
                                    {
                                        name: "history-server",
                                        image: args.image,
                                        // spark-class runs the server in the foreground (the image's entrypoint execs it).
                                        args: ["spark-class", "org.apache.spark.deploy.history.HistoryServer"],
                                        env: [
                                            { name: "SPARK_HISTORY_OPTS", value: historyOpts },
                                            { name: "SPARK_DAEMON_MEMORY", value: "1g" },
                                        ],
                                        ports: [{ name: "http", containerPort: HISTORY_UI_PORT }],
                                        readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10 },
                                        resources: { requests: { cpu: "100m", memory: "1536Mi" }, limits: { cpu: "1", memory: "1536Mi" } },
                                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                        volumeMounts: eventLogClaim ? [{ name: "event-logs", mountPath: eventLogMount!, readOnly: true }] : undefined,
                                    },
                                ],
                                volumes: eventLogClaim ? [{ name: "event-logs", persistentVolumeClaim: { claimName: eventLogClaim.metadata.name, readOnly: true } }] : undefined,
                            },
                        },
                    },
                },
                child,
            );
            const service = new k8s.core.v1.Service(
                `${name}-history`,
                {
                    metadata: { name: "spark-history", namespace: args.notebookNamespace, labels },
                    spec: { selector: labels, ports: [{ name: "http", port: HISTORY_UI_PORT, targetPort: "http" }] },
                },
                child,
            );
            this.historyServerUrl = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc:${HISTORY_UI_PORT}`;
        }

        this.notebookServiceAccountName = NOTEBOOK_SERVICE_ACCOUNT;
        this.executorServiceAccountName = EXECUTOR_SERVICE_ACCOUNT;
        this.wiring = {
            serviceAccountName: NOTEBOOK_SERVICE_ACCOUNT,
            configMapName: configMap.metadata.name,
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
