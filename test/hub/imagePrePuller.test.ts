/**
 * The platform's image pre-puller: what it pulls (read from the hub's final chart values), where it
 * runs, that it passes `restricted` Pod Security and the Kubernetes schema, and that the hub's
 * release waits for it only when prePuller.hook is on.
 */
import * as pulumi from "@pulumi/pulumi";
import { parsePlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { gpuPlacement } from "../../components/gpu/gpuNodePool";
import { buildHubValues, HubValuesInput } from "../../components/hub/hubValues";
import { DaemonSetManifest, DEFAULT_PAUSE_IMAGE, PRE_PULLER_NAME, prePulledImages, prePullerDaemonSet } from "../../components/hub/imagePrePuller";
import { JupyterHub } from "../../components/hub/jupyterHub";
import { mergeHubValues } from "../../components/hub/jupyterHub";
import { NODE_PURPOSE_LABEL } from "../../components/cluster/nodePurpose";
import { validateKubernetesObject } from "../helpers/kubeSchema";
import { fakeDigest, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { restrictedViolations } from "../helpers/podSecurity";

const CPU = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("prepull-cpu")}`;
const GPU = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("prepull-gpu")}`;
const PAUSE = `mirror.example.com/pause@sha256:${fakeDigest("prepull-pause")}`;

function input(raw: PlatformConfigInput, extra: Partial<HubValuesInput> = {}): HubValuesInput {
    const c = parsePlatformConfig(raw, { hubPassword: true, oauthClientSecret: true });
    return {
        hub: c.hub,
        profiles: c.profiles,
        images: { cpu: CPU, ...(c.image.gpu ? { gpu: GPU } : {}) },
        gpuPlacements: Object.fromEntries(c.gpuPools.map((p) => [p.name, gpuPlacement(p)])),
        uid: 1000,
        gid: 100,
        secrets: { hubPassword: "a-password-of-length", oauthClientSecret: "secret" },
        matchNodePurpose: c.cluster.matchNodePurpose,
        ...extra,
    };
}

/** The pod template's spec, as plain JSON (the builder returns plain values). */
function podOf(ds: DaemonSetManifest): any {
    return (ds.spec.template as any).spec;
}

const GPU_STACK: PlatformConfigInput = {
    image: { gpu: true },
    gpuPools: [{ name: "a10", gpusPerNode: 4 }],
    cluster: { provider: "kubeconfig", matchNodePurpose: "require" },
    profiles: [
        { name: "cpu", displayName: "CPU", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "2Gi", limit: "4Gi" }, default: true },
        { name: "gpu", displayName: "GPU", cpu: { guarantee: 2, limit: 4 }, memory: { guarantee: "8Gi", limit: "16Gi" }, gpus: 1, image: "gpu", gpuPool: "a10" },
    ],
};

/** The chart values as the release gets them: secrets and outputs resolved. */
async function values(i: HubValuesInput, extraValues: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    setupMocks();
    return mergeHubValues(unwrapSecrets(await valueOf(pulumi.output(buildHubValues(i)))), extraValues);
}

describe("prePulledImages", () => {
    it("pulls the default image and every profile's, each once", async () => {
        expect(prePulledImages(await values(input(GPU_STACK)))).toEqual([CPU, GPU]);
        expect(prePulledImages(await values(input({})))).toEqual([CPU]);
    });

    it("follows the chart values: extra images from hub.extraValues are pulled too", async () => {
        const extra = { prePuller: { extraImages: { tools: { name: "registry.example.com/tools", tag: "1.0" } } } };
        expect(prePulledImages(await values(input({}), extra))).toEqual([CPU, "registry.example.com/tools:1.0"]);
    });
});

describe("prePullerDaemonSet", () => {
    it("pulls each image in an init container and idles on the pinned pause image", async () => {
        const ds = prePullerDaemonSet({ values: await values(input(GPU_STACK)), namespace: "ds" });
        const pod = podOf(ds);
        expect(pod.initContainers.map((c: any) => c.image)).toEqual([CPU, GPU]);
        expect(pod.containers.map((c: any) => c.image)).toEqual([`${DEFAULT_PAUSE_IMAGE.name}:${DEFAULT_PAUSE_IMAGE.tag}`]);
        expect(ds.metadata.name).toBe(PRE_PULLER_NAME);
        const mirrored = prePullerDaemonSet({ values: await values(input({ images: { pause: PAUSE } }, { thirdPartyImages: { pause: PAUSE } })), namespace: "ds" });
        expect(podOf(mirrored).containers[0].image).toBe(PAUSE);
    });

    it("runs where user pods run: user nodes when required, GPU taints tolerated", async () => {
        const pod = podOf(prePullerDaemonSet({ values: await values(input(GPU_STACK)), namespace: "ds" }));
        expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
            { matchExpressions: [{ key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] }] },
        ]);
        const keys = pod.tolerations.map((t: any) => t.key);
        expect(keys).toEqual(expect.arrayContaining(["hub.jupyter.org/dedicated", "nvidia.com/gpu"]));
        expect(new Set(pod.tolerations.map((t: any) => JSON.stringify(t))).size).toBe(pod.tolerations.length);
        const prefer = podOf(prePullerDaemonSet({ values: await values(input({})), namespace: "ds" }));
        expect(prefer.affinity).toBeUndefined();
    });

    it("uses the registry's pull secret", async () => {
        const pod = podOf(prePullerDaemonSet({ values: await values(input({}, { imagePullSecretName: "registry-pull" })), namespace: "ds" }));
        expect(pod.imagePullSecrets).toEqual([{ name: "registry-pull" }]);
    });

    it("passes restricted Pod Security and the Kubernetes schema, with no token", async () => {
        const ds = prePullerDaemonSet({ values: await values(input(GPU_STACK)), namespace: "ds", labels: { "app.kubernetes.io/part-of": "ds-platform" } });
        expect(restrictedViolations(podOf(ds))).toEqual([]);
        expect(validateKubernetesObject({ apiVersion: "apps/v1", kind: "DaemonSet", ...ds })).toEqual([]);
        expect(podOf(ds).automountServiceAccountToken).toBe(false);
    });

    it("is not waited for when only continuous", async () => {
        const v = await values(input({}));
        expect(prePullerDaemonSet({ values: v, namespace: "ds", awaited: false }).metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
        expect(prePullerDaemonSet({ values: v, namespace: "ds" }).metadata.annotations).toBeUndefined();
    });
});

describe("JupyterHub and the pre-puller", () => {
    async function render(prePuller: { hook: boolean; continuous: boolean }) {
        const recorder = setupMocks();
        const dependsOn = new Map<string, string[]>();
        const options = new Map<string, pulumi.CustomResourceOptions>();
        const c = parsePlatformConfig({ hub: { prePuller } }, { hubPassword: true });
        const hub = new JupyterHub(
            "hub",
            { namespace: "ds", hub: c.hub, profiles: c.profiles, images: { cpu: CPU }, uid: 1000, gid: 100, secrets: { hubPassword: "a-password-of-length" }, protect: false },
            {
                transformations: [
                    (a) => {
                        options.set(a.name, a.opts as pulumi.CustomResourceOptions);
                        const deps = a.opts.dependsOn;
                        dependsOn.set(a.name, (Array.isArray(deps) ? deps : deps ? [deps] : []).map((d: any) => d.__name ?? ""));
                        return undefined;
                    },
                ],
            },
        );
        await valueOf(hub.values);
        await settle(recorder);
        return { recorder, dependsOn, options };
    }

    it("with hook, the release waits for the pre-pull, which has a bounded wait", async () => {
        const r = await render({ hook: true, continuous: true });
        const ds = r.recorder.ofType("kubernetes:apps/v1:DaemonSet");
        expect(ds.map((d) => d.name)).toEqual(["hub-image-prepuller"]);
        expect(r.dependsOn.get("hub-release")).toContain("hub-image-prepuller");
        expect(r.options.get("hub-image-prepuller")?.customTimeouts).toEqual({ create: "600s", update: "600s" });
        const release = unwrapSecrets(r.recorder.one("kubernetes:helm.sh/v3:Release").inputs.values);
        expect(release.prePuller.hook.enabled).toBe(false);
        expect(release.prePuller.continuous.enabled).toBe(false);
    });

    it("with continuous only, it pulls beside the release without holding it", async () => {
        const r = await render({ hook: false, continuous: true });
        expect(r.recorder.ofType("kubernetes:apps/v1:DaemonSet")).toHaveLength(1);
        expect(r.dependsOn.get("hub-release")).not.toContain("hub-image-prepuller");
    });

    it("with neither, there is none", async () => {
        const r = await render({ hook: false, continuous: false });
        expect(r.recorder.ofType("kubernetes:apps/v1:DaemonSet")).toHaveLength(0);
    });
});
