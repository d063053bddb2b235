/**
 * Platform, the component programs in other languages use through the package's component provider:
 * the stack configuration's document and the secrets in, the platform out, validated by the one schema;
 * and the package schema Pulumi's analyzer derives from its declarations, as provider/ sets it up.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as ts from "typescript";
import * as YAML from "yaml";
import { ConfigError, SECRET_KEYS } from "../../components/config/config";
import { PROJECT } from "../../components/config/stackConfig";
import { PROVIDER_NAME } from "../../components/provider/host";
import { Platform } from "../../components/provider/platform";
import { fakeDigest, plainStrings, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { renderStack, TEST_SECRETS } from "../helpers/render";
import { PROJECT_ROOT } from "../helpers/sharedData";

/** The committed stack's settings as one document: its `ds-platform:*` config keys without the prefix. */
function stackDocument(stack: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    return Object.fromEntries(Object.entries(doc.config as Record<string, unknown>).map(([k, v]) => [k.slice(PROJECT.length + 1), v]));
}

/** What a resource was declared as, secrets unwrapped. */
const declared = (r: { type: string; name: string; inputs: unknown }) => ({ type: r.type, name: r.name, inputs: unwrapSecrets(r.inputs) });

const IMAGE = `registry.example.com/team/notebook@sha256:${fakeDigest("team")}`;
/** A small team platform, as a YAML program writes it. */
const TEAM = {
    cluster: { provider: "kubeconfig", namespace: "team-x" },
    registry: { kind: "external", server: "registry.example.com", repository: "team/notebook" },
    image: { prebuilt: { cpu: IMAGE } },
    hub: { auth: { type: "shared-password", admins: ["admin"] }, generatedSecrets: "chart" },
    images: { hub: `registry.example.com/mirror/k8s-hub@sha256:${fakeDigest("hub")}` },
};
const PASSWORDS = { hubPassword: "team-password", hubAdminPassword: "team-admin-password-of-32-characters" };

/** The ConfigError a Platform declared with `args` throws, or a failure if it throws none. */
function configErrorOf(args: Record<string, unknown>): ConfigError {
    setupMocks(PROJECT, "test");
    try {
        new Platform("team", args);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return e as ConfigError;
    }
    throw new Error("expected a ConfigError");
}

describe("Platform", () => {
    it("given the dev stack's config document and its secrets, declares exactly what the dev stack program declares", async () => {
        const stack = await renderStack("dev", { secrets: TEST_SECRETS.dev });
        const recorder = setupMocks(PROJECT, "dev");
        new Platform("dev", { config: stackDocument("dev"), ...TEST_SECRETS.dev });
        await settle(recorder);
        const [own, ...rest] = recorder.resources;
        expect(own).toMatchObject({ type: "ds-platform:index:Platform", name: "dev" });
        expect(rest.length).toBeGreaterThan(40);
        expect(rest.map(declared)).toEqual(stack.resources.map(declared));
    });

    it("outputs the platform's hub URL, namespace, image and registry, and passes its secrets on as secrets", async () => {
        const recorder = setupMocks(PROJECT, "test");
        const team = new Platform("team", { config: TEAM, ...PASSWORDS });
        await settle(recorder);
        expect(await valueOf(team.namespace)).toBe("team-x");
        expect(await valueOf(team.imageRef)).toBe(IMAGE);
        expect(await valueOf(team.registryUrl)).toBe("registry.example.com");
        expect(await valueOf(team.hubUrl)).toMatch(/^http/);
        const release = recorder.one("kubernetes:helm.sh/v3:Release");
        const inClear = plainStrings(release.inputs).map((s) => s.value);
        expect(inClear).not.toContain(PASSWORDS.hubPassword);
        expect(inClear).not.toContain(PASSWORDS.hubAdminPassword);
        const values = unwrapSecrets(release.inputs.values);
        expect(values.hub.config.SharedPasswordAuthenticator).toMatchObject({ user_password: PASSWORDS.hubPassword, admin_password: PASSWORDS.hubAdminPassword });
        expect(JSON.stringify(values.hub.image)).toContain("registry.example.com/mirror/k8s-hub");
    });

    it("validates the document with the stack configuration's schema and rules, naming each key", () => {
        const typo = configErrorOf({ config: { ...TEAM, protectDate: false }, ...PASSWORDS });
        expect(typo.problems.map((p) => [p.path, p.message])).toEqual([["protectDate", expect.stringContaining('did you mean "protectData"?')]]);
        const rule = configErrorOf({ config: { ...TEAM, hub: { ...TEAM.hub, auth: { type: "ldap" } } }, ...PASSWORDS });
        expect(rule.problems.map((p) => p.path)).toEqual(["hub.auth.type"]);
        const noSecret = configErrorOf({ config: TEAM, hubPassword: PASSWORDS.hubPassword });
        expect(noSecret.problems.map((p) => p.path)).toEqual(["hubAdminPassword"]);
    });

    it("refuses a secret written into the document, and values that are not plain data", () => {
        const inDocument = configErrorOf({ config: { ...TEAM, hubPassword: "in-the-document" }, hubAdminPassword: PASSWORDS.hubAdminPassword });
        expect(inDocument.problems.map((p) => [p.path, p.message])).toEqual([
            ["hubPassword", "is a secret, not a key of the config document; pass it as the component's hubPassword input"],
        ]);
        const secretValue = configErrorOf({ config: { ...TEAM, registry: { ...TEAM.registry, server: pulumi.secret("registry.example.com") } }, ...PASSWORDS });
        expect(secretValue.problems.map((p) => p.path)).toEqual(["registry.server"]);
        expect(secretValue.message).toContain(`pass secrets as the component's own inputs (${SECRET_KEYS.join(", ")})`);
        expect(configErrorOf({ config: pulumi.output(TEAM), ...PASSWORDS }).problems.map((p) => p.path)).toEqual(["config"]);
        expect(configErrorOf({ config: ["cluster"], ...PASSWORDS }).problems.map((p) => p.path)).toEqual(["config"]);
    });
});

describe("the provider's package schema", () => {
    const PROVIDER = path.join(PROJECT_ROOT, "provider");
    let schema: any;
    beforeAll(async () => {
        // The packed package's layout: provider/ as committed, beside bin/ with Platform's declarations.
        const pkg = fs.mkdtempSync(path.join(os.tmpdir(), "ds-platform-provider-"));
        fs.mkdirSync(path.join(pkg, "provider"));
        for (const file of ["package.json", "tsconfig.json", "index.ts"]) {
            fs.copyFileSync(path.join(PROVIDER, file), path.join(pkg, "provider", file));
        }
        const source = fs.readFileSync(path.join(PROJECT_ROOT, "components", "provider", "platform.ts"), "utf8");
        const declaration = ts.transpileDeclaration(source, { fileName: "platform.ts", reportDiagnostics: true });
        expect(declaration.diagnostics ?? []).toEqual([]);
        fs.mkdirSync(path.join(pkg, "bin", "components", "provider"), { recursive: true });
        fs.writeFileSync(path.join(pkg, "bin", "components", "provider", "platform.d.ts"), declaration.outputText);
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(pkg, "node_modules"));
        try {
            const provider = new ComponentProvider({ name: PROVIDER_NAME, dirname: path.join(pkg, "provider"), components: [Platform], version: "1.2.3" });
            schema = JSON.parse(await provider.getSchema());
        } finally {
            fs.rmSync(pkg, { recursive: true, force: true });
        }
    });

    it("has the one resource ds-platform:index:Platform, a component, at the package's version", () => {
        expect(schema).toMatchObject({ name: "ds-platform", version: "1.2.3", types: {}, dependencies: [] });
        expect(Object.keys(schema.resources)).toEqual(["ds-platform:index:Platform"]);
        expect(schema.resources["ds-platform:index:Platform"].isComponent).toBe(true);
    });

    it("takes the config document as Any and the secrets as strings, all optional; outputs four strings", () => {
        const platform = schema.resources["ds-platform:index:Platform"];
        expect(platform.inputProperties.config).toMatchObject({ $ref: "pulumi.json#/Any", optional: true });
        for (const key of SECRET_KEYS) {
            expect(platform.inputProperties[key]).toMatchObject({ type: "string", optional: true });
            expect(platform.inputProperties[key].plain).toBeUndefined();
        }
        expect(platform.inputProperties.projectRoot).toMatchObject({ type: "string", optional: true, plain: true });
        expect(Object.keys(platform.inputProperties).sort()).toEqual(["config", ...SECRET_KEYS, "projectRoot"].sort());
        expect(platform.requiredInputs).toEqual([]);
        expect(platform.properties).toEqual({
            hubUrl: expect.objectContaining({ type: "string" }),
            namespace: expect.objectContaining({ type: "string" }),
            imageRef: expect.objectContaining({ type: "string" }),
            registryUrl: expect.objectContaining({ type: "string" }),
        });
        expect(platform.required).toEqual(["hubUrl", "imageRef", "namespace", "registryUrl"]);
    });

    it("provider/ is the plugin: its executable runs index.js, which serves the compiled host; PulumiPlugin.yaml names the same package", () => {
        const launcher = path.join(PROVIDER, `pulumi-resource-${PROVIDER_NAME}`);
        expect(fs.statSync(launcher).mode & 0o111).toBe(0o111);
        expect(fs.readFileSync(launcher, "utf8")).toMatch(/^#!\/bin\/sh\n[\s\S]*exec node "\$\(dirname "\$0"\)\/index\.js" "\$@"\n$/);
        expect(fs.readFileSync(path.join(PROVIDER, "index.js"), "utf8")).toContain('require("../bin/components/provider/host")');
        expect(fs.readFileSync(path.join(PROVIDER, "index.ts"), "utf8")).toContain('from "../bin/components/provider/platform"');
        expect(JSON.parse(fs.readFileSync(path.join(PROVIDER, "package.json"), "utf8"))).toMatchObject({ name: PROVIDER_NAME, main: "index.js" });
        expect(YAML.parse(fs.readFileSync(path.join(PROVIDER, "PulumiPlugin.yaml"), "utf8"))).toEqual({ name: PROVIDER_NAME, runtime: "nodejs" });
        const files: string[] = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).files;
        expect(files).toEqual(expect.arrayContaining(["bin/components/", "provider/"]));
    });
});
