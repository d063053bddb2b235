/**
 * JupyterHub from the Zero to JupyterHub chart, as a Helm release. The values come from
 * `buildHubValues`; this component adds what needs resources: generated secrets, the optional shared
 * data volume, the image pre-puller the release waits for, and the release itself.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ChartSource, chartReference } from "../shared/helmChart";
import { HubConfig } from "../config/config";
import { buildHubValues, HubValues, HubValuesInput } from "./hubValues";
import { prePullerDaemonSet } from "./imagePrePuller";
import { supplementaryRbac, USER_SCHEDULER_SERVICE_ACCOUNT, UserSchedulerPin } from "../cluster/kubernetesVersions";

/** The chart's name in its repository. */
export const HUB_CHART_NAME = "jupyterhub";
/** The Service in front of the proxy (the chart names it without a release prefix by default). */
export const PROXY_PUBLIC_SERVICE = "proxy-public";
/** Local port of the documented port-forward. */
export const PORT_FORWARD_LOCAL_PORT = 8080;

/**
 * The release's chart arguments for the configured source: an http(s) repository becomes
 * `repositoryOpts.repo`, an `oci://` repository names the chart inside it, anything else is a local
 * chart directory or archive. One implementation serves every chart the platform installs.
 */
export function hubChartReference(source: ChartSource): ReturnType<typeof chartReference> {
    return chartReference(source, HUB_CHART_NAME);
}

/** Where users reach the hub, and how to get there when that takes a step. */
export function hubAccess(exposure: HubConfig["exposure"], namespace: string): { url: string; hint: string } {
    switch (exposure.type) {
        case "ingress":
        case "letsencrypt":
            return { url: `https://${exposure.host}`, hint: `Open https://${exposure.host}` };
        case "load-balancer":
            return {
                url: `http://${PROXY_PUBLIC_SERVICE}.${namespace}`,
                hint: `External address: kubectl --namespace ${namespace} get service ${PROXY_PUBLIC_SERVICE} --output jsonpath='{.status.loadBalancer.ingress[0]}'`,
            };
        case "port-forward":
            return {
                url: `http://localhost:${PORT_FORWARD_LOCAL_PORT}`,
                hint: `kubectl --namespace ${namespace} port-forward service/${PROXY_PUBLIC_SERVICE} ${PORT_FORWARD_LOCAL_PORT}:80`,
            };
    }
}

const isPlainMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * `extra` deep-merged over `values`, as Helm layers a second values file over the first: mappings
 * merge key by key, lists and scalars (null included, which Helm reads as "remove the chart's
 * default") replace. Neither argument is modified.
 */
export function mergeHubValues(values: HubValues, extra: Record<string, unknown>): HubValues {
    const merged: HubValues = { ...values };
    for (const [key, value] of Object.entries(extra)) {
        merged[key] = isPlainMapping(value) && isPlainMapping(merged[key]) ? mergeHubValues(merged[key], value) : value;
    }
    return merged;
}

/** The values-builder inputs the component passes through as given (documented on HubValuesInput). */
type PassedThrough =
    | "hub"
    | "profiles"
    | "images"
    | "gpuPlacements"
    | "uid"
    | "gid"
    | "spark"
    | "imagePullSecretName"
    | "homeStorageClass"
    | "registryEgress"
    | "matchNodePurpose"
    | "thirdPartyImages";

export interface JupyterHubArgs extends Pick<HubValuesInput, PassedThrough> {
    /** Namespace of the hub and notebook pods (created by the platform). Required. */
    namespace: pulumi.Input<string>;
    /**
     * hubPassword (and hubAdminPassword when admins are listed) for shared-password auth, oauthClientSecret
     * for github/oidc. Default: {} (the ones the auth type needs are required).
     */
    secrets?: { hubPassword?: pulumi.Input<string>; hubAdminPassword?: pulumi.Input<string>; oauthClientSecret?: pulumi.Input<string> };
    /** Protect stateful resources (shared volume, hub database claim) from deletion. Required. */
    protect: boolean;
    /** Helm release name. Default: jupyterhub */
    releaseName?: string;
    /** Seconds Helm waits for the release (the pre-pull before it has its own bound). Default: 1200 */
    timeoutSeconds?: number;
    /**
     * The user-scheduler of the cluster's Kubernetes minor: its kube-scheduler image and the RBAC it
     * needs beyond the chart's ClusterRole (`userSchedulerPin`). Default: the chart's scheduler (v1.30).
     */
    userScheduler?: UserSchedulerPin;
}

/** The hub: a z2jh Helm release with generated secrets and an optional shared data volume. */
export class JupyterHub extends pulumi.ComponentResource {
    /** The hub URL (https://<host>, the in-cluster proxy address, or http://localhost:8080 for port-forward). */
    public readonly url: pulumi.Output<string>;
    /** How to reach the hub (the port-forward command, how to find the load balancer). */
    public readonly accessHint: pulumi.Output<string>;
    /** Namespace of the release. */
    public readonly namespace: pulumi.Output<string>;
    /** Helm release name. */
    public readonly releaseName: pulumi.Output<string>;
    /** The Helm values, as a secret (they hold the hub's secrets). */
    public readonly values: pulumi.Output<pulumi.Unwrap<HubValues>>;
    /** The shared data claim's name, when hub.storage.shared.enabled. */
    public readonly sharedClaimName?: pulumi.Output<string>;

    constructor(name: string, args: JupyterHubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:hub:JupyterHub", name, {}, opts);
        const releaseName = args.releaseName ?? "jupyterhub";
        const gpuPlacements = args.gpuPlacements ?? {};
        const secrets = args.secrets ?? {};
        const timeoutSeconds = args.timeoutSeconds ?? 1200;
        const hub = args.hub;
        const userScheduler = hub.scheduling.userScheduler ? args.userScheduler : undefined;

        // Generated once and kept in state: changing them would log every user out. With
        // generatedSecrets chart, z2jh generates them at install and keeps them in its hub Secret.
        const generated =
            hub.generatedSecrets === "pulumi"
                ? {
                      cookieSecret: new random.RandomBytes(`${name}-cookie-secret`, { length: 32 }, { parent: this }).hex,
                      proxyToken: new random.RandomBytes(`${name}-proxy-token`, { length: 32 }, { parent: this }).hex,
                  }
                : {};

        let sharedClaim: k8s.core.v1.PersistentVolumeClaim | undefined;
        if (hub.storage.shared.enabled) {
            sharedClaim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-shared`,
                {
                    metadata: {
                        name: `${releaseName}-shared-data`,
                        namespace: args.namespace,
                        labels: { "app.kubernetes.io/part-of": "ds-platform", "app.kubernetes.io/component": "shared-data" },
                    },
                    spec: {
                        accessModes: ["ReadWriteMany"],
                        ...(hub.storage.shared.storageClass ? { storageClassName: hub.storage.shared.storageClass } : {}),
                        resources: { requests: { storage: hub.storage.shared.capacity } },
                    },
                },
                { parent: this, protect: args.protect, retainOnDelete: args.protect },
            );
            this.sharedClaimName = sharedClaim.metadata.name;
        }

        const values = buildHubValues({
            hub,
            profiles: args.profiles,
            images: args.images,
            gpuPlacements,
            uid: args.uid,
            gid: args.gid,
            secrets: {
                ...generated,
                hubPassword: secrets.hubPassword,
                hubAdminPassword: secrets.hubAdminPassword,
                oauthClientSecret: secrets.oauthClientSecret,
            },
            matchNodePurpose: args.matchNodePurpose,
            thirdPartyImages: args.thirdPartyImages,
            userSchedulerImage: userScheduler ? { name: userScheduler.image.repository, tag: userScheduler.image.tag } : undefined,
            spark: args.spark,
            imagePullSecretName: args.imagePullSecretName,
            homeStorageClass: args.homeStorageClass,
            sharedClaimName: sharedClaim?.metadata.name,
            registryEgress: args.registryEgress,
            releaseName,
            protect: args.protect,
        });
        // hub.extraValues go over the resolved values, so they can reach into any generated setting.
        const withExtra = pulumi.output(values).apply((v) => mergeHubValues(v as HubValues, hub.extraValues));
        // The whole values document is secret: it carries the cookie secret, proxy token and auth secrets.
        this.values = pulumi.secret(withExtra);

        // The chart's user-scheduler ClusterRole is system:kube-scheduler of 1.30; a newer scheduler's
        // informers are refused without these rules, and it never schedules a pod.
        const schedulerAccess: pulumi.Resource[] = [];
        if (userScheduler && userScheduler.extraRules.length > 0) {
            const rbac = supplementaryRbac({
                name: pulumi.interpolate`ds-platform-${args.namespace}-user-scheduler`,
                rules: userScheduler.extraRules,
                serviceAccount: { namespace: args.namespace, name: USER_SCHEDULER_SERVICE_ACCOUNT },
                labels: { "app.kubernetes.io/component": "user-scheduler", "ds-platform.io/kubernetes-version": userScheduler.kubernetesVersion },
            });
            const role = new k8s.rbac.v1.ClusterRole(`${name}-user-scheduler`, rbac.clusterRole, { parent: this });
            schedulerAccess.push(role, new k8s.rbac.v1.ClusterRoleBinding(`${name}-user-scheduler`, rbac.clusterRoleBinding, { parent: this, dependsOn: [role] }));
        }

        // The platform's image pre-puller, before the release: with hook, the release waits for it,
        // and a pull that cannot succeed fails within prePuller.timeoutSeconds, naming the pod.
        const prePull: pulumi.Resource[] = [];
        if (hub.prePuller.hook || hub.prePuller.continuous) {
            const timeout = `${hub.prePuller.timeoutSeconds}s`;
            // Only images, tolerations and node rules are read: nothing of the values' secrets reaches the DaemonSet.
            const daemonSet = pulumi.all([pulumi.unsecret(withExtra), args.namespace]).apply(([v, namespace]) =>
                prePullerDaemonSet({ values: v, namespace, labels: { "app.kubernetes.io/part-of": "ds-platform" }, awaited: hub.prePuller.hook }),
            );
            const prePuller = new k8s.apps.v1.DaemonSet(
                `${name}-image-prepuller`,
                { metadata: daemonSet.metadata, spec: daemonSet.spec },
                { parent: this, customTimeouts: { create: timeout, update: timeout } },
            );
            if (hub.prePuller.hook) {
                prePull.push(prePuller);
            }
        }

        const release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: releaseName,
                ...hubChartReference(hub.chart),
                namespace: args.namespace,
                createNamespace: false,
                values: this.values,
                // A failed upgrade rolls back instead of leaving a half-upgraded hub.
                atomic: true,
                timeout: timeoutSeconds,
            },
            { parent: this, dependsOn: [...(sharedClaim ? [sharedClaim] : []), ...schedulerAccess, ...prePull] },
        );

        this.namespace = release.namespace;
        this.releaseName = release.name;
        const access = pulumi.output(args.namespace).apply((ns) => hubAccess(hub.exposure, ns));
        this.url = access.url;
        this.accessHint = access.hint;

        this.registerOutputs({
            url: this.url,
            accessHint: this.accessHint,
            namespace: this.namespace,
            releaseName: this.releaseName,
            values: this.values,
            sharedClaimName: this.sharedClaimName,
        });
    }
}
