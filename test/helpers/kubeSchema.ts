/**
 * Strict validation of Kubernetes objects against the v1.35 OpenAPI spec, as
 * `kubectl apply --validate=strict` does: unknown fields are errors. The spec leaves
 * `additionalProperties` unset, so every object schema that lists `properties` is closed here.
 */
import Ajv, { ValidateFunction } from "ajv";
import { loadShared } from "./sharedData";

const SPEC = "kubernetes/v1.35.0-swagger.json";

interface Gvk {
    group: string;
    version: string;
    kind: string;
}

let ajv: Ajv | undefined;
let index: Map<string, string> | undefined;
const validators = new Map<string, ValidateFunction>();

function strictDefinitions(defs: Record<string, any>): Record<string, any> {
    const close = (node: any): any => {
        if (Array.isArray(node)) {
            return node.map(close);
        }
        if (node === null || typeof node !== "object") {
            return node;
        }
        const out: any = {};
        for (const [k, v] of Object.entries(node)) {
            if (k === "$ref") {
                out.$ref = String(v).replace("#/definitions/", "k8s#/definitions/");
            } else if (k === "properties") {
                out.properties = Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, close(s)]));
            } else if (k.startsWith("x-") || k === "description") {
                continue;
            } else {
                out[k] = close(v);
            }
        }
        if (node.properties && node.additionalProperties === undefined) {
            out.additionalProperties = false;
        }
        if (node.format === "int-or-string") {
            return { anyOf: [{ type: "string" }, { type: "integer" }] };
        }
        return out;
    };
    const out: Record<string, any> = {};
    for (const [name, def] of Object.entries(defs)) {
        out[name] = close(def);
    }
    // Quantities are written as strings or numbers.
    out["io.k8s.apimachinery.pkg.api.resource.Quantity"] = { anyOf: [{ type: "string" }, { type: "number" }] };
    out["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = { anyOf: [{ type: "string" }, { type: "integer" }] };
    return out;
}

function setup(): { ajv: Ajv; index: Map<string, string> } {
    if (!ajv || !index) {
        const spec = loadShared<any>(SPEC);
        ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
        ajv.addSchema({ $id: "k8s", definitions: strictDefinitions(spec.definitions) });
        index = new Map();
        for (const [name, def] of Object.entries<any>(spec.definitions)) {
            for (const g of (def["x-kubernetes-group-version-kind"] ?? []) as Gvk[]) {
                index.set(`${g.group ? `${g.group}/` : ""}${g.version}/${g.kind}`, name);
            }
        }
    }
    return { ajv, index };
}

/** The spec definition name for an apiVersion/kind, or undefined for types the spec does not hold (CRDs). */
export function definitionFor(apiVersion: string, kind: string): string | undefined {
    return setup().index.get(`${apiVersion}/${kind}`);
}

/** Errors for one object (empty when valid). Each error names the JSON path and the problem. */
export function validateKubernetesObject(obj: any): string[] {
    if (!obj || typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
        return ["object has no apiVersion/kind"];
    }
    const def = definitionFor(obj.apiVersion, obj.kind);
    if (!def) {
        return [`${obj.apiVersion}/${obj.kind} is not in the Kubernetes v1.35 spec`];
    }
    let validate = validators.get(def);
    if (!validate) {
        validate = setup().ajv.getSchema(`k8s#/definitions/${def}`)!;
        validators.set(def, validate);
    }
    if (validate(obj)) {
        return [];
    }
    return (validate.errors ?? []).map((e) =>
        e.keyword === "additionalProperties"
            ? `${e.instancePath || "/"}: unknown field "${(e.params as any).additionalProperty}"`
            : `${e.instancePath || "/"}: ${e.message}`,
    );
}

/**
 * Maps a Pulumi Kubernetes type token such as `kubernetes:apps/v1:Deployment` to apiVersion/kind,
 * or undefined for tokens that are not plain Kubernetes objects (Helm releases, providers, lists).
 */
export function kubernetesGvk(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([a-z0-9.-]+)\/([a-z0-9]+):([A-Za-z]+)$/.exec(type);
    if (!m || m[1] === "helm.sh" || m[1] === "yaml" || m[3].endsWith("List") || m[3].endsWith("Patch")) {
        return undefined;
    }
    return { apiVersion: m[1] === "core" ? m[2] : `${m[1]}/${m[2]}`, kind: m[3] };
}
