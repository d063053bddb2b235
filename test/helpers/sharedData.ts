/**
 * Locates the upstream reference data (Kubernetes OpenAPI spec, chart schemas and values) that tests
 * validate against. It is not part of the project: point DS_PLATFORM_SCHEMAS at a folder holding
 * `kubernetes/`, `z2jh/` and `nvidia-device-plugin/`, or keep the default `../shared/schemas` beside
 * the project. A missing folder fails loudly; validation is never skipped.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const SCHEMAS_ENV = "DS_PLATFORM_SCHEMAS";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export function schemasDir(): string {
    const dir = process.env[SCHEMAS_ENV] ? path.resolve(process.env[SCHEMAS_ENV]!) : path.resolve(PROJECT_ROOT, "..", "shared", "schemas");
    if (!fs.existsSync(dir)) {
        throw new Error(
            `Reference schemas not found at ${dir}. Set ${SCHEMAS_ENV} to a folder with kubernetes/v1.35.0-swagger.json, ` +
                "z2jh/4.4.0/values.schema.yaml and nvidia-device-plugin/0.20.0/values.yaml.",
        );
    }
    return dir;
}

export function sharedFile(relative: string): string {
    const file = path.join(schemasDir(), relative);
    if (!fs.existsSync(file)) {
        throw new Error(`Reference file missing: ${file} (from ${SCHEMAS_ENV} or ../shared/schemas)`);
    }
    return file;
}

const cache = new Map<string, unknown>();
/** Parses a JSON or YAML reference file once per test process. */
export function loadShared<T = any>(relative: string): T {
    if (!cache.has(relative)) {
        const text = fs.readFileSync(sharedFile(relative), "utf8");
        cache.set(relative, relative.endsWith(".json") ? JSON.parse(text) : YAML.parse(text));
    }
    return cache.get(relative) as T;
}

export { PROJECT_ROOT };
