/**
 * The platform's configuration: one schema that types, documents, defaults and validates every key.
 *
 * `parsePlatformConfig` turns raw stack config (or the args another program passes to
 * `DataSciencePlatform`) into a fully defaulted `PlatformConfig`, or throws a `ConfigError` that lists
 * every problem with its key path, the bad value and what is allowed. It runs before any resource is
 * declared, so a bad stack never half-deploys.
 */
import { z } from "zod";
import { NODE_PURPOSE_LABEL, NODE_PURPOSE_MATCHES, NodePurposeMatch } from "../cluster/nodePurpose";
import { CATALOGUE_FILE, defaultGpusPerNode, nodeFitProblems } from "../cluster/instanceTypes";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../cluster/kubernetesVersions";
import { isDigestReference, isImageReference } from "../image/imageReference";
import { isMemoryQuantity, MEMORY_QUANTITY, memoryBytes, SPARK_SIZE } from "../shared/quantities";
import { didYouMean } from "../shared/suggest";
import { gpuPoolOf } from "../shared/gpuPool";

export { memoryBytes } from "../shared/quantities";

// ---------------------------------------------------------------------------------------------
// Reusable value types. Each carries the human description of what it allows; error messages
// quote these descriptions, so a user sees "a Kubernetes memory quantity such as 4Gi", not a regex.
// ---------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;

/** The hub's Helm release is `jupyterhub-<namespace>`: Helm release names have at most 53 characters. */
export const HUB_RELEASE_NAMESPACE_MAX = 53 - "jupyterhub-".length;

/**
 * The hub's Helm release name. z2jh names its cluster-wide objects (the user-scheduler's ClusterRole,
 * the PriorityClasses) after the release, so two platforms in one cluster need two release names.
 */
export function hubReleaseName(namespace: string): string {
    return `jupyterhub-${namespace}`;
}


function isCidr(value: string): boolean {
    const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(value);
    return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

const dnsLabel = z
    .string()
    .max(63)
    .regex(DNS_LABEL, "a Kubernetes name: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters");
const memory = z.string().regex(MEMORY_QUANTITY, "a Kubernetes memory quantity with a binary unit, such as 512Mi or 4Gi");
const sparkMemory = z.string().regex(SPARK_SIZE, "a Spark memory size such as 512m or 4g");
const cpu = z.number().positive("a positive number of CPU cores, such as 0.5 or 2");
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const cidr = z.string().refine(isCidr, "an IPv4 CIDR block such as 10.0.0.0/16");
const imageReference = z.string().refine(isImageReference, "an image reference such as registry.example.com/team/image:1.0 or ...@sha256:<64 hex digits>");
const pinnedImage = imageReference.refine(isDigestReference, "an image reference pinned by digest (...@sha256:<64 hex digits>)");
const chartVersion = z.string().regex(SEMVER, "an exact chart version such as 4.4.0 (ranges are not allowed: everything is pinned)");
const url = z.url("an absolute URL such as https://example.com/path");
const port = z.number().int().min(1024).max(65535);
const userList = z.array(z.string().min(1)).default([]);

/** Where a Helm chart comes from: a repository (HTTP or `oci://`) or a local chart directory/archive. */
const chartSource = (defaults: { repository: string; version: string }) =>
    z
        .strictObject({
            repository: z
                .string()
                .min(1)
                .default(defaults.repository)
                .describe(`Chart repository URL (https:// or oci://), or a local chart path. Default: ${defaults.repository}`),
            version: chartVersion.default(defaults.version).describe(`Chart version, pinned. Default: ${defaults.version}`),
        })
        .prefault({});

// ---------------------------------------------------------------------------------------------
// Sections. Every field has a default or is required; descriptions name the default.
// ---------------------------------------------------------------------------------------------

export const clusterSchema = z
    .strictObject({
        provider: z
            .enum(["kubeconfig", "aws"])
            .default("kubeconfig")
            .describe("Where the platform runs: an existing cluster from kubeconfig, or a new EKS cluster. Default: kubeconfig"),
        context: z.string().min(1).optional().describe("kubeconfig context to use (provider kubeconfig). Default: the current context"),
        namespace: dnsLabel
            .max(HUB_RELEASE_NAMESPACE_MAX, `a Kubernetes name of at most ${HUB_RELEASE_NAMESPACE_MAX} characters (the hub's Helm release is named jupyterhub-<namespace>, and Helm allows 53)`)
            .default("ds-platform")
            .describe(
                "Namespace of the hub, the registry and the notebook pods; unique per cluster, as it also names the hub's Helm release (jupyterhub-<namespace>), whose cluster-wide objects carry that name. Default: ds-platform",
            ),
        kubernetesVersion: z
            .enum(SUPPORTED_KUBERNETES_VERSIONS)
            .optional()
            .describe(
                "Kubernetes minor version of the existing cluster (provider kubeconfig; on aws it is aws.kubernetesVersion): the user-scheduler then runs the kube-scheduler of that minor with the RBAC it needs. Default: unset, the z2jh chart's kube-scheduler v1.30, within the version skew policy only on Kubernetes 1.30 and 1.31",
            ),
        matchNodePurpose: z
            .enum(NODE_PURPOSE_MATCHES)
            .optional()
            .describe(
                `How pods use the ${NODE_PURPOSE_LABEL} node labels: core nodes run the hub, proxy, user-scheduler, registry and history server; user nodes run notebooks, placeholders, pre-pullers and Spark executors. ` +
                    "require: only such nodes; prefer: such nodes first; ignore. On kubeconfig clusters an admin labels the nodes (kubectl label node <node> " +
                    `${NODE_PURPOSE_LABEL}=core|user). Default: require on aws (the node groups carry the labels), prefer on kubeconfig`,
            ),
    })
    .prefault({});

export const registrySchema = z
    .strictObject({
        kind: z
            .enum(["in-cluster", "ecr", "external"])
            .default("in-cluster")
            .describe("in-cluster: CNCF Distribution with TLS and auth; ecr: an AWS ECR repository; external: an existing registry. Default: in-cluster"),
        repository: z
            .string()
            .regex(/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/, "a repository path such as ds-platform/notebook")
            .default("ds-platform/notebook")
            .describe("Repository of the notebook image. Default: ds-platform/notebook"),
        image: pinnedImage
            .default("registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373")
            .describe("The registry server image (in-cluster), pinned by digest. Default: registry:2.8.3 by digest"),
        storageSize: memory.default("20Gi").describe("Size of the registry's retained volume (in-cluster). Default: 20Gi"),
        storageClass: z.string().min(1).optional().describe("StorageClass of the registry's volume (in-cluster). Default: the cluster default"),
        nodePort: z
            .number()
            .int()
            .min(30000)
            .max(32767)
            .default(30500)
            .describe("NodePort through which the nodes' container runtime reaches the in-cluster registry. Default: 30500"),
        server: z
            .string()
            .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?$/, "a registry host[:port] such as registry.example.com")
            .optional()
            .describe("Registry host[:port] (external). Required for kind external"),
        username: z
            .string()
            .regex(/^[^:\s]+$/, "a user name without ':' or spaces")
            .optional()
            .describe(
                "User name for the external registry (its password is the secret `registryPassword`); for in-cluster, the push/pull user. Default: external: none (anonymous pulls, no pull secret); in-cluster: ds-platform",
            ),
        pushAddress: z
            .string()
            .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?$/, "a registry host[:port] such as localhost:30500")
            .optional()
            .describe("Address the deploying machine pushes the in-cluster registry's images to (it also gets a TLS name). Default: localhost:<nodePort>"),
        untaggedExpiryDays: positiveInt.max(3650).default(7).describe("ECR lifecycle: expire untagged images after this many days (ecr). Default: 7"),
        keepTaggedImages: positiveInt.max(1000).default(30).describe("ECR lifecycle: keep this many most recent image tags per target (ecr). Default: 30"),
        kmsKeyArn: z
            .string()
            .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/.+$/, "a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/...")
            .optional()
            .describe("KMS key encrypting the ECR repository (ecr). Default: the AWS-managed ECR key"),
    })
    .prefault({});

export const imageSchema = z
    .strictObject({
        context: z.string().min(1).default("images/notebook").describe("Build context of the notebook image, relative to the project. Default: images/notebook"),
        baseImage: imageReference
            .optional()
            .describe("Base image override (mirrors, air-gapped sites). Default: the Dockerfile's digest-pinned Debian bookworm"),
        uid: z.number().int().min(1).max(2 ** 31 - 1).default(1000).describe("UID of the non-root notebook user, matching users' host UID. Default: 1000"),
        gid: z.number().int().min(1).max(2 ** 31 - 1).default(100).describe("GID of the notebook user's group. Default: 100"),
        gpu: z.boolean().default(false).describe("Also build the `gpu` target (CUDA libraries) for GPU profiles and executors. Default: false"),
        platform: z
            .enum(["linux/amd64", "linux/arm64"])
            .default("linux/amd64")
            .describe("Target platform. linux/arm64 is refused until its image is built and smoke-tested. Default: linux/amd64"),
        cache: z.boolean().default(true).describe("Use the registry as BuildKit cache (cache-from/cache-to). Default: true"),
        sourceUrl: z.string().default("").describe("OCI label org.opencontainers.image.source. Default: empty"),
        revision: z.string().default("").describe("OCI label org.opencontainers.image.revision. Default: empty"),
        prebuilt: z
            .strictObject({
                cpu: pinnedImage.describe("The cpu target, pinned by digest"),
                gpu: pinnedImage.optional().describe("The gpu target, pinned by digest (needs image.gpu)"),
            })
            .optional()
            .describe(
                "Run images a pipeline already built from this Dockerfile and pushed, instead of building them in `pulumi up` (CI builds, air-gapped sites, machines without BuildKit). Default: build",
            ),
    })
    .prefault({});

const githubAuthSchema = z.strictObject({
    clientId: z.string().min(1).describe("OAuth app client id; the client secret is the secret `oauthClientSecret`"),
    callbackUrl: url.describe("OAuth callback, https://<host>/hub/oauth_callback"),
    organizations: z.array(z.string().min(1)).default([]).describe("GitHub organizations (or org:team) whose members may log in. Default: []"),
});

const oidcAuthSchema = z.strictObject({
    clientId: z.string().min(1).describe("OIDC client id; the client secret is the secret `oauthClientSecret`"),
    callbackUrl: url.describe("OAuth callback, https://<host>/hub/oauth_callback"),
    authorizeUrl: url.describe("The provider's authorization endpoint"),
    tokenUrl: url.describe("The provider's token endpoint"),
    userdataUrl: url.describe("The provider's userinfo endpoint"),
    usernameClaim: z.string().min(1).default("preferred_username").describe("Claim used as the user name. Default: preferred_username"),
    scopes: z.array(z.string().min(1)).default(["openid", "profile", "email"]).describe("Scopes requested. Default: [openid, profile, email]"),
    allowedGroups: z.array(z.string().min(1)).default([]).describe("Groups (from the `groups` claim) allowed to log in. Default: []"),
});

export const authSchema = z
    .strictObject({
        type: z
            .enum(["shared-password", "github", "oidc"])
            .default("shared-password")
            .describe(
                "shared-password: JupyterHub's SharedPasswordAuthenticator, one password for users (secret `hubPassword`, at least 8 characters) and one for the listed admins (secret `hubAdminPassword`, at least 32), for small teams and local use; github or oidc: OAuth. Default: shared-password",
            ),
        admins: userList.describe("Hub administrators. Default: []"),
        allowedUsers: userList.describe("Users allowed to log in besides admins (and organization/group members). Default: []"),
        github: githubAuthSchema.optional().describe("GitHub OAuth settings (type github)"),
        oidc: oidcAuthSchema.optional().describe("Generic OIDC settings (type oidc)"),
    })
    .prefault({});

export const exposureSchema = z
    .strictObject({
        type: z
            .enum(["port-forward", "load-balancer", "ingress", "letsencrypt"])
            .default("port-forward")
            .describe("port-forward: ClusterIP only; load-balancer: a LoadBalancer Service; ingress: an Ingress with TLS from cert-manager; letsencrypt: the chart's own HTTPS. Default: port-forward"),
        host: z
            .string()
            .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, "a DNS host name such as hub.example.com")
            .optional()
            .describe("Public host name (ingress, letsencrypt)"),
        ingressClassName: z.string().min(1).default("nginx").describe("IngressClass (ingress). Default: nginx"),
        clusterIssuer: z.string().min(1).default("letsencrypt").describe("cert-manager ClusterIssuer (ingress). Default: letsencrypt"),
        contactEmail: z.email("an e-mail address").optional().describe("Let's Encrypt contact (letsencrypt)"),
    })
    .prefault({});

export const storageSchema = z
    .strictObject({
        homeCapacity: memory.default("10Gi").describe("Size of each user's persistent home. Default: 10Gi"),
        storageClass: z.string().min(1).optional().describe("StorageClass of user homes. Default: the platform's retained class on AWS, else the cluster default"),
        shared: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Mount a shared data volume in every notebook. Default: false"),
                capacity: memory.default("100Gi").describe("Size of the shared volume. Default: 100Gi"),
                storageClass: z.string().min(1).optional().describe("StorageClass of the shared volume (must support ReadWriteMany). Default: cluster default"),
                mountPath: z.string().regex(/^\/[^\0]*$/, "an absolute path").default("/home/jovyan/shared").describe("Mount path. Default: /home/jovyan/shared"),
            })
            .prefault({})
            .describe("Shared data volume"),
    })
    .prefault({});

export const cullingSchema = z
    .strictObject({
        enabled: z.boolean().default(true).describe("Stop idle notebook servers. Default: true"),
        timeoutSeconds: positiveInt.default(3600).describe("Idle time before a server is stopped. Default: 3600"),
        everySeconds: positiveInt.default(600).describe("How often to check. Default: 600"),
        maxAgeSeconds: nonNegativeInt.default(0).describe("Stop servers older than this, idle or not; 0 disables. Default: 0"),
    })
    .prefault({});

export const hubSchema = z
    .strictObject({
        chart: chartSource({ repository: "https://hub.jupyter.org/helm-chart/", version: "4.4.0" }).describe("The Zero to JupyterHub chart"),
        auth: authSchema.describe("Authentication"),
        exposure: exposureSchema.describe("How the hub is reached"),
        storage: storageSchema.describe("User storage"),
        culling: cullingSchema.describe("Idle culling"),
        generatedSecrets: z
            .enum(["pulumi", "chart"])
            .default("pulumi")
            .describe(
                "Who generates the hub's cookie secret and proxy token: pulumi (random provider, kept in the stack's state) or chart (z2jh generates them at install and keeps them in its hub Secret; no random provider needed). Default: pulumi",
            ),
        prePuller: z
            .strictObject({
                hook: z.boolean().default(true).describe("Pull images on every node before an upgrade. Default: true"),
                continuous: z.boolean().default(true).describe("Pull images on nodes that join later. Default: true"),
            })
            .prefault({}).describe("Image pre-pulling on nodes"),
        scheduling: z
            .strictObject({
                userScheduler: z.boolean().default(true).describe("Pack user pods tightly so nodes can scale down. Default: true"),
                podPriority: z.boolean().default(true).describe("User pods preempt placeholders. Default: true"),
                userPlaceholders: nonNegativeInt.max(100).default(0).describe("Placeholder pods keeping room for arriving users. Default: 0"),
            })
            .prefault({}).describe("Placement of user pods"),
    })
    .prefault({});

/** Third-party images, each replaceable by a mirror's copy pinned by digest (air-gapped and regulated sites). */
export const imagesSchema = z
    .strictObject({
        hub: pinnedImage.optional().describe("The JupyterHub hub (z2jh hub.image). Default: the chart's"),
        proxy: pinnedImage.optional().describe("configurable-http-proxy (z2jh proxy.chp.image). Default: the chart's"),
        userScheduler: pinnedImage
            .optional()
            .describe("kube-scheduler of the user-scheduler (z2jh scheduling.userScheduler.image). Default: the cluster minor's from the version table, else the chart's"),
        pause: pinnedImage.optional().describe("The pause image of user placeholders and pre-pullers (z2jh scheduling.userPlaceholder.image, prePuller.pause.image). Default: the chart's"),
        networkTools: pinnedImage.optional().describe("The init container that blocks the cloud metadata address (z2jh singleuser.networkTools.image). Default: the chart's"),
        imageAwaiter: pinnedImage.optional().describe("The hook pre-puller's awaiter (z2jh prePuller.hook.image). Default: the chart's"),
        secretSync: pinnedImage.optional().describe("The Let's Encrypt secret sync (z2jh proxy.secretSync.image). Default: the chart's"),
        traefik: pinnedImage.optional().describe("The HTTPS proxy of exposure letsencrypt (z2jh proxy.traefik.image). Default: the chart's"),
        devicePlugin: pinnedImage.optional().describe("The NVIDIA device plugin (aws). Default: the chart's"),
        clusterAutoscaler: pinnedImage.optional().describe("cluster-autoscaler (aws). Default: the cluster minor's from the version table"),
    })
    .prefault({});

export const profileSchema = z.strictObject({
    name: dnsLabel.describe("Profile slug, unique"),
    displayName: z.string().min(1).describe("Name shown to users"),
    description: z.string().default("").describe("Description shown to users. Default: empty"),
    cpu: z
        .strictObject({ guarantee: cpu.describe("Requested cores"), limit: cpu.describe("Core limit") })
        .describe("CPU request and limit in cores"),
    memory: z
        .strictObject({ guarantee: memory.describe("Requested memory"), limit: memory.describe("Memory limit") })
        .describe("Memory request and limit"),
    gpus: nonNegativeInt.max(16).default(0).describe("nvidia.com/gpu count; above 0 the profile runs on a GPU pool. Default: 0"),
    gpuPool: dnsLabel.optional().describe("GPU pool for this profile. Default: the first GPU pool"),
    image: z.enum(["cpu", "gpu"]).default("cpu").describe("Image variant: cpu or gpu (needs image.gpu). Default: cpu"),
    default: z.boolean().default(false).describe("Preselected profile. Default: false (the first profile is preselected)"),
});

export const profilesSchema = z
    .array(profileSchema)
    .min(1)
    .default([
        {
            name: "small",
            displayName: "Small (1 CPU, 2 GiB)",
            description: "",
            cpu: { guarantee: 0.5, limit: 1 },
            memory: { guarantee: "1Gi", limit: "2Gi" },
            gpus: 0,
            image: "cpu",
            default: true,
        },
    ])
    .describe("Notebook server profiles users choose from. Default: one small CPU profile");

export const gpuPoolSchema = z.strictObject({
    name: dnsLabel.describe("Pool name; becomes the pool's node label value"),
    instanceTypes: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as g5.xlarge"))
        .min(1)
        .default(["g5.xlarge"])
        .describe("EC2 instance types (aws). Default: [g5.xlarge]"),
    amiType: z
        .enum(["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"])
        .default("AL2023_x86_64_NVIDIA")
        .describe("NVIDIA AMI (aws). Bottlerocket ships the device plugin. Default: AL2023_x86_64_NVIDIA"),
    maxSize: positiveInt.max(100).default(2).describe("Most nodes; the pool scales from and to 0. Default: 2"),
    gpusPerNode: positiveInt
        .max(16)
        .optional()
        .describe(`GPUs per node; on aws it must match the instance type catalogue (${CATALOGUE_FILE}). Default: the catalogue's GPU count of the first instance type, else 1`),
    diskSizeGb: positiveInt.min(20).default(100).describe("Root volume size in GiB (aws). Default: 100"),
}).transform((pool) => ({ ...pool, gpusPerNode: pool.gpusPerNode ?? defaultGpusPerNode(pool.instanceTypes) }));

export const gpuPoolsSchema = z
    .array(gpuPoolSchema)
    .default([])
    .describe("GPU node pools. On aws, managed node groups scaling from zero; on kubeconfig, existing nodes the admin labelled and tainted. Default: []");

/** Key prefix of the data bucket that model services read (their IRSA role allows nothing else). */
export const MODEL_PREFIX = "models/";
/** `pvc://<claim>/<path>` (a file on a volume) or `s3://<bucket>/<key>` (an object of the data bucket). */
const MODEL_ARTIFACT = /^(pvc:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/[^\s]*[^\s/]$/;

export const modelSchema = z.strictObject({
    name: dnsLabel.max(57).describe("Model service name, unique, at most 57 characters; its Deployment, Service and ServiceAccount are model-<name>"),
    artifact: z
        .string()
        .regex(MODEL_ARTIFACT, "pvc://<claim>/<path> (a file on a PersistentVolumeClaim of the namespace) or s3://<bucket>/<key> (aws: the data bucket)")
        .describe(
            "The fitted scikit-learn estimator, saved with joblib.dump (or pickle): pvc://<claim>/<path>, a file on a PersistentVolumeClaim of the platform namespace, mounted read-only; or s3://<bucket>/<key> on aws, an object of the data bucket under models/, read through the service's own IRSA role",
        ),
    replicas: positiveInt.max(100).default(1).describe("Replicas, and the autoscaler's minimum. Default: 1"),
    maxReplicas: positiveInt.max(100).optional().describe("The autoscaler's maximum (CPU utilisation). Default: 2 x replicas"),
    targetCpuUtilization: positiveInt.max(100).default(70).describe("Average CPU use, in percent of the request, the autoscaler keeps. Default: 70"),
    cpu: z
        .strictObject({ guarantee: cpu.describe("Requested cores"), limit: cpu.describe("Core limit") })
        .default({ guarantee: 0.25, limit: 1 })
        .describe("CPU request and limit of each replica, in cores. Default: 0.25 and 1"),
    memory: z
        .strictObject({ guarantee: memory.describe("Requested memory"), limit: memory.describe("Memory limit") })
        .default({ guarantee: "512Mi", limit: "1Gi" })
        .describe("Memory request and limit of each replica; the model is held in memory. Default: 512Mi and 1Gi"),
    gpus: nonNegativeInt.max(16).default(0).describe("nvidia.com/gpu per replica; above 0 the replicas run on a GPU pool. Default: 0"),
    gpuPool: dnsLabel.optional().describe("GPU pool of the replicas. Default: the first GPU pool"),
    image: z.enum(["cpu", "gpu"]).default("cpu").describe("Image variant: cpu or gpu (needs image.gpu). Default: cpu"),
    port: port.default(8080).describe("Port the server listens on, and the Service's port. Default: 8080"),
    allowFrom: z
        .record(z.string().min(1), z.string())
        .optional()
        .describe("Pod labels of the clients allowed to call the service (NetworkPolicy). Default: every pod of the platform namespace"),
    ingress: z
        .strictObject({
            host: z
                .string()
                .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, "a DNS host name such as iris.models.example.com")
                .describe("Public host name; the whole host serves the model"),
            ingressClassName: z.string().min(1).default("nginx").describe("IngressClass. Default: nginx"),
            clusterIssuer: z.string().min(1).default("letsencrypt").describe("cert-manager ClusterIssuer of the TLS certificate. Default: letsencrypt"),
            controllerNamespace: dnsLabel.default("ingress-nginx").describe("Namespace of the ingress controller, whose pods the NetworkPolicy admits. Default: ingress-nginx"),
        })
        .optional()
        .describe("Publish the model outside the cluster through an Ingress with TLS from cert-manager. Default: none (in-cluster only)"),
});

export const modelsSchema = z
    .array(modelSchema)
    .default([])
    .describe("Models served over HTTP by the notebook image (`entrypoint.sh serve`): POST /predict, GET /healthz. Default: []");

export const sparkSchema = z
    .strictObject({
        namespace: dnsLabel
            .optional()
            .describe("Separate namespace for executor pods. Executors there get no owner reference to their notebook pod (owners cannot cross namespaces), so only Spark itself cleans them up: SparkContext.stop() and an exiting driver (server stopped, pod deleted) delete them, but a driver killed outright (OOM, lost node) leaves their finished pods until someone deletes them. Default: the platform namespace"),
        executor: z
            .strictObject({
                cores: positiveInt.max(64).default(1).describe("spark.executor.cores. Default: 1"),
                coresLimit: cpu.optional().describe("CPU limit of an executor pod. Default: equal to cores"),
                memory: sparkMemory.default("2g").describe("spark.executor.memory. Default: 2g"),
                memoryOverhead: sparkMemory.default("512m").describe("spark.executor.memoryOverhead. Default: 512m"),
            })
            .prefault({}).describe("Executor pod size"),
        dynamicAllocation: z
            .strictObject({
                minExecutors: nonNegativeInt.default(0).describe("Default: 0"),
                maxExecutors: positiveInt.max(1000).default(4).describe("Most executors one notebook may start. Default: 4"),
                idleTimeoutSeconds: positiveInt.default(60).describe("Release executors idle this long. Default: 60"),
            })
            .prefault({}).describe("Executors scale with the work"),
        gpuExecutors: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Run executors on a GPU pool with spark.executor.resource.gpu.*. Default: false"),
                gpusPerExecutor: positiveInt.max(16).default(1).describe("Default: 1"),
                pools: z
                    .array(dnsLabel)
                    .min(1)
                    .optional()
                    .describe(
                        "GPU pools executors may land on. Default: every GPU pool",
                    ),
                maxExecutors: positiveInt
                    .max(1000)
                    .optional()
                    .describe(
                        "Most GPU executors one notebook may start (spark-gpu.conf); at most what the pools hold (sum of maxSize x executors per node). Default: dynamicAllocation.maxExecutors, capped at what the pools hold",
                    ),
            })
            .prefault({}).describe("Executors on a GPU pool"),
        driverPort: port.default(29413).describe("Fixed spark.driver.port in notebook pods. Default: 29413"),
        blockManagerPort: port
            .default(29433)
            .describe("Fixed block-manager port of drivers (spark.driver.blockManager.port) and executors (spark.blockManager.port). Default: 29433"),
        sessionsPerNotebook: positiveInt
            .max(16)
            .default(4)
            .describe("Spark sessions one notebook pod may run at once; each binds the next driver and block-manager port (spark.port.maxRetries = this - 1), and the NetworkPolicies open that many. Default: 4"),
        maxExecutorPods: nonNegativeInt.default(0).describe("ResourceQuota on executor pods (in a shared namespace, scoped to the executors' PriorityClass); 0: no quota. Default: 0"),
        executorPublicEgress: z
            .boolean()
            .default(true)
            .describe("Executors may reach non-private IPv4 addresses (object stores, package mirrors), as notebook pods may by default; otherwise only the driver, other executors and DNS. Default: true"),
        onDemandPvc: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Give each executor an on-demand PVC as Spark local dir (shuffle/spill), owned by the driver pod. Default: false"),
                size: memory.default("50Gi").describe("Size of each executor's local-dir claim. Default: 50Gi"),
                storageClass: z.string().min(1).optional().describe("StorageClass of those claims. Default: the cluster default"),
            })
            .prefault({}).describe("Per-executor volumes for shuffle and spill"),
        historyServer: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Run a Spark history server over the event logs. Default: false"),
                logVolumeSize: memory.default("10Gi").describe("Event log volume size (file event-log directories). Default: 10Gi"),
                storageClass: z.string().min(1).optional().describe("StorageClass of the event log volume; must allow ReadWriteMany. Default: the cluster default"),
            })
            .prefault({}).describe("Spark history server"),
    })
    .prefault({});

const nodeGroupSchema = (defaults: { instanceType: string; min: number; desired: number; max: number }) =>
    z
        .strictObject({
            instanceType: z
                .string()
                .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as m6i.xlarge")
                .default(defaults.instanceType)
                .describe(`Default: ${defaults.instanceType}`),
            minSize: nonNegativeInt.default(defaults.min).describe(`Default: ${defaults.min}`),
            desiredSize: nonNegativeInt.default(defaults.desired).describe(`Default: ${defaults.desired}`),
            maxSize: positiveInt.default(defaults.max).describe(`Default: ${defaults.max}`),
        })
        .prefault({});

export const awsSchema = z.strictObject({
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/, "an AWS region such as eu-west-1").describe("AWS region. Required for provider aws"),
    kubernetesVersion: z
        .enum(SUPPORTED_KUBERNETES_VERSIONS)
        .default("1.33")
        .describe("EKS Kubernetes version; components/cluster/kubernetesVersions.ts pins the user-scheduler, cluster-autoscaler and EKS add-ons to it. Default: 1.33"),
    vpc: z
        .strictObject({
            existingVpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0abc123").optional().describe("Use this VPC instead of creating one"),
            privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id")).default([]).describe("Node subnets of the existing VPC"),
            publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id")).default([]).describe("Load-balancer subnets of the existing VPC"),
            cidr: cidr.default("10.40.0.0/16").describe("CIDR of a new VPC. Default: 10.40.0.0/16"),
            availabilityZones: positiveInt.min(2).max(6).default(3).describe("Zones to spread a new VPC over. Default: 3"),
        })
        .prefault({}).describe("The VPC: new, or an existing one by id"),
    endpoint: z
        .strictObject({
            publicAccess: z.boolean().default(true).describe("Public API endpoint. Default: true"),
            privateAccess: z.boolean().default(true).describe("Private API endpoint. Default: true"),
            publicAccessCidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Who may reach the public endpoint. Default: [0.0.0.0/0]"),
        })
        .prefault({}).describe("The EKS API endpoint"),
    adminRoleArns: z
        .array(z.string().regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/, "an IAM role ARN such as arn:aws:iam::123456789012:role/admin"))
        .default([])
        .describe("IAM roles granted cluster admin through access entries. Default: []"),
    systemNodes: nodeGroupSchema({ instanceType: "m6i.large", min: 2, desired: 2, max: 3 }).describe("On-demand group for system pods and the hub"),
    cpuNodes: nodeGroupSchema({ instanceType: "m6i.2xlarge", min: 0, desired: 1, max: 10 }).describe("Group for notebooks and executors"),
    autoscaler: chartSource({ repository: "https://kubernetes.github.io/autoscaler", version: "9.46.6" }).describe("The cluster-autoscaler chart"),
    devicePlugin: chartSource({ repository: "https://nvidia.github.io/k8s-device-plugin", version: "0.20.0" }).describe("The NVIDIA device plugin chart"),
    dataBucketName: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
        .optional()
        .describe("Name of the data and event-log bucket. Default: <project>-<stack>-data-<account id>"),
});

export const tagsSchema = z
    .strictObject({
        owner: z.string().min(1).default("platform-team").describe("Owner cost tag. Default: platform-team"),
        costCenter: z.string().min(1).optional().describe("Cost-centre tag. Default: none"),
    })
    .prefault({});

const platformObject = z.strictObject({
        cluster: clusterSchema.describe("Target cluster"),
        registry: registrySchema.describe("Image registry"),
        image: imageSchema.describe("The notebook image"),
        hub: hubSchema.describe("JupyterHub"),
        profiles: profilesSchema,
        gpuPools: gpuPoolsSchema,
        models: modelsSchema,
        spark: sparkSchema.describe("Client-mode Spark from notebooks"),
        aws: awsSchema.optional().describe("AWS settings (provider aws)"),
        tags: tagsSchema.describe("Cost tags on every AWS resource"),
        images: imagesSchema.describe("Mirrors of the third-party images the platform runs, each pinned by digest. The registry server image is registry.image"),
        protectData: z
            .boolean()
            .optional()
            .describe("Protect stateful resources (volumes, bucket, registry storage) from deletion and replacement. Default: true on aws, false on kubeconfig"),
});

export const platformSchema = platformObject.superRefine((c, ctx) => checkCombinations(c, ctx));

/** The raw, partial configuration a user writes (stack config or component args). */
export type PlatformConfigInput = z.input<typeof platformSchema>;
/** The fully defaulted, validated configuration. */
export type PlatformConfig = Omit<z.output<typeof platformSchema>, "cluster"> & {
    cluster: z.output<typeof clusterSchema> & { matchNodePurpose: NodePurposeMatch };
    protectData: boolean;
};
export type Profile = z.output<typeof profileSchema>;
export type GpuPoolConfig = z.output<typeof gpuPoolSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type SparkConfig = z.output<typeof sparkSchema>;
export type HubConfig = z.output<typeof hubSchema>;
export type RegistryConfig = z.output<typeof registrySchema>;
export type ImageConfig = z.output<typeof imageSchema>;
export type AwsConfig = z.output<typeof awsSchema>;
export type ImagesConfig = z.output<typeof imagesSchema>;

/** Which secrets the stack provides; their values never pass through the config schema. */
export interface SecretPresence {
    hubPassword?: boolean;
    hubAdminPassword?: boolean;
    oauthClientSecret?: boolean;
    registryPassword?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules: combinations that are each valid alone but impossible together.
// ---------------------------------------------------------------------------------------------

function checkCombinations(c: z.output<typeof platformObject>, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const poolNames = new Set(c.gpuPools.map((p) => p.name));

    if (c.cluster.provider === "aws" && !c.aws) {
        issue(["aws"], "is required when cluster.provider is aws (at least aws.region)");
    }
    if (c.cluster.provider !== "aws" && c.aws) {
        issue(["aws"], "is only allowed when cluster.provider is aws");
    }
    if (c.registry.kind === "ecr" && c.cluster.provider !== "aws") {
        issue(["registry", "kind"], "ecr needs cluster.provider aws; use in-cluster or external");
    }
    if (c.registry.kind === "external" && !c.registry.server) {
        issue(["registry", "server"], "is required when registry.kind is external");
    }
    if (c.image.prebuilt?.gpu && !c.image.gpu) {
        issue(["image", "prebuilt", "gpu"], "is set but image.gpu is false; set image.gpu: true so GPU profiles and executors use it");
    }
    if (c.image.prebuilt && c.image.gpu && !c.image.prebuilt.gpu) {
        issue(["image", "prebuilt", "gpu"], "is required when image.gpu is true and images are prebuilt");
    }
    duplicates(c.gpuPools.map((p) => p.name)).forEach((i) => issue(["gpuPools", i, "name"], "must be unique among gpuPools"));
    duplicates(c.profiles.map((p) => p.name)).forEach((i) => issue(["profiles", i, "name"], "must be unique among profiles"));
    if (c.profiles.filter((p) => p.default).length > 1) {
        issue(["profiles"], "at most one profile may set default: true");
    }
    c.profiles.forEach((p, i) => {
        if (p.cpu.guarantee > p.cpu.limit) {
            issue(["profiles", i, "cpu", "guarantee"], `must not exceed cpu.limit (${p.cpu.limit})`);
        }
        // Refinements also run when a field already failed its own check; compare only well-formed quantities.
        const quantities = [p.memory.guarantee, p.memory.limit].every(isMemoryQuantity);
        if (quantities && memoryBytes(p.memory.guarantee) > memoryBytes(p.memory.limit)) {
            issue(["profiles", i, "memory", "guarantee"], `must not exceed memory.limit (${p.memory.limit})`);
        }
        if (p.gpus > 0 && poolNames.size === 0) {
            issue(["profiles", i, "gpus"], "asks for GPUs but the stack has no gpuPools; add a GPU pool or set gpus: 0");
        }
        if (p.gpuPool !== undefined && !poolNames.has(p.gpuPool)) {
            issue(["profiles", i, "gpuPool"], `names no GPU pool; allowed: ${[...poolNames].join(", ") || "(none configured)"}`);
        }
        if (p.gpuPool !== undefined && p.gpus === 0) {
            issue(["profiles", i, "gpuPool"], "is set but gpus is 0; a CPU profile never lands on GPU nodes");
        }
        if (p.image === "gpu" && !c.image.gpu) {
            issue(["profiles", i, "image"], "gpu needs image.gpu: true so the gpu image is built");
        }
        const pool = gpuPoolOf(p, c.gpuPools);
        if (pool && p.gpus > pool.gpusPerNode) {
            issue(["profiles", i, "gpus"], `exceeds the ${pool.gpusPerNode} GPUs per node of pool ${pool.name}`);
        }
    });
    const gx = c.spark.gpuExecutors;
    if (gx.enabled && poolNames.size === 0) {
        issue(["spark", "gpuExecutors", "enabled"], "needs at least one entry in gpuPools");
    }
    (gx.pools ?? []).forEach((name, i) => {
        if (!poolNames.has(name)) {
            issue(["spark", "gpuExecutors", "pools", i], `names no GPU pool; allowed: ${[...poolNames].join(", ") || "(none configured)"}`);
        }
    });
    if (gx.enabled && poolNames.size > 0) {
        const admitted = c.gpuPools.filter((p) => (gx.pools ?? [...poolNames]).includes(p.name));
        const perNode = (p: GpuPoolConfig) => Math.floor(p.gpusPerNode / gx.gpusPerExecutor);
        const tooSmall = admitted.filter((p) => perNode(p) === 0);
        if (tooSmall.length > 0 && tooSmall.length === admitted.length) {
            issue(["spark", "gpuExecutors", "gpusPerExecutor"], `exceeds the GPUs per node of every admitted pool (${tooSmall.map((p) => `${p.name}: ${p.gpusPerNode}`).join(", ")})`);
        }
        const capacity = gpuExecutorCapacity(admitted, gx.gpusPerExecutor);
        if (capacity > 0 && gx.maxExecutors !== undefined && gx.maxExecutors > capacity) {
            issue(
                ["spark", "gpuExecutors", "maxExecutors"],
                `asks for ${gx.maxExecutors} GPU executors of ${gx.gpusPerExecutor} GPU(s), but the pools executors may use hold at most ${capacity} ` +
                    `(${admitted.map((p) => `${p.name}: ${p.maxSize} nodes x ${perNode(p)}`).join(", ")}); lower it to ${capacity}, ` +
                    "add pools to spark.gpuExecutors.pools or raise their maxSize",
            );
        }
    }
    if (c.image.platform === "linux/arm64") {
        issue(["image", "platform"], "is linux/arm64, which is not supported yet: no arm64 image has been built and smoke-tested; allowed: linux/amd64");
    }
    if (gx.enabled && !c.image.gpu) {
        issue(["spark", "gpuExecutors", "enabled"], "needs image.gpu: true so executors get the gpu image");
    }
    if (c.spark.dynamicAllocation.minExecutors > c.spark.dynamicAllocation.maxExecutors) {
        issue(["spark", "dynamicAllocation", "minExecutors"], "must not exceed maxExecutors");
    }
    if (c.spark.driverPort === c.spark.blockManagerPort) {
        issue(["spark", "blockManagerPort"], "must differ from spark.driverPort");
    }
    const auth = c.hub.auth;
    if (auth.type === "github" && !auth.github) {
        issue(["hub", "auth", "github"], "is required when hub.auth.type is github (clientId, callbackUrl)");
    }
    if (auth.type === "oidc" && !auth.oidc) {
        issue(["hub", "auth", "oidc"], "is required when hub.auth.type is oidc (clientId, callbackUrl and the endpoint URLs)");
    }
    const exp = c.hub.exposure;
    if ((exp.type === "ingress" || exp.type === "letsencrypt") && !exp.host) {
        issue(["hub", "exposure", "host"], `is required when hub.exposure.type is ${exp.type}`);
    }
    if (exp.type === "letsencrypt" && !exp.contactEmail) {
        issue(["hub", "exposure", "contactEmail"], "is required when hub.exposure.type is letsencrypt");
    }
    if (c.aws) {
        const vpc = c.aws.vpc;
        if (vpc.existingVpcId && vpc.privateSubnetIds.length < 2) {
            issue(["aws", "vpc", "privateSubnetIds"], "needs at least two subnets when aws.vpc.existingVpcId is set");
        }
        for (const group of ["systemNodes", "cpuNodes"] as const) {
            const g = c.aws[group];
            if (g.minSize > g.desiredSize || g.desiredSize > g.maxSize) {
                issue(["aws", group], `needs minSize <= desiredSize <= maxSize (got ${g.minSize}, ${g.desiredSize}, ${g.maxSize})`);
            }
        }
    }
    if (c.cluster.provider === "aws" && c.cluster.kubernetesVersion !== undefined) {
        issue(["cluster", "kubernetesVersion"], "is for existing (kubeconfig) clusters; on aws the cluster's version is aws.kubernetesVersion");
    }
    checkModels(c, issue);
    nodeFitProblems(c).forEach((p) => issue(p.path, p.message));
}

/** Model services: unique names, sizes, GPU placement and where the artifact may come from. */
function checkModels(c: z.output<typeof platformObject>, issue: (path: (string | number)[], message: string) => void): void {
    const poolNames = new Set(c.gpuPools.map((p) => p.name));
    duplicates(c.models.map((m) => m.name)).forEach((i) => issue(["models", i, "name"], "must be unique among models"));
    c.models.forEach((m, i) => {
        const at = (...rest: string[]) => ["models", i, ...rest];
        if (m.maxReplicas !== undefined && m.maxReplicas < m.replicas) {
            issue(at("maxReplicas"), `must be at least replicas (${m.replicas})`);
        }
        if (m.cpu.guarantee > m.cpu.limit) {
            issue(at("cpu", "guarantee"), `must not exceed cpu.limit (${m.cpu.limit})`);
        }
        if ([m.memory.guarantee, m.memory.limit].every(isMemoryQuantity) && memoryBytes(m.memory.guarantee) > memoryBytes(m.memory.limit)) {
            issue(at("memory", "guarantee"), `must not exceed memory.limit (${m.memory.limit})`);
        }
        if (m.gpus > 0 && poolNames.size === 0) {
            issue(at("gpus"), "asks for GPUs but the stack has no gpuPools; add a GPU pool or set gpus: 0");
        }
        if (m.gpuPool !== undefined && !poolNames.has(m.gpuPool)) {
            issue(at("gpuPool"), `names no GPU pool; allowed: ${[...poolNames].join(", ") || "(none configured)"}`);
        }
        if (m.gpuPool !== undefined && m.gpus === 0) {
            issue(at("gpuPool"), "is set but gpus is 0; a CPU model never lands on GPU nodes");
        }
        const pool = gpuPoolOf(m, c.gpuPools);
        if (pool && m.gpus > pool.gpusPerNode) {
            issue(at("gpus"), `exceeds the ${pool.gpusPerNode} GPUs per node of pool ${pool.name}`);
        }
        if (m.image === "gpu" && !c.image.gpu) {
            issue(at("image"), "gpu needs image.gpu: true so the gpu image is built");
        }
        const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(m.artifact);
        if (s3 && c.cluster.provider !== "aws") {
            issue(at("artifact"), "names an s3:// object, which needs cluster.provider aws (the data bucket and IRSA); on kubeconfig clusters use pvc://<claim>/<path>");
        }
        if (s3 && c.cluster.provider === "aws" && !s3[2].startsWith(MODEL_PREFIX)) {
            issue(at("artifact"), `must name a key under ${MODEL_PREFIX} of the data bucket, the only prefix model services may read`);
        }
        if (s3 && c.aws?.dataBucketName !== undefined && s3[1] !== c.aws.dataBucketName) {
            issue(at("artifact"), `names bucket ${s3[1]}, but model services may read only the data bucket ${c.aws.dataBucketName} (aws.dataBucketName)`);
        }
    });
}

/** GPU executors the pools can hold at once: each node fits floor(gpusPerNode / gpusPerExecutor). */
export function gpuExecutorCapacity(pools: Pick<GpuPoolConfig, "maxSize" | "gpusPerNode">[], gpusPerExecutor: number): number {
    return pools.reduce((sum, p) => sum + p.maxSize * Math.floor(p.gpusPerNode / gpusPerExecutor), 0);
}

/** The GPU pools Spark executors may use: the configured ones, else every pool. */
export function gpuExecutorPools(config: { gpuPools: GpuPoolConfig[]; spark: SparkConfig }): GpuPoolConfig[] {
    const names = config.spark.gpuExecutors.pools;
    return names ? config.gpuPools.filter((p) => names.includes(p.name)) : config.gpuPools;
}

function duplicates(values: string[]): number[] {
    return values.flatMap((v, i) => (values.indexOf(v) < i ? [i] : []));
}

// ---------------------------------------------------------------------------------------------
// Errors: one line per problem, naming the key path, the bad value and what is allowed.
// ---------------------------------------------------------------------------------------------

/** A configuration problem: `path` in stack-config form such as `hub.auth.type` or `profiles[1].gpus`. */
export interface ConfigProblem {
    path: string;
    value: unknown;
    message: string;
}

/** Thrown for invalid configuration, before any resource is declared. */
export class ConfigError extends Error {
    constructor(public readonly problems: ConfigProblem[]) {
        super(
            `Invalid ds-platform configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.path || "(root)"}: ${p.message}${p.value === undefined ? "" : ` (got ${show(p.value)})`}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function show(value: unknown): string {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatPath(path: PropertyKey[]): string {
    return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
    return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
}

/** "did you mean ...? " for a misspelt key close to an allowed one, else "". */
export function suggestKey(key: string, allowed: string[]): string {
    const hint = didYouMean(key, allowed);
    return hint ? `${hint} ` : "";
}

/** The keys a strict object schema at `path` allows, walking through defaults, optionals and arrays. */
function allowedKeysAt(path: PropertyKey[]): string[] {
    let schema: z.core.$ZodType | undefined = platformSchema;
    for (const key of [...path, null]) {
        for (;;) {
            const def: any = schema?._zod.def;
            if (!def) {
                return [];
            }
            if (def.innerType) {
                schema = def.innerType;
            } else if (def.type === "pipe") {
                schema = def.in;
            } else {
                break;
            }
        }
        const def: any = schema!._zod.def;
        if (key === null) {
            return def.type === "object" ? Object.keys(def.shape) : [];
        }
        schema = def.type === "object" ? def.shape[key as string] : def.type === "array" ? def.element : undefined;
    }
    return [];
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem[] {
    const path = issue.path;
    switch (issue.code) {
        case "unrecognized_keys": {
            const allowed = allowedKeysAt(path);
            return issue.keys.map((key) => ({
                path: formatPath([...path, key]),
                value: undefined,
                message: `unknown key; ${suggestKey(key, allowed)}allowed keys: ${allowed.join(", ")}`,
            }));
        }
        case "invalid_type": {
            const value = valueAt(raw, path);
            const message = value === undefined ? `is required (${issue.expected})` : `must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`;
            return [{ path: formatPath(path), value, message }];
        }
        case "invalid_value":
            return [{ path: formatPath(path), value: valueAt(raw, path), message: `must be one of: ${issue.values.map((v) => String(v)).join(", ")}` }];
        case "too_small":
        case "too_big": {
            const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
            const word = issue.code === "too_small" ? (issue.inclusive ? "at least" : "greater than") : issue.inclusive ? "at most" : "less than";
            if (!/^Too (small|big)/.test(issue.message)) {
                return [{ path: formatPath(path), value: valueAt(raw, path), message: `must be ${issue.message}` }];
            }
            const what = issue.origin === "array" ? `must have ${word} ${bound} entries` : issue.origin === "string" ? `must have ${word} ${bound} characters` : `must be ${word} ${bound}`;
            return [{ path: formatPath(path), value: valueAt(raw, path), message: what }];
        }
        case "not_multiple_of":
            return [{ path: formatPath(path), value: valueAt(raw, path), message: `must be a multiple of ${String(issue.divisor)}` }];
        case "invalid_format":
            return [{ path: formatPath(path), value: valueAt(raw, path), message: `must be ${issue.message}` }];
        case "custom": {
            const value = valueAt(raw, path);
            // Refinements on a single value describe what is allowed; cross-field rules describe the conflict.
            const isValueRule = !issue.message.startsWith("is ") && !/^(must|needs|asks|names|exceeds|at most|ecr|gpu|registry)/.test(issue.message);
            return [{ path: formatPath(path), value: typeof value === "object" ? undefined : value, message: isValueRule ? `must be ${issue.message}` : issue.message }];
        }
        default:
            return [{ path: formatPath(path), value: valueAt(raw, path), message: issue.message.replace(/^Invalid string: /, "must be ") }];
    }
}

/**
 * Validates and defaults raw configuration. Throws `ConfigError` naming every bad key.
 * `secrets` says which secrets exist, so that e.g. OAuth without its client secret is caught here too.
 */
export function parsePlatformConfig(raw: unknown, secrets: SecretPresence = {}): PlatformConfig {
    const result = platformSchema.safeParse(raw ?? {});
    if (!result.success) {
        throw new ConfigError(result.error.issues.flatMap((i) => describeIssue(i, raw)));
    }
    const config = result.data;
    const missing: ConfigProblem[] = [];
    const needSecret = (ok: boolean | undefined, key: string, why: string) => {
        if (!ok) {
            missing.push({ path: key, value: undefined, message: `secret is required ${why}; set it with: pulumi config set --secret ${key} <value>` });
        }
    };
    if (config.hub.auth.type === "shared-password") {
        needSecret(secrets.hubPassword, "hubPassword", "for hub.auth.type shared-password");
        if (config.hub.auth.admins.length > 0) {
            needSecret(secrets.hubAdminPassword, "hubAdminPassword", "for hub.auth.type shared-password with hub.auth.admins (at least 32 characters)");
        }
    } else {
        needSecret(secrets.oauthClientSecret, "oauthClientSecret", `for hub.auth.type ${config.hub.auth.type}`);
    }
    if (config.registry.kind === "external" && config.registry.username !== undefined) {
        needSecret(secrets.registryPassword, "registryPassword", "for registry.kind external with a username");
    }
    if (missing.length > 0) {
        throw new ConfigError(missing);
    }
    const aws = config.cluster.provider === "aws";
    const gx = config.spark.gpuExecutors;
    if (gx.enabled && gx.maxExecutors === undefined) {
        // Not more GPU executors than the pools can hold: the rest would stay Pending for ever.
        const capacity = gpuExecutorCapacity(gpuExecutorPools(config), gx.gpusPerExecutor);
        gx.maxExecutors = Math.min(config.spark.dynamicAllocation.maxExecutors, capacity);
    }
    return {
        ...config,
        cluster: { ...config.cluster, matchNodePurpose: config.cluster.matchNodePurpose ?? (aws ? "require" : "prefer") },
        protectData: config.protectData ?? aws,
    };
}

/** The project's stack-config keys, in the order they are documented. */
export const CONFIG_KEYS = ["cluster", "registry", "image", "hub", "profiles", "gpuPools", "models", "spark", "aws", "tags", "images", "protectData"] as const;
/** Secret stack-config keys, set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["hubPassword", "hubAdminPassword", "oauthClientSecret", "registryPassword"] as const;
/** What each secret is for; the project file and the README are generated from these. */
export const SECRET_DESCRIPTIONS: Record<(typeof SECRET_KEYS)[number], string> = {
    hubPassword: "The users' shared password (hub.auth.type shared-password), at least 8 characters",
    hubAdminPassword: "The admins' shared password (hub.auth.type shared-password with hub.auth.admins), at least 32 characters",
    oauthClientSecret: "OAuth client secret (hub.auth.type github or oidc)",
    registryPassword: "Password of the external registry (registry.kind external with a username)",
};
