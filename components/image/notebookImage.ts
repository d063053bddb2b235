/**
 * The notebook image (JupyterLab + PySpark, also the Spark executor image), built with BuildKit
 * from `images/notebook` and pushed to the platform's registry. Everything downstream refers to it
 * as `<repository>@sha256:<digest>`, never by tag.
 *
 * The tag is derived from a digest of the build context and of the build settings, so an unchanged
 * context and config give the same tag and no rebuild, and any change gives a new, never-reused tag
 * (the ECR repository's tags are immutable).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker-build";
import { assertImageConfig, ImageConfig } from "../config/config";
import * as registryImages from "@pulumi/docker";
import { digestReference, isDigestReference, repositoryOf, taggedReference } from "./imageReference";
import { BUILD_CACHE_TAG_PREFIX, ImageTarget, imageTagPrefix } from "../registry/registry";
import { packageRoot } from "../shared/packageRoot";

// ---------------------------------------------------------------------------------------------
// Build context digest, honouring .dockerignore as Docker does.
// ---------------------------------------------------------------------------------------------

interface IgnoreRule {
    regex: RegExp;
    exclusion: boolean;
}

/** Translates one .dockerignore pattern (Go filepath.Match syntax plus `**`) to a regular expression. */
function patternRegex(pattern: string): RegExp {
    let out = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "*") {
            if (pattern[i + 1] === "*") {
                i++;
                if (pattern[i + 1] === "/") {
                    i++;
                    out += "(?:.*/)?";
                } else {
                    out += ".*";
                }
            } else {
                out += "[^/]*";
            }
        } else if (c === "?") {
            out += "[^/]";
        } else if (c === "[") {
            const end = pattern.indexOf("]", i + 1);
            if (end < 0) {
                throw new Error(`.dockerignore pattern "${pattern}" has an unclosed '['`);
            }
            // Go's character classes ([a-z], [^a-z]) read the same as in a regular expression.
            out += `[${pattern.slice(i + 1, end)}]`;
            i = end;
        } else if (c === "\\" && i + 1 < pattern.length) {
            i++;
            out += pattern[i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        } else {
            out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        }
    }
    return new RegExp(`^${out}$`);
}

/** The rules of a .dockerignore file's text, in order (later rules win). */
export function parseDockerignore(text: string): IgnoreRule[] {
    return text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => {
            const exclusion = line.startsWith("!");
            const raw = (exclusion ? line.slice(1) : line).trim();
            const cleaned = path.posix.normalize(raw).replace(/^\/+/, "").replace(/\/+$/, "");
            return { regex: patternRegex(cleaned), exclusion };
        });
}

/** Whether Docker leaves `relativePath` out of the context: a rule matches it or one of its parent folders. */
export function isIgnored(relativePath: string, rules: IgnoreRule[]): boolean {
    const parts = relativePath.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const rule of rules) {
        if (candidates.some((c) => rule.regex.test(c))) {
            ignored = !rule.exclusion;
        }
    }
    return ignored;
}

function listFiles(root: string, dir = ""): string[] {
    return fs
        .readdirSync(path.join(root, dir), { withFileTypes: true })
        .flatMap((entry) => {
            const rel = dir ? `${dir}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                return listFiles(root, rel);
            }
            return entry.isFile() || entry.isSymbolicLink() ? [rel] : [];
        });
}

/**
 * sha256 (hex) over the files Docker would send as the build context of `dir`: each file's relative
 * path, executable bit (COPY keeps it) and content, in sorted order. Files that `.dockerignore`
 * excludes do not count; the Dockerfile always does.
 */
export function contextDigest(dir: string, dockerfile = "Dockerfile"): string {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new Error(`build context ${dir} is not a directory`);
    }
    const ignoreFile = path.join(dir, ".dockerignore");
    const rules = fs.existsSync(ignoreFile) ? parseDockerignore(fs.readFileSync(ignoreFile, "utf8")) : [];
    const files = listFiles(dir).filter((f) => f === dockerfile || !isIgnored(f, rules));
    const hash = crypto.createHash("sha256");
    for (const rel of files.sort()) {
        const full = path.join(dir, ...rel.split("/"));
        const stat = fs.lstatSync(full);
        const body = stat.isSymbolicLink() ? `link:${fs.readlinkSync(full)}` : crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
        hash.update(`${rel}\0${stat.mode & 0o111 ? "x" : "-"}\0${body}\n`);
    }
    return hash.digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Build settings.
// ---------------------------------------------------------------------------------------------

/** The Dockerfile's build args for a config: BASE_IMAGE only when overridden. */
export function notebookBuildArgs(image: Pick<ImageConfig, "baseImage" | "uid" | "gid" | "sourceUrl" | "revision">): Record<string, string> {
    return {
        ...(image.baseImage ? { BASE_IMAGE: image.baseImage } : {}),
        NB_UID: String(image.uid),
        NB_GID: String(image.gid),
        SOURCE_URL: image.sourceUrl,
        REVISION: image.revision,
    };
}

/**
 * `<target>-<12 hex of the context digest>-<8 hex of the build settings>`: the same inputs give the
 * same tag, and an image built differently from the same context never reuses a tag.
 */
export function imageTag(target: ImageTarget, contextDigestHex: string, settings: { buildArgs: Record<string, string>; platform: string }): string {
    if (!/^[a-f0-9]{64}$/.test(contextDigestHex)) {
        throw new Error(`context digest "${contextDigestHex}" is not 64 hex digits`);
    }
    const canonical = JSON.stringify({ platform: settings.platform, buildArgs: Object.entries(settings.buildArgs).sort(([a], [b]) => a.localeCompare(b)) });
    const settingsHex = crypto.createHash("sha256").update(canonical).digest("hex");
    return `${imageTagPrefix(target)}${contextDigestHex.slice(0, 12)}-${settingsHex.slice(0, 8)}`;
}

/** Registry credentials and addresses the build needs (from `Registry` outputs). */
export interface ImageRegistry {
    /** `<server>/<path>` that image references name. Required. */
    repository: pulumi.Input<string>;
    /** host[:port] of `repository`. Required. */
    server: pulumi.Input<string>;
    /** Push/pull user. Required. */
    username: pulumi.Input<string>;
    /** Push/pull password or token (secret). Required. */
    password: pulumi.Input<string>;
    /** Where to push, when the deploying machine reaches the registry under another address. Default: `repository` */
    pushRepository?: pulumi.Input<string>;
    /** host[:port] of `pushRepository`. Default: `server` */
    pushServer?: pulumi.Input<string>;
}

/**
 * The push credentials of a registry, in the form the Docker providers take (docker-build's
 * `registries`, docker's `registryAuth`): its push address, and no credentials for anonymous access
 * (an empty user). The password stays secret.
 */
export function registryAuth(registry: ImageRegistry) {
    return pulumi
        .all([registry.pushServer ?? registry.server, registry.username])
        .apply(([address, username]) => (username ? [{ address, username, password: pulumi.secret(registry.password) }] : [{ address }]));
}

export interface NotebookBuildSpec {
    image: ImageConfig;
    target: ImageTarget;
    /** Absolute build context folder. */
    contextDir: string;
    contextDigest: string;
    registry: ImageRegistry;
    buildSecrets?: Record<string, pulumi.Input<string>>;
}

/** The docker-build `Image` arguments of one target. */
export function notebookImageArgs(s: NotebookBuildSpec): docker.ImageArgs {
    const buildArgs = notebookBuildArgs(s.image);
    const tag = imageTag(s.target, s.contextDigest, { buildArgs, platform: s.image.platform });
    const pushRepository = pulumi.output(s.registry.pushRepository ?? s.registry.repository);
    const cacheRef = pushRepository.apply((repo) => taggedReference(repo, `${BUILD_CACHE_TAG_PREFIX}${s.target}`));
    return {
        context: { location: s.contextDir },
        dockerfile: { location: path.join(s.contextDir, "Dockerfile") },
        target: s.target,
        platforms: [s.image.platform],
        buildArgs,
        tags: [pushRepository.apply((repo) => taggedReference(repo, tag))],
        push: true,
        buildOnPreview: false,
        registries: registryAuth(s.registry),
        // Cache as a plain OCI image manifest: the form every registry (ECR included) accepts.
        ...(s.image.cache
            ? {
                  cacheFrom: [{ registry: { ref: cacheRef } }],
                  cacheTo: [{ registry: { ref: cacheRef, mode: docker.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
              }
            : {}),
        ...(s.buildSecrets && Object.keys(s.buildSecrets).length > 0
            ? { secrets: Object.fromEntries(Object.entries(s.buildSecrets).map(([k, v]) => [k, pulumi.secret(v)])) }
            : {}),
    };
}

// ---------------------------------------------------------------------------------------------
// Component.
// ---------------------------------------------------------------------------------------------

export interface NotebookImageArgs {
    /** The `image` section of the platform config. Required. */
    image: ImageConfig;
    /** Where to push and what images are called (`Registry` outputs). Required. */
    registry: ImageRegistry;
    /**
     * Folder `image.context` is relative to. Default: the ds-platform package's own folder, which
     * ships `images/notebook`; give your program's folder to build a context of your own.
     */
    projectRoot?: string;
    /** BuildKit secrets by id, such as `ca` (a CA bundle for TLS-intercepting networks); never stored in a layer. Default: none */
    buildSecrets?: Record<string, pulumi.Input<string>>;
}

/**
 * Builds the `cpu` target, and the `gpu` target when `image.gpu`, and pushes them; or, with
 * `image.prebuilt`, hands out the digest references a pipeline built from the same Dockerfile.
 */
export class NotebookImage extends pulumi.ComponentResource {
    /** `<repository>@sha256:<digest>` of the cpu image. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:<digest>` of the cpu image. */
    public readonly digest: pulumi.Output<string>;
    /** `<repository>@sha256:<digest>` of the gpu image; undefined unless `image.gpu`. */
    public readonly gpuRef: pulumi.Output<string> | undefined;
    /** `sha256:<digest>` of the gpu image; undefined unless `image.gpu`. */
    public readonly gpuDigest: pulumi.Output<string> | undefined;
    /** sha256 of the build context (see `contextDigest`); undefined for prebuilt images. */
    public readonly contextDigest: string | undefined;

    constructor(name: string, args: NotebookImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:image:NotebookImage", name, {}, opts);
        // Callers other than the platform may pass unchecked settings: the same rules the config parse runs.
        assertImageConfig(args.image);
        const prebuilt = args.image.prebuilt;
        if (prebuilt) {
            // Built and pushed elsewhere (CI, a mirror): nothing to build. A reference by digest is the
            // pin; a tag is resolved to the digest it names now, so every consumer runs that one image
            // and a later push to the tag changes nothing until the next `pulumi up`.
            let provider: registryImages.Provider | undefined;
            const pinned = (ref: string) => {
                if (isDigestReference(ref)) {
                    return { ref: pulumi.output(ref), digest: pulumi.output(`sha256:${ref.slice(ref.lastIndexOf("@sha256:") + "@sha256:".length)}`) };
                }
                provider ??= new registryImages.Provider(`${name}-registry`, { registryAuth: registryAuth(args.registry) }, { parent: this });
                const found = registryImages.getRegistryImageOutput({ name: ref }, { parent: this, provider });
                return { ref: found.sha256Digest.apply((digest) => digestReference(repositoryOf(ref), digest)), digest: found.sha256Digest };
            };
            const cpu = pinned(prebuilt.cpu);
            this.ref = cpu.ref;
            this.digest = cpu.digest;
            if (args.image.gpu && prebuilt.gpu) {
                const gpu = pinned(prebuilt.gpu);
                this.gpuRef = gpu.ref;
                this.gpuDigest = gpu.digest;
            }
            this.registerOutputs({ ref: this.ref, digest: this.digest, gpuRef: this.gpuRef, gpuDigest: this.gpuDigest });
            return;
        }
        const projectRoot = args.projectRoot ?? packageRoot();
        const contextDir = path.resolve(projectRoot, args.image.context);
        if (!fs.existsSync(path.join(contextDir, "Dockerfile"))) {
            throw new Error(`image.context "${args.image.context}" resolves to ${contextDir}, which has no Dockerfile`);
        }
        const digestOfContext = contextDigest(contextDir);
        this.contextDigest = digestOfContext;

        const build = (target: ImageTarget) => {
            const image = new docker.Image(
                `${name}-${target}`,
                notebookImageArgs({ image: args.image, target, contextDir, contextDigest: digestOfContext, registry: args.registry, buildSecrets: args.buildSecrets }),
                { parent: this },
            );
            // docker-build's own `ref` keeps the tag (`repo:tag@digest`); consumers get the pure digest form.
            const ref = pulumi.all([args.registry.repository, image.digest]).apply(([repo, digest]) => digestReference(repo, digest));
            return { ref, digest: image.digest };
        };
        const cpu = build("cpu");
        this.ref = cpu.ref;
        this.digest = cpu.digest;
        if (args.image.gpu) {
            const gpu = build("gpu");
            this.gpuRef = gpu.ref;
            this.gpuDigest = gpu.digest;
        }

        this.registerOutputs({ ref: this.ref, digest: this.digest, gpuRef: this.gpuRef, gpuDigest: this.gpuDigest, contextDigest: this.contextDigest });
    }
}
