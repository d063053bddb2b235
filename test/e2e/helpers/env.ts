/**
 * What the end-to-end suite is told about the deployed stack, from the environment (documented in
 * test/e2e/README.md). A missing required variable fails the suite at once, naming it.
 */

function required(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") {
        throw new Error(`${name} is not set; the e2e suite needs it (see test/e2e/README.md)`);
    }
    return value;
}

function integer(name: string, fallback: number): number {
    const text = process.env[name];
    if (text === undefined || text === "") {
        return fallback;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) {
        throw new Error(`${name} must be a non-negative integer (got ${JSON.stringify(text)})`);
    }
    return value;
}

export interface E2eEnv {
    /** kubectl binary (any kubeconfig: KUBECONFIG or the default). */
    kubectl: string;
    /** Namespace of the hub and the notebook pods. */
    namespace: string;
    /** The users' shared password and the admins' one. */
    userPassword: string;
    adminPassword: string;
    /** An admin listed in hub.auth.admins, and a user that is not an admin. */
    admin: string;
    user: string;
    /** The notebook image the stack deploys, by digest. */
    image: string;
    /** UID and GID notebook servers run as. */
    uid: number;
    gid: number;
    /** StorageClass the home claims must name in spec.storageClassName; empty: any non-empty class. */
    storageClass: string;
    /** The stack's idle-culling settings. */
    cullTimeoutSeconds: number;
    cullEverySeconds: number;
    /** Bounds. */
    spawnTimeoutSeconds: number;
    hubTimeoutSeconds: number;
}

export function e2eEnv(): E2eEnv {
    const image = required("E2E_IMAGE");
    if (!/@sha256:[a-f0-9]{64}$/.test(image)) {
        throw new Error(`E2E_IMAGE must be an image reference pinned by digest (<repository>@sha256:<64 hex>), got ${image}`);
    }
    return {
        kubectl: process.env.E2E_KUBECTL || "kubectl",
        namespace: required("E2E_NAMESPACE"),
        userPassword: required("E2E_HUB_PASSWORD"),
        adminPassword: required("E2E_ADMIN_PASSWORD"),
        admin: process.env.E2E_ADMIN || "admin",
        user: process.env.E2E_USER || "e2e-user",
        image,
        uid: integer("E2E_UID", 1000),
        gid: integer("E2E_GID", 100),
        storageClass: process.env.E2E_STORAGE_CLASS ?? "",
        cullTimeoutSeconds: integer("E2E_CULL_TIMEOUT_SECONDS", 60),
        cullEverySeconds: integer("E2E_CULL_EVERY_SECONDS", 20),
        spawnTimeoutSeconds: integer("E2E_SPAWN_TIMEOUT_SECONDS", 420),
        hubTimeoutSeconds: integer("E2E_HUB_TIMEOUT_SECONDS", 180),
    };
}

/** Prints a measured figure as CI collects them: `FIGURE name=value`. */
export function figure(name: string, value: number | string): void {
    console.log(`FIGURE ${name}=${typeof value === "number" ? value.toFixed(1) : value}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, or throws after
 * `timeoutSeconds` with `what` and the last probe error or result.
 */
export async function waitFor<T>(what: string, timeoutSeconds: number, probe: () => Promise<T | undefined>, intervalMs = 1000): Promise<T> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let last = "no attempt finished";
    for (;;) {
        try {
            const result = await probe();
            if (result !== undefined) {
                return result;
            }
            last = "not yet";
        } catch (e) {
            last = (e as Error).message;
        }
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutSeconds} s waiting for ${what} (last: ${last})`);
        }
        await sleep(intervalMs);
    }
}

export const seconds = (startMs: number): number => (Date.now() - startMs) / 1000;
