/**
 * Writes the e2e stack's config file from the template (test/e2e/stack.yaml): the notebook image by
 * digest, the hub chart's source, the registry, and the mirrored third-party images.
 *
 *   ts-node --transpile-only test/e2e/render-stack.ts OUT
 *
 * Env: E2E_NOTEBOOK_IMAGE, E2E_HUB_CHART, E2E_REGISTRY (required); E2E_IMAGES_JSON (the JSON that
 * .ci/e2e/airgap-images.sh --out writes: {"hub": ref, "user-scheduler": ref, ...}; default: none,
 * the chart's own images); E2E_NAMESPACE; E2E_KUBERNETES_VERSION ("1.33"; "none" drops
 * cluster.kubernetesVersion); E2E_TEMPLATE (default: the template beside this file).
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const PROJECT = "ds-platform";
/** airgap-images.sh names -> keys of the stack's `images` config (one table, also read by .ci/consumer-test.sh). */
const IMAGE_KEYS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", ".ci", "e2e", "image-keys.json"), "utf8"));

function need(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set`);
    }
    return value;
}

function main(out: string | undefined): void {
    if (!out) {
        throw new Error("usage: render-stack.ts OUT");
    }
    const template = process.env.E2E_TEMPLATE ?? path.join(__dirname, "stack.yaml");
    const doc = YAML.parseDocument(fs.readFileSync(template, "utf8"));
    const key = (k: string) => ["config", `${PROJECT}:${k}`];

    doc.setIn([...key("image"), "prebuilt", "cpu"], need("E2E_NOTEBOOK_IMAGE"));
    doc.setIn([...key("hub"), "chart", "repository"], need("E2E_HUB_CHART"));
    doc.setIn([...key("registry"), "server"], need("E2E_REGISTRY"));
    if (process.env.E2E_NAMESPACE) {
        doc.setIn([...key("cluster"), "namespace"], process.env.E2E_NAMESPACE);
    }
    const version = process.env.E2E_KUBERNETES_VERSION;
    if (version === "none") {
        doc.deleteIn([...key("cluster"), "kubernetesVersion"]);
    } else if (version) {
        doc.setIn([...key("cluster"), "kubernetesVersion"], version);
    }
    if (process.env.E2E_IMAGES_JSON) {
        const mirrored = JSON.parse(fs.readFileSync(process.env.E2E_IMAGES_JSON, "utf8")) as Record<string, string>;
        const images: Record<string, string> = {};
        for (const [name, ref] of Object.entries(mirrored)) {
            const k = IMAGE_KEYS[name];
            if (!k) {
                throw new Error(`${process.env.E2E_IMAGES_JSON}: unknown image ${name}; known: ${Object.keys(IMAGE_KEYS).join(", ")}`);
            }
            images[k] = ref;
        }
        doc.setIn(key("images"), doc.createNode(images));
    }

    const text = doc.toString({ lineWidth: 0 });
    const left = /"@[A-Z_]+@"/.exec(text);
    if (left) {
        throw new Error(`placeholder ${left[0]} is still in the rendered config`);
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text, { mode: 0o600 });
}

try {
    main(process.argv[2]);
} catch (e) {
    console.error(`render-stack.ts: ${(e as Error).message}`);
    process.exit(1);
}
