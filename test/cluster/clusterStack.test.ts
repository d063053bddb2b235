/**
 * Stacks that build on stacks: the cluster stack's outputs (`clusterStackOutputs`, and the project's
 * own program as a cluster stack) and a team's program reading them through a StackReference
 * (`clusterFromStack`). The mocks record the reference as a `pulumi:pulumi:StackReference` resource
 * and answer with the outputs the test gives it (its `outputs` and `secretOutputNames`).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as ts from "typescript";
import {
    CLUSTER_STACK_OUTPUT_NAMES,
    CLUSTER_STACK_OUTPUTS,
    ClusterStackError,
    clusterFromStack,
    clusterStackOutputs,
    parseClusterFacts,
    ReferencedCluster,
} from "../../components/cluster/clusterStack";
import { KUBERNETES_VERSIONS } from "../../components/cluster/kubernetesVersions";
import { ConfigError } from "../../components/config/config";
import { DataSciencePlatform, DataSciencePlatformArgs } from "../../components/platform";
import { isSecret, registerMockOutputs, ResourceRecorder, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { renderStack, TEST_SECRETS } from "../helpers/render";
import { PROJECT_ROOT } from "../helpers/sharedData";
import { clusterStackOutputsTable } from "../../scripts/config-reference";

const CLUSTER_STACK = "acme/ds-platform/prod";
const KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: prod, cluster: {server: 'https://prod.example.com:6443'}}]",
    "users: [{name: deployer, user: {token: t0ken}}]",
    "contexts: [{name: prod, context: {cluster: prod, user: deployer}}]",
    "current-context: prod",
].join("\n");
const FACTS = {
    kubernetesVersion: "1.34",
    matchNodePurpose: "require",
    gpuPools: [
        { name: "a10", gpusPerNode: 1, maxSize: 3 },
        { name: "h100", gpusPerNode: 8, maxSize: 1 },
    ],
    homeStorageClass: "gp3-retained",
    registryUrl: "registry.example.com",
} as const;
const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${"a".repeat(64)}`;

/** The outputs the referenced stack answers with; `secret` names those it holds as secrets. */
function referencedStack(outputs: Record<string, unknown>, secret: string[] = ["kubeconfig"]): void {
    registerMockOutputs("pulumi:pulumi:StackReference", () => ({ outputs, secretOutputNames: secret }));
}

/** A team's settings, as its program writes them. */
function teamArgs(cluster: ReferencedCluster): DataSciencePlatformArgs {
    return {
        cluster: { namespace: "team-a" },
        registry: { kind: "external", server: cluster.registryUrl },
        image: { prebuilt: { cpu: IMAGE } },
        hub: { auth: { type: "shared-password", admins: ["alice"] }, generatedSecrets: "chart" },
        secrets: { hubPassword: "team-a-password", hubAdminPassword: "team-a-admin-password-of-32-chars!" },
    };
}

function hubValues(recorder: ResourceRecorder): any {
    return unwrapSecrets(recorder.one("kubernetes:helm.sh/v3:Release").inputs.values);
}

describe("a team stack reads the cluster stack (clusterFromStack)", () => {
    let recorder: ResourceRecorder;
    beforeEach(() => {
        recorder = setupMocks("team-platform", "team-a");
    });

    it("reads the referenced stack's outputs and builds its Kubernetes provider from the referenced kubeconfig", async () => {
        referencedStack({ kubeconfig: KUBECONFIG, ...FACTS });
        const cluster = await clusterFromStack("team-a", CLUSTER_STACK);
        await settle(recorder);

        const reference = recorder.one("pulumi:pulumi:StackReference");
        expect(reference.name).toBe("team-a-cluster");
        expect(reference.inputs.name).toBe(CLUSTER_STACK);
        const provider = recorder.one("pulumi:providers:kubernetes");
        expect(provider.name).toBe("team-a-k8s");
        expect(unwrapSecrets(provider.inputs.kubeconfig)).toBe(KUBECONFIG);
        // The kubeconfig stays a secret in the provider's inputs, and so in the team's state.
        expect(provider.inputs.kubeconfig).not.toBe(KUBECONFIG);
        expect(JSON.parse(provider.inputs.enableServerSideApply)).toBe(true);

        expect(cluster.stack).toBe(CLUSTER_STACK);
        expect(await valueOf(cluster.kubeconfig)).toBe(KUBECONFIG);
        expect(await isSecret(cluster.kubeconfig)).toBe(true);
        const { kubernetesVersion, matchNodePurpose, gpuPools, homeStorageClass, registryUrl } = cluster;
        expect({ kubernetesVersion, matchNodePurpose, gpuPools, homeStorageClass, registryUrl }).toEqual(FACTS);
    });

    it("a team platform built from platformArgs runs on that provider, with the cluster's facts", async () => {
        referencedStack({ kubeconfig: KUBECONFIG, ...FACTS });
        const cluster = await clusterFromStack("team-a", CLUSTER_STACK);
        const gpuProfile = { name: "gpu", displayName: "GPU", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "4Gi", limit: "8Gi" }, gpus: 1, gpuPool: "h100" };
        const small = { name: "small", displayName: "Small", cpu: { guarantee: 0.5, limit: 1 }, memory: { guarantee: "1Gi", limit: "2Gi" } };
        const platform = new DataSciencePlatform("team-a", cluster.platformArgs({ ...teamArgs(cluster), profiles: [small, gpuProfile] }));
        await settle(recorder);

        // No provider of the platform's own: every Kubernetes object goes through the referenced kubeconfig.
        expect(recorder.ofType("pulumi:providers:kubernetes").map((r) => r.name)).toEqual(["team-a-k8s"]);
        const objects = recorder.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(objects.length).toBeGreaterThan(10);
        expect(objects.filter((r) => !r.provider?.includes("pulumi:providers:kubernetes::team-a-k8s")).map((r) => `${r.type} ${r.name}`)).toEqual([]);

        expect(platform.config.cluster).toMatchObject({ provider: "kubeconfig", namespace: "team-a", kubernetesVersion: "1.34", matchNodePurpose: "require" });
        expect(platform.config.gpuPools.map(({ name, gpusPerNode, maxSize }) => ({ name, gpusPerNode, maxSize }))).toEqual(FACTS.gpuPools);
        expect(Object.keys(platform.gpuPlacements)).toEqual(["a10", "h100"]);
        expect(platform.config.registry.server).toBe("registry.example.com");

        const values = hubValues(recorder);
        // The user-scheduler runs the kube-scheduler of the cluster's minor.
        expect(values.scheduling.userScheduler.image.tag).toBe(KUBERNETES_VERSIONS["1.34"].kubeScheduler);
        expect(values.scheduling.corePods).toEqual({ nodeAffinity: { matchNodePurpose: "require" } });
        expect(values.singleuser.storage.dynamic.storageClass).toBe("gp3-retained");
        // A GPU profile lands on the cluster's pool it names.
        const gpu = values.singleuser.profileList.find((p: any) => p.slug === "gpu").kubespawner_override;
        expect(gpu.node_affinity_required[0].matchExpressions).toContainEqual({ key: "ds-platform.io/gpu-pool", operator: "In", values: ["h100"] });
        expect(gpu.extra_resource_limits).toEqual({ "nvidia.com/gpu": "1" });
    });

    it("a team may name some of the cluster's pools, with fewer nodes, and keep its own home class", async () => {
        referencedStack({ kubeconfig: KUBECONFIG, ...FACTS });
        const cluster = await clusterFromStack("team-a", CLUSTER_STACK);
        const args = cluster.platformArgs({ ...teamArgs(cluster), gpuPools: [{ name: "a10", maxSize: 1 }], hub: { storage: { storageClass: "fast" } } });
        expect(args.gpuPools).toEqual([{ name: "a10", gpusPerNode: 1, maxSize: 1 }]);
        expect(args.hub?.storage?.storageClass).toBe("fast");
        expect(args.cluster).toEqual({ provider: "kubeconfig", namespace: "team-a", kubernetesVersion: "1.34", matchNodePurpose: "require" });
        expect(args.kubernetesProvider).toBe(cluster.provider);
    });

    it("refuses team settings that contradict the cluster, each with its key", async () => {
        referencedStack({ kubeconfig: KUBECONFIG, ...FACTS });
        const cluster = await clusterFromStack("team-a", CLUSTER_STACK);
        const contradicting: DataSciencePlatformArgs = {
            ...teamArgs(cluster),
            cluster: { namespace: "team-a", context: "kind-dev", kubernetesVersion: "1.35", matchNodePurpose: "ignore" },
            gpuPools: [{ name: "t4" }, { name: "a10", gpusPerNode: 2, maxSize: 5 }],
            kubernetesProvider: new k8s.Provider("other", {}),
        };
        let error: unknown;
        try {
            cluster.platformArgs(contradicting);
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const problems = (error as ConfigError).problems.map((p) => p.path);
        expect(problems).toEqual([
            "cluster.context",
            "kubernetesProvider",
            "cluster.kubernetesVersion",
            "cluster.matchNodePurpose",
            "gpuPools[0].name",
            "gpuPools[1].gpusPerNode",
            "gpuPools[1].maxSize",
        ]);
        const message = (error as Error).message;
        expect(message).toContain(`cluster.kubernetesVersion: differs from the cluster stack's output kubernetesVersion (${CLUSTER_STACK}), 1.34`);
        expect(message).toContain("gpuPools[0].name: names no GPU pool of the cluster stack's output gpuPools");
        expect(message).toContain("allowed: a10, h100");
        expect(message).toContain("gpuPools[1].maxSize: exceeds the 3 nodes of pool a10");
        expect(() => cluster.platformArgs({ cluster: { provider: "aws" } })).toThrow(/cluster\.provider: must be kubeconfig on a cluster another stack owns/);
    });

    it("imposes only the facts the cluster stack exports", async () => {
        referencedStack({ kubeconfig: KUBECONFIG });
        const cluster = await clusterFromStack("team-a", CLUSTER_STACK);
        const args = cluster.platformArgs({ cluster: { namespace: "team-a", kubernetesVersion: "1.35" }, gpuPools: [{ name: "own", gpusPerNode: 2 }] });
        expect(args.cluster).toEqual({ provider: "kubeconfig", namespace: "team-a", kubernetesVersion: "1.35" });
        expect(args.gpuPools).toEqual([{ name: "own", gpusPerNode: 2 }]);
        expect(args.hub).toBeUndefined();
    });

    it("fails clearly, before declaring a provider, when the cluster stack has no kubeconfig (not deployed yet)", async () => {
        referencedStack({}, []);
        const read = clusterFromStack("team-a", CLUSTER_STACK);
        await expect(read).rejects.toThrow(ClusterStackError);
        await expect(read).rejects.toThrow(`Cannot build on the cluster stack ${CLUSTER_STACK}:\n  - it has no output kubeconfig: deploy the cluster stack first (pulumi up)`);
        await settle(recorder);
        expect(recorder.ofType("pulumi:providers:kubernetes")).toEqual([]);
    });

    it("refuses facts that are not what a cluster stack exports, naming each output", async () => {
        referencedStack({ kubeconfig: "", kubernetesVersion: "1.20", matchNodePurpose: "always", gpuPools: [{ name: "A10", gpusPerNode: 1, maxSize: 1 }] });
        const error: ClusterStackError = await clusterFromStack("team-a", CLUSTER_STACK).then(
            () => {
                throw new Error("expected a ClusterStackError");
            },
            (e) => e,
        );
        expect(error).toBeInstanceOf(ClusterStackError);
        expect(error.problems).toHaveLength(4);
        expect(error.problems[0]).toBe("its output kubeconfig is not a kubeconfig (an empty or non-string value)");
        expect(error.problems.slice(1).map((p) => p.split(":")[0])).toEqual(["its output kubernetesVersion", "its output matchNodePurpose", "its output gpuPools[0].name"]);
        expect(error.problems[1]).toContain("1.35");
    });

    it("takes a StackReference of the program's own, names it in errors, and warns about a kubeconfig in plain text", async () => {
        referencedStack({ kubeconfig: KUBECONFIG }, []);
        const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
        try {
            const reference = new pulumi.StackReference("organization/ds-platform/e2e");
            const cluster = await clusterFromStack("team-b", reference);
            expect(cluster.reference).toBe(reference);
            expect(cluster.stack).toBe("organization/ds-platform/e2e");
            expect(await isSecret(cluster.kubeconfig)).toBe(true);
            expect(warn.mock.calls.map((c) => c[0])).toEqual([
                "The cluster stack organization/ds-platform/e2e exports its kubeconfig in plain text: export it as a secret (clusterStackOutputs does).",
            ]);
        } finally {
            warn.mockRestore();
        }
        referencedStack({});
        await expect(clusterFromStack("team-c", new pulumi.StackReference("organization/ds-platform/gone"))).rejects.toThrow("Cannot build on the cluster stack organization/ds-platform/gone");
    });
});

describe("the cluster stack's outputs (clusterStackOutputs)", () => {
    beforeEach(() => {
        setupMocks("ds-platform-cluster", "cluster");
    });

    it("exports the kubeconfig as a secret and each set fact under its name; unset facts are absent", async () => {
        const outputs = clusterStackOutputs({ kubeconfig: KUBECONFIG, kubernetesVersion: "1.35", matchNodePurpose: "prefer", gpuPools: [], homeStorageClass: undefined });
        expect(Object.keys(outputs)).toEqual(["kubeconfig", "kubernetesVersion", "matchNodePurpose", "gpuPools"]);
        expect(await isSecret(outputs.kubeconfig!)).toBe(true);
        expect(await valueOf(outputs.kubeconfig)).toBe(KUBECONFIG);
        expect(await isSecret(outputs.kubernetesVersion!)).toBe(false);
        expect(await valueOf(outputs.gpuPools)).toEqual([]);
    });

    it("every output has its name in CLUSTER_STACK_OUTPUTS, the one list both sides read", () => {
        const all = clusterStackOutputs({ kubeconfig: pulumi.output(KUBECONFIG), ...FACTS, gpuPools: [...FACTS.gpuPools], registryUrl: pulumi.output("registry.example.com") });
        expect(Object.keys(all).sort()).toEqual([...CLUSTER_STACK_OUTPUT_NAMES].sort());
        expect(Object.keys(CLUSTER_STACK_OUTPUTS)).toEqual(CLUSTER_STACK_OUTPUT_NAMES);
    });

    it("refuses a fact a team stack would refuse", () => {
        expect(() => clusterStackOutputs({ kubeconfig: KUBECONFIG, kubernetesVersion: "1.20" as never })).toThrow(ConfigError);
        expect(() => parseClusterFacts({ gpuPools: [{ name: "a10", gpusPerNode: 0, maxSize: 1 }], registryUrl: "https://registry.example.com" })).toThrow(/gpuPools\[0\]\.gpusPerNode[\s\S]*registryUrl/);
        expect(() => parseClusterFacts({ kubernetesversion: "1.35" })).toThrow(/kubernetesversion/);
        expect(parseClusterFacts({ kubernetesVersion: "1.35", homeStorageClass: undefined, registryUrl: null })).toEqual({ kubernetesVersion: "1.35" });
    });
});

describe("the project's own program is a cluster stack", () => {
    it("prod (AWS, it creates the cluster) exports the kubeconfig and the cluster's facts", async () => {
        const r = await renderStack("prod", { secrets: TEST_SECRETS.prod });
        const o = r.outputs;
        expect(await isSecret(o.kubeconfig!)).toBe(true);
        expect(await valueOf(o.kubernetesVersion)).toBe("1.33");
        expect(await valueOf(o.matchNodePurpose)).toBe("require");
        expect(await valueOf(o.gpuPools)).toEqual([
            { name: "g5", gpusPerNode: 1, maxSize: 4 },
            { name: "g6-multi", gpusPerNode: 4, maxSize: 2 },
        ]);
        // The retained class the platform's add-ons create, which team homes use too.
        const storageClass = r.recorder.one("kubernetes:storage.k8s.io/v1:StorageClass");
        expect(await valueOf(o.homeStorageClass)).toBe(storageClass.inputs.metadata.name);
        expect(await valueOf(o.registryUrl)).toMatch(/\.dkr\.ecr\.eu-west-1\.amazonaws\.com$/);
    });

    it("dev (an existing cluster) exports the facts it knows, and no kubeconfig", async () => {
        const o = (await renderStack("dev", { secrets: TEST_SECRETS.dev })).outputs;
        expect(o.kubeconfig).toBeUndefined();
        expect(o.kubernetesVersion).toBeUndefined();
        expect(o.homeStorageClass).toBeUndefined();
        expect(await valueOf(o.matchNodePurpose)).toBe("prefer");
        expect(await valueOf(o.gpuPools)).toEqual([]);
    });

    it("a team stack on prod's cluster gets exactly prod's facts through the reference", async () => {
        const o = (await renderStack("prod", { secrets: TEST_SECRETS.prod })).outputs;
        const exported: Record<string, unknown> = {};
        for (const name of CLUSTER_STACK_OUTPUT_NAMES) {
            if (o[name] !== undefined) {
                exported[name] = await valueOf(o[name] as pulumi.Output<unknown>);
            }
        }
        const recorder = setupMocks("team-platform", "team-a");
        referencedStack(exported);
        const cluster = await clusterFromStack("team-a", "organization/ds-platform/prod");
        const platform = new DataSciencePlatform("team-a", cluster.platformArgs(teamArgs(cluster)));
        await settle(recorder);
        expect(platform.config.cluster).toMatchObject({ provider: "kubeconfig", kubernetesVersion: "1.33", matchNodePurpose: "require" });
        expect(platform.config.gpuPools.map((p) => p.name)).toEqual(["g5", "g6-multi"]);
        expect(platform.config.hub.storage.storageClass).toBe(exported.homeStorageClass);
        expect(unwrapSecrets(recorder.one("pulumi:providers:kubernetes").inputs.kubeconfig)).toBe(exported.kubeconfig);
        // The team platform declares no AWS resources: the cluster, its pools and add-ons are prod's.
        expect(recorder.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    });

    it("index.ts exports every cluster stack output under its name", () => {
        const file = path.join(PROJECT_ROOT, "index.ts");
        const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
        const exported = new Map<string, string>();
        for (const statement of source.statements) {
            if (ts.isVariableStatement(statement) && statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
                for (const d of statement.declarationList.declarations) {
                    exported.set(d.name.getText(source), d.initializer?.getText(source) ?? "");
                }
            }
        }
        for (const name of CLUSTER_STACK_OUTPUT_NAMES) {
            expect({ name, value: exported.get(name) }).toEqual({ name, value: `outputs.${name}` });
        }
    });

    it("the README's table of cluster stack outputs is generated from CLUSTER_STACK_OUTPUTS", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        expect(readme).toContain(clusterStackOutputsTable());
        for (const name of CLUSTER_STACK_OUTPUT_NAMES) {
            expect(clusterStackOutputsTable()).toContain(`| \`${name}\` |`);
        }
    });
});
