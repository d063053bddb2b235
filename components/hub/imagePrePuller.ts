/**
 * The image pre-puller: a DaemonSet on the user nodes whose init containers pull every image a user
 * pod can start (the notebook images of the profiles and the chart's extra images), then idle on a
 * pause container.
 *
 * It replaces the chart's own pre-pullers. z2jh's hook puller runs in Helm's pre-install phase, where
 * its PriorityClass does not exist yet (the chart creates it after the hooks), and a pull that fails
 * keeps Helm waiting in silence until its timeout. Declared by Pulumi before the release and awaited
 * with a bound instead, a pull that cannot succeed fails `pulumi up` within that bound, and Pulumi's
 * message names the pod and the cluster's reason (an image that cannot be pulled, a pod that cannot
 * be scheduled). The release is only installed or upgraded once every user node holds the images.
 *
 * Pure: what it reads are the hub's final chart values (`extraValues` included), so it pulls what
 * the chart will run.
 */
import type * as k8s from "@pulumi/kubernetes";
import { z } from "zod";
import { NodeAffinity, NodePurposeMatch, withNodePurpose } from "../cluster/nodePurpose";
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT, RESTRICTED_POD_SECURITY_CONTEXT } from "../shared/security";
import { uniqueBy } from "../shared/unique";

/** The DaemonSet's name in the hub namespace. */
export const PRE_PULLER_NAME = "image-prepuller";

/**
 * The pause image of the placeholders and the pre-puller when `images.pause` is unset: z2jh 4.4.0's
 * (`prePuller.pause.image`, `scheduling.userPlaceholder.image`), pinned by its digest.
 */
export const DEFAULT_PAUSE_IMAGE = {
    name: "registry.k8s.io/pause",
    tag: "3.10.1@sha256:278fb9dbcca9518083ad1e11276933a2e96f23de604a3a08cc3c80002767d24c",
} as const;

/** z2jh's default `scheduling.userPods.tolerations`: user pods tolerate the dedicated-user taint. */
export const CHART_USER_POD_TOLERATIONS: readonly k8s.types.input.core.v1.Toleration[] = [
    { key: "hub.jupyter.org/dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
    { key: "hub.jupyter.org_dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
];

/** The unprivileged user the pullers run as (z2jh's pullers use the same). */
const NOBODY = 65534;

const chartImage = z.object({ name: z.string(), tag: z.union([z.string(), z.number()]).nullish() });
const tolerations = z
    .array(
        z.object({
            key: z.string().nullish(),
            operator: z.string().nullish(),
            value: z.string().nullish(),
            effect: z.string().nullish(),
            tolerationSeconds: z.number().nullish(),
        }),
    )
    .nullish();
const override = z.object({ image: z.string().nullish() }).nullish();

/** The part of the chart values the pre-puller reads; the rest is ignored. */
const valuesView = z.object({
    imagePullSecrets: z.array(z.union([z.string(), z.object({ name: z.string() })])).nullish(),
    singleuser: z.object({
        image: chartImage.extend({ pullSecrets: z.array(z.union([z.string(), z.object({ name: z.string() })])).nullish() }),
        nodeSelector: z.record(z.string(), z.string()).nullish(),
        extraTolerations: tolerations,
        profileList: z
            .array(
                z.object({
                    kubespawner_override: override,
                    profile_options: z
                        .record(z.string(), z.object({ choices: z.record(z.string(), z.object({ kubespawner_override: override })).nullish() }))
                        .nullish(),
                }),
            )
            .nullish(),
    }),
    prePuller: z
        .object({
            extraImages: z.record(z.string(), chartImage).nullish(),
            extraTolerations: tolerations,
            pause: z.object({ image: chartImage.nullish() }).nullish(),
            pullProfileListImages: z.boolean().nullish(),
        })
        .nullish(),
    scheduling: z
        .object({
            userPods: z
                .object({
                    tolerations,
                    nodeAffinity: z.object({ matchNodePurpose: z.enum(["require", "prefer", "ignore"] satisfies NodePurposeMatch[]).nullish() }).nullish(),
                })
                .nullish(),
        })
        .nullish(),
});

export interface PrePullerInput {
    /** The hub's final chart values, resolved. Required. */
    values: Record<string, unknown>;
    /** Namespace of the hub. Required. */
    namespace: string;
    /** Labels of every platform object, added to the DaemonSet and its pods. Default: none. */
    labels?: Record<string, string>;
    /** Whether `pulumi up` waits for every node to hold the images (the hook). Default: true */
    awaited?: boolean;
}

/** A DaemonSet's arguments, with the parts Pulumi requires. */
export interface DaemonSetManifest {
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    spec: k8s.types.input.apps.v1.DaemonSetSpec;
}

function imageOf(image: z.infer<typeof chartImage>): string {
    return image.tag !== undefined && image.tag !== null && `${image.tag}` !== "" ? `${image.name}:${image.tag}` : image.name;
}

/** Every image a user pod can start, in the chart's order, each once. */
export function prePulledImages(values: Record<string, unknown>): string[] {
    return imagesOf(valuesView.parse(values));
}

function imagesOf(v: z.infer<typeof valuesView>): string[] {
    const images = [imageOf(v.singleuser.image)];
    if (v.prePuller?.pullProfileListImages !== false) {
        for (const profile of v.singleuser.profileList ?? []) {
            images.push(...[profile.kubespawner_override?.image].filter((i): i is string => !!i));
            for (const option of Object.values(profile.profile_options ?? {})) {
                for (const choice of Object.values(option.choices ?? {})) {
                    images.push(...[choice.kubespawner_override?.image].filter((i): i is string => !!i));
                }
            }
        }
    }
    images.push(...Object.values(v.prePuller?.extraImages ?? {}).map(imageOf));
    return [...new Set(images)];
}

/**
 * The pre-puller DaemonSet: on every node a user pod may run on (the chart's user-pod node selector,
 * node purpose and tolerations), one init container per image, then a pause container. Restricted
 * Pod Security, no token, no network use; its pods have the default priority, above the
 * placeholders', so they find room on nodes the placeholders fill.
 */
export function prePullerDaemonSet(input: PrePullerInput): DaemonSetManifest {
    const v = valuesView.parse(input.values);
    const images = imagesOf(v);
    const pause = imageOf(v.prePuller?.pause?.image ?? DEFAULT_PAUSE_IMAGE);
    const labels = { ...input.labels, "app.kubernetes.io/name": PRE_PULLER_NAME, "app.kubernetes.io/component": PRE_PULLER_NAME };
    const selector = { "app.kubernetes.io/name": PRE_PULLER_NAME, "app.kubernetes.io/component": PRE_PULLER_NAME };
    const match = v.scheduling?.userPods?.nodeAffinity?.matchNodePurpose ?? "prefer";
    const affinity: NodeAffinity = withNodePurpose({}, "user", match);
    const pullSecrets = [...(v.imagePullSecrets ?? []), ...(v.singleuser.image.pullSecrets ?? [])].map((s) => (typeof s === "string" ? s : s.name));
    const toleration: k8s.types.input.core.v1.Toleration[] = [
        ...(v.scheduling?.userPods?.tolerations ?? CHART_USER_POD_TOLERATIONS),
        ...(v.singleuser.extraTolerations ?? []),
        ...(v.prePuller?.extraTolerations ?? []),
    ].map((t) => Object.fromEntries(Object.entries(t).filter(([, x]) => x !== null && x !== undefined)));
    const securityContext = { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT, runAsUser: NOBODY, runAsGroup: NOBODY };
    // Nothing runs but `echo` and pause: the smallest requests the scheduler accounts for.
    const resources = { requests: { cpu: "1m", memory: "8Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
    return {
        metadata: {
            name: PRE_PULLER_NAME,
            namespace: input.namespace,
            labels,
            // Not waited for, it pulls while the hub starts.
            ...(input.awaited === false ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}),
        },
        spec: {
            selector: { matchLabels: selector },
            // Every node pulls at once: the pods do nothing but pull.
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
            template: {
                metadata: { labels },
                spec: {
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    terminationGracePeriodSeconds: 0,
                    securityContext: { ...RESTRICTED_POD_SECURITY_CONTEXT, runAsUser: NOBODY, runAsGroup: NOBODY },
                    ...(Object.keys(v.singleuser.nodeSelector ?? {}).length > 0 ? { nodeSelector: v.singleuser.nodeSelector ?? {} } : {}),
                    ...(affinity.requiredDuringSchedulingIgnoredDuringExecution ? { affinity: { nodeAffinity: affinity } } : {}),
                    ...(toleration.length > 0 ? { tolerations: uniqueBy(toleration, (t) => JSON.stringify(t)) } : {}),
                    ...(pullSecrets.length > 0 ? { imagePullSecrets: [...new Set(pullSecrets)].map((name) => ({ name })) } : {}),
                    initContainers: images.map((image, i) => ({
                        name: `pull-${i}`,
                        image,
                        imagePullPolicy: "IfNotPresent",
                        command: ["/bin/sh", "-c", "echo Pulling complete"],
                        securityContext,
                        resources,
                    })),
                    containers: [{ name: "pause", image: pause, imagePullPolicy: "IfNotPresent", securityContext, resources }],
                },
            },
        },
    };
}
