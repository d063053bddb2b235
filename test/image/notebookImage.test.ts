import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { imageSchema, ImageConfig } from "../../components/config/config";
import { isDigestReference, parseImageReference } from "../../components/image/imageReference";
import { contextDigest, imageTag, isIgnored, NotebookImage, notebookBuildArgs, parseDockerignore } from "../../components/image/notebookImage";
import { fakeDigest, isSecret, plainStrings, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";

const REPOSITORY = "localhost:30500/ds-platform/notebook";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

function tempContext(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nb-context-"));
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}

const registry = {
    repository: REPOSITORY,
    server: "localhost:30500",
    username: "ds-platform",
    password: pulumi.secret("registry-password"),
};

async function build(image: Partial<ImageConfig>, extra: { projectRoot?: string; pushRepository?: string; buildSecrets?: Record<string, pulumi.Input<string>> } = {}) {
    const recorder = setupMocks();
    const component = new NotebookImage(
        "image",
        {
            image: imageSchema.parse(image),
            registry: { ...registry, ...(extra.pushRepository ? { pushRepository: extra.pushRepository, pushServer: parseImageReference(extra.pushRepository).registry } : {}) },
            projectRoot: extra.projectRoot ?? PROJECT_ROOT,
            buildSecrets: extra.buildSecrets,
        },
    );
    await settle(recorder);
    const images = recorder.ofType("docker-build:index:Image");
    return { recorder, component, images, byTarget: (t: string) => images.find((i) => i.inputs.target === t)! };
}

describe("prebuilt images", () => {
    const cpu = `registry.example.com/ds-platform/notebook@sha256:${"a".repeat(64)}`;
    const gpu = `registry.example.com/ds-platform/notebook@sha256:${"b".repeat(64)}`;
    it("builds nothing and hands out the pinned references", async () => {
        const { images, component } = await build({ prebuilt: { cpu } });
        expect(images).toEqual([]);
        expect(await valueOf(component.ref)).toBe(cpu);
        expect(await valueOf(component.digest)).toBe(`sha256:${"a".repeat(64)}`);
        expect(component.gpuRef).toBeUndefined();
        expect(component.contextDigest).toBeUndefined();
    });
    it("hands out the gpu target too when image.gpu", async () => {
        const { images, component } = await build({ gpu: true, prebuilt: { cpu, gpu } });
        expect(images).toEqual([]);
        expect(await valueOf(component.gpuRef!)).toBe(gpu);
        expect(await valueOf(component.gpuDigest!)).toBe(`sha256:${"b".repeat(64)}`);
    });
    it("resolves a prebuilt tag to the digest the registry gives for it, with the registry's credentials", async () => {
        const tagged = "registry.example.com/ds-platform/notebook:2026.12";
        const { images, component, recorder } = await build({ prebuilt: { cpu: tagged } });
        expect(images).toEqual([]);
        const digest = `sha256:${fakeDigest(`registry ${tagged}`)}`;
        expect(await valueOf(component.ref)).toBe(`registry.example.com/ds-platform/notebook@${digest}`);
        expect(await valueOf(component.digest)).toBe(digest);
        const provider = recorder.one("pulumi:providers:docker");
        const raw = unwrapSecrets(provider.inputs.registryAuth);
        expect(typeof raw === "string" ? JSON.parse(raw) : raw).toEqual([{ address: registry.server, username: registry.username, password: await valueOf(registry.password) }]);
    });
    it("refuses a prebuilt reference that is not an image reference", () => {
        expect(() => imageSchema.parse({ prebuilt: { cpu: "not an image" } })).toThrow(/an image reference/);
    });
    it("checks settings that did not come through the config parse with the config's own rules", () => {
        const recorder = setupMocks();
        const unchecked = (image: Partial<ImageConfig>) => () => new NotebookImage("nb", { image: { ...imageSchema.parse({}), ...image }, registry, projectRoot: PROJECT_ROOT });
        expect(unchecked({ gpu: true, prebuilt: { cpu } })).toThrow(/image\.prebuilt\.gpu: is required when image\.gpu is true and images are prebuilt/);
        expect(unchecked({ prebuilt: { cpu, gpu } })).toThrow(/image\.prebuilt\.gpu: is set but image\.gpu is false/);
        expect(unchecked({ prebuilt: { cpu: "not an image" } })).toThrow(/image\.prebuilt\.cpu: must be an image reference/);
        expect(recorder.resources).toHaveLength(0);
    });
    it("pushes a build to a registry without credentials when it has no user", async () => {
        const recorder = setupMocks();
        new NotebookImage("anon", { image: imageSchema.parse({}), registry: { repository: "127.0.0.1:5000/nb", server: "127.0.0.1:5000", username: "", password: "" }, projectRoot: PROJECT_ROOT });
        await settle(recorder);
        expect(unwrapSecrets(recorder.ofType("docker-build:index:Image")[0].inputs.registries)).toEqual([{ address: "127.0.0.1:5000" }]);
    });
});

describe("contextDigest", () => {
    const dirs: string[] = [];
    const make = (files: Record<string, string>) => {
        const d = tempContext(files);
        dirs.push(d);
        return d;
    };
    afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    const base = { Dockerfile: "FROM scratch\n", "app/main.py": "print(1)\n", ".dockerignore": "*.log\nbuild/\n!build/keep.txt\n" };

    it("is a stable sha256 for the same content, wherever it lives", () => {
        const digest = contextDigest(make(base));
        expect(digest).toMatch(/^[a-f0-9]{64}$/);
        expect(contextDigest(make(base))).toBe(digest);
    });

    it("changes when a file changes or is added", () => {
        const digest = contextDigest(make(base));
        expect(contextDigest(make({ ...base, "app/main.py": "print(2)\n" }))).not.toBe(digest);
        expect(contextDigest(make({ ...base, "app/extra.py": "" }))).not.toBe(digest);
        expect(contextDigest(make({ ...base, Dockerfile: "FROM scratch\nUSER 1000\n" }))).not.toBe(digest);
    });

    it("changes when a file becomes executable (COPY keeps the mode)", () => {
        const dir = make(base);
        const digest = contextDigest(dir);
        fs.chmodSync(path.join(dir, "app/main.py"), 0o755);
        expect(contextDigest(dir)).not.toBe(digest);
    });

    it("ignores files that .dockerignore excludes, but not its exceptions", () => {
        const digest = contextDigest(make(base));
        expect(contextDigest(make({ ...base, "debug.log": "noise" }))).toBe(digest);
        expect(contextDigest(make({ ...base, "build/out.bin": "noise", "build/sub/x": "y" }))).toBe(digest);
        expect(contextDigest(make({ ...base, "build/keep.txt": "kept" }))).not.toBe(digest);
    });

    it("always counts the Dockerfile, even when .dockerignore lists it", () => {
        const files = { ...base, ".dockerignore": "Dockerfile\n" };
        expect(contextDigest(make({ ...files, Dockerfile: "FROM a\n" }))).not.toBe(contextDigest(make({ ...files, Dockerfile: "FROM b\n" })));
    });

    it("fails clearly for a missing folder", () => {
        expect(() => contextDigest("/nonexistent/context")).toThrow(/build context \/nonexistent\/context is not a directory/);
    });
});

describe(".dockerignore matching", () => {
    const rules = parseDockerignore("# comment\n\n**/__pycache__\n/docs/*.md\n!docs/KEEP.md\ntmp?\n[ab].txt\n");
    it.each([
        ["src/__pycache__/x.pyc", true],
        ["__pycache__/x.pyc", true],
        ["docs/a.md", true],
        ["docs/KEEP.md", false],
        ["docs/sub/a.md", false],
        ["tmp1/file", true],
        ["tmp12/file", false],
        ["a.txt", true],
        ["c.txt", false],
        ["requirements.lock", false],
    ])("%s ignored: %s", (file, expected) => {
        expect(isIgnored(file, rules)).toBe(expected);
    });
});

describe("build settings", () => {
    it("passes uid/gid and the labels, and BASE_IMAGE only when configured", () => {
        const defaults = notebookBuildArgs(imageSchema.parse({ uid: 1234, gid: 4321, revision: "abc123" }));
        expect(defaults).toEqual({ NB_UID: "1234", NB_GID: "4321", SOURCE_URL: "", REVISION: "abc123" });
        expect(notebookBuildArgs(imageSchema.parse({ baseImage: "mirror.example.com/debian:bookworm-slim" })).BASE_IMAGE).toBe("mirror.example.com/debian:bookworm-slim");
    });

    it("derives a tag from target, context digest and settings", () => {
        const digest = "a".repeat(64);
        const args = { buildArgs: { NB_UID: "1000" }, platform: "linux/amd64" };
        const tag = imageTag("cpu", digest, args);
        expect(tag).toMatch(/^cpu-aaaaaaaaaaaa-[a-f0-9]{8}$/);
        expect(imageTag("cpu", digest, { ...args })).toBe(tag);
        expect(imageTag("gpu", digest, args).startsWith("gpu-aaaaaaaaaaaa-")).toBe(true);
        expect(imageTag("cpu", digest, { ...args, buildArgs: { NB_UID: "1001" } })).not.toBe(tag);
        expect(imageTag("cpu", digest, { ...args, platform: "linux/arm64" })).not.toBe(tag);
        expect(() => imageTag("cpu", "xyz", args)).toThrow(/not 64 hex digits/);
    });
});

describe("NotebookImage", () => {
    it("builds and pushes the cpu target of images/notebook with BuildKit", async () => {
        const { images, byTarget } = await build({ uid: 1001, gid: 100 });
        expect(images).toHaveLength(1);
        const inputs = byTarget("cpu").inputs;
        const contextDir = path.join(PROJECT_ROOT, "images/notebook");
        expect(inputs.context).toEqual({ location: contextDir });
        expect(inputs.dockerfile).toEqual({ location: path.join(contextDir, "Dockerfile") });
        expect(inputs.platforms).toEqual(["linux/amd64"]);
        expect(inputs.push).toBe(true);
        expect(inputs.buildOnPreview).toBe(false);
        expect(inputs.buildArgs).toMatchObject({ NB_UID: "1001", NB_GID: "100" });
        expect(inputs.buildArgs.BASE_IMAGE).toBeUndefined();
    });

    it("tags the image with the context digest, in the registry's repository", async () => {
        const { component, byTarget } = await build({});
        expect(component.contextDigest).toBe(contextDigest(path.join(PROJECT_ROOT, "images/notebook")));
        const tags: string[] = byTarget("cpu").inputs.tags;
        expect(tags).toHaveLength(1);
        const parsed = parseImageReference(tags[0]);
        expect(`${parsed.registry}/${parsed.path}`).toBe(REPOSITORY);
        expect(parsed.tag).toContain(`cpu-${component.contextDigest!.slice(0, 12)}-`);
    });

    it("outputs ref as a digest reference of the repository, never a tag", async () => {
        const { component } = await build({});
        const ref = await valueOf(component.ref);
        const digest = await valueOf(component.digest);
        expect(isDigestReference(ref)).toBe(true);
        expect(ref).toBe(`${REPOSITORY}@${digest}`);
        expect(parseImageReference(ref).tag).toBeUndefined();
        expect(component.gpuRef).toBeUndefined();
    });

    it("builds the gpu target too when image.gpu, with its own digest", async () => {
        const { component, images, byTarget } = await build({ gpu: true });
        expect(images.map((i) => i.inputs.target).sort()).toEqual(["cpu", "gpu"]);
        const gpuRef = await valueOf(component.gpuRef!);
        expect(isDigestReference(gpuRef)).toBe(true);
        expect(gpuRef.startsWith(`${REPOSITORY}@sha256:`)).toBe(true);
        expect(gpuRef).not.toBe(await valueOf(component.ref));
        expect(parseImageReference(byTarget("gpu").inputs.tags[0]).tag!.startsWith("gpu-")).toBe(true);
    });

    it("caches in the registry per target, in max mode, when image.cache", async () => {
        const { byTarget } = await build({ gpu: true });
        for (const target of ["cpu", "gpu"]) {
            const inputs = byTarget(target).inputs;
            expect(inputs.cacheFrom).toEqual([{ registry: { ref: `${REPOSITORY}:buildcache-${target}` } }]);
            expect(inputs.cacheTo).toEqual([{ registry: { ref: `${REPOSITORY}:buildcache-${target}`, mode: "max", imageManifest: true, ociMediaTypes: true } }]);
        }
        const { byTarget: noCache } = await build({ cache: false });
        expect(noCache("cpu").inputs.cacheFrom).toBeUndefined();
        expect(noCache("cpu").inputs.cacheTo).toBeUndefined();
    });

    it("sets BASE_IMAGE and the platform from config", async () => {
        const { byTarget } = await build({ baseImage: "mirror.example.com/debian:bookworm-slim", platform: "linux/arm64" });
        expect(byTarget("cpu").inputs.buildArgs.BASE_IMAGE).toBe("mirror.example.com/debian:bookworm-slim");
        expect(byTarget("cpu").inputs.platforms).toEqual(["linux/arm64"]);
    });

    it("logs in to the registry with the secret password and passes build secrets as secrets", async () => {
        const { byTarget, component } = await build({}, { buildSecrets: { ca: "-----BEGIN CERTIFICATE-----" } });
        const inputs = byTarget("cpu").inputs;
        expect(unwrapSecrets(inputs.registries)).toEqual([{ address: "localhost:30500", username: "ds-platform", password: "registry-password" }]);
        expect(unwrapSecrets(inputs.secrets)).toEqual({ ca: "-----BEGIN CERTIFICATE-----" });
        expect(plainStrings(inputs).filter((s) => s.value === "registry-password" || s.value.startsWith("-----BEGIN"))).toEqual([]);
        expect(await isSecret(component.ref)).toBe(false);
    });

    it("pushes to pushRepository but refers to the pull repository", async () => {
        const { byTarget, component } = await build({}, { pushRepository: "192.168.49.2:30500/ds-platform/notebook" });
        const inputs = byTarget("cpu").inputs;
        expect(inputs.tags[0].startsWith("192.168.49.2:30500/ds-platform/notebook:cpu-")).toBe(true);
        expect(inputs.cacheFrom[0].registry.ref).toBe("192.168.49.2:30500/ds-platform/notebook:buildcache-cpu");
        expect(unwrapSecrets(inputs.registries)[0].address).toBe("192.168.49.2:30500");
        expect((await valueOf(component.ref)).startsWith(`${REPOSITORY}@sha256:`)).toBe(true);
    });

    it("rebuilds under a new tag when the context changes, and keeps the tag when it does not", async () => {
        const dir = tempContext({ "ctx/Dockerfile": "FROM scratch\n", "ctx/a.txt": "1" });
        try {
            const first = (await build({ context: "ctx" }, { projectRoot: dir })).byTarget("cpu").inputs.tags[0];
            const again = (await build({ context: "ctx" }, { projectRoot: dir })).byTarget("cpu").inputs.tags[0];
            fs.writeFileSync(path.join(dir, "ctx/a.txt"), "2");
            const changed = (await build({ context: "ctx" }, { projectRoot: dir })).byTarget("cpu").inputs.tags[0];
            expect(again).toBe(first);
            expect(changed).not.toBe(first);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("builds the context the package ships when no projectRoot is given, whatever the working directory", async () => {
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "nb-cwd-"));
        const cwd = process.cwd();
        try {
            process.chdir(elsewhere);
            const recorder = setupMocks();
            const component = new NotebookImage("image", { image: imageSchema.parse({}), registry });
            await settle(recorder);
            const shipped = path.join(PROJECT_ROOT, "images", "notebook");
            expect(recorder.one("docker-build:index:Image").inputs.context.location).toBe(shipped);
            expect(component.contextDigest).toBe(contextDigest(shipped));
        } finally {
            process.chdir(cwd);
            fs.rmSync(elsewhere, { recursive: true, force: true });
        }
    });

    it("names a context without a Dockerfile", () => {
        setupMocks();
        expect(
            () => new NotebookImage("bad", { image: imageSchema.parse({ context: "no/such/dir" }), registry, projectRoot: PROJECT_ROOT }),
        ).toThrow(/image.context "no\/such\/dir" resolves to .*no\/such\/dir, which has no Dockerfile/);
    });
});
