/**
 * Regenerates the reference data the unit tests validate against (`test/fixtures/schemas/`) from a
 * folder holding the upstream files, and rewrites that folder's SOURCES.md:
 *
 *     npx ts-node --transpile-only scripts/update-reference-schemas.ts [upstream-folder]
 *
 * The upstream folder (default `../shared/schemas` beside the project) has the layout of the
 * fixtures: `kubernetes/v1.35.0-swagger.json`, `z2jh/4.4.0/{values.schema.yaml,values.yaml}` and
 * `nvidia-device-plugin/0.20.0/values.yaml`; SOURCES.md says where each file comes from.
 *
 * The chart files are copied byte for byte. The Kubernetes OpenAPI spec (4 MB) is trimmed to what
 * strict validation of the kinds a stack can declare needs (`trimKubernetesSpec`), and the result is
 * checked to validate exactly as the full spec does for those kinds (`checkTrimmedSpec`).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures", "schemas");
const DEFAULT_SOURCE = path.resolve(ROOT, "..", "shared", "schemas");

export const KUBERNETES_SPEC = "kubernetes/v1.35.0-swagger.json";

/**
 * The API group/versions whose kinds are kept (core is ""): those the stacks declare (core, apps,
 * networking.k8s.io, rbac.authorization.k8s.io, scheduling.k8s.io, storage.k8s.io and
 * admissionregistration.k8s.io for the executor namespaces' ValidatingAdmissionPolicies, all v1) and
 * the other stable workload APIs a component could add (batch/v1 Jobs, policy/v1 disruption budgets,
 * autoscaling/v2). CRDs (apiextensions) and the cluster-internal APIs are left out: nothing in the
 * project declares them, and a kind outside this list fails validation as "not in the spec".
 */
export const KEPT_GROUP_VERSIONS = [
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
];

interface Source {
    file: string;
    what: string;
    upstream: string;
    licence: string;
    produced: "copied" | "trimmed";
}

const SOURCES: Source[] = [
    {
        file: KUBERNETES_SPEC,
        what: "Kubernetes v1.35.0 OpenAPI v2 spec, trimmed (see below)",
        upstream:
            "kubernetes-client/javascript, commit 072811b3, `src/gen/swagger.json.unprocessed`: the OpenAPI spec of " +
            "Kubernetes v1.35.0 (kubernetes/kubernetes `api/openapi-spec/swagger.json`) as that client's generator fetched it",
        licence: "Apache-2.0 (The Kubernetes Authors), `LICENSES/Apache-2.0.txt`",
        produced: "trimmed",
    },
    {
        file: "z2jh/4.4.0/values.schema.yaml",
        what: "JSON Schema (draft-07, in YAML) of the Zero to JupyterHub chart's values",
        upstream: "jupyterhub/zero-to-jupyterhub-k8s, tag 4.4.0, `jupyterhub/values.schema.yaml`",
        licence: "BSD-3-Clause (Project Jupyter Contributors), `LICENSES/BSD-3-Clause-zero-to-jupyterhub-k8s.txt`",
        produced: "copied",
    },
    {
        file: "z2jh/4.4.0/values.yaml",
        what: "that chart's default values, as in the source tree (image tags read `set-by-chartpress`)",
        upstream: "jupyterhub/zero-to-jupyterhub-k8s, tag 4.4.0, `jupyterhub/values.yaml`",
        licence: "BSD-3-Clause (Project Jupyter Contributors), `LICENSES/BSD-3-Clause-zero-to-jupyterhub-k8s.txt`",
        produced: "copied",
    },
    {
        file: "nvidia-device-plugin/0.20.0/values.yaml",
        what: "default values of the NVIDIA device plugin Helm chart 0.20.0",
        upstream: "NVIDIA/k8s-device-plugin, tag v0.20.0, `deployments/helm/nvidia-device-plugin/values.yaml`",
        licence: "Apache-2.0, `LICENSES/Apache-2.0.txt`",
        produced: "copied",
    },
];

type Definitions = Record<string, any>;

const groupVersion = (g: { group?: string; version: string }): string => (g.group ? `${g.group}/${g.version}` : g.version);

/** Names of the definitions another definition's `$ref`s point at. */
function refsOf(node: unknown, out: Set<string> = new Set()): Set<string> {
    if (Array.isArray(node)) {
        node.forEach((n) => refsOf(n, out));
    } else if (node !== null && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
            if (k === "$ref" && typeof v === "string") {
                out.add(v.replace(/^#\/definitions\//, ""));
            } else {
                refsOf(v, out);
            }
        }
    }
    return out;
}

/**
 * Drops `description` keys (prose; the validator ignores them) but not properties that happen to
 * be named `description`.
 */
function withoutDescriptions(node: unknown): unknown {
    if (Array.isArray(node)) {
        return node.map(withoutDescriptions);
    }
    if (node === null || typeof node !== "object") {
        return node;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === "properties" && v !== null && typeof v === "object") {
            out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, withoutDescriptions(s)]));
        } else if (k !== "description") {
            out[k] = withoutDescriptions(v);
        }
    }
    return out;
}

/**
 * The trimming rule: keep every definition with an `x-kubernetes-group-version-kind` in
 * KEPT_GROUP_VERSIONS, plus every definition those reach through `$ref`, transitively; drop
 * `description` prose, the API paths, parameters and security sections. Everything else of a kept
 * definition (types, formats, enums, required lists, `x-kubernetes-*` extensions) is unchanged.
 */
export function trimKubernetesSpec(spec: any, source: { sha256: string }): any {
    const all: Definitions = spec.definitions;
    const wanted = new Set(KEPT_GROUP_VERSIONS);
    const kept = new Set<string>();
    const queue = Object.keys(all).filter((name) => (all[name]["x-kubernetes-group-version-kind"] ?? []).some((g: any) => wanted.has(groupVersion(g))));
    while (queue.length > 0) {
        const name = queue.pop()!;
        if (kept.has(name)) {
            continue;
        }
        if (!all[name]) {
            throw new Error(`${KUBERNETES_SPEC}: $ref to a missing definition "${name}"`);
        }
        kept.add(name);
        queue.push(...refsOf(all[name]));
    }
    const definitions: Definitions = {};
    for (const name of Object.keys(all)) {
        if (kept.has(name)) {
            definitions[name] = withoutDescriptions(all[name]);
        }
    }
    return {
        swagger: spec.swagger,
        info: spec.info,
        "x-ds-platform-trimmed": {
            from: `${KUBERNETES_SPEC} sha256 ${source.sha256} (${Object.keys(all).length} definitions)`,
            rule: "definitions with an x-kubernetes-group-version-kind in keptGroupVersions, plus all they $ref; description keys removed; paths, parameters and security dropped",
            keptGroupVersions: KEPT_GROUP_VERSIONS,
            by: "scripts/update-reference-schemas.ts",
        },
        definitions,
    };
}

/**
 * Proof that the trimmed spec validates like the full one for every kept kind: each kept kind maps
 * to the same definition, every `$ref` resolves, and each kept definition is the upstream one minus
 * its descriptions (which test/helpers/kubeSchema.ts discards anyway).
 */
export function checkTrimmedSpec(full: any, trimmed: any): void {
    const problems: string[] = [];
    const wanted = new Set(KEPT_GROUP_VERSIONS);
    const kindIndex = (defs: Definitions): Map<string, string> => {
        const index = new Map<string, string>();
        for (const [name, def] of Object.entries(defs)) {
            for (const g of def["x-kubernetes-group-version-kind"] ?? []) {
                if (wanted.has(groupVersion(g))) {
                    index.set(`${groupVersion(g)}/${g.kind}`, name);
                }
            }
        }
        return index;
    };
    const fullIndex = kindIndex(full.definitions);
    const trimmedIndex = kindIndex(trimmed.definitions);
    for (const [kind, name] of fullIndex) {
        if (trimmedIndex.get(kind) !== name) {
            problems.push(`${kind}: ${name} in the full spec, ${trimmedIndex.get(kind)} in the trimmed one`);
        }
    }
    for (const [name, def] of Object.entries<any>(trimmed.definitions)) {
        if (JSON.stringify(def) !== JSON.stringify(withoutDescriptions(full.definitions[name]))) {
            problems.push(`${name}: differs from the upstream definition`);
        }
        for (const ref of refsOf(def)) {
            if (!trimmed.definitions[ref]) {
                problems.push(`${name}: $ref to ${ref}, which was not kept`);
            }
        }
    }
    if (problems.length > 0) {
        throw new Error(`trimmed Kubernetes spec does not match the full one:\n  ${problems.join("\n  ")}`);
    }
}

/** Minified JSON with one definition per line, so that a regeneration diffs by definition. */
export function specText(spec: any): string {
    const { definitions, ...head } = spec;
    const lines = Object.entries(definitions).map(([name, def]) => `${JSON.stringify(name)}:${JSON.stringify(def)}`);
    return `${JSON.stringify(head).slice(0, -1)},"definitions":{\n${lines.join(",\n")}\n}}\n`;
}

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

function sourcesMarkdown(rows: { source: Source; inputSha: string; inputBytes: number; outputSha: string; outputBytes: number }[], counts: string): string {
    const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
    return `# Reference schemas for the unit tests

Upstream data that \`test/helpers/kubeSchema.ts\`, \`z2jhSchema.ts\` and \`test/gpu/nvidiaDevicePlugin.test.ts\`
validate the rendered stacks against. Generated by \`scripts/update-reference-schemas.ts\` from a
folder holding the upstream files (default \`../shared/schemas\`); do not edit by hand:

    npx ts-node --transpile-only scripts/update-reference-schemas.ts [upstream-folder]

The tests read this folder unless \`DS_PLATFORM_SCHEMAS\` names another one with the same layout
(for instance the untrimmed upstream files).

| file | what | upstream (project, tag or commit, path) | licence | produced |
| --- | --- | --- | --- | --- |
${rows.map(({ source: s }) => `| \`${s.file}\` | ${s.what} | ${s.upstream} | ${s.licence} | ${s.produced === "copied" ? "copied unchanged" : "trimmed by the script"} |`).join("\n")}

Checksums (sha256) of the upstream file each was produced from and of the committed file:

| file | upstream sha256 | upstream size | committed sha256 | committed size |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| \`${r.source.file}\` | \`${r.inputSha}\` | ${kib(r.inputBytes)} | \`${r.outputSha}\` | ${kib(r.outputBytes)} |`).join("\n")}

## The trimmed Kubernetes spec

Strict validation looks an object's definition up by apiVersion and kind and follows \`$ref\`s, so
the spec is cut down to:

- every definition whose \`x-kubernetes-group-version-kind\` names one of these group/versions
  (\`v1\` is the core group):
  ${KEPT_GROUP_VERSIONS.map((gv) => `\`${gv}\``).join(", ")};
- every definition those reach through \`$ref\`, transitively;
- with \`description\` keys removed (the validator ignores them), and without the spec's \`paths\`,
  \`parameters\` and security sections. Nothing else in a kept definition changes.

${counts}

The script checks that each kept kind maps to the same definition as in the full spec, that every \`$ref\` resolves, and that each kept definition equals the upstream one without its
descriptions: validation of those kinds gives the same result as with the full spec. A kind outside
the list is reported as not in the spec; to validate one, add its group/version to
\`KEPT_GROUP_VERSIONS\` in the script and regenerate.

## Licences

The Kubernetes spec and the NVIDIA chart values are under the Apache License 2.0
(\`LICENSES/Apache-2.0.txt\`); the trimmed spec is a modified copy, changed as described above. The
Zero to JupyterHub files are under the BSD 3-Clause licence, whose notice is in
\`LICENSES/BSD-3-Clause-zero-to-jupyterhub-k8s.txt\`.
`;
}

function main(): void {
    const source = path.resolve(process.argv[2] ?? DEFAULT_SOURCE);
    for (const s of SOURCES) {
        if (!fs.existsSync(path.join(source, s.file))) {
            throw new Error(`${path.join(source, s.file)} not found: give the folder holding the upstream files as the first argument`);
        }
    }
    const rows = [];
    let counts = "";
    for (const s of SOURCES) {
        const input = fs.readFileSync(path.join(source, s.file));
        const inputSha = sha256(input);
        let output: Buffer | string = input;
        if (s.produced === "trimmed") {
            const full = JSON.parse(input.toString("utf8"));
            const trimmed = trimKubernetesSpec(full, { sha256: inputSha });
            checkTrimmedSpec(full, trimmed);
            output = specText(trimmed);
            if (JSON.stringify(JSON.parse(output)) !== JSON.stringify(trimmed)) {
                throw new Error("specText does not round-trip");
            }
            const kinds = Object.values<any>(trimmed.definitions).filter((d) => d["x-kubernetes-group-version-kind"]).length;
            counts = `It keeps ${Object.keys(trimmed.definitions).length} of the ${Object.keys(full.definitions).length} definitions (${kinds} of them kinds).`;
        }
        const target = path.join(FIXTURES, s.file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, output);
        rows.push({ source: s, inputSha, inputBytes: input.length, outputSha: sha256(output), outputBytes: Buffer.byteLength(output) });
        console.log(`${s.file}: ${s.produced} (${input.length} -> ${Buffer.byteLength(output)} bytes)`);
    }
    fs.writeFileSync(path.join(FIXTURES, "SOURCES.md"), sourcesMarkdown(rows, counts));
    console.log(`${path.relative(ROOT, FIXTURES)}/SOURCES.md written`);
}

if (require.main === module) {
    main();
}
