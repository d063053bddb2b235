/**
 * Locates the upstream reference data (Kubernetes OpenAPI spec, chart schemas and values) that tests
 * validate against. It is committed under `test/fixtures/schemas/` (see its SOURCES.md for the
 * sources, licences and the script that regenerates it), so a clone tests with nothing beside it.
 * DS_PLATFORM_SCHEMAS points the tests at another folder of the same layout instead, such as the
 * untrimmed upstream files. A missing folder or file fails loudly; validation is never skipped.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const SCHEMAS_ENV = "DS_PLATFORM_SCHEMAS";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/** The committed reference data. */
export const FIXTURE_SCHEMAS = path.join(PROJECT_ROOT, "test", "fixtures", "schemas");

function source(): string {
    return process.env[SCHEMAS_ENV] ? `${SCHEMAS_ENV}=${process.env[SCHEMAS_ENV]}` : "the committed test/fixtures/schemas";
}

export function schemasDir(): string {
    const dir = process.env[SCHEMAS_ENV] ? path.resolve(process.env[SCHEMAS_ENV]!) : FIXTURE_SCHEMAS;
    if (!fs.existsSync(dir)) {
        throw new Error(
            `Reference schemas not found at ${dir} (from ${source()}). Unset ${SCHEMAS_ENV} to use test/fixtures/schemas, ` +
                "or point it at a folder with kubernetes/v1.35.0-swagger.json, z2jh/4.4.0/values.schema.yaml, z2jh/4.4.0/values.yaml " +
                "and nvidia-device-plugin/0.20.0/values.yaml.",
        );
    }
    return dir;
}

export function sharedFile(relative: string): string {
    const file = path.join(schemasDir(), relative);
    if (!fs.existsSync(file)) {
        throw new Error(`Reference file missing: ${file} (from ${source()}; scripts/update-reference-schemas.ts regenerates test/fixtures/schemas)`);
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
