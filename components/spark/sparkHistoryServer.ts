/**
 * The Spark history server: one pod of the notebook image serving the UI of finished (and running)
 * applications from their event logs, on S3 (read with its own web identity) or on the shared
 * event-log volume (mounted read-only).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { avoidGpuNodesAffinity } from "../gpu/placement";
import { NodePurposeMatch, withNodePurpose } from "../cluster/nodePurpose";
import { childOptions, FormerParent } from "./formerParent";
import { HISTORY_SERVICE_ACCOUNT, HISTORY_UI_PORT, S3AccessOptions, s3aProperties } from "./sparkConf";

/** Name of the Deployment and Service; fixed so operators can find them. */
export const SPARK_HISTORY_NAME = "spark-history";
/** Labels of the history server's pods, which its Service selects. */
export const SPARK_HISTORY_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "spark-history-server", "app.kubernetes.io/part-of": "ds-platform" };

export interface SparkHistoryServerArgs {
    /** Namespace of the server (the notebook namespace). Required. */
    namespace: pulumi.Input<string>;
    /** The notebook image, pinned by digest: it carries Spark. Required. */
    image: pulumi.Input<string>;
    /** UID the server runs as. Required. */
    uid: number;
    /** GID the server runs as. Required. */
    gid: number;
    /** spark.history.fs.logDirectory: the drivers' spark.eventLog.dir (`s3a://...` or `file:/...`). Required. */
    eventLogDir: pulumi.Input<string>;
    /** Whether eventLogDir is on S3, read with the server's web identity. Default: false */
    eventLogS3?: boolean;
    /** S3A settings (the bucket's region), used when eventLogS3. Default: not configured */
    s3?: S3AccessOptions;
    /** The event-log claim and its mount path, for `file:` event logs; mounted read-only. Default: none */
    eventLogVolume?: { claimName: pulumi.Input<string>; mountPath: string };
    /** Annotations of the server's ServiceAccount (e.g. an IRSA role that may read the event logs). Default: none */
    serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Pull secret for the image. Default: none */
    imagePullSecretName?: pulumi.Input<string>;
    /** How the server (a core pod) uses the node-purpose labels. Default: ignore */
    matchNodePurpose?: NodePurposeMatch;
    /** Where these objects were declared before this component existed; each gets an alias there. Default: none */
    formerParent?: FormerParent;
}

/** SPARK_HISTORY_OPTS: the log directory, the UI port and, for S3, the S3A settings (the server reads no spark-defaults.conf). */
export function historyServerOpts(eventLogDir: string, eventLogS3: boolean, s3?: S3AccessOptions): string {
    return [
        `-Dspark.history.fs.logDirectory=${eventLogDir}`,
        `-Dspark.history.ui.port=${HISTORY_UI_PORT}`,
        ...(eventLogS3 ? [...s3aProperties(s3)].map(([key, value]) => `-D${key}=${value}`) : []),
    ].join(" ");
}

/** The server's ServiceAccount: no RBAC and no API token. */
export function historyServiceAccountArgs(a: Pick<SparkHistoryServerArgs, "namespace" | "serviceAccountAnnotations" | "imagePullSecretName">): k8s.core.v1.ServiceAccountArgs {
    return {
        metadata: { name: HISTORY_SERVICE_ACCOUNT, namespace: a.namespace, annotations: a.serviceAccountAnnotations },
        automountServiceAccountToken: false,
        imagePullSecrets: a.imagePullSecretName ? [{ name: a.imagePullSecretName }] : undefined,
    };
}

/** The server's Deployment, running as `serviceAccountName`. */
export function historyDeploymentArgs(a: SparkHistoryServerArgs, serviceAccountName: pulumi.Input<string>): k8s.apps.v1.DeploymentArgs {
    const labels = { ...SPARK_HISTORY_LABELS };
    const volume = a.eventLogVolume;
    const opts = pulumi.output(a.eventLogDir).apply((dir) => historyServerOpts(dir, a.eventLogS3 ?? false, a.s3));
    return {
        metadata: { name: SPARK_HISTORY_NAME, namespace: a.namespace, labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    serviceAccountName,
                    automountServiceAccountToken: false,
                    securityContext: { runAsUser: a.uid, runAsGroup: a.gid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                    affinity: { nodeAffinity: withNodePurpose(avoidGpuNodesAffinity(), "core", a.matchNodePurpose ?? "ignore") },
                    containers: [
                        {
                            name: "history-server",
                            image: a.image,
                            // spark-class runs the server in the foreground (the image's entrypoint execs it).
                            args: ["spark-class", "org.apache.spark.deploy.history.HistoryServer"],
                            env: [
                                { name: "SPARK_HISTORY_OPTS", value: opts },
                                { name: "SPARK_DAEMON_MEMORY", value: "1g" },
                            ],
                            ports: [{ name: "http", containerPort: HISTORY_UI_PORT }],
                            readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10 },
                            resources: { requests: { cpu: "100m", memory: "1536Mi" }, limits: { cpu: "1", memory: "1536Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                            volumeMounts: volume ? [{ name: "event-logs", mountPath: volume.mountPath, readOnly: true }] : undefined,
                        },
                    ],
                    volumes: volume ? [{ name: "event-logs", persistentVolumeClaim: { claimName: volume.claimName, readOnly: true } }] : undefined,
                },
            },
        },
    };
}

/** The Service in front of the UI. */
export function historyServiceArgs(a: Pick<SparkHistoryServerArgs, "namespace">): k8s.core.v1.ServiceArgs {
    const labels = { ...SPARK_HISTORY_LABELS };
    return {
        metadata: { name: SPARK_HISTORY_NAME, namespace: a.namespace, labels },
        spec: { selector: labels, ports: [{ name: "http", port: HISTORY_UI_PORT, targetPort: "http" }] },
    };
}

/** A Spark history server over the platform's event logs, reachable in the cluster at `url`. */
export class SparkHistoryServer extends pulumi.ComponentResource {
    /** ServiceAccount of the server (in its namespace), for IRSA trust policies. */
    public readonly serviceAccountName: pulumi.Output<string>;
    /** In-cluster URL of the UI. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: SparkHistoryServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkHistoryServer", name, {}, opts);
        const former = args.formerParent;
        const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, historyServiceAccountArgs(args), childOptions(this, former, "history-sa"));
        new k8s.apps.v1.Deployment(`${name}-deployment`, historyDeploymentArgs(args, account.metadata.name), childOptions(this, former, "history"));
        const service = new k8s.core.v1.Service(`${name}-service`, historyServiceArgs(args), childOptions(this, former, "history"));

        this.serviceAccountName = account.metadata.name;
        this.url = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc:${HISTORY_UI_PORT}`;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName, url: this.url });
    }
}
