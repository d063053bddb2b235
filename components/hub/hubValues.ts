/**
 * Helm values for the Zero to JupyterHub chart (4.4.0, JupyterHub 5.5, KubeSpawner 7), built from
 * plain configuration plus `pulumi.Input` leaves (image references, secrets, generated names).
 *
 * Everything here is pure: the JupyterHub component only generates secrets, declares the shared
 * volume and hands these values to a Helm release. Only what the platform needs is set; every other
 * chart default stays as upstream ships it (network policies included).
 */
import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertNoProblems, HubConfig, hubRules, ImagesConfig, Profile, profileRules } from "../config/config";
import { avoidGpuNodesAffinity, gpuNodeAffinity, GpuPlacement, gpuToleration } from "../gpu/placement";
import { chartImageOf } from "../image/imageReference";
import { NodeAffinity, NodePurposeMatch, NodeSelectorTerm, withNodePurpose } from "../cluster/nodePurpose";
import type { NotebookSparkWiring } from "../spark/sparkConf";
import { REGISTRY_PORT } from "../registry/port";
import { parseMemoryQuantity } from "../shared/quantities";
import { gpuPoolNameOf } from "../shared/gpuPool";
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT, RESTRICTED_POD_SECURITY_CONTEXT } from "../shared/security";
import { DEFAULT_PAUSE_IMAGE } from "./imagePrePuller";
import { uniqueBy } from "../shared/unique";

/** Where notebook homes are mounted: the notebook image's home directory. */
export const HOME_MOUNT_PATH = "/home/jovyan";
/** Name of the shared data volume inside notebook pods. */
export const SHARED_VOLUME_NAME = "shared-data";
/** Name of the Spark configuration volume inside notebook pods. */
export const SPARK_CONF_VOLUME_NAME = "spark-conf";
/** Name of the Spark event-log volume inside notebook pods (file event logs). */
export const SPARK_EVENT_LOG_VOLUME_NAME = "spark-event-logs";
/**
 * Hub configuration that makes KubeSpawner's home claims name their class only in
 * spec.storageClassName: KubeSpawner 7 also writes the deprecated
 * volume.beta.kubernetes.io/storage-class annotation whenever a class is set.
 */
export const PVC_STORAGE_CLASS_NAME_ONLY = `
from kubespawner import KubeSpawner


class StorageClassNameSpawner(KubeSpawner):
    def get_pvc_manifest(self):
        pvc = super().get_pvc_manifest()
        (pvc.metadata.annotations or {}).pop("volume.beta.kubernetes.io/storage-class", None)
        return pvc


c.JupyterHub.spawner_class = StorageClassNameSpawner
`.trimStart();
/**
 * Hub configuration that isolates users from each other (components/hub/python/user_isolation.py):
 * before each spawn the hub creates the user's executor namespace, ServiceAccount, driver RoleBinding,
 * quota and NetworkPolicies from the objects in `custom.dsPlatformUserIsolation`, and runs the pod as
 * that ServiceAccount; after each stop it deletes what Spark left behind.
 */
export const USER_ISOLATION_CONFIG = fs.readFileSync(path.join(__dirname, "python", "user_isolation.py"), "utf8");
/** Where the hub's extraConfig reads the per-user objects (z2jh `custom` values). */
export const USER_ISOLATION_CUSTOM_KEY = "dsPlatformUserIsolation";
/** The claim that keeps a chart-created PVC (the hub database) when the release is uninstalled. */
export const HELM_KEEP_ANNOTATION = { "helm.sh/resource-policy": "keep" } as const;
/** Annotation naming the cert-manager ClusterIssuer that signs the ingress certificate. */
export const CERT_MANAGER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";

export { KUBESPAWNER_OVERRIDE_KEYS, PROFILE_ENTRY_KEYS, validateProfileList } from "./profileListSchema";

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/** An image reference in the chart's `{name, tag}` form. */
export interface ChartImage {
    name: string;
    tag: string;
}

/**
 * Splits `<repo>@sha256:<hex>` into the chart's `{name, tag}` so that the chart's own joining gives
 * back exactly the digest reference. z2jh joins `name:tag` in two places: jupyterhub_config.py
 * (KubeSpawner's `image`, and only when the tag is non-empty) and the image-puller DaemonSets
 * (always, so an empty tag would yield an invalid `repo:`). Neither `tag: sha256:<hex>` (gives
 * `repo:sha256:<hex>`) nor an empty tag works; `name: <repo>@sha256`, `tag: <hex>` does, in both.
 * Tag-only references are refused: the platform runs images by digest only.
 */
export function splitImageReference(ref: string): ChartImage {
    const { repository, tag } = chartImageOf(ref);
    return { name: repository, tag };
}

/** The full reference the chart composes from `{name, tag}`. */
export function joinChartImage(image: ChartImage): string {
    return image.tag ? `${image.name}:${image.tag}` : image.name;
}

/** Checks a digest reference now when it is known, or when it resolves. */
function checkedDigestReference(ref: pulumi.Input<string>, key: string): pulumi.Input<string> {
    if (typeof ref === "string") {
        splitImageReference(ref);
        return ref;
    }
    return pulumi.output(ref).apply((r) => {
        if (typeof r !== "string") {
            throw new Error(`${key} resolved to ${String(r)}, not an image reference`);
        }
        splitImageReference(r);
        return r;
    });
}

function chartImage(ref: pulumi.Input<string>): { name: pulumi.Input<string>; tag: pulumi.Input<string> } {
    if (typeof ref === "string") {
        return splitImageReference(ref);
    }
    const split = pulumi.output(ref).apply(splitImageReference);
    return { name: split.name, tag: split.tag };
}

// ---------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------

/**
 * A Kubernetes binary memory quantity (`4Gi`) in the form JupyterHub's ByteSpecification accepts
 * (`4G`): it knows the suffixes K, M, G and T, each a power of 1024, and rejects `Gi`.
 */
export function byteSpecification(quantity: string): string {
    const { amount, unit } = parseMemoryQuantity(quantity);
    return `${amount}${unit[0]}`;
}

/** KubeSpawner settings a profile overrides (trait names as spelled in kubespawner/spawner.py). */
export interface KubespawnerOverride {
    image: pulumi.Input<string>;
    cpu_guarantee: number;
    cpu_limit: number;
    mem_guarantee: string;
    mem_limit: string;
    node_affinity_required: NodeSelectorTerm[];
    extra_resource_limits?: Record<string, string>;
    tolerations?: k8s.types.input.core.v1.Toleration[];
}

/** One `singleuser.profileList` entry, as KubeSpawner's `profile_list` reads it. */
export interface ProfileListEntry {
    display_name: string;
    slug: string;
    description: string;
    default: boolean;
    kubespawner_override: KubespawnerOverride;
}

/**
 * The node selector terms of a required node affinity: KubeSpawner's `node_affinity_required` takes
 * the terms. A profile's override replaces the list z2jh builds from `matchNodePurpose: require`, so
 * the user-node rule is added to the profile's own terms here (preferences are not overridden).
 */
function selectorTerms(nodeAffinity: NodeAffinity, matchNodePurpose: NodePurposeMatch): NodeSelectorTerm[] {
    const required = withNodePurpose(nodeAffinity, "user", matchNodePurpose === "require" ? "require" : "ignore");
    return required.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

/**
 * The profile list. GPU profiles request the pool's GPU resource, tolerate its taint and require its
 * label; CPU profiles request no GPU and require nodes without a GPU pool label, so they never land
 * on (expensive) GPU nodes. Bad input throws, naming `profiles[i].<key>`.
 */
export function buildProfileList(
    profiles: Profile[],
    images: { cpu: pulumi.Input<string>; gpu?: pulumi.Input<string> },
    gpuPlacements: Record<string, GpuPlacement>,
    matchNodePurpose: NodePurposeMatch = "ignore",
): ProfileListEntry[] {
    // Callers other than the platform may pass unchecked profiles: the same rules the config parse runs.
    const poolNames = Object.keys(gpuPlacements);
    const pools = Object.values(gpuPlacements).map((p) => ({ name: p.poolName, gpusPerNode: p.gpusPerNode }));
    assertNoProblems(profileRules(profiles, { gpuPools: pools, gpuImage: images.gpu !== undefined }), { profiles });
    const marked = profiles.findIndex((p) => p.default);
    return profiles.map((p, i): ProfileListEntry => {
        const memory = { guarantee: byteSpecification(p.memory.guarantee), limit: byteSpecification(p.memory.limit) };
        const image = p.image === "gpu" ? images.gpu! : images.cpu;
        const poolName = p.gpus > 0 ? gpuPoolNameOf(p, poolNames) : undefined;
        const placement = poolName === undefined ? undefined : gpuPlacements[poolName];
        const override: KubespawnerOverride = {
            image: checkedDigestReference(image, `profiles[${i}].image`),
            cpu_guarantee: p.cpu.guarantee,
            cpu_limit: p.cpu.limit,
            mem_guarantee: memory.guarantee,
            mem_limit: memory.limit,
            node_affinity_required: selectorTerms(placement ? gpuNodeAffinity(placement) : avoidGpuNodesAffinity(), matchNodePurpose),
        };
        if (placement) {
            // Extended resources need only a limit; Kubernetes sets the request equal to it.
            override.extra_resource_limits = { [placement.resourceName]: String(p.gpus) };
            override.tolerations = [gpuToleration(placement)];
        }
        return {
            display_name: p.displayName,
            slug: p.name,
            description: p.description,
            default: i === (marked >= 0 ? marked : 0),
            kubespawner_override: override,
        };
    });
}

// ---------------------------------------------------------------------------------------------
// The values
// ---------------------------------------------------------------------------------------------

/** Egress from notebook pods to the in-cluster registry (NetworkPolicy peer labels and port). */
export interface RegistryEgress {
    /** Labels of the registry pods. Required. */
    podLabels: Record<string, string>;
    /** Labels of the registry's namespace. Default: the hub's own namespace. */
    namespaceLabels?: Record<string, string>;
    /** The registry's container port. Default: 5000 */
    port?: number;
}

export interface HubValuesInput {
    /** The hub section of the platform config (auth, exposure, storage, culling, pre-puller, scheduling). Required. */
    hub: HubConfig;
    /** Notebook profiles. Required (at least one). */
    profiles: Profile[];
    /** Notebook images by digest: `cpu` is the default, `gpu` serves profiles with image gpu. Required: cpu. */
    images: { cpu: pulumi.Input<string>; gpu?: pulumi.Input<string> };
    /** GPU placements keyed by pool name, in pool order. Default: none. */
    gpuPlacements?: Record<string, GpuPlacement>;
    /** UID of the notebook user. Required. */
    uid: number;
    /** GID owning notebook homes (pod fsGroup). Required. */
    gid: number;
    /**
     * Secret leaves. cookieSecret and proxyToken: when absent, the chart generates them (hub.generatedSecrets
     * chart) and keeps them in its hub Secret. For shared-password auth hubPassword, and
     * hubAdminPassword when admins are listed; oauthClientSecret for OAuth.
     */
    secrets: {
        cookieSecret?: pulumi.Input<string>;
        proxyToken?: pulumi.Input<string>;
        hubPassword?: pulumi.Input<string>;
        hubAdminPassword?: pulumi.Input<string>;
        oauthClientSecret?: pulumi.Input<string>;
    };
    /** Spark client-mode wiring of notebook pods. Default: none. */
    spark?: NotebookSparkWiring;
    /** Registry pull secret in the hub namespace. Default: none. */
    imagePullSecretName?: pulumi.Input<string>;
    /** StorageClass of homes and the hub database (a retained class). Default: the cluster default. */
    homeStorageClass?: pulumi.Input<string>;
    /** Claim of the shared data volume, when hub.storage.shared.enabled. Default: none. */
    sharedClaimName?: pulumi.Input<string>;
    /** Egress to the in-cluster registry. Default: none. */
    registryEgress?: RegistryEgress;
    /** Helm release name, used for the ingress TLS secret. Default: jupyterhub */
    releaseName?: string;
    /** Keep the hub database claim when the release is uninstalled. Default: false */
    protect?: boolean;
    /** How hub pods (core) and user pods use the hub.jupyter.org/node-purpose labels. Default: prefer (the chart's) */
    matchNodePurpose?: NodePurposeMatch;
    /** The user-scheduler's kube-scheduler image, of the cluster's minor (components/cluster/kubernetesVersions.ts). Default: the chart's (v1.30) */
    userSchedulerImage?: ChartImage;
    /** Mirrors of the chart's third-party images, pinned by digest (config `images`); they win over userSchedulerImage. Default: the chart's */
    thirdPartyImages?: Partial<Record<ChartImageKey, pulumi.Input<string>>>;
}

/**
 * The chart's values: free-form as a whole (hub.extraValues may add any key); the Kubernetes objects
 * inside them are built with the Kubernetes types.
 */
export type HubValues = Record<string, unknown>;

/** The name of the Secret cert-manager writes the ingress certificate to. */
export function ingressTlsSecretName(releaseName: string): string {
    return `${releaseName}-tls`;
}

/** SharedPasswordAuthenticator refuses to start with shorter passwords (jupyterhub/authenticators/shared.py). */
export const SHARED_PASSWORD_MIN_LENGTH = 8;
export const ADMIN_PASSWORD_MIN_LENGTH = 32;

/**
 * A secret checked for the authenticator's minimum length: now when it is a plain string, else when
 * it resolves. The message names the key, never the value.
 */
function checkedLength(value: pulumi.Input<string>, key: string, min: number): pulumi.Output<string> {
    const check = (v: string) => {
        if (typeof v === "string" && v.length < min) {
            throw new Error(`${key} must be at least ${min} characters (got ${v.length}); set it with: pulumi config set --secret ${key} <value>`);
        }
        return v;
    };
    return pulumi.secret(typeof value === "string" ? check(value) : pulumi.output(value).apply(check));
}

function authConfig(input: HubValuesInput): Record<string, Record<string, unknown>> {
    const { auth } = input.hub;
    const authenticator: Record<string, unknown> = {};
    if (auth.admins.length > 0) {
        authenticator.admin_users = auth.admins;
    }
    if (auth.allowedUsers.length > 0) {
        authenticator.allowed_users = auth.allowedUsers;
    }
    const required = (value: pulumi.Input<string> | undefined, key: string): pulumi.Input<string> => {
        if (value === undefined) {
            throw new Error(`secrets.${key} is required for hub.auth.type ${auth.type}; set it with: pulumi config set --secret ${key} <value>`);
        }
        return value;
    };
    const secret = (value: pulumi.Input<string> | undefined, key: string) => pulumi.secret(required(value, key));
    switch (auth.type) {
        case "shared-password": {
            // JupyterHub's SharedPasswordAuthenticator (5.3+): users share one password, admins another.
            const shared: Record<string, unknown> = {
                user_password: checkedLength(required(input.secrets.hubPassword, "hubPassword"), "hubPassword", SHARED_PASSWORD_MIN_LENGTH),
            };
            if (auth.admins.length > 0) {
                shared.admin_password = checkedLength(required(input.secrets.hubAdminPassword, "hubAdminPassword"), "hubAdminPassword", ADMIN_PASSWORD_MIN_LENGTH);
            }
            // JupyterHub 5 lets in only allowed users (admins included) unless allow_all: without an
            // allowed-users list, whoever knows the shared password may log in, as intended.
            const allowed =
                auth.allowedUsers.length > 0 ? { allowed_users: [...new Set([...auth.allowedUsers, ...auth.admins])] } : { allow_all: true };
            return {
                JupyterHub: { authenticator_class: "shared-password" },
                Authenticator: { ...authenticator, ...allowed },
                SharedPasswordAuthenticator: shared,
            };
        }
        case "github": {
            const gh = auth.github!;
            return {
                JupyterHub: { authenticator_class: "github" },
                Authenticator: authenticator,
                GitHubOAuthenticator: {
                    client_id: gh.clientId,
                    client_secret: secret(input.secrets.oauthClientSecret, "oauthClientSecret"),
                    oauth_callback_url: gh.callbackUrl,
                    // read:org lets the authenticator see private organization membership.
                    scope: ["read:org"],
                    ...(gh.organizations.length > 0 ? { allowed_organizations: gh.organizations } : {}),
                },
            };
        }
        case "oidc": {
            const oidc = auth.oidc!;
            const groups =
                oidc.allowedGroups.length > 0
                    ? {
                          // OAuthenticator 17 refuses allowed_groups without manage_groups, and reads groups from
                          // auth_state (the userinfo response is stored under oauth_user); claim_groups_key is deprecated.
                          manage_groups: true,
                          auth_state_groups_key: "oauth_user.groups",
                          allowed_groups: oidc.allowedGroups,
                      }
                    : {};
            return {
                JupyterHub: { authenticator_class: "generic-oauth" },
                Authenticator: authenticator,
                GenericOAuthenticator: {
                    client_id: oidc.clientId,
                    client_secret: secret(input.secrets.oauthClientSecret, "oauthClientSecret"),
                    oauth_callback_url: oidc.callbackUrl,
                    authorize_url: oidc.authorizeUrl,
                    token_url: oidc.tokenUrl,
                    userdata_url: oidc.userdataUrl,
                    username_claim: oidc.usernameClaim,
                    scope: oidc.scopes,
                    ...groups,
                },
            };
        }
    }
}

function exposureValues(hub: HubConfig, releaseName: string): { proxy: Record<string, unknown>; ingress?: Record<string, unknown> } {
    const exposure = hub.exposure;
    switch (exposure.type) {
        case "port-forward":
            return { proxy: { service: { type: "ClusterIP" } } };
        case "load-balancer":
            return { proxy: { service: { type: "LoadBalancer" } } };
        case "ingress": {
            const host = exposure.host!;
            return {
                proxy: { service: { type: "ClusterIP" } },
                ingress: {
                    enabled: true,
                    ingressClassName: exposure.ingressClassName,
                    annotations: { [CERT_MANAGER_ISSUER_ANNOTATION]: exposure.clusterIssuer },
                    hosts: [host],
                    tls: [{ hosts: [host], secretName: ingressTlsSecretName(releaseName) }],
                },
            };
        }
        case "letsencrypt": {
            const host = exposure.host!;
            return {
                proxy: {
                    service: { type: "LoadBalancer" },
                    https: { enabled: true, type: "letsencrypt", hosts: [host], letsencrypt: { contactEmail: exposure.contactEmail! } },
                    // traefik asks the internet for new versions and sends usage data unless told not to.
                    traefik: { extraStaticConfig: { global: { checkNewVersion: false, sendAnonymousUsage: false } } },
                },
            };
        }
    }
}

/** Images that profiles use besides the default one, for the pre-pullers (which need `{name, tag}`). */
function extraPrePullImages(input: HubValuesInput): Record<string, { name: pulumi.Input<string>; tag: pulumi.Input<string> }> {
    const usesGpuImage = input.profiles.some((p) => p.image === "gpu");
    return usesGpuImage && input.images.gpu !== undefined ? { "notebook-gpu": chartImage(input.images.gpu) } : {};
}

/**
 * The complete z2jh values. Throws, naming the key, on input the chart or KubeSpawner would reject
 * or silently ignore.
 */
export function buildHubValues(input: HubValuesInput): HubValues {
    const { hub } = input;
    // Callers other than the platform may pass unchecked settings: the same rules the config parse
    // runs. They guarantee the auth and exposure details of their type (asserted below with !).
    assertNoProblems(hubRules(hub), { hub });
    const releaseName = input.releaseName ?? "jupyterhub";
    const placements = input.gpuPlacements ?? {};
    const matchNodePurpose = input.matchNodePurpose ?? "prefer";
    const profileList = buildProfileList(input.profiles, input.images, placements, matchNodePurpose);

    const extraVolumes: k8s.types.input.core.v1.Volume[] = [];
    const extraVolumeMounts: k8s.types.input.core.v1.VolumeMount[] = [];
    if (hub.storage.shared.enabled) {
        if (input.sharedClaimName === undefined) {
            throw new Error("sharedClaimName is required when hub.storage.shared.enabled is true");
        }
        extraVolumes.push({ name: SHARED_VOLUME_NAME, persistentVolumeClaim: { claimName: input.sharedClaimName } });
        extraVolumeMounts.push({ name: SHARED_VOLUME_NAME, mountPath: hub.storage.shared.mountPath });
    }
    if (input.spark) {
        extraVolumes.push({ name: SPARK_CONF_VOLUME_NAME, configMap: { name: input.spark.configMapName } });
        extraVolumeMounts.push({ name: SPARK_CONF_VOLUME_NAME, mountPath: input.spark.confDir, readOnly: true });
        const eventLog = input.spark.eventLogVolume;
        if (eventLog) {
            // The driver writes its event log here; without the mount SparkContext cannot start.
            extraVolumes.push({ name: SPARK_EVENT_LOG_VOLUME_NAME, persistentVolumeClaim: { claimName: eventLog.claimName } });
            extraVolumeMounts.push({ name: SPARK_EVENT_LOG_VOLUME_NAME, mountPath: eventLog.mountPath });
        }
    }

    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [];
    if (input.registryEgress) {
        const r = input.registryEgress;
        egress.push({
            to: [
                {
                    podSelector: { matchLabels: r.podLabels },
                    ...(r.namespaceLabels ? { namespaceSelector: { matchLabels: r.namespaceLabels } } : {}),
                },
            ],
            ports: [{ port: r.port ?? REGISTRY_PORT, protocol: "TCP" }],
        });
    }

    // Pre-pull on GPU nodes too (the pullers only need to tolerate the taint), so a GPU profile does
    // not wait for a cold pull of the large CUDA image.
    const prePullTolerations = uniqueBy(
        profileList.flatMap((e) => e.kubespawner_override.tolerations ?? []),
        (t) => JSON.stringify(t),
    );

    const { proxy, ingress } = exposureValues(hub, releaseName);
    const cpuImage = chartImage(input.images.cpu);
    const auth = authConfig(input);

    const values: HubValues = {
        hub: {
            config: {
                ...auth,
                JupyterHub: {
                    ...auth.JupyterHub,
                    ...(input.secrets.cookieSecret !== undefined ? { cookie_secret: pulumi.secret(input.secrets.cookieSecret) } : {}),
                },
                KubeSpawner: {
                    // KubeSpawner deletes a home claim when its user or named server is deleted; homes outlive both.
                    delete_pvc: false,
                    // Notebook pods meet the `restricted` Pod Security Standard (the chart sets the UID, GID and fsGroup).
                    pod_security_context: { ...RESTRICTED_POD_SECURITY_CONTEXT },
                    container_security_context: { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT, runAsNonRoot: true },
                },
            },
            extraConfig: {
                "ds-platform-pvc-storage-class": PVC_STORAGE_CLASS_NAME_ONLY,
                ...(input.spark ? { "ds-platform-user-isolation": USER_ISOLATION_CONFIG } : {}),
            },
            db: {
                pvc: {
                    ...(input.homeStorageClass !== undefined ? { storageClassName: input.homeStorageClass } : {}),
                    // The chart's hub database claim is deleted by `helm uninstall` unless Helm is told to keep it.
                    ...(input.protect ? { annotations: { ...HELM_KEEP_ANNOTATION } } : {}),
                },
            },
            networkPolicy: { enabled: true },
        },
        proxy: {
            ...proxy,
            ...(input.secrets.proxyToken !== undefined ? { secretToken: pulumi.secret(input.secrets.proxyToken) } : {}),
            chp: { networkPolicy: { enabled: true } },
        },
        ...(ingress ? { ingress } : {}),
        singleuser: {
            image: {
                ...cpuImage,
                ...(input.imagePullSecretName !== undefined ? { pullSecrets: [input.imagePullSecretName] } : {}),
            },
            profileList,
            uid: input.uid,
            fsGid: input.gid,
            allowPrivilegeEscalation: false,
            // Each user's pod runs as that user's ServiceAccount, set by the hub at spawn (USER_ISOLATION_CONFIG).
            ...(input.spark ? { extraEnv: { ...input.spark.env }, extraLabels: { ...input.spark.podLabels } } : {}),
            // No privileged init container: the chart's NetworkPolicy (egressAllowRules.cloudMetadataServer
            // false) keeps notebooks from the cloud metadata address, and the pods pass `restricted`.
            cloudMetadata: { blockWithIptables: false },
            // Homes are dynamic PVCs that KubeSpawner creates per user, outside Helm's release: helm
            // upgrade and uninstall never delete them, and delete_pvc is off (hub.config above). Their
            // StorageClass is the retained one, so even a claim deleted by hand leaves its volume behind.
            storage: {
                type: "dynamic",
                capacity: hub.storage.homeCapacity,
                homeMountPath: HOME_MOUNT_PATH,
                dynamic: {
                    ...(input.homeStorageClass !== undefined ? { storageClass: input.homeStorageClass } : {}),
                    storageAccessModes: ["ReadWriteOnce"],
                },
                ...(extraVolumes.length > 0 ? { extraVolumes, extraVolumeMounts } : {}),
            },
            networkPolicy: {
                enabled: true,
                // Added to the chart's rules (hub, proxy, DNS, public internet); the Spark component's own
                // NetworkPolicies open the driver and executor ports. Nothing here widens the defaults.
                ...(egress.length > 0 ? { egress } : {}),
            },
        },
        ...(input.spark ? { custom: { [USER_ISOLATION_CUSTOM_KEY]: input.spark.userIsolation } } : {}),
        scheduling: {
            corePods: { nodeAffinity: { matchNodePurpose } },
            userPods: { nodeAffinity: { matchNodePurpose } },
            userScheduler: {
                enabled: hub.scheduling.userScheduler,
                ...(input.userSchedulerImage ? { image: { name: input.userSchedulerImage.name, tag: input.userSchedulerImage.tag } } : {}),
            },
            podPriority: { enabled: hub.scheduling.podPriority },
            userPlaceholder: { enabled: hub.scheduling.userPlaceholders > 0, replicas: hub.scheduling.userPlaceholders },
        },
        prePuller: {
            // The chart's pullers are off: the platform's pre-puller (imagePrePuller.ts) replaces both,
            // reading extraImages and extraTolerations from here.
            hook: { enabled: false },
            continuous: { enabled: false },
            extraImages: extraPrePullImages(input),
            ...(prePullTolerations.length > 0 ? { extraTolerations: prePullTolerations } : {}),
        },
        cull: {
            enabled: hub.culling.enabled,
            timeout: hub.culling.timeoutSeconds,
            every: hub.culling.everySeconds,
            maxAge: hub.culling.maxAgeSeconds,
        },
    };
    for (const [key, paths] of Object.entries(CHART_IMAGE_PATHS) as [ChartImageKey, readonly (readonly string[])[]][]) {
        const ref = input.thirdPartyImages?.[key];
        if (ref !== undefined) {
            paths.forEach((p) => setPath(values, p, chartImage(ref)));
        } else if (key === "pause") {
            // The placeholders and the pre-puller run the chart's pause image pinned by digest.
            paths.forEach((p) => setPath(values, p, { ...DEFAULT_PAUSE_IMAGE }));
        }
    }
    return values;
}

/** Where the z2jh chart takes each third-party image (`{name, tag}` objects). */
export const CHART_IMAGE_PATHS = {
    hub: [["hub", "image"]],
    proxy: [["proxy", "chp", "image"]],
    traefik: [["proxy", "traefik", "image"]],
    secretSync: [["proxy", "secretSync", "image"]],
    userScheduler: [["scheduling", "userScheduler", "image"]],
    pause: [
        ["scheduling", "userPlaceholder", "image"],
        ["prePuller", "pause", "image"],
    ],
    networkTools: [["singleuser", "networkTools", "image"]],
} as const satisfies Partial<Record<keyof ImagesConfig, readonly (readonly string[])[]>>;

export type ChartImageKey = keyof typeof CHART_IMAGE_PATHS;

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
    let node = root;
    for (const key of path.slice(0, -1)) {
        const child = (node[key] ?? {}) as Record<string, unknown>;
        node[key] = child;
        node = child;
    }
    node[path[path.length - 1]] = value;
}
