/**
 * Validation of Zero to JupyterHub 4.4.0 Helm values as the chart itself sees them: the given values
 * are merged over the chart's values.yaml the way Helm merges (mappings recursively, lists and scalars
 * replaced, null deletes a default), then checked against the chart's values.schema.yaml. The schema
 * leaves profileList entries open, so they get KubeSpawner's own checks (`validateProfileList`).
 *
 * Values must be plain data: resolve Outputs first (`valueOf`) and remove secret wrappers (`unwrapSecrets`).
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { validateProfileList } from "../../components/hub/hubValues";
import { loadShared } from "./sharedData";

const SCHEMA = "z2jh/4.4.0/values.schema.yaml";
const DEFAULTS = "z2jh/4.4.0/values.yaml";

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
    if (!validator) {
        const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
        validator = ajv.compile(loadShared<object>(SCHEMA));
    }
    return validator;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Helm's coalescing of user values over chart defaults. */
export function mergeHelmValues(defaults: unknown, overrides: unknown): unknown {
    if (!isMapping(defaults) || !isMapping(overrides)) {
        return overrides === undefined ? defaults : overrides;
    }
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null) {
            delete merged[key];
        } else if (value !== undefined) {
            merged[key] = mergeHelmValues(defaults[key], value);
        }
    }
    return merged;
}

function describe(error: ErrorObject): string {
    const path = error.instancePath.replace(/^\//, "").replace(/\/(\d+)(?=\/|$)/g, "[$1]").replace(/\//g, ".") || "(root)";
    switch (error.keyword) {
        case "additionalProperties":
            return `${path}: unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
        case "enum":
            return `${path}: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
        default:
            return `${path}: ${error.message ?? error.keyword}`;
    }
}

/** Errors (empty when valid) of values over the chart defaults, each naming its key path. */
export function validateZ2jhValues(values: unknown): string[] {
    if (!isMapping(values)) {
        return ["(root): values must be a mapping"];
    }
    const merged = mergeHelmValues(loadShared(DEFAULTS), values) as Record<string, any>;
    const validate = schemaValidator();
    const errors = validate(merged) ? [] : (validate.errors ?? []).map(describe);
    return [...errors, ...validateProfileList(merged.singleuser?.profileList ?? [])];
}
