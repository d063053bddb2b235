/**
 * DataSciencePlatform: the whole platform as one component. Data flows one way:
 * cluster -> registry -> notebook image -> Spark executors -> JupyterHub, and GPU pools -> hub
 * profiles and Spark executor templates.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AwsCluster } from "./aws/awsCluster";
import { hubReleaseName, PlatformConfig, PlatformConfigInput, parsePlatformConfig } from "./config/config";
import { GpuNodePool, GpuPlacement } from "./gpu/gpuNodePool";
import { JupyterHub } from "./hub/jupyterHub";
import { ModelService } from "./model/modelService";
import { clusterKubernetesVersion, userSchedulerPin } from "./cluster/kubernetesVersions";
import { NotebookImage } from "./image/notebookImage";
import { REGISTRY_PORT, Registry } from "./registry/registry";
import { gpuPoolNameOf } from "./shared/gpuPool";
import { EXECUTOR_SERVICE_ACCOUNT, HISTORY_SERVICE_ACCOUNT, NOTEBOOK_SERVICE_ACCOUNT, SparkEventLog, SparkExecutors } from "./spark/sparkExecutors";

/** Secrets the platform consumes; each is a Pulumi secret, never plain config. */
export interface PlatformSecrets {
    /** Users' shared password (hub.auth.type shared-password, at least 8 characters). Default: none (required for shared-password). */
    hubPassword?: pulumi.Input<string>;
    /** Admins' shared password (shared-password with hub.auth.admins, at least 32 characters). Default: none. */
    hubAdminPassword?: pulumi.Input<string>;
    /** OAuth client secret (hub.auth.type github or oidc). Default: none (required for OAuth). */
    oauthClientSecret?: pulumi.Input<string>;
    /** Password of an external registry (registry.kind external). Default: none. */
    registryPassword?: pulumi.Input<string>;
}

/**
 * The platform's settings; each section is documented field by field in `components/config/config.ts`
 * (and in the README's configuration reference). Omitted settings take their defaults there.
 */
export interface DataSciencePlatformArgs {
    /** Target cluster. Default: the current kubeconfig context, namespace ds-platform. */
    cluster?: PlatformConfigInput["cluster"];
    /** Image registry. Default: in-cluster CNCF Distribution with TLS and htpasswd auth. */
    registry?: PlatformConfigInput["registry"];
    /** The notebook image build. Default: images/notebook, UID 1000, GID 100, CPU target only. */
    image?: PlatformConfigInput["image"];
    /** JupyterHub. Default: z2jh 4.4.0, shared-password login, port-forward exposure, culling after an hour. */
    hub?: PlatformConfigInput["hub"];
    /** Notebook profiles. Default: one small CPU profile. */
    profiles?: PlatformConfigInput["profiles"];
    /** GPU node pools. Default: none. */
    gpuPools?: PlatformConfigInput["gpuPools"];
    /** Models served over HTTP from the notebook image. Default: none. */
    models?: PlatformConfigInput["models"];
    /** Client-mode Spark. Default: executors of 1 core and 2g, at most 4 per notebook. */
    spark?: PlatformConfigInput["spark"];
    /** AWS settings, required when cluster.provider is aws. Default: none. */
    aws?: PlatformConfigInput["aws"];
    /** Cost tags. Default: owner platform-team. */
    tags?: PlatformConfigInput["tags"];
    /** Mirrors of third-party images, pinned by digest. Default: the charts' own images. */
    images?: PlatformConfigInput["images"];
    /** Protect stateful resources. Default: true on aws, false on kubeconfig. */
    protectData?: boolean;
    /** Secrets. Default: none. */
    secrets?: PlatformSecrets;
    /** Directory the image build context is relative to. Default: the current working directory. */
    projectRoot?: string;
    /** Kubernetes provider to use on an existing cluster instead of one built from cluster.context. Default: built. */
    kubernetesProvider?: k8s.Provider;
}

/** IRSA: a ServiceAccount annotated with a role ARN gets that role's credentials in its pods. */
function irsaAnnotations(roleArn: pulumi.Output<string> | undefined): pulumi.Output<Record<string, string>> | undefined {
    return roleArn?.apply((arn): Record<string, string> => ({ "eks.amazonaws.com/role-arn": arn }));
}

export class DataSciencePlatform extends pulumi.ComponentResource {
    /** The validated, fully defaulted configuration the platform was built from. */
    public readonly config: PlatformConfig;
    /** URL users open. */
    public readonly hubUrl: pulumi.Output<string>;
    /** The notebook image by digest, as every consumer runs it. */
    public readonly imageRef: pulumi.Output<string>;
    /** The GPU image by digest, when built. */
    public readonly gpuImageRef?: pulumi.Output<string>;
    /** Registry address (host[:port]). */
    public readonly registryUrl: pulumi.Output<string>;
    /** Namespace of the hub and notebook pods. */
    public readonly namespace: pulumi.Output<string>;
    /** Kubeconfig of the created EKS cluster (secret); undefined on an existing cluster. */
    public readonly kubeconfig?: pulumi.Output<string>;
    /** Where GPU work lands, per pool. */
    public readonly gpuPlacements: Record<string, GpuPlacement>;
    /** Child components, for programs that build on the platform. */
    public readonly registry: Registry;
    public readonly image: NotebookImage;
    public readonly spark: SparkExecutors;
    public readonly hub: JupyterHub;
    /** One per configured model, by model name. */
    public readonly models: Record<string, ModelService>;
    public readonly awsCluster?: AwsCluster;

    constructor(name: string, args: DataSciencePlatformArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const { secrets = {}, projectRoot = process.cwd(), kubernetesProvider, ...raw } = args;
        // Validate before declaring anything, so a bad configuration never half-deploys.
        const config = parsePlatformConfig(raw, {
            hubPassword: secrets.hubPassword !== undefined,
            hubAdminPassword: secrets.hubAdminPassword !== undefined,
            oauthClientSecret: secrets.oauthClientSecret !== undefined,
            registryPassword: secrets.registryPassword !== undefined,
        });
        super("ds-platform:index:DataSciencePlatform", name, {}, opts);
        this.config = config;
        const protect = config.protectData;
        const namespaceName = config.cluster.namespace;
        const executorNamespace = config.spark.namespace ?? namespaceName;

        let provider: k8s.Provider;
        let gpuPools: GpuNodePool[];
        let homeStorageClass = config.hub.storage.storageClass;
        let notebookRoleArn: pulumi.Output<string> | undefined;
        let executorRoleArn: pulumi.Output<string> | undefined;
        let historyRoleArn: pulumi.Output<string> | undefined;
        if (config.cluster.provider === "aws") {
            this.awsCluster = new AwsCluster(
                `${name}-aws`,
                {
                    aws: config.aws!,
                    gpuPools: config.gpuPools,
                    tags: config.tags,
                    images: config.images,
                    protect,
                    serviceAccounts: {
                        notebook: { namespace: namespaceName, name: NOTEBOOK_SERVICE_ACCOUNT },
                        executor: { namespace: executorNamespace, name: EXECUTOR_SERVICE_ACCOUNT },
                        ...(config.spark.historyServer.enabled ? { history: { namespace: namespaceName, name: HISTORY_SERVICE_ACCOUNT } } : {}),
                    },
                },
                { parent: this },
            );
            provider = this.awsCluster.provider;
            gpuPools = this.awsCluster.gpuPools;
            homeStorageClass = homeStorageClass ?? this.awsCluster.storageClassName;
            notebookRoleArn = this.awsCluster.notebookRoleArn;
            executorRoleArn = this.awsCluster.executorRoleArn;
            historyRoleArn = this.awsCluster.historyRoleArn;
            this.kubeconfig = this.awsCluster.kubeconfig;
        } else {
            provider =
                kubernetesProvider ??
                new k8s.Provider(`${name}-k8s`, { context: config.cluster.context, enableServerSideApply: true }, { parent: this });
            gpuPools = config.gpuPools.map((pool) => new GpuNodePool(`${name}-gpu-${pool.name}`, { pool }, { parent: this }));
        }
        this.gpuPlacements = Object.fromEntries(gpuPools.map((p) => [p.placement.poolName, p.placement]));
        const k8sOpts = { parent: this, provider };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: namespaceName, labels: { "app.kubernetes.io/part-of": "ds-platform" } } },
            k8sOpts,
        );
        this.namespace = namespace.metadata.name;
        const pullSecretNamespaces: pulumi.Input<string>[] = [this.namespace, ...(config.spark.namespace ? [config.spark.namespace] : [])];

        this.registry = new Registry(
            `${name}-registry`,
            {
                registry: config.registry,
                namespace: this.namespace,
                pullSecretNamespaces,
                password: secrets.registryPassword,
                protect,
                awsProvider: this.awsCluster?.awsProvider,
            },
            k8sOpts,
        );
        this.registryUrl = this.registry.server;

        const registryRef = {
            server: this.registry.server,
            repository: this.registry.repository,
            pushServer: this.registry.pushServer,
            pushRepository: this.registry.pushRepository,
            username: this.registry.username,
            password: this.registry.password,
        };
        this.image = new NotebookImage(`${name}-image`, { image: config.image, registry: registryRef, projectRoot }, { parent: this });
        this.imageRef = this.image.ref;
        this.gpuImageRef = this.image.gpuRef;

        const sparkGpuPools = config.spark.gpuExecutors.pools ?? config.gpuPools.map((p) => p.name);
        // With a data bucket (AWS), every Spark pod reaches S3 through S3A with its web identity, and
        // event logs go to the bucket; elsewhere they live on a volume.
        const eventLog: SparkEventLog | undefined = !config.spark.historyServer.enabled
            ? undefined
            : this.awsCluster
              ? { dir: this.awsCluster.eventLogUri, s3: true }
              : { dir: "file:/var/spark-events" };
        this.spark = new SparkExecutors(
            `${name}-spark`,
            {
                notebookNamespace: this.namespace,
                executorNamespace: config.spark.namespace,
                spark: config.spark,
                image: this.image.ref,
                gpuImage: this.image.gpuRef,
                gpuPlacements: config.spark.gpuExecutors.enabled ? sparkGpuPools.map((pool) => this.gpuPlacements[pool]) : undefined,
                matchNodePurpose: config.cluster.matchNodePurpose,
                uid: config.image.uid,
                gid: config.image.gid,
                imagePullSecretName: this.registry.pullSecretName,
                serviceAccountAnnotations: irsaAnnotations(notebookRoleArn),
                executorServiceAccountAnnotations: irsaAnnotations(executorRoleArn),
                historyServiceAccountAnnotations: irsaAnnotations(historyRoleArn),
                s3: config.aws && this.awsCluster ? { region: config.aws.region } : undefined,
                eventLog,
                protect,
            },
            k8sOpts,
        );

        this.hub = new JupyterHub(
            `${name}-hub`,
            {
                namespace: this.namespace,
                releaseName: hubReleaseName(namespaceName),
                hub: config.hub,
                profiles: config.profiles,
                images: { cpu: this.image.ref, gpu: this.image.gpuRef },
                gpuPlacements: this.gpuPlacements,
                uid: config.image.uid,
                gid: config.image.gid,
                secrets: { hubPassword: secrets.hubPassword, hubAdminPassword: secrets.hubAdminPassword, oauthClientSecret: secrets.oauthClientSecret },
                matchNodePurpose: config.cluster.matchNodePurpose,
                spark: this.spark.wiring,
                imagePullSecretName: this.registry.pullSecretName,
                registryEgress: this.registry.podSelector ? { podLabels: this.registry.podSelector, port: REGISTRY_PORT } : undefined,
                homeStorageClass,
                protect,
                userScheduler: userSchedulerPin(clusterKubernetesVersion(config)),
                thirdPartyImages: config.images,
            },
            { ...k8sOpts, dependsOn: [this.spark] },
        );
        this.hubUrl = this.hub.url;

        const aws = this.awsCluster;
        this.models = Object.fromEntries(
            config.models.map((model) => [
                model.name,
                new ModelService(
                    `${name}-model-${model.name}`,
                    {
                        model,
                        namespace: this.namespace,
                        image: this.image.ref,
                        gpuImage: this.image.gpuRef,
                        uid: config.image.uid,
                        gid: config.image.gid,
                        gpuPlacement: model.gpus > 0 ? this.gpuPlacements[gpuPoolNameOf(model, config.gpuPools.map((p) => p.name))!] : undefined,
                        matchNodePurpose: config.cluster.matchNodePurpose,
                        imagePullSecretName: this.registry.pullSecretName,
                        aws: aws
                            ? { oidcProviderArn: aws.oidcProviderArn, oidcIssuer: aws.oidcProviderUrl, bucketName: aws.dataBucketName, region: config.aws!.region, provider: aws.awsProvider }
                            : undefined,
                    },
                    k8sOpts,
                ),
            ]),
        );

        this.registerOutputs({
            hubUrl: this.hubUrl,
            imageRef: this.imageRef,
            registryUrl: this.registryUrl,
            namespace: this.namespace,
            kubeconfig: this.kubeconfig,
        });
    }
}
