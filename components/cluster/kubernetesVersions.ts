/**
 * What the platform runs next to a cluster of a given Kubernetes minor version: ONE table, keyed by
 * minor, of the components that must match the control plane.
 *
 * - kube-scheduler for z2jh's user-scheduler. A kube-scheduler may be at most one minor older than
 *   the API server and never newer; z2jh 4.4.0 ships v1.30 whatever the cluster is. The same minor
 *   as the cluster is always within the skew policy.
 * - cluster-autoscaler, whose minor is meant to match the cluster's (its chart 9.46.6 ships v1.32).
 * - The EKS managed add-ons the AWS cluster installs (`addonVersion`; unset, EKS installs its
 *   default of the day and `pulumi up` never moves it).
 * - The RBAC rules a kube-scheduler (and cluster-autoscaler) of that minor needs beyond what the
 *   charts' own ClusterRoles grant.
 *
 * `aws.kubernetesVersion` (and `cluster.kubernetesVersion` on kubeconfig clusters) accept exactly the
 * minors of this table: a new minor is supported by adding a row here, with its sources.
 *
 * Sources, for every row:
 * - kube-scheduler: the Kubernetes patch release the matching cluster-autoscaler release is built
 *   against (k8s.io/kubernetes in cluster-autoscaler/go.mod at tag cluster-autoscaler-<version> of
 *   kubernetes/autoscaler), published as registry.k8s.io/kube-scheduler:<tag> with every release.
 * - cluster-autoscaler: the newest cluster-autoscaler-1.<minor>.<patch> tag of kubernetes/autoscaler,
 *   published as registry.k8s.io/autoscaling/cluster-autoscaler:v<version>.
 * - EKS add-ons, 1.31-1.34: vpc-cni, kube-proxy and coredns from the EKS User Guide's version tables
 *   (docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html, managing-kube-proxy.html,
 *   managing-coredns.html, late 2025); aws-ebs-csi-driver, and every add-on of 1.35, from
 *   `aws eks describe-addon-versions --kubernetes-version <minor>` (newest compatible version) as
 *   recorded in cookpad/terraform-aws-eks versions.tf (1.31: Feb 2025, 1.32: Apr 2025, 1.33 and
 *   1.34: Nov 2025, 1.35: Mar 2026).
 * - RBAC: the system:kube-scheduler ClusterRole of each minor (kubernetes/kubernetes
 *   plugin/pkg/auth/authorizer/rbac/bootstrappolicy, testdata/cluster-roles.yaml), as
 *   zero-to-jupyterhub-k8s tracked it when it moved its user-scheduler from 1.30 to 1.35 (commit
 *   80bb6e47, templates/scheduling/user-scheduler/rbac.yaml): 1.31 leases and leasecandidates,
 *   1.32 volumeattachments, 1.33 unchanged, 1.34 Dynamic Resource Allocation (deviceclasses,
 *   resourceclaims, resourceclaims/status, pods/finalizers, resourceslices), 1.35 unchanged; and
 *   the cluster-autoscaler chart's ClusterRole, which gained resource.k8s.io read access when
 *   cluster-autoscaler 1.35 locked --enable-dynamic-resource-allocation to true (kubernetes/autoscaler
 *   commit d4a3ca1d, chart 9.54.0).
 */

/** The EKS managed add-ons the AWS cluster installs, in install order. */
export const EKS_ADDONS = ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"] as const;
export type EksAddon = (typeof EKS_ADDONS)[number];

/** Repositories of the upstream images the table pins by release tag. */
export const KUBE_SCHEDULER_REPOSITORY = "registry.k8s.io/kube-scheduler";
export const CLUSTER_AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler";

/** What runs beside a cluster of one minor version. */
export interface KubernetesVersionPins {
    /** Tag of registry.k8s.io/kube-scheduler for the user-scheduler. */
    kubeScheduler: string;
    /** Tag of registry.k8s.io/autoscaling/cluster-autoscaler. */
    clusterAutoscaler: string;
    /** `addonVersion` of each EKS managed add-on. */
    eksAddons: Record<EksAddon, string>;
}

export const KUBERNETES_VERSIONS = {
    "1.31": {
        kubeScheduler: "v1.31.13",
        clusterAutoscaler: "v1.31.5",
        eksAddons: { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.31.13-eksbuild.2", coredns: "v1.11.4-eksbuild.24", "aws-ebs-csi-driver": "v1.39.0-eksbuild.1" },
    },
    "1.32": {
        kubeScheduler: "v1.32.12",
        clusterAutoscaler: "v1.32.7",
        eksAddons: { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.32.9-eksbuild.2", coredns: "v1.11.4-eksbuild.24", "aws-ebs-csi-driver": "v1.41.0-eksbuild.1" },
    },
    "1.33": {
        kubeScheduler: "v1.33.13",
        clusterAutoscaler: "v1.33.6",
        eksAddons: { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.33.5-eksbuild.2", coredns: "v1.12.4-eksbuild.1", "aws-ebs-csi-driver": "v1.53.0-eksbuild.1" },
    },
    "1.34": {
        kubeScheduler: "v1.34.9",
        clusterAutoscaler: "v1.34.5",
        eksAddons: { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.34.1-eksbuild.2", coredns: "v1.12.4-eksbuild.1", "aws-ebs-csi-driver": "v1.53.0-eksbuild.1" },
    },
    "1.35": {
        kubeScheduler: "v1.35.6",
        clusterAutoscaler: "v1.35.2",
        eksAddons: { "vpc-cni": "v1.21.1-eksbuild.3", "kube-proxy": "v1.35.0-eksbuild.2", coredns: "v1.13.2-eksbuild.1", "aws-ebs-csi-driver": "v1.56.0-eksbuild.1" },
    },
} as const satisfies Record<string, KubernetesVersionPins>;

/** A Kubernetes minor version the platform supports, such as "1.33". */
export type KubernetesVersion = keyof typeof KUBERNETES_VERSIONS;

/** The supported minors, oldest first: the config schema's enum. */
export const SUPPORTED_KUBERNETES_VERSIONS = Object.keys(KUBERNETES_VERSIONS) as [KubernetesVersion, ...KubernetesVersion[]];

/** The pins of a supported minor; throws, naming the supported ones, for anything else. */
export function versionPins(version: string): KubernetesVersionPins {
    const pins = (KUBERNETES_VERSIONS as Record<string, KubernetesVersionPins>)[version];
    if (!pins) {
        throw new Error(`Kubernetes ${version} is not in the version table (components/cluster/kubernetesVersions.ts); supported: ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}`);
    }
    return pins;
}

/** An image as repository and tag (the charts' `image.{name|repository,tag}`). */
export interface PinnedImage {
    repository: string;
    tag: string;
}

/** The full reference of a pinned image, `repository:tag`. */
export function imageReference(image: PinnedImage): string {
    return `${image.repository}:${image.tag}`;
}

export function kubeSchedulerImage(version: string): PinnedImage {
    return { repository: KUBE_SCHEDULER_REPOSITORY, tag: versionPins(version).kubeScheduler };
}

export function clusterAutoscalerImage(version: string): PinnedImage {
    return { repository: CLUSTER_AUTOSCALER_REPOSITORY, tag: versionPins(version).clusterAutoscaler };
}

/**
 * Every upstream image reference the table pins. These are exact release tags of registry.k8s.io,
 * which never re-tags a release; they are not yet pinned by digest (a mirror override will do that).
 */
export function tabledUpstreamImages(): string[] {
    return SUPPORTED_KUBERNETES_VERSIONS.flatMap((v) => [imageReference(kubeSchedulerImage(v)), imageReference(clusterAutoscalerImage(v))]);
}

// ---------------------------------------------------------------------------------------------
// RBAC the charts lack for newer minors
// ---------------------------------------------------------------------------------------------

/** An rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
}

const READ = ["get", "list", "watch"];
const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** The minor number of "1.33". */
function minorOf(version: string): number {
    const m = /^1\.(\d+)$/.exec(version);
    if (!m) {
        throw new Error(`not a Kubernetes minor version such as 1.33: ${version}`);
    }
    return Number(m[1]);
}

/**
 * z2jh names the user-scheduler's objects from its helpers with `fullnameOverride: ""` (the chart
 * default, which the platform keeps): ServiceAccount `user-scheduler`, leader-election Lease
 * `user-scheduler-lock`, both in the release namespace (templates/_helpers-names.tpl).
 */
export const USER_SCHEDULER_SERVICE_ACCOUNT = "user-scheduler";
export const USER_SCHEDULER_LOCK = "user-scheduler-lock";

/**
 * Rules a kube-scheduler of `version` needs that z2jh 4.4.0's user-scheduler ClusterRole (a copy of
 * system:kube-scheduler of 1.30) lacks, each from the minor that introduced it. Without them the
 * scheduler's informers are refused and it never schedules a pod.
 */
export function userSchedulerExtraRules(version: string): PolicyRule[] {
    const minor = minorOf(version);
    const rules: { since: number; rule: PolicyRule }[] = [
        // Leader election as kube-scheduler 1.31+ does it (coordinated leader election's candidates).
        { since: 31, rule: { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [USER_SCHEDULER_LOCK], verbs: ["get", "list", "update", "watch"] } },
        { since: 31, rule: { apiGroups: ["coordination.k8s.io"], resources: ["leasecandidates"], verbs: ALL } },
        // NodeVolumeLimits counts attachments from 1.32.
        { since: 32, rule: { apiGroups: ["storage.k8s.io"], resources: ["volumeattachments"], verbs: READ } },
        // Dynamic Resource Allocation, on by default from 1.34.
        { since: 34, rule: { apiGroups: ["resource.k8s.io"], resources: ["deviceclasses"], verbs: READ } },
        { since: 34, rule: { apiGroups: ["resource.k8s.io"], resources: ["resourceclaims"], verbs: ["get", "list", "patch", "update", "watch"] } },
        { since: 34, rule: { apiGroups: ["resource.k8s.io"], resources: ["resourceclaims/status"], verbs: ["get", "list", "patch", "update", "watch"] } },
        { since: 34, rule: { apiGroups: [""], resources: ["pods/finalizers"], verbs: ["update"] } },
        { since: 34, rule: { apiGroups: ["resource.k8s.io"], resources: ["resourceslices"], verbs: READ } },
    ];
    return rules.filter((r) => minor >= r.since).map((r) => r.rule);
}

/** Rules cluster-autoscaler of `version` needs that the cluster-autoscaler chart 9.46.6's ClusterRole lacks. */
export function clusterAutoscalerExtraRules(version: string): PolicyRule[] {
    const minor = minorOf(version);
    // 1.35 always watches Dynamic Resource Allocation objects (--enable-dynamic-resource-allocation locked to true).
    return minor >= 35 ? [{ apiGroups: ["resource.k8s.io"], resources: ["resourceslices", "deviceclasses", "resourceclaims"], verbs: READ }] : [];
}

/** The ClusterRole and ClusterRoleBinding granting `rules` to a ServiceAccount. */
export function supplementaryRbac<S>(settings: { name: S; rules: PolicyRule[]; serviceAccount: { namespace: S; name: string }; labels?: Record<string, string> }) {
    const metadata = { name: settings.name, labels: { "app.kubernetes.io/part-of": "ds-platform", ...(settings.labels ?? {}) } };
    return {
        clusterRole: { apiVersion: "rbac.authorization.k8s.io/v1" as const, kind: "ClusterRole" as const, metadata, rules: settings.rules },
        clusterRoleBinding: {
            apiVersion: "rbac.authorization.k8s.io/v1" as const,
            kind: "ClusterRoleBinding" as const,
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: settings.name },
            subjects: [{ kind: "ServiceAccount", name: settings.serviceAccount.name, namespace: settings.serviceAccount.namespace }],
        },
    };
}

/** What the hub needs to run its user-scheduler on a cluster of a known minor. */
export interface UserSchedulerPin {
    kubernetesVersion: KubernetesVersion;
    /** The kube-scheduler image (`scheduling.userScheduler.image`). */
    image: PinnedImage;
    /** Rules to grant the user-scheduler's ServiceAccount beyond the chart's ClusterRole. */
    extraRules: PolicyRule[];
}

/** The user-scheduler pins of a minor, or undefined when the cluster's version is unknown (the chart's own). */
export function userSchedulerPin(version: KubernetesVersion | undefined): UserSchedulerPin | undefined {
    return version === undefined ? undefined : { kubernetesVersion: version, image: kubeSchedulerImage(version), extraRules: userSchedulerExtraRules(version) };
}

/**
 * The cluster's minor version: `aws.kubernetesVersion` for a cluster the platform creates,
 * `cluster.kubernetesVersion` for an existing one (undefined when not given).
 */
export function clusterKubernetesVersion(config: {
    cluster: { provider: string; kubernetesVersion?: KubernetesVersion };
    aws?: { kubernetesVersion: KubernetesVersion };
}): KubernetesVersion | undefined {
    return config.cluster.provider === "aws" ? config.aws?.kubernetesVersion : config.cluster.kubernetesVersion;
}
