/**
 * Golden renderings: each committed stack, rendered whole under mocks from its Pulumi.<stack>.yaml,
 * must declare exactly the resources (type, name, parent, declared options, every input) and
 * outputs recorded in test/golden/<stack>.json. A refactor that changes none of them changes no
 * deployment. When a change to the rendering is intended, regenerate the files and review their diff:
 *
 *   UPDATE_GOLDEN=1 npx jest test/golden.test.ts
 *
 * The files hold no machine-dependent values (see `normalize`): the same checkout renders the same
 * bytes anywhere.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { contextDigest } from "../components/image/notebookImage";
import { fakeDigest, isSecret, registerMockOutputs, valueOf } from "./helpers/mocks";
import { committedStacks, renderStack, TEST_SECRETS } from "./helpers/render";
import { PROJECT_ROOT } from "./helpers/sharedData";

const GOLDEN_DIR = path.join(__dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

// Markers of Pulumi's serialized values (@pulumi/pulumi runtime/rpc).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Machine-dependent strings and their placeholders, longest first:
 * - the project root: the image build context is an absolute path (`projectRoot` defaults to the
 *   package's own folder, the clone's root here), so it differs between clones;
 * - the notebook build context's digest (and the 12-digit prefix image tags carry): it hashes the
 *   files of images/notebook as they are on disk, executable bits and files outside git included,
 *   so a checkout without exec bits or with a stray local file would render other tags. Whether the
 *   digest follows the context is tested in image/notebookImage.test.ts.
 */
function machineDependent(): [string, string][] {
    const digest = contextDigest(path.join(PROJECT_ROOT, "images", "notebook"));
    const pairs: [string, string][] = [
        [PROJECT_ROOT, "<projectRoot>"],
        [process.cwd(), "<projectRoot>"],
        [digest, "<notebookContextDigest>"],
        [digest.slice(0, 12), "<notebookContextDigest:12>"],
    ];
    return pairs.sort((a, b) => b[0].length - a[0].length);
}
const REPLACEMENTS = machineDependent();

function normalizeString(s: string): string {
    if (s === UNKNOWN) {
        return "<unknown>";
    }
    return REPLACEMENTS.reduce((acc, [from, to]) => acc.split(from).join(to), s);
}

/** Serialized inputs made stable and readable: secrets wrapped as `{"<secret>": value}`, unknowns and resource references named, keys sorted. */
function normalize(v: any): any {
    if (typeof v === "string") {
        return normalizeString(v);
    }
    if (Array.isArray(v)) {
        return v.map(normalize);
    }
    if (v !== null && typeof v === "object") {
        if (v[SIG_KEY] === SECRET_SIG) {
            return { "<secret>": normalize(v.value) };
        }
        if (v[SIG_KEY] === RESOURCE_SIG) {
            return { "<resource>": normalize(v.urn) };
        }
        if (v[SIG_KEY] === OUTPUT_VALUE_SIG) {
            const inner = "value" in v ? normalize(v.value) : "<unknown>";
            return v.secret ? { "<secret>": inner } : inner;
        }
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .filter((k) => v[k] !== undefined)
                .map((k) => [k, normalize(v[k])]),
        );
    }
    return v;
}

// The mock image digest hashes the build's inputs, which hold the absolute context path and the
// context digest: hash them normalized, so the digest (and every reference to the image) is stable.
registerMockOutputs("docker-build:index:Image", (a) => {
    const digest = `sha256:${fakeDigest(JSON.stringify(normalize(a.inputs)))}`;
    const tag: string = (a.inputs.tags ?? [])[0] ?? "";
    const repository = tag.replace(/:[^:/]+$/, "");
    return { digest, ref: `${repository}@${digest}` };
});

interface GoldenResource {
    type: string;
    name: string;
    parent?: string;
    options?: Record<string, unknown>;
    inputs: Record<string, unknown>;
}

interface Golden {
    stack: string;
    outputs: Record<string, unknown>;
    resources: GoldenResource[];
}

async function golden(stack: string): Promise<Golden> {
    const rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] ?? {} });
    const declared = new Map(rendered.options.map((o) => [`${o.type}::${o.name}`, o]));
    const resources = rendered.resources.map((r): GoldenResource => {
        const options = declared.get(`${r.type}::${r.name}`);
        const opts = options ? normalize(options.declared) : {};
        return {
            type: r.type,
            name: r.name,
            ...(options?.parent ? { parent: options.parent } : {}),
            ...(Object.keys(opts).length > 0 ? { options: opts } : {}),
            inputs: normalize(r.inputs),
        };
    });
    resources.sort((a, b) => (a.type === b.type ? compare(a.name, b.name) : compare(a.type, b.type)));
    const outputs: Record<string, unknown> = {};
    for (const [key, output] of Object.entries(rendered.outputs).sort(([a], [b]) => compare(a, b))) {
        if (output === undefined) {
            continue;
        }
        const value = normalize(await valueOf(output as pulumi.Output<unknown>));
        outputs[key] = (await isSecret(output as pulumi.Output<unknown>)) ? { "<secret>": value } : value;
    }
    return { stack, outputs, resources };
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function render(g: Golden): string {
    return `${JSON.stringify(g, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// A readable difference: which resource, which input path, expected and actual values.
// ---------------------------------------------------------------------------------------------

function short(v: unknown): string {
    const s = v === undefined ? "(absent)" : JSON.stringify(v);
    return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

function differences(expected: unknown, actual: unknown, at: string): string[] {
    if (JSON.stringify(expected) === JSON.stringify(actual)) {
        return [];
    }
    const bothObjects = expected !== null && actual !== null && typeof expected === "object" && typeof actual === "object" && Array.isArray(expected) === Array.isArray(actual);
    if (!bothObjects) {
        return [`${at}: ${short(expected)} -> ${short(actual)}`];
    }
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])];
    return keys.flatMap((k) => differences(e[k], a[k], Array.isArray(expected) ? `${at}[${k}]` : `${at}.${k}`));
}

function goldenDifferences(expected: Golden, actual: Golden): string[] {
    const key = (r: GoldenResource) => `${r.type} ${r.name}`;
    const before = new Map(expected.resources.map((r) => [key(r), r]));
    const after = new Map(actual.resources.map((r) => [key(r), r]));
    const found: string[] = [];
    for (const [k, r] of before) {
        const now = after.get(k);
        if (!now) {
            found.push(`- ${k}: no longer declared`);
            continue;
        }
        const { type: _t, name: _n, ...was } = r;
        const { type: _t2, name: _n2, ...is } = now;
        found.push(...differences(was, is, "").map((d) => `~ ${k} ${d.slice(1)}`));
    }
    for (const k of after.keys()) {
        if (!before.has(k)) {
            found.push(`+ ${k}: newly declared`);
        }
    }
    found.push(...differences(expected.outputs, actual.outputs, "outputs").map((d) => `~ ${d}`));
    return found;
}

describe.each(committedStacks())("stack %s", (stack) => {
    const file = path.join(GOLDEN_DIR, `${stack}.json`);

    it(`declares exactly the resources and outputs of test/golden/${stack}.json`, async () => {
        const actual = await golden(stack);
        const keys = actual.resources.map((r) => `${r.type} ${r.name}`);
        expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
        if (UPDATE) {
            fs.mkdirSync(GOLDEN_DIR, { recursive: true });
            fs.writeFileSync(file, render(actual));
            return;
        }
        if (!fs.existsSync(file)) {
            throw new Error(`${path.relative(PROJECT_ROOT, file)} is missing: run UPDATE_GOLDEN=1 npx jest test/golden.test.ts`);
        }
        const expected: Golden = JSON.parse(fs.readFileSync(file, "utf8"));
        const diff = goldenDifferences(expected, actual);
        if (diff.length > 0) {
            const shown = diff.slice(0, 50);
            throw new Error(
                `The ${stack} stack renders differently from test/golden/${stack}.json (${diff.length} difference(s); expected -> actual):\n` +
                    shown.join("\n") +
                    (diff.length > shown.length ? `\n... and ${diff.length - shown.length} more` : "") +
                    "\nIf the change is intended, regenerate with UPDATE_GOLDEN=1 npx jest test/golden.test.ts and review the diff.",
            );
        }
        // Byte-for-byte too, so key order and formatting of the committed file stay canonical.
        expect(render(actual)).toBe(fs.readFileSync(file, "utf8"));
    });
});
