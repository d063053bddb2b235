/**
 * Image references as the distribution reference grammar defines them:
 * `[registry[:port]/]path[:tag][@sha256:<64 hex>]`. The platform refers to its own images only by
 * digest (`<repository>@sha256:<hex>`), so a pod never runs something other than what was built.
 */

/** A parsed image reference. */
export interface ImageReference {
    /** Registry host[:port], or undefined for a Docker Hub short name such as `registry:2`. */
    registry?: string;
    /** Repository path inside the registry, such as `ds-platform/notebook`. */
    path: string;
    /** Tag, if any. */
    tag?: string;
    /** Digest `sha256:<64 hex>`, if any. */
    digest?: string;
}

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether `value` is a digest in the only form the platform uses: `sha256:<64 lower-case hex>`. */
export function isDigest(value: string): boolean {
    return DIGEST.test(value);
}

/** Whether a host[:port] is valid as the registry part of a reference. */
export function isRegistryHost(value: string): boolean {
    return HOST.test(value);
}

/**
 * Parses a reference. The first path component is the registry when it contains `.` or `:` or is
 * `localhost`, as Docker decides; otherwise the reference is a Docker Hub short name.
 * Throws an error that quotes the value and says what is allowed.
 */
export function parseImageReference(reference: string): ImageReference {
    const fail = (why: string): never => {
        throw new Error(`invalid image reference "${reference}": ${why}; expected [registry[:port]/]path[:tag][@sha256:<64 hex digits>]`);
    };
    let rest = reference;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!isDigest(digest)) {
            fail(`digest "${digest}" is not sha256:<64 lower-case hex digits>`);
        }
    }
    let registry: string | undefined;
    const slash = rest.indexOf("/");
    if (slash >= 0) {
        const first = rest.slice(0, slash);
        if (first.includes(".") || first.includes(":") || first === "localhost") {
            registry = first;
            rest = rest.slice(slash + 1);
            if (!isRegistryHost(registry)) {
                fail(`registry "${registry}" is not a host[:port]`);
            }
        }
    }
    let tag: string | undefined;
    // A colon after the last slash separates the tag (a colon before it belongs to the registry port).
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) {
            fail(`tag "${tag}" is not 1-128 characters of letters, digits, '_', '.', '-' (not starting with '.' or '-')`);
        }
    }
    if (!PATH.test(rest)) {
        fail(`path "${rest}" must be lower-case components separated by '/'`);
    }
    return { registry, path: rest, tag, digest };
}

/** The reference text for parsed parts; the inverse of `parseImageReference`. */
export function formatImageReference(ref: ImageReference): string {
    return `${ref.registry ? `${ref.registry}/` : ""}${ref.path}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Whether `reference` is a valid reference, with or without tag and digest. */
export function isImageReference(reference: string): boolean {
    try {
        parseImageReference(reference);
        return true;
    } catch {
        return false;
    }
}

/** Whether `reference` is a valid reference pinned by digest. */
export function isDigestReference(reference: string): boolean {
    try {
        return parseImageReference(reference).digest !== undefined;
    } catch {
        return false;
    }
}

/** The repository (`[registry/]path`) of a reference, without tag or digest. */
export function repositoryOf(reference: string): string {
    const { registry, path } = parseImageReference(reference);
    return formatImageReference({ registry, path });
}

/**
 * `<repository>@<digest>`: the form every consumer of the notebook image uses. Throws when the
 * repository carries a tag or digest, or the digest is not `sha256:<64 hex>`.
 */
export function digestReference(repository: string, digest: string): string {
    const parsed = parseImageReference(repository);
    if (parsed.tag !== undefined || parsed.digest !== undefined) {
        throw new Error(`repository "${repository}" must not carry a tag or digest`);
    }
    if (!isDigest(digest)) {
        throw new Error(`digest "${digest}" for ${repository} is not sha256:<64 lower-case hex digits>`);
    }
    return formatImageReference({ ...parsed, digest });
}

/** `<repository>:<tag>`, validated. */
export function taggedReference(repository: string, tag: string): string {
    const parsed = parseImageReference(repository);
    if (parsed.tag !== undefined || parsed.digest !== undefined) {
        throw new Error(`repository "${repository}" must not carry a tag or digest`);
    }
    return formatImageReference(parseImageReference(`${repository}:${tag}`));
}

/** An image in the `{repository, tag}` form Helm charts join as `repository:tag`. */
export interface RepositoryTag {
    repository: string;
    tag: string;
}

/**
 * Splits `<repo>@sha256:<hex>` so that a chart's `repository:tag` join gives back exactly the digest
 * reference: `repository: <repo>@sha256`, `tag: <hex>`. (`tag: sha256:<hex>` would give
 * `repo:sha256:<hex>`, and charts refuse an empty tag.) Tag-only references are refused.
 */
export function chartImageOf(reference: string): RepositoryTag {
    const { digest } = parseImageReference(reference);
    if (digest === undefined) {
        throw new Error(`image reference "${reference}" is not pinned by digest; expected <repository>@sha256:<64 hex digits>`);
    }
    const [algorithm, hex] = digest.split(":");
    return { repository: `${reference.slice(0, reference.indexOf("@"))}@${algorithm}`, tag: hex };
}
