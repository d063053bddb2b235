/**
 * The third-party images of the hub chart, copied into the platform's own registry inside the stack
 * (`registry.mirrorImages`): each source is pulled (`docker.RemoteImage`), tagged into the registry
 * (`docker.Tag`) and pushed (`docker.RegistryImage`), and the platform runs the pushed copy by its
 * digest. Nodes then pull nothing from public registries, and a source tag that moves upstream
 * changes nothing until the next `pulumi up` pulls it again.
 *
 * `mirrorPlan` is pure: which images the stack runs, from where, to where. `ImageMirror` declares
 * the Docker resources; it needs the Docker provider plugin and a Docker daemon where `pulumi up`
 * runs.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HubConfig, ImagesConfig } from "../config/config";
import { imageReference, PinnedImage } from "../cluster/kubernetesVersions";
import { ChartImageKey } from "../hub/hubValues";
import { DEFAULT_PAUSE_IMAGE } from "../hub/imagePrePuller";
import { ImageRegistry, registryAuth } from "../image/notebookImage";

/** The images of z2jh 4.4.0's values.yaml (the pause image pinned by digest). */
export const Z2JH_IMAGES: Record<ChartImageKey, string> = {
    hub: "quay.io/jupyterhub/k8s-hub:4.4.0",
    proxy: "quay.io/jupyterhub/configurable-http-proxy:5.2.0",
    traefik: "traefik:v3.6.12",
    secretSync: "quay.io/jupyterhub/k8s-secret-sync:4.4.0",
    userScheduler: "registry.k8s.io/kube-scheduler:v1.30.14",
    pause: `${DEFAULT_PAUSE_IMAGE.name}:${DEFAULT_PAUSE_IMAGE.tag}`,
    networkTools: "quay.io/jupyterhub/k8s-network-tools:4.4.0",
};

/** The repository prefix of the copies in the platform's registry. */
export const MIRROR_PREFIX = "ds-platform-mirror";

/** One image to copy. */
export interface MirrorEntry {
    /** The `images` key the copy replaces. */
    key: ChartImageKey;
    /** Where it is pulled from: `images.<key>` when set, else the chart's (or the version table's) image. */
    source: string;
    /** The copy's repository inside the registry, `ds-platform-mirror/<name>`. */
    repository: string;
    /** The copy's tag: the source's tag, or `mirror` for a source given by digest only. */
    tag: string;
}

export interface MirrorPlanInput {
    /** The hub section: which optional parts run (user-scheduler, placeholders, pre-puller, letsencrypt). Required. */
    hub: HubConfig;
    /** Mirrors already given in config: the sources of those keys. Default: none. */
    images?: ImagesConfig;
    /** The user-scheduler of the cluster's minor (`userSchedulerPin`). Default: the chart's. */
    userScheduler?: PinnedImage;
}

/** The repository's last path segment and the tag of a reference (`name:tag`, `name@sha256:…`, `name:tag@sha256:…`). */
function nameAndTag(ref: string): { name: string; tag: string } {
    const withoutDigest = ref.split("@")[0];
    const slash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    const hasTag = colon > slash;
    const repository = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
    return { name: repository.slice(repository.lastIndexOf("/") + 1), tag: hasTag ? withoutDigest.slice(colon + 1) : "mirror" };
}

/** The third-party images this stack's hub runs, in a stable order, each with its source and target. */
export function mirrorPlan(input: MirrorPlanInput): MirrorEntry[] {
    const { hub } = input;
    const runs: Record<ChartImageKey, boolean> = {
        hub: true,
        proxy: true,
        userScheduler: hub.scheduling.userScheduler,
        pause: hub.scheduling.userPlaceholders > 0 || hub.prePuller.hook || hub.prePuller.continuous,
        traefik: hub.exposure.type === "letsencrypt",
        secretSync: hub.exposure.type === "letsencrypt",
        // The metadata address is blocked by NetworkPolicy, not by the chart's iptables init container.
        networkTools: false,
    };
    const defaults: Record<ChartImageKey, string> = {
        ...Z2JH_IMAGES,
        ...(input.userScheduler ? { userScheduler: imageReference(input.userScheduler) } : {}),
    };
    return (Object.keys(runs) as ChartImageKey[])
        .filter((key) => runs[key])
        .map((key) => {
            const source = input.images?.[key] ?? defaults[key];
            const { name, tag } = nameAndTag(source);
            return { key, source, repository: `${MIRROR_PREFIX}/${name}`, tag };
        });
}

export interface ImageMirrorArgs {
    /** What to copy (`mirrorPlan`). Required. */
    plan: MirrorEntry[];
    /** The platform's registry (`Registry` outputs): copies are pushed to its push address, run from its server. Required. */
    registry: ImageRegistry;
}

/** The copies, pushed by Pulumi; `refs` gives each as `<server>/<repository>@sha256:<digest>`. */
export class ImageMirror extends pulumi.ComponentResource {
    /** Each mirrored image's reference by digest, keyed like `images`. */
    public readonly refs: Partial<Record<ChartImageKey, pulumi.Output<string>>>;

    constructor(name: string, args: ImageMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:registry:ImageMirror", name, {}, opts);
        const pushServer = args.registry.pushServer ?? args.registry.server;
        const provider = new docker.Provider(`${name}-docker`, { registryAuth: registryAuth(args.registry) }, { parent: this });
        const opt = { parent: this, provider };
        this.refs = Object.fromEntries(
            args.plan.map((entry) => {
                const pulled = new docker.RemoteImage(`${name}-${entry.key}`, { name: entry.source, keepLocally: true }, opt);
                const target = pulumi.interpolate`${pushServer}/${entry.repository}:${entry.tag}`;
                const tagged = new docker.Tag(`${name}-${entry.key}`, { sourceImage: pulled.repoDigest, targetImage: target }, opt);
                // Pushed again whenever the pulled image changes; left in the registry on destroy, where
                // running pods may still need it.
                const pushed = new docker.RegistryImage(
                    `${name}-${entry.key}`,
                    { name: tagged.targetImage, keepRemotely: true, triggers: { source: pulled.repoDigest } },
                    opt,
                );
                return [entry.key, pulumi.interpolate`${args.registry.server}/${entry.repository}@${pushed.sha256Digest}`];
            }),
        );
        this.registerOutputs({ refs: this.refs });
    }
}
