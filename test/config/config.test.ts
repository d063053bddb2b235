/**
 * Bad input is met with a clear error before any resource is declared. The corpus in
 * fixtures/invalid-configs.yaml changes a committed stack; each case must fail with a ConfigError
 * that names the key path and what is allowed, never a stack trace or a TypeError.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, memoryBytes, parsePlatformConfig } from "../../components/config/config";
import { renderStack, TEST_SECRETS } from "../helpers/render";
import { ResourceRecorder, settle, setupMocks } from "../helpers/mocks";

interface InvalidCase {
    name: string;
    base: string;
    set?: Record<string, unknown>;
    secrets?: Record<string, string>;
    path: string;
    message: string;
}

const corpus: InvalidCase[] = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "invalid-configs.yaml"), "utf8"));

test("the corpus holds at least 25 distinct invalid configurations", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
});

describe.each(corpus.map((c) => [c.name, c] as const))("rejects: %s", (_name, c) => {
    it(`names ${c.path} and what is allowed, before any resource is declared`, async () => {
        let error: unknown;
        const recorder = new ResourceRecorder();
        try {
            await renderStack(c.base, { overrides: c.set, secrets: c.secrets ?? TEST_SECRETS[c.base], recorder });
        } catch (e) {
            error = e;
        }
        await settle(recorder);
        expect(recorder.resources).toHaveLength(0);
        expect(error).toBeInstanceOf(ConfigError);
        const problems = (error as ConfigError).problems;
        const match = problems.find((p) => p.path === c.path);
        expect({ problems, match: !!match }).toMatchObject({ match: true });
        expect(match!.message).toContain(c.message);
        // One readable line per problem, no stack-trace noise.
        expect((error as Error).message).toContain(`${c.path}: `);
        expect((error as Error).message).not.toMatch(/TypeError|at Object\./);
    });
});

test("an invalid configuration declares nothing", async () => {
    const recorder = setupMocks();
    await expect(renderStack("dev", { overrides: { hub: { auth: { type: "ldap" } } }, secrets: TEST_SECRETS.dev })).rejects.toThrow(ConfigError);
    expect(recorder.resources).toHaveLength(0);
});

describe("defaults", () => {
    const config = parsePlatformConfig({}, { hubPassword: true });

    it("build a dev platform on the current kubeconfig context", () => {
        expect(config.cluster).toEqual({ provider: "kubeconfig", namespace: "ds-platform", matchNodePurpose: "prefer" });
        expect(config.registry.kind).toBe("in-cluster");
        expect(config.registry.image).toMatch(/@sha256:[a-f0-9]{64}$/);
        expect(config.hub.chart.version).toBe("4.4.0");
        expect(config.hub.auth.type).toBe("shared-password");
        expect(config.profiles).toHaveLength(1);
        expect(config.gpuPools).toEqual([]);
        expect(config.protectData).toBe(false);
    });

    it("protect data by default on AWS", () => {
        const aws = parsePlatformConfig({ cluster: { provider: "aws" }, aws: { region: "eu-west-1" }, registry: { kind: "ecr" } }, { hubPassword: true });
        expect(aws.protectData).toBe(true);
        expect(aws.aws!.vpc.cidr).toBe("10.40.0.0/16");
    });

    it("report every problem at once", () => {
        try {
            parsePlatformConfig({ hub: { auth: { type: "x" } }, spark: { executor: { cores: 0 } } }, { hubPassword: true });
            throw new Error("not rejected");
        } catch (e) {
            expect((e as ConfigError).problems.map((p) => p.path).sort()).toEqual(["hub.auth.type", "spark.executor.cores"]);
        }
    });
});

test("memoryBytes reads binary quantities", () => {
    expect(memoryBytes("512Mi")).toBe(512 * 2 ** 20);
    expect(memoryBytes("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(() => memoryBytes("1GB")).toThrow("not a memory quantity");
});

describe("hub.extraValues", () => {
    it("defaults to no extra chart values and keeps the given ones as they are", () => {
        expect(parsePlatformConfig({}, { hubPassword: true }).hub.extraValues).toEqual({});
        const extraValues = { singleuser: { extraLabels: { team: "analytics" } }, hub: { extraEnv: { TZ: "UTC" } } };
        expect(parsePlatformConfig({ hub: { extraValues } }, { hubPassword: true }).hub.extraValues).toEqual(extraValues);
    });

    it("must be a mapping, like a values file", () => {
        let error: unknown;
        try {
            parsePlatformConfig({ hub: { extraValues: ["singleuser"] as unknown as Record<string, unknown> } }, { hubPassword: true });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems.map((p) => p.path)).toEqual(["hub.extraValues"]);
    });
});
