/**
 * The Spark configuration notebook pods mount at SPARK_CONF_DIR: spark-defaults.conf and the executor
 * pod template, plus a complete GPU properties file and GPU template when GPU executors are placed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SparkConfig } from "../config/config";
import { GpuPlacement } from "../gpu/placement";
import { NodePurposeMatch } from "../cluster/nodePurpose";
import { childOptions, FormerParent } from "./formerParent";
import {
    EXECUTOR_TEMPLATE_FILE,
    executorPodTemplate,
    GPU_EXECUTOR_TEMPLATE_FILE,
    gpuSparkOverrides,
    renderPodTemplate,
    renderSparkDefaults,
    S3AccessOptions,
    SPARK_DEFAULTS_FILE,
    SPARK_GPU_CONF_FILE,
    sparkDefaults,
} from "./sparkConf";

/** Name of the ConfigMap; fixed so operators and other components can find it. */
export const SPARK_CONF_CONFIGMAP = "spark-conf";

export interface SparkConfFilesArgs {
    /** Namespace of the notebook pods that mount the ConfigMap. Required. */
    notebookNamespace: pulumi.Input<string>;
    /** The platform's Spark settings. Required. */
    spark: SparkConfig;
    /** Executor image: the notebook image, pinned by digest. Required. */
    image: pulumi.Input<string>;
    /** The notebook image's gpu target, for GPU executors. Default: image */
    gpuImage?: pulumi.Input<string>;
    /** GPU pools GPU executors may land on; the GPU files exist only when this is non-empty and spark.gpuExecutors.enabled. Default: none */
    gpuPlacements?: GpuPlacement[];
    /** How executors (user pods) use the node-purpose labels. Default: ignore */
    matchNodePurpose?: NodePurposeMatch;
    /** UID executors run as. Required. */
    uid: number;
    /** GID (and fsGroup) executors run as. Required. */
    gid: number;
    /** Pull secret for the executor image. Default: none */
    imagePullSecretName?: pulumi.Input<string>;
    /** spark.eventLog.dir, already checked (`s3a://` with eventLogS3, `file:` otherwise). Default: no event logs */
    eventLogDir?: pulumi.Input<string>;
    /** Whether eventLogDir is on S3, read and written with the pods' web identity. Default: false */
    eventLogS3?: boolean;
    /** S3 through Hadoop's S3A connector with the pods' web identity. Default: not configured */
    s3?: S3AccessOptions;
    /** Where these objects were declared before this component existed; each gets an alias there. Default: none */
    formerParent?: FormerParent;
}

/** SparkConfFilesArgs with every value resolved: what the files are built from. */
export interface SparkConfFilesInput {
    spark: SparkConfig;
    image: string;
    gpuImage: string;
    gpu?: GpuPlacement[];
    matchNodePurpose: NodePurposeMatch;
    uid: number;
    gid: number;
    imagePullSecretName?: string;
    eventLogDir?: string;
    eventLogS3: boolean;
    s3?: S3AccessOptions;
}

/** The GPU pools GPU executors use: none unless spark.gpuExecutors.enabled and some pool is given. */
export function activeGpuPlacements(spark: SparkConfig, placements: GpuPlacement[] | undefined): GpuPlacement[] | undefined {
    return spark.gpuExecutors.enabled && placements && placements.length > 0 ? placements : undefined;
}

/** The ConfigMap's data: file name under SPARK_CONF_DIR -> contents. */
export function sparkConfFiles(o: SparkConfFilesInput): Record<string, string> {
    const defaults = sparkDefaults({
        spark: o.spark,
        image: o.image,
        imagePullSecretName: o.imagePullSecretName,
        eventLogDir: o.eventLogDir,
        eventLogS3: o.eventLogS3,
        s3: o.s3,
    });
    const template = { spark: o.spark, image: o.image, uid: o.uid, gid: o.gid, matchNodePurpose: o.matchNodePurpose };
    const data: Record<string, string> = {
        [SPARK_DEFAULTS_FILE]: renderSparkDefaults(defaults),
        [EXECUTOR_TEMPLATE_FILE]: renderPodTemplate(executorPodTemplate(template)),
    };
    if (o.gpu) {
        const gpuConf = new Map([...defaults, ...gpuSparkOverrides(o.spark, o.gpu, o.gpuImage)]);
        data[SPARK_GPU_CONF_FILE] = renderSparkDefaults(gpuConf);
        data[GPU_EXECUTOR_TEMPLATE_FILE] = renderPodTemplate(executorPodTemplate({ ...template, image: o.gpuImage, gpu: o.gpu }));
    }
    return data;
}

/** The ConfigMap holding `data` in the notebook namespace. */
export function sparkConfMapArgs(namespace: pulumi.Input<string>, data: pulumi.Input<Record<string, string>>): k8s.core.v1.ConfigMapArgs {
    return {
        // A fixed name: updates land in running notebook pods, whose next Spark session reads them.
        metadata: { name: SPARK_CONF_CONFIGMAP, namespace, labels: { "app.kubernetes.io/component": "spark-conf" } },
        data,
    };
}

/** The ConfigMap notebook pods mount at SPARK_CONF_DIR. */
export class SparkConfFiles extends pulumi.ComponentResource {
    /** Name of the ConfigMap (in the notebook namespace). */
    public readonly configMapName: pulumi.Output<string>;
    /** The generated spark-defaults.conf. */
    public readonly sparkDefaults: pulumi.Output<string>;

    constructor(name: string, args: SparkConfFilesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkConfFiles", name, {}, opts);
        const files = pulumi
            .all([args.image, args.gpuImage ?? args.image, args.imagePullSecretName, args.eventLogDir])
            .apply(([image, gpuImage, pullSecret, logDir]) =>
                sparkConfFiles({
                    spark: args.spark,
                    image,
                    gpuImage,
                    gpu: activeGpuPlacements(args.spark, args.gpuPlacements),
                    matchNodePurpose: args.matchNodePurpose ?? "ignore",
                    uid: args.uid,
                    gid: args.gid,
                    imagePullSecretName: pullSecret,
                    eventLogDir: logDir,
                    eventLogS3: args.eventLogS3 ?? false,
                    s3: args.s3,
                }),
            );
        const configMap = new k8s.core.v1.ConfigMap(`${name}-configmap`, sparkConfMapArgs(args.notebookNamespace, files), childOptions(this, args.formerParent, "conf"));

        this.configMapName = configMap.metadata.name;
        this.sparkDefaults = files.apply((f) => f[SPARK_DEFAULTS_FILE]);
        this.registerOutputs({ configMapName: this.configMapName, sparkDefaults: this.sparkDefaults });
    }
}
