/**
 * Schema of the platform's sections: cluster, registry, notebook image, hub and third-party images.
 * Every field has a default or is required; descriptions name the default and feed the README's
 * configuration reference (`npm run docs`).
 */
import { z } from "zod";
import { NODE_PURPOSE_LABEL, NODE_PURPOSE_MATCHES } from "../cluster/nodePurpose";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../cluster/kubernetesVersions";
import { chartSource, dnsLabel, imageReference, memory, nonNegativeInt, pinnedImage, positiveInt, url, userList } from "./values";

/** The hub's Helm release is `jupyterhub-<namespace>`: Helm release names have at most 53 characters. */
export const HUB_RELEASE_NAMESPACE_MAX = 53 - "jupyterhub-".length;

/**
 * The hub's Helm release name. z2jh names its cluster-wide objects (the user-scheduler's ClusterRole,
 * the PriorityClasses) after the release, so two platforms in one cluster need two release names.
 */
export function hubReleaseName(namespace: string): string {
    return `jupyterhub-${namespace}`;
}

export const clusterSchema = z
    .strictObject({
        provider: z
            .enum(["kubeconfig", "aws"])
            .default("kubeconfig")
            .describe("Where the platform runs: an existing cluster from kubeconfig, or a new EKS cluster. Default: kubeconfig"),
        context: z.string().min(1).optional().describe("kubeconfig context to use (provider kubeconfig). Default: the current context"),
        namespace: dnsLabel
            // A refinement rather than .max(), so that the error quotes what is allowed.
            .refine((v) => v.length <= HUB_RELEASE_NAMESPACE_MAX, `a Kubernetes name of at most ${HUB_RELEASE_NAMESPACE_MAX} characters (the hub's Helm release is named jupyterhub-<namespace>, and Helm allows 53)`)
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

/** A registry user name: htpasswd lines and Docker's `user:password` auth field both end it at the first ':'. */
export const registryUsername = z.string().regex(/^[^:\s]+$/, "a user name without ':' or spaces");

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
        username: registryUsername
            .optional()
            .describe(
                "User name for the external registry (its password is the secret `registryPassword`); for in-cluster, the push/pull user. Default: external: none (anonymous pulls, no pull secret); in-cluster: ds-platform",
            ),
        pushAddress: z
            .string()
            .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?$/, "a registry host[:port] such as localhost:30500")
            .optional()
            .describe("Address the deploying machine pushes the in-cluster registry's images to (it also gets a TLS name). Default: localhost:<nodePort>"),
        mirrorImages: z
            .boolean()
            .default(false)
            .describe(
                "Copy the hub chart's third-party images (hub, proxy, user-scheduler, pause, and traefik and secret sync with letsencrypt) into this registry inside the stack, under ds-platform-mirror/, and run the copies by digest. The sources are images.* where set, else the chart's. Needs the Docker provider plugin and a Docker daemon where pulumi up runs. Default: false",
            ),
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
                cpu: imageReference.describe(
                    "The cpu target, by digest; a tag is resolved to the digest it names at pulumi up (docker getRegistryImage, which needs the Docker provider plugin), and that digest is what runs",
                ),
                gpu: imageReference.optional().describe("The gpu target, by digest or a tag resolved the same way (needs image.gpu)"),
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
                hook: z
                    .boolean()
                    .default(true)
                    .describe(
                        "Before the hub is installed or upgraded, pull every image a user pod can start onto every user node, and wait for it: a pull that cannot succeed fails pulumi up within prePuller.timeoutSeconds, naming the pod and the reason. The pre-puller DaemonSet then stays, so nodes that join later pull too. Default: true",
                    ),
                continuous: z
                    .boolean()
                    .default(true)
                    .describe("Pull the images onto nodes that join later (the pre-puller DaemonSet, not waited for when hook is false). Default: true"),
                timeoutSeconds: z
                    .number()
                    .int()
                    .min(30)
                    .max(3600)
                    .default(600)
                    .describe("How long pulumi up waits for the pre-pull (hook) before it fails, naming the pods that did not pull. Default: 600"),
            })
            .prefault({}).describe("Image pre-pulling on nodes"),
        scheduling: z
            .strictObject({
                userScheduler: z.boolean().default(true).describe("Pack user pods tightly so nodes can scale down. Default: true"),
                podPriority: z.boolean().default(true).describe("User pods preempt placeholders. Default: true"),
                userPlaceholders: nonNegativeInt.max(100).default(0).describe("Placeholder pods keeping room for arriving users. Default: 0"),
            })
            .prefault({}).describe("Placement of user pods"),
        extraValues: z
            .record(z.string(), z.unknown())
            .default({})
            .describe(
                "Zero to JupyterHub chart values for what the keys above do not cover (e.g. hub.extraEnv, singleuser.extraLabels), deep-merged over the generated values like a second Helm values file, and winning over them: mappings merge key by key, lists and scalars replace, null removes a chart default. The chart's values schema rejects unknown keys at install. Plain config, kept in clear text in Pulumi.<stack>.yaml: no secrets here (the hub's are the secret keys hubPassword, hubAdminPassword and oauthClientSecret). Default: {}",
            ),
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
        pause: pinnedImage.optional().describe("The pause image of user placeholders and the pre-puller (z2jh scheduling.userPlaceholder.image, prePuller.pause.image). Default: the chart's, registry.k8s.io/pause:3.10.1"),
        networkTools: pinnedImage.optional().describe("The init container that blocks the cloud metadata address (z2jh singleuser.networkTools.image). Default: the chart's"),
        secretSync: pinnedImage.optional().describe("The Let's Encrypt secret sync (z2jh proxy.secretSync.image). Default: the chart's"),
        traefik: pinnedImage.optional().describe("The HTTPS proxy of exposure letsencrypt (z2jh proxy.traefik.image). Default: the chart's"),
        devicePlugin: pinnedImage.optional().describe("The NVIDIA device plugin (aws). Default: the chart's"),
        clusterAutoscaler: pinnedImage.optional().describe("cluster-autoscaler (aws). Default: the cluster minor's from the version table"),
    })
    .prefault({});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type RegistryConfig = z.output<typeof registrySchema>;
export type ImageConfig = z.output<typeof imageSchema>;
export type HubConfig = z.output<typeof hubSchema>;
export type ImagesConfig = z.output<typeof imagesSchema>;
