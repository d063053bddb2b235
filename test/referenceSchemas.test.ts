/** The reference-data validators themselves: strict, and loud when the data is missing. */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateKubernetesObject, kubernetesGvk } from "./helpers/kubeSchema";
import { FIXTURE_SCHEMAS, SCHEMAS_ENV, loadShared } from "./helpers/sharedData";

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x", resources: { limits: { cpu: 1, memory: "1Gi" } } }] } };

test("a valid object passes; quantities may be numbers or strings", () => {
    expect(validateKubernetesObject(pod)).toEqual([]);
});

test("unknown fields are errors, as with kubectl --validate=strict", () => {
    const bad = { ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0], imagePullPolicyy: "Always" }] } };
    expect(validateKubernetesObject(bad)).toEqual(['/spec/containers/0: unknown field "imagePullPolicyy"']);
});

test("wrong types and unknown kinds are errors", () => {
    expect(validateKubernetesObject({ ...pod, spec: { containers: "none" } })).toEqual(["/spec/containers: must be array"]);
    expect(validateKubernetesObject({ apiVersion: "example.com/v1", kind: "Widget" })).toEqual(["example.com/v1/Widget is not in the Kubernetes v1.35 spec"]);
});

test("Pulumi type tokens map to apiVersion and kind", () => {
    expect(kubernetesGvk("kubernetes:apps/v1:Deployment")).toEqual({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(kubernetesGvk("kubernetes:core/v1:Secret")).toEqual({ apiVersion: "v1", kind: "Secret" });
    expect(kubernetesGvk("kubernetes:helm.sh/v3:Release")).toBeUndefined();
});

/** Runs `expression` on the sharedData module in a fresh process; returns stdout, or stderr when it throws. */
function inFreshProcess(expression: string, env: Record<string, string | undefined>): { ok: boolean; output: string } {
    const script = `const d = require(${JSON.stringify(path.join(__dirname, "helpers", "sharedData.ts"))}); console.log(${expression})`;
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) {
        if (v === undefined) {
            delete childEnv[k];
        }
    }
    try {
        return { ok: true, output: execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { env: childEnv, stdio: "pipe" }).toString() };
    } catch (e) {
        return { ok: false, output: String((e as { stderr: Buffer }).stderr) };
    }
}

describe("where the reference data comes from", () => {
    test(`by default the committed test/fixtures/schemas, with ${SCHEMAS_ENV} unset`, () => {
        const { ok, output } = inFreshProcess('d.sharedFile("kubernetes/v1.35.0-swagger.json")', { [SCHEMAS_ENV]: undefined });
        expect(ok).toBe(true);
        expect(output.trim()).toBe(path.join(FIXTURE_SCHEMAS, "kubernetes", "v1.35.0-swagger.json"));
    });

    test(`a missing ${SCHEMAS_ENV} folder fails with a message naming ${SCHEMAS_ENV}, never a skip`, () => {
        const { ok, output } = inFreshProcess('d.loadShared("kubernetes/v1.35.0-swagger.json")', { [SCHEMAS_ENV]: "/nonexistent-reference-schemas" });
        expect(ok).toBe(false);
        expect(output).toContain("Reference schemas not found at /nonexistent-reference-schemas");
        expect(output).toContain(SCHEMAS_ENV);
    });

    test("a folder without the file fails with a message naming the file, never a skip", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "reference-schemas-"));
        try {
            const { ok, output } = inFreshProcess('d.loadShared("z2jh/4.4.0/values.schema.yaml")', { [SCHEMAS_ENV]: empty });
            expect(ok).toBe(false);
            expect(output).toContain(`Reference file missing: ${path.join(empty, "z2jh", "4.4.0", "values.schema.yaml")}`);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });
});

describe("the committed fixtures", () => {
    const sources = fs.readFileSync(path.join(FIXTURE_SCHEMAS, "SOURCES.md"), "utf8");
    /** `| \`file\` | \`upstream sha\` | size | \`committed sha\` | size |` rows of SOURCES.md. */
    const checksums = [...sources.matchAll(/^\| `([^`]+)` \| `([a-f0-9]{64})` \| [^|]+ \| `([a-f0-9]{64})` \| [^|]+ \|$/gm)].map((m) => ({ file: m[1], committed: m[3] }));

    test("are the files SOURCES.md lists, unchanged since the script wrote them", () => {
        expect(checksums.map((c) => c.file).sort()).toEqual(
            ["kubernetes/v1.35.0-swagger.json", "nvidia-device-plugin/0.20.0/values.yaml", "z2jh/4.4.0/values.schema.yaml", "z2jh/4.4.0/values.yaml"].sort(),
        );
        for (const { file, committed } of checksums) {
            const actual = crypto.createHash("sha256").update(fs.readFileSync(path.join(FIXTURE_SCHEMAS, file))).digest("hex");
            expect({ file, sha256: actual }).toEqual({ file, sha256: committed });
        }
    });

    test("the Kubernetes spec in use resolves every $ref it holds", () => {
        const definitions = loadShared<any>("kubernetes/v1.35.0-swagger.json").definitions as Record<string, unknown>;
        const refs = new Set([...JSON.stringify(definitions).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)].map((m) => m[1]));
        expect(refs.size).toBeGreaterThan(100);
        expect([...refs].filter((r) => !(r in definitions))).toEqual([]);
    });
});
