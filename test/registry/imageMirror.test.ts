/**
 * Third-party images mirrored into the platform's registry inside the stack (registry.mirrorImages),
 * with @pulumi/docker: the plan (pure), the Docker resources under mocks, and a whole stack that runs
 * only the copies, by digest.
 */
import { parsePlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { kubeSchedulerImage } from "../../components/cluster/kubernetesVersions";
import { ImageMirror, MIRROR_PREFIX, mirrorPlan, Z2JH_IMAGES } from "../../components/registry/imageMirror";
import { kubernetesGvk } from "../helpers/kubeSchema";
import { fakeDigest, isSecret, registerMockOutputs, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { renderStack, TEST_SECRETS } from "../helpers/render";
import { containerImages } from "../helpers/manifests";

registerMockOutputs("docker:index/remoteImage:RemoteImage", (a) => ({ repoDigest: `${a.inputs.name.split(/[:@]/)[0]}@sha256:${fakeDigest(`pulled ${a.inputs.name}`)}` }));
registerMockOutputs("docker:index/registryImage:RegistryImage", (a) => ({ sha256Digest: `sha256:${fakeDigest(`pushed ${a.inputs.name}`)}` }));

const DIGEST_REF = /^[^\s@]+@sha256:[a-f0-9]{64}$/;

function plan(raw: PlatformConfigInput, userScheduler?: ReturnType<typeof kubeSchedulerImage>) {
    const c = parsePlatformConfig(raw, { hubPassword: true });
    return mirrorPlan({ hub: c.hub, images: c.images, userScheduler });
}

describe("mirrorPlan", () => {
    it("copies what the default hub runs, from the chart's images", () => {
        expect(plan({}).map((e) => [e.key, e.source])).toEqual([
            ["hub", Z2JH_IMAGES.hub],
            ["proxy", Z2JH_IMAGES.proxy],
            ["userScheduler", Z2JH_IMAGES.userScheduler],
            ["pause", Z2JH_IMAGES.pause],
        ]);
        expect(plan({}).find((e) => e.key === "hub")).toEqual({ key: "hub", source: Z2JH_IMAGES.hub, repository: `${MIRROR_PREFIX}/k8s-hub`, tag: "4.4.0" });
    });

    it("adds traefik and the secret sync for letsencrypt, drops what the hub does not run", () => {
        const keys = plan({
            hub: {
                exposure: { type: "letsencrypt", host: "hub.example.com", contactEmail: "ops@example.com" },
                scheduling: { userScheduler: false },
                prePuller: { hook: false, continuous: false },
            },
        }).map((e) => e.key);
        expect(keys).toEqual(["hub", "proxy", "traefik", "secretSync"]);
    });

    it("takes the cluster minor's scheduler and images.* as sources; a digest-only source is tagged mirror", () => {
        const pinned = kubeSchedulerImage("1.33");
        const hub = `mirror.example.com/hub@sha256:${fakeDigest("hub")}`;
        const entries = plan({ images: { hub } }, pinned);
        expect(entries.find((e) => e.key === "userScheduler")?.source).toBe(`${pinned.repository}:${pinned.tag}`);
        expect(entries.find((e) => e.key === "hub")).toEqual({ key: "hub", source: hub, repository: `${MIRROR_PREFIX}/hub`, tag: "mirror" });
        expect(entries.find((e) => e.key === "pause")?.tag).toBe("3.10.1");
    });
});

describe("ImageMirror", () => {
    it("pulls, tags and pushes each image with the registry's credentials, and refers to the copy by digest", async () => {
        const recorder = setupMocks();
        const entries = plan({});
        const registry = { server: "registry.internal:5000", repository: "registry.internal:5000/ds/notebook", pushServer: "localhost:30500", username: "ds-platform", password: "pw" };
        const mirror = new ImageMirror("m", { plan: entries, registry });
        const refs = Object.fromEntries(await Promise.all(Object.entries(mirror.refs).map(async ([k, v]) => [k, await valueOf(v)])));
        await settle(recorder);
        expect(recorder.ofType("docker:index/remoteImage:RemoteImage").map((r) => r.inputs.name)).toEqual(entries.map((e) => e.source));
        const tags = recorder.ofType("docker:index/tag:Tag");
        expect(tags.map((t) => t.inputs.targetImage)).toEqual(entries.map((e) => `localhost:30500/${e.repository}:${e.tag}`));
        const pushed = recorder.ofType("docker:index/registryImage:RegistryImage");
        expect(pushed.map((p) => p.inputs.keepRemotely)).toEqual(entries.map(() => true));
        for (const e of entries) {
            expect(refs[e.key]).toBe(`registry.internal:5000/${e.repository}@sha256:${fakeDigest(`pushed localhost:30500/${e.repository}:${e.tag}`)}`);
        }
        const provider = recorder.one("pulumi:providers:docker");
        // Provider inputs reach the engine as JSON strings; the password keeps the whole value secret.
        const raw = unwrapSecrets(provider.inputs.registryAuth);
        const auth = typeof raw === "string" ? JSON.parse(raw) : raw;
        expect(auth).toEqual([{ address: "localhost:30500", username: "ds-platform", password: "pw" }]);
        expect(await isSecret(mirror.refs.hub!)).toBe(false);
    });
});

describe("a stack with registry.mirrorImages", () => {
    it("runs only the copies, by digest: chart values and the pre-puller", async () => {
        const r = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { registry: { kind: "in-cluster", mirrorImages: true, nodePort: 30500 } } });
        const values = unwrapSecrets(r.recorder.one("kubernetes:helm.sh/v3:Release", (n) => /hub/.test(n)).inputs.values);
        const join = (i: { name: string; tag: string }) => (i.tag ? `${i.name}:${i.tag}` : i.name);
        for (const image of [values.hub.image, values.proxy.chp.image, values.prePuller.pause.image, values.scheduling.userPlaceholder.image]) {
            expect(join(image)).toMatch(new RegExp(`/${MIRROR_PREFIX}/[a-z0-9-]+@sha256:[a-f0-9]{64}$`));
        }
        const images = r.resources.filter((res) => kubernetesGvk(res.type)).flatMap((res) => containerImages(unwrapSecrets(res.inputs)));
        expect(images.length).toBeGreaterThan(0);
        for (const image of images) {
            expect(image).toMatch(DIGEST_REF);
        }
        const prePuller = r.recorder.one("kubernetes:apps/v1:DaemonSet");
        expect(prePuller.inputs.spec.template.spec.containers[0].image).toBe(join(values.prePuller.pause.image));
        expect(r.recorder.ofType("docker:index/registryImage:RegistryImage")).toHaveLength(3);
    });
});
