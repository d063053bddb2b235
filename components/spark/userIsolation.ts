/**
 * Per-user isolation of client-mode Spark: pure builders of every object that keeps one user's
 * notebook away from another user's, and from the platform.
 *
 * - Each user's notebook pod runs as a ServiceAccount of its own (`notebook-<user>`), which has no
 *   rights in the platform namespace.
 * - Each user's executors run in a namespace of their own (`<prefix>-<user>`), where only that
 *   user's ServiceAccount may manage pods (the ClusterRole `<platform>-spark-driver`, bound there).
 *   RBAC cannot scope `list` or `watch` by label, so a namespace per user is what keeps one user's
 *   driver from reading another's executors.
 * - The API server itself refuses, in executor namespaces, every pod that is not an executor as the
 *   platform defines it (a ValidatingAdmissionPolicy) and every pod below the `restricted` Pod
 *   Security Standard (Pod Security Admission labels).
 * - The hub creates the per-user objects before each spawn, from templates rendered here with
 *   placeholders; a second policy confines what the hub may write to its own namespace and the
 *   executor namespaces it labels. Executor namespaces are owned by the driver ClusterRole, so the
 *   garbage collector deletes them when the platform is destroyed.
 */
import type * as k8s from "@pulumi/kubernetes";
import { SparkConfig } from "../config/config";
import { PRIVATE_IPV4 } from "../shared/network";
import { podSecurityLabels } from "../shared/security";
import {
    EXECUTOR_NAMESPACE_ENV,
    EXECUTOR_SERVICE_ACCOUNT,
    EXECUTORS_OF_LABEL,
    NOTEBOOK_SERVICE_ACCOUNT,
    PolicyRule,
    SPARK_DRIVER_LABELS,
    SPARK_EXECUTOR_LABELS,
    sparkDriverRoleRules,
    sparkPortRanges,
    tcp,
    USER_LABEL,
} from "./sparkConf";

export { EXECUTOR_NAMESPACE_ENV, EXECUTORS_OF_LABEL, USER_LABEL };

/** Replaced by the hub with the user's name as a Kubernetes name (KubeSpawner's safe slug). */
export const USER_PLACEHOLDER = "$(USER)";
/** Replaced by the hub with the user's executor namespace, `<prefix>-<user>`. */
export const USER_NAMESPACE_PLACEHOLDER = "$(USER_NAMESPACE)";
/** Each user's notebook pods run as `notebook-<user>` in the platform namespace. */
export const NOTEBOOK_SERVICE_ACCOUNT_TEMPLATE = `${NOTEBOOK_SERVICE_ACCOUNT}-${USER_PLACEHOLDER}`;
/** The driver's RoleBinding in each executor namespace. */
export const DRIVER_ROLE_BINDING = "spark-driver";
/** The executor-pod quota in each executor namespace. */
export const EXECUTOR_QUOTA = "spark-executors";
/** The executors' NetworkPolicy in each executor namespace. */
export const EXECUTOR_NETWORK_POLICY = "spark-executors";
/** The NetworkPolicy in the platform namespace that lets a user's executors reach that user's drivers. */
export const DRIVER_NETWORK_POLICY_TEMPLATE = `spark-driver-${USER_PLACEHOLDER}`;
/** The ServiceAccount of z2jh's hub (the chart's default name). */
export const HUB_SERVICE_ACCOUNT = "hub";
/** Field manager of the hub's server-side applies. */
export const HUB_FIELD_MANAGER = "ds-platform-hub";
/** Kubernetes names are DNS labels of at most 63 characters. */
export const MAX_NAMESPACE_LENGTH = 63;
/** At least this many characters of a user's name fit in their executor namespace's name. */
export const MIN_USER_SLUG_LENGTH = 16;

/** The ClusterRole every user's driver is granted in that user's executor namespace only. */
export function driverClusterRoleName(hubNamespace: string): string {
    return `${hubNamespace}-spark-driver`;
}

/** The ClusterRole that lets the hub create the per-user objects. */
export function hubClusterRoleName(hubNamespace: string): string {
    return `${hubNamespace}-hub-user-namespaces`;
}

/** The ValidatingAdmissionPolicies (and their bindings), by what they admit. */
export function admissionPolicyNames(hubNamespace: string): { executorPods: string; executorClaims: string; hubScope: string; hubBindings: string } {
    return {
        executorPods: `${hubNamespace}-spark-executor-pods`,
        executorClaims: `${hubNamespace}-spark-executor-claims`,
        hubScope: `${hubNamespace}-hub-scope`,
        hubBindings: `${hubNamespace}-hub-bindings`,
    };
}

/** The default prefix of executor namespaces: `<platform namespace>-u`, so a user's is `<platform namespace>-u-<user>`. */
export function defaultExecutorNamespacePrefix(hubNamespace: string): string {
    return `${hubNamespace}-u`;
}

/** The longest prefix that leaves MIN_USER_SLUG_LENGTH characters for the user. */
export const MAX_EXECUTOR_NAMESPACE_PREFIX = MAX_NAMESPACE_LENGTH - 1 - MIN_USER_SLUG_LENGTH;

export interface UserIsolationInput {
    /** The platform namespace: hub, proxy and notebook pods. */
    hubNamespace: string;
    /** Executor namespaces are `<prefix>-<user>`. */
    executorNamespacePrefix: string;
    /** Ports, caps and egress of the platform's Spark settings. */
    spark: Pick<SparkConfig, "driverPort" | "blockManagerPort" | "sessionsPerNotebook" | "executorPublicEgress" | "maxExecutorPods" | "maxExecutorGpus" | "onDemandPvc">;
    /** Extended resources GPU executors request (e.g. nvidia.com/gpu); the quota caps each. */
    gpuResources: string[];
    /** Pull secret of the image, copied by the hub into every executor namespace. */
    imagePullSecretName?: string;
    /** Annotations of each user's notebook ServiceAccount (e.g. the notebook IRSA role). */
    notebookServiceAccountAnnotations?: Record<string, string>;
    /** Annotations of each executor namespace's executor ServiceAccount (e.g. the executor IRSA role). */
    executorServiceAccountAnnotations?: Record<string, string>;
}

/** An object the hub applies, with the REST path of its collection. */
export interface HubAppliedObject {
    path: string;
    manifest: Record<string, unknown>;
}

/** Everything the hub's pre-spawn and post-stop hooks need (z2jh `custom.dsPlatformUserIsolation`). */
export interface UserIsolationHookConfig {
    hubNamespace: string;
    executorNamespacePrefix: string;
    maxNamespaceLength: number;
    userLabel: string;
    executorsOfLabel: string;
    notebookServiceAccount: string;
    executorNamespaceEnv: string;
    fieldManager: string;
    /** The driver's ClusterRole: bound in each executor namespace, and the namespaces' owner. */
    driverClusterRole: string;
    /** Copied from the platform namespace into each executor namespace. */
    pullSecretName?: string;
    /** Applied in this order before every spawn. */
    objects: HubAppliedObject[];
    /** Deleted (as collections, by label) after every stop. */
    cleanup: { path: string; labelSelector: string }[];
}

const PLURALS: Record<string, string> = {
    Namespace: "namespaces",
    ServiceAccount: "serviceaccounts",
    RoleBinding: "rolebindings",
    ResourceQuota: "resourcequotas",
    NetworkPolicy: "networkpolicies",
};

/** The REST path of an object's collection, from its apiVersion, kind and namespace. */
export function collectionPath(manifest: { apiVersion: string; kind: string; metadata: { namespace?: string } }): string {
    const plural = PLURALS[manifest.kind];
    if (plural === undefined) {
        throw new Error(`collectionPath: no REST path known for kind ${manifest.kind}; known: ${Object.keys(PLURALS).join(", ")}`);
    }
    const group = manifest.apiVersion.includes("/") ? `/apis/${manifest.apiVersion}` : `/api/${manifest.apiVersion}`;
    const ns = manifest.metadata.namespace;
    return ns === undefined ? `${group}/${plural}` : `${group}/namespaces/${ns}/${plural}`;
}

/** The user's notebook pods (the drivers), seen from another namespace. */
function userDrivers(hubNamespace: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return {
        podSelector: { matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: USER_PLACEHOLDER } },
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": hubNamespace } },
    };
}

/** The user's executors, seen from the platform namespace. */
function userExecutors(): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return {
        podSelector: { matchLabels: { ...SPARK_EXECUTOR_LABELS } },
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": USER_NAMESPACE_PLACEHOLDER } },
    };
}

/** Labels of a user's executor namespace. */
export function executorNamespaceLabels(hubNamespace: string): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": "ds-platform",
        "app.kubernetes.io/component": "spark-executors",
        [EXECUTORS_OF_LABEL]: hubNamespace,
        [USER_LABEL]: USER_PLACEHOLDER,
        ...podSecurityLabels("restricted"),
    };
}

/** The executor-pod and GPU quota of one user: what that user's notebooks may hold at once. */
export function userQuotaHard(i: Pick<UserIsolationInput, "spark" | "gpuResources">): Record<string, string> {
    const hard: Record<string, string> = {};
    if (i.spark.maxExecutorPods > 0) {
        hard.pods = String(i.spark.maxExecutorPods);
    }
    for (const resource of i.gpuResources) {
        hard[`requests.${resource}`] = String(i.spark.maxExecutorGpus);
    }
    return hard;
}

/**
 * The per-user objects, with USER_PLACEHOLDER and USER_NAMESPACE_PLACEHOLDER, in the order the hub
 * applies them: the namespace, the identities, the driver's rights, the quota, the network policies.
 */
export function perUserObjects(i: UserIsolationInput): Record<string, unknown>[] {
    const ns = USER_NAMESPACE_PLACEHOLDER;
    const pullSecrets = i.imagePullSecretName ? [{ name: i.imagePullSecretName }] : undefined;
    const ports = sparkPortRanges(i.spark);
    const objects: Record<string, unknown>[] = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: executorNamespaceLabels(i.hubNamespace) },
        },
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: {
                name: NOTEBOOK_SERVICE_ACCOUNT_TEMPLATE,
                namespace: i.hubNamespace,
                labels: { "app.kubernetes.io/part-of": "ds-platform", [USER_LABEL]: USER_PLACEHOLDER },
                ...(i.notebookServiceAccountAnnotations ? { annotations: { ...i.notebookServiceAccountAnnotations } } : {}),
            },
            ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
        },
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: {
                name: EXECUTOR_SERVICE_ACCOUNT,
                namespace: ns,
                ...(i.executorServiceAccountAnnotations ? { annotations: { ...i.executorServiceAccountAnnotations } } : {}),
            },
            // No RBAC and no API token: executors only talk to their driver, each other and data stores.
            automountServiceAccountToken: false,
            ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: DRIVER_ROLE_BINDING, namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: driverClusterRoleName(i.hubNamespace) },
            subjects: [{ kind: "ServiceAccount", name: NOTEBOOK_SERVICE_ACCOUNT_TEMPLATE, namespace: i.hubNamespace }],
        },
    ];
    const hard = userQuotaHard(i);
    if (Object.keys(hard).length > 0) {
        objects.push({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: EXECUTOR_QUOTA, namespace: ns }, spec: { hard } });
    }
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
        { to: [userDrivers(i.hubNamespace)], ports: [tcp(ports.driver), tcp(ports.blockManager)] },
        { to: [{ podSelector: {} }], ports: [tcp(ports.blockManager)] },
        { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
    ];
    if (i.spark.executorPublicEgress) {
        egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_IPV4 } }] });
    }
    objects.push(
        {
            // Every pod of the namespace, labelled or not: in from the user's drivers and executors only.
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: EXECUTOR_NETWORK_POLICY, namespace: ns },
            spec: {
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [userDrivers(i.hubNamespace), { podSelector: {} }], ports: [tcp(ports.blockManager)] }],
                egress,
            },
        },
        {
            // The user's drivers accept that user's executors, and nobody else's, on the Spark ports.
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: DRIVER_NETWORK_POLICY_TEMPLATE, namespace: i.hubNamespace, labels: { "app.kubernetes.io/part-of": "ds-platform", [USER_LABEL]: USER_PLACEHOLDER } },
            spec: {
                podSelector: { matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: USER_PLACEHOLDER } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [userExecutors()], ports: [tcp(ports.driver), tcp(ports.blockManager)] }],
            },
        },
    );
    return objects;
}

/** What Spark leaves in an executor namespace: the hub deletes it when the user's server stops. */
export function cleanupSelectors(): { resource: string; labelSelector: string }[] {
    const executors = Object.entries(SPARK_EXECUTOR_LABELS).map(([k, v]) => `${k}=${v}`).join(",");
    return [
        { resource: "pods", labelSelector: executors },
        // The per-application executor ConfigMaps and on-demand claims carry Spark's application label.
        { resource: "configmaps", labelSelector: "spark-app-selector" },
        { resource: "persistentvolumeclaims", labelSelector: "spark-app-selector" },
    ];
}

/** The hooks' configuration. */
export function userIsolationHookConfig(i: UserIsolationInput): UserIsolationHookConfig {
    return {
        hubNamespace: i.hubNamespace,
        executorNamespacePrefix: i.executorNamespacePrefix,
        maxNamespaceLength: MAX_NAMESPACE_LENGTH,
        userLabel: USER_LABEL,
        executorsOfLabel: EXECUTORS_OF_LABEL,
        notebookServiceAccount: NOTEBOOK_SERVICE_ACCOUNT_TEMPLATE,
        executorNamespaceEnv: EXECUTOR_NAMESPACE_ENV,
        fieldManager: HUB_FIELD_MANAGER,
        driverClusterRole: driverClusterRoleName(i.hubNamespace),
        ...(i.imagePullSecretName ? { pullSecretName: i.imagePullSecretName } : {}),
        objects: perUserObjects(i).map((manifest) => ({
            path: collectionPath(manifest as { apiVersion: string; kind: string; metadata: { namespace?: string } }),
            manifest,
        })),
        cleanup: cleanupSelectors().map((c) => ({ path: `/api/v1/namespaces/${USER_NAMESPACE_PLACEHOLDER}/${c.resource}`, labelSelector: c.labelSelector })),
    };
}

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

/** The driver's rights, granted per user in that user's executor namespace only. */
export function driverClusterRoleArgs(hubNamespace: string, onDemandPvc: boolean): k8s.rbac.v1.ClusterRoleArgs {
    return {
        metadata: { name: driverClusterRoleName(hubNamespace), labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        rules: sparkDriverRoleRules({ onDemandPvc }),
    };
}

/**
 * What the hub needs beyond the chart's Role: create and update the per-user objects (server-side
 * apply: create, patch), bind only the driver ClusterRole, copy the pull secret (create, patch), and
 * delete what Spark leaves behind. Writes go through admission, and the hub-scope admission policy
 * confines all of them to the platform namespace and the executor namespaces; a patch returns the
 * object, so that is also the only place the hub could read a Secret through these rights.
 */
export function hubClusterRoleRules(hubNamespace: string): PolicyRule[] {
    // Server-side apply of an object that may not exist yet needs create and patch; reading is
    // needed only for namespaces (the hub checks a namespace of that name is the user's).
    const apply = ["create", "patch"];
    return [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get", ...apply] },
        { apiGroups: [""], resources: ["serviceaccounts", "resourcequotas"], verbs: apply },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: apply },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: apply },
        { apiGroups: [""], resources: ["secrets"], verbs: ["create", "patch"] },
        { apiGroups: [""], resources: ["pods", "configmaps", "persistentvolumeclaims"], verbs: ["deletecollection"] },
        // get: executor namespaces are owned by the driver ClusterRole, so deleting the platform deletes them.
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["get", "bind"], resourceNames: [driverClusterRoleName(hubNamespace)] },
    ];
}

export function hubClusterRoleArgs(hubNamespace: string): k8s.rbac.v1.ClusterRoleArgs {
    return {
        metadata: { name: hubClusterRoleName(hubNamespace), labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        rules: hubClusterRoleRules(hubNamespace),
    };
}

export function hubClusterRoleBindingArgs(hubNamespace: string): k8s.rbac.v1.ClusterRoleBindingArgs {
    return {
        metadata: { name: hubClusterRoleName(hubNamespace), labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: hubClusterRoleName(hubNamespace) },
        subjects: [{ kind: "ServiceAccount", name: HUB_SERVICE_ACCOUNT, namespace: hubNamespace }],
    };
}

// ---------------------------------------------------------------------------------------------
// Admission
// ---------------------------------------------------------------------------------------------

const cel = (s: string) => JSON.stringify(s).replace(/^"|"$/g, "'").replace(/\\"/g, '"');
const celList = (items: readonly string[]) => `[${items.map(cel).join(", ")}]`;

/** A CEL validation, refused as Forbidden (403) with its message, as RBAC refuses. */
export interface AdmissionValidation {
    expression: string;
    message: string;
    reason: "Forbidden";
}

/** What an executor pod must be: the images it may run (the notebook image and its GPU target, by digest), its UID and GID. */
export interface ExecutorPodRules {
    images: string[];
    uid: number;
    gid: number;
}

/** The CEL validations of an executor pod, each with the message the API server returns. */
export function executorPodValidations(i: ExecutorPodRules): AdmissionValidation[] {
    const labels = Object.entries(SPARK_EXECUTOR_LABELS);
    const sc = "object.spec.securityContext";
    const containerSc = (check: string) => `object.spec.containers.all(c, !has(c.securityContext) || (${check}))`;
    const images = [...new Set(i.images)];
    return forbidden([
        {
            expression: labels.map(([k, v]) => `has(object.metadata.labels) && ${cel(k)} in object.metadata.labels && object.metadata.labels[${cel(k)}] == ${cel(v)}`).join(" && "),
            message: `an executor pod carries the label ${labels.map(([k, v]) => `${k}=${v}`).join(",")}`,
        },
        {
            expression: `has(object.spec.serviceAccountName) && object.spec.serviceAccountName == ${cel(EXECUTOR_SERVICE_ACCOUNT)}`,
            message: `an executor pod runs as the ServiceAccount ${EXECUTOR_SERVICE_ACCOUNT}`,
        },
        {
            expression: `object.spec.containers.all(c, c.image in ${celList(images)})`,
            message: `an executor pod runs the platform's image by digest (${images.join(", ")})`,
        },
        {
            expression: "!has(object.spec.initContainers) && !has(object.spec.ephemeralContainers)",
            message: "an executor pod has no init or ephemeral containers",
        },
        {
            expression:
                `has(${sc}) && has(${sc}.runAsUser) && ${sc}.runAsUser == ${i.uid} && has(${sc}.runAsGroup) && ${sc}.runAsGroup == ${i.gid}` +
                ` && has(${sc}.runAsNonRoot) && ${sc}.runAsNonRoot && ` +
                containerSc(`(!has(c.securityContext.runAsUser) || c.securityContext.runAsUser == ${i.uid}) && (!has(c.securityContext.runAsGroup) || c.securityContext.runAsGroup == ${i.gid})`),
            message: `an executor pod runs as UID ${i.uid} and GID ${i.gid}, as the executor template's security context sets`,
        },
        {
            expression:
                "!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC) && " +
                containerSc(
                    "!(has(c.securityContext.privileged) && c.securityContext.privileged) && !(has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation) && (!has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add))",
                ),
            message: "an executor pod is not privileged: no host namespaces, no privileged container, no privilege escalation, no added capabilities",
        },
        {
            expression:
                "!has(object.spec.volumes) || object.spec.volumes.all(v, has(v.emptyDir) || has(v.configMap) || " +
                "(has(v.persistentVolumeClaim) && v.persistentVolumeClaim.claimName.matches('-exec-[0-9]+-pvc-[0-9]+$')) || " +
                "(has(v.projected) && v.projected.sources.all(s, has(s.serviceAccountToken) && has(s.serviceAccountToken.audience) && s.serviceAccountToken.audience == 'sts.amazonaws.com')))",
            message:
                "an executor pod mounts only emptyDir, ConfigMap and its own on-demand claims (<app>-exec-<id>-pvc-<n>): no hostPath, no Secret, no other claim, no API token",
        },
        {
            expression:
                "object.spec.containers.all(c, (!has(c.env) || c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef))) && (!has(c.envFrom) || c.envFrom.all(f, !has(f.secretRef))))",
            message: "an executor pod reads no Secret into its environment",
        },
        {
            expression: "!has(object.spec.priorityClassName) && (request.operation != 'CREATE' || !has(object.spec.nodeName))",
            message: "an executor pod names no PriorityClass and no node: the scheduler places it",
        },
    ]);
}

/** Each validation refused as Forbidden: the API server answers 403, naming the policy and the rule. */
function forbidden(validations: { expression: string; message: string }[]): AdmissionValidation[] {
    return validations.map((v) => ({ ...v, reason: "Forbidden" }));
}

/** The policy that admits only executor pods, as the platform defines them, into executor namespaces. */
export function executorPodPolicyArgs(i: ExecutorPodRules & { hubNamespace: string }): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
    return {
        metadata: { name: admissionPolicyNames(i.hubNamespace).executorPods, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: i.hubNamespace } },
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
            },
            validations: executorPodValidations(i),
        },
    };
}

/** The policy that keeps executor claims from binding an existing volume or cloning another claim. */
export function executorClaimPolicyArgs(hubNamespace: string): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
    return {
        metadata: { name: admissionPolicyNames(hubNamespace).executorClaims, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: hubNamespace } },
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["persistentvolumeclaims"] }],
            },
            validations: forbidden([
                {
                    expression: "!has(object.spec.volumeName) && !has(object.spec.dataSource) && !has(object.spec.dataSourceRef)",
                    message: "an executor claim is a new, empty volume: no volumeName, dataSource or dataSourceRef",
                },
            ]),
        },
    };
}

/**
 * The policy that confines the hub's cluster-wide rights: it writes only in the platform namespace and
 * in executor namespaces it labels as this platform's, with the `restricted` Pod Security level.
 */
export function hubScopePolicyArgs(hubNamespace: string, executorNamespacePrefix: string): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
    const hub = `system:serviceaccount:${hubNamespace}:${HUB_SERVICE_ACCOUNT}`;
    const ours = `${cel(EXECUTORS_OF_LABEL)} in %.metadata.labels && %.metadata.labels[${cel(EXECUTORS_OF_LABEL)}] == ${cel(hubNamespace)}`;
    const restricted = `'pod-security.kubernetes.io/enforce' in object.metadata.labels && object.metadata.labels['pod-security.kubernetes.io/enforce'] == 'restricted'`;
    return {
        metadata: { name: admissionPolicyNames(hubNamespace).hubScope, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["namespaces"] },
                    {
                        apiGroups: [""],
                        apiVersions: ["v1"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["serviceaccounts", "resourcequotas", "secrets", "pods", "configmaps", "persistentvolumeclaims"],
                    },
                    { apiGroups: ["networking.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["networkpolicies"] },
                    { apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["rolebindings"] },
                ],
            },
            matchConditions: [{ name: "the-hub", expression: `request.userInfo.username == ${cel(hub)}` }],
            validations: forbidden([
                {
                    expression:
                        `request.resource.resource != 'namespaces' || (object.metadata.name.startsWith(${cel(`${executorNamespacePrefix}-`)}) && ` +
                        `has(object.metadata.labels) && ${ours.replace(/%/g, "object")} && ${restricted})`,
                    message: `the hub creates only executor namespaces named ${executorNamespacePrefix}-<user>, labelled ${EXECUTORS_OF_LABEL}=${hubNamespace} and pod-security.kubernetes.io/enforce=restricted`,
                },
                {
                    expression:
                        `request.resource.resource == 'namespaces' || request.namespace == ${cel(hubNamespace)} || ` +
                        `(namespaceObject != null && has(namespaceObject.metadata.labels) && ${ours.replace(/%/g, "namespaceObject")})`,
                    message: `the hub writes only in ${hubNamespace} and the executor namespaces labelled ${EXECUTORS_OF_LABEL}=${hubNamespace}`,
                },
            ]),
        },
    };
}

/**
 * The policy that lets the hub grant nothing but the driver ClusterRole (a policy of its own, so that
 * its expressions are type-checked against RoleBindings only).
 */
export function hubBindingPolicyArgs(hubNamespace: string): k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs {
    const hub = `system:serviceaccount:${hubNamespace}:${HUB_SERVICE_ACCOUNT}`;
    const role = driverClusterRoleName(hubNamespace);
    return {
        metadata: { name: admissionPolicyNames(hubNamespace).hubBindings, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [{ apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["rolebindings"] }],
            },
            matchConditions: [{ name: "the-hub", expression: `request.userInfo.username == ${cel(hub)}` }],
            validations: forbidden([
                {
                    expression: `object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${cel(role)}`,
                    message: `the hub grants only the ClusterRole ${role}`,
                },
            ]),
        },
    };
}

/** Binds a policy to every request it matches, refusing what fails it. */
export function policyBindingArgs(policyName: string): k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingArgs {
    return {
        metadata: { name: policyName, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
        spec: { policyName, validationActions: ["Deny"] },
    };
}
