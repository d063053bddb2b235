/**
 * DataSciencePlatform: the whole platform as one component. Data flows one way:
 * cluster -> registry -> notebook image -> Spark executors -> JupyterHub, and GPU pools -> hub
 * profiles and Spark executor templates.
 */
import { podSecurityLabels } from "./shared/security";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { awsProviderArgs } from "./aws/awsProvider";
import { ClusterAddons } from "./aws/clusterAddons";
import { DataBucket } from "./aws/dataBucket";
import { EksCluster, formerAwsClusterUrn } from "./aws/eksCluster";
import { PolicyDocument } from "./iam/policies";
import { OidcProvider, ServiceAccountRole } from "./iam/serviceAccountRole";
import { hubReleaseName, PlatformConfig, PlatformConfigInput, PlatformSecrets, parsePlatformConfig } from "./config/config";
import { GpuNodePool } from "./gpu/gpuNodePool";
import { GpuPlacement } from "./gpu/placement";
import { JupyterHub } from "./hub/jupyterHub";
import { ModelService } from "./model/modelService";
import { clusterKubernetesVersion, userSchedulerPin } from "./cluster/kubernetesVersions";
import { ClusterStackOutputsArgs } from "./cluster/clusterStack";
import { NotebookImage } from "./image/notebookImage";
import { REGISTRY_PORT, Registry } from "./registry/registry";
import { gpuPoolNameOf } from "./shared/gpuPool";
import { ImageMirror, mirrorPlan } from "./registry/imageMirror";
import { SparkEventLog, SparkExecutors } from "./spark/sparkExecutors";

export type { PlatformSecrets } from "./config/config";

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
    /**
     * Directory the image build context (`image.context`) is relative to. Default: the ds-platform
     * package's own folder, which ships `images/notebook`; give your program's folder to build a
     * context of your own.
     */
    projectRoot?: string;
    /** Kubernetes provider to use on an existing cluster instead of one built from cluster.context. Default: built. */
    kubernetesProvider?: k8s.Provider;
}

/** The AWS side of a platform on EKS. */
export interface PlatformAws {
    /** The provider (region, cost tags) of every AWS resource of the platform. */
    provider: aws.Provider;
    cluster: EksCluster;
    addons: ClusterAddons;
    dataBucket: DataBucket;
    /** IRSA roles on the data bucket, by Spark ServiceAccount (history: read-only event logs). */
    bucketRoles: { notebook: ServiceAccountRole; executor: ServiceAccountRole; history?: ServiceAccountRole };
}

/**
 * The data bucket's IRSA roles, one per Spark ServiceAccount, named `<prefix>-<account>`; the history
 * server's may only read the event logs. They were the bucket's children in the former AWS
 * component (`formerBucket`) and keep their names there.
 */
export function sparkBucketRoles(
    prefix: string,
    a: {
        spark: Pick<SparkExecutors, "notebookServiceAccountName" | "executorServiceAccountName" | "historyServiceAccountName" | "executorNamespace">;
        notebookNamespace: pulumi.Input<string>;
        bucket: Pick<DataBucket, "accessPolicy" | "eventLogReadPolicy">;
        oidcProvider: OidcProvider;
        formerBucket: pulumi.Input<string>;
        opts: pulumi.ComponentResourceOptions;
    },
): PlatformAws["bucketRoles"] {
    const role = (account: string, serviceAccount: { namespace: pulumi.Input<string>; name: string }, policy: pulumi.Input<PolicyDocument>) =>
        new ServiceAccountRole(
            `${prefix}-${account}`,
            {
                oidcProvider: a.oidcProvider,
                serviceAccount,
                description: pulumi.interpolate`Bucket access for ${serviceAccount.namespace}/${serviceAccount.name}`,
                inlinePolicies: { bucket: policy },
                formerly: { parent: a.formerBucket },
            },
            a.opts,
        );
    const { spark } = a;
    return {
        notebook: role("notebook", { namespace: a.notebookNamespace, name: spark.notebookServiceAccountName }, a.bucket.accessPolicy),
        executor: role("executor", { namespace: spark.executorNamespace, name: spark.executorServiceAccountName }, a.bucket.accessPolicy),
        history: spark.historyServiceAccountName
            ? role("history", { namespace: a.notebookNamespace, name: spark.historyServiceAccountName }, a.bucket.eventLogReadPolicy)
            : undefined,
    };
}

/**
 * Pod Security Admission of the platform namespace: every pod there (the chart's hub, proxy,
 * schedulers, pullers and placeholders; notebooks; registry, history server, models) meets the
 * `restricted` standard, so the API server refuses any that does not. Executor namespaces enforce
 * it too (userIsolation.ts).
 */
export const PLATFORM_NAMESPACE_POD_SECURITY = podSecurityLabels("restricted");

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
    /** On EKS: the provider, cluster, add-ons, data bucket and its roles. */
    public readonly aws?: PlatformAws;
    /**
     * What team platforms on this cluster must agree with, and its kubeconfig when the platform
     * created the cluster: the cluster stack's outputs (`clusterStackOutputs`, components/cluster/clusterStack.ts).
     */
    public readonly clusterFacts: ClusterStackOutputsArgs;

    constructor(name: string, args: DataSciencePlatformArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const { secrets = {}, projectRoot, kubernetesProvider, ...raw } = args;
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
        // Every AWS resource is named after <platform>-aws. A stack deployed before the cluster was split
        // from its add-ons, node pools and bucket holds them under one former component of that name and
        // this parent: what moved up here is aliased there, so such a stack keeps it.
        const awsName = `${name}-aws`;
        const formerAwsParent = formerAwsClusterUrn(awsName, this);

        let provider: k8s.Provider;
        let gpuPools: GpuNodePool[];
        let homeStorageClass = config.hub.storage.storageClass;
        let onAws: Omit<PlatformAws, "bucketRoles"> | undefined;
        if (config.cluster.provider === "aws") {
            const cfg = config.aws!;
            const formerlyThere = { aliases: [{ parent: formerAwsParent }] };
            const awsProvider = new aws.Provider(`${awsName}-aws`, awsProviderArgs(cfg.region, config.tags), { parent: this, ...formerlyThere });
            const moved = { parent: this, providers: [awsProvider], ...formerlyThere };
            const cluster = new EksCluster(awsName, { aws: cfg, protect }, { parent: this, providers: [awsProvider] });
            const core = cluster.core;
            provider = core.provider;
            gpuPools = config.gpuPools.map((pool) => new GpuNodePool(`${awsName}-gpu-${pool.name}`, { pool, eks: core }, moved));
            const addons = new ClusterAddons(
                awsName,
                {
                    cluster: core,
                    gpuPools: gpuPools.map((p) => ({ placement: p.placement, amiType: p.amiType })),
                    autoscalerChart: cfg.autoscaler,
                    devicePluginChart: cfg.devicePlugin,
                    protect,
                    images: config.images,
                },
                { parent: this, providers: [awsProvider, core.provider] },
            );
            const dataBucket = new DataBucket(`${awsName}-data`, { bucketName: cfg.dataBucketName, protect }, moved);
            onAws = { provider: awsProvider, cluster, addons, dataBucket };
            homeStorageClass = homeStorageClass ?? addons.storageClassName;
            this.kubeconfig = cluster.kubeconfig;
        } else {
            provider =
                kubernetesProvider ??
                new k8s.Provider(`${name}-k8s`, { context: config.cluster.context, enableServerSideApply: true }, { parent: this });
            gpuPools = config.gpuPools.map((pool) => new GpuNodePool(`${name}-gpu-${pool.name}`, { pool }, { parent: this }));
        }
        this.gpuPlacements = Object.fromEntries(gpuPools.map((p) => [p.placement.poolName, p.placement]));
        const k8sOpts = { parent: this, provider };
        // Components that declare AWS resources too (the ECR registry, model roles) take both providers.
        const bothOpts = onAws ? { parent: this, providers: [provider, onAws.provider] } : k8sOpts;

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: namespaceName, labels: { "app.kubernetes.io/part-of": "ds-platform", ...PLATFORM_NAMESPACE_POD_SECURITY } } },
            k8sOpts,
        );
        this.namespace = namespace.metadata.name;
        // The hub copies the pull secret into each user's executor namespace.
        const pullSecretNamespaces: pulumi.Input<string>[] = [this.namespace];

        this.registry = new Registry(
            `${name}-registry`,
            {
                registry: config.registry,
                namespace: this.namespace,
                pullSecretNamespaces,
                password: secrets.registryPassword,
                protect,
            },
            bothOpts,
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
            : onAws
              ? { dir: onAws.dataBucket.eventLogUri, s3: true }
              : { dir: "file:/var/spark-events" };
        // The Spark ServiceAccounts carry their bucket roles' ARNs, and each role trusts its ServiceAccount:
        // the annotations are deferred until the roles exist.
        const deferred = () => pulumi.deferredOutput<Record<string, string>>();
        const annotations = onAws ? { notebook: deferred(), executor: deferred(), history: deferred() } : undefined;
        this.spark = new SparkExecutors(
            `${name}-spark`,
            {
                notebookNamespace: this.namespace,
                platformNamespace: namespaceName,
                executorNamespace: config.spark.namespace,
                spark: config.spark,
                image: this.image.ref,
                gpuImage: this.image.gpuRef,
                gpuPlacements: config.spark.gpuExecutors.enabled ? sparkGpuPools.map((pool) => this.gpuPlacements[pool]) : undefined,
                matchNodePurpose: config.cluster.matchNodePurpose,
                uid: config.image.uid,
                gid: config.image.gid,
                imagePullSecretName: this.registry.pullSecretName,
                serviceAccountAnnotations: annotations?.notebook[0],
                executorServiceAccountAnnotations: annotations?.executor[0],
                historyServiceAccountAnnotations: config.spark.historyServer.enabled ? annotations?.history[0] : undefined,
                s3: onAws ? { region: config.aws!.region } : undefined,
                eventLog,
                protect,
            },
            k8sOpts,
        );

        if (onAws && annotations) {
            const bucketRoles = sparkBucketRoles(`${awsName}-data`, {
                spark: this.spark,
                notebookNamespace: this.namespace,
                bucket: onAws.dataBucket,
                oidcProvider: onAws.cluster.core.oidcProvider,
                formerBucket: pulumi.createUrn(`${awsName}-data`, "ds-platform:aws:DataBucket", formerAwsParent),
                opts: { parent: this, providers: [onAws.provider] },
            });
            annotations.notebook[1](bucketRoles.notebook.serviceAccountAnnotations);
            annotations.executor[1](bucketRoles.executor.serviceAccountAnnotations);
            if (bucketRoles.history) {
                annotations.history[1](bucketRoles.history.serviceAccountAnnotations);
            }
            this.aws = { ...onAws, bucketRoles };
        }

        // registry.mirrorImages: the chart's third-party images copied into the registry, run by digest.
        const mirror = config.registry.mirrorImages
            ? new ImageMirror(
                  `${name}-mirror`,
                  {
                      plan: mirrorPlan({ hub: config.hub, images: config.images, userScheduler: userSchedulerPin(clusterKubernetesVersion(config))?.image }),
                      registry: registryRef,
                  },
                  { parent: this, dependsOn: [this.registry] },
              )
            : undefined;

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
                thirdPartyImages: { ...config.images, ...mirror?.refs },
            },
            { ...k8sOpts, dependsOn: [this.spark] },
        );
        this.hubUrl = this.hub.url;
        this.clusterFacts = {
            kubeconfig: this.kubeconfig,
            kubernetesVersion: clusterKubernetesVersion(config),
            matchNodePurpose: config.cluster.matchNodePurpose,
            gpuPools: config.gpuPools.map(({ name, gpusPerNode, maxSize }) => ({ name, gpusPerNode, maxSize })),
            homeStorageClass,
            registryUrl: this.registryUrl,
        };

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
                        aws: onAws ? { oidcProvider: onAws.cluster.core.oidcProvider, bucketName: onAws.dataBucket.bucketName, region: config.aws!.region } : undefined,
                    },
                    bothOpts,
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
