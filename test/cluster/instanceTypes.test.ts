/**
 * The instance type catalogue and the checks that profiles and Spark executors fit the nodes they
 * run on: reserves as the EKS AMI sets them, errors that name the profile, the node group and the
 * instance type, and the committed stacks within their nodes.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError, ConfigProblem, parsePlatformConfig } from "../../components/config/config";
import { INSTANCE_TYPES, allocatable, defaultGpusPerNode, instanceType, kubeReservedMiB, kubeReservedMillicores, nodeTemplateResources } from "../../components/cluster/instanceTypes";
import { committedStacks } from "../helpers/render";
import { PROJECT_ROOT } from "../helpers/sharedData";

const SECRETS = { hubPassword: true, hubAdminPassword: true, oauthClientSecret: true };

/** A committed stack's config as the program reads it (keys without the project prefix). */
function stackRaw(stack: string): Record<string, any> {
    const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")).config ?? {};
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k.replace(/^ds-platform:/, ""), v]));
}

function problemsOf(raw: unknown): ConfigProblem[] {
    try {
        parsePlatformConfig(raw, SECRETS);
    } catch (e) {
        if (e instanceof ConfigError) {
            return e.problems;
        }
        throw e;
    }
    return [];
}

const profile = (over: Record<string, unknown>) => ({ name: "p", displayName: "P", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "1Gi", limit: "2Gi" }, ...over });

/** An aws platform: m6i.2xlarge CPU nodes, a g5.xlarge pool and a four-GPU g6.12xlarge pool. */
function aws(over: Record<string, unknown> = {}, awsOver: Record<string, unknown> = {}) {
    return {
        cluster: { provider: "aws" },
        registry: { kind: "ecr" },
        image: { gpu: true },
        aws: { region: "eu-west-1", cpuNodes: { instanceType: "m6i.2xlarge" }, ...awsOver },
        gpuPools: [
            { name: "g5", instanceTypes: ["g5.xlarge", "g5.2xlarge"] },
            { name: "quad", instanceTypes: ["g6.12xlarge"] },
        ],
        ...over,
    };
}

describe("the catalogue", () => {
    test("holds every instance type the committed stacks name", () => {
        const named = committedStacks().flatMap((stack) => {
            const raw = stackRaw(stack);
            return [raw.aws?.systemNodes?.instanceType, raw.aws?.cpuNodes?.instanceType, ...(raw.gpuPools ?? []).flatMap((p: { instanceTypes?: string[] }) => p.instanceTypes ?? [])];
        });
        expect(named.filter(Boolean).length).toBeGreaterThan(0);
        expect(named.filter((t) => t !== undefined && !INSTANCE_TYPES[t])).toEqual([]);
    });

    test("entries are whole GiB, GPU types name their GPU and CPU types have none", () => {
        expect(Object.keys(INSTANCE_TYPES).length).toBeGreaterThanOrEqual(40);
        for (const [name, t] of Object.entries(INSTANCE_TYPES)) {
            expect({ name, wholeGiB: t.memoryMiB % 1024 === 0 }).toEqual({ name, wholeGiB: true });
            expect({ name, model: t.gpus > 0 ? !!t.gpuModel : t.gpuModel === undefined }).toEqual({ name, model: true });
            expect(t.maxPods).toBeGreaterThanOrEqual(29);
        }
    });

    test("reserves follow the EKS AMI: 255 MiB + 11 MiB per pod, 6/1/0.5/0.25 % of the cores, 100 MiB eviction", () => {
        expect(kubeReservedMiB(58)).toBe(893);
        expect([1, 2, 4, 8, 48, 96].map(kubeReservedMillicores)).toEqual([60, 70, 80, 90, 190, 310]);
        expect(allocatable("m6i.2xlarge")).toMatchObject({ memoryMiB: 32768 - 893 - 100, millicores: 8000 - 90, kubeReservedMiB: 893, evictionMiB: 100 });
        expect(allocatable("g5.xlarge")).toMatchObject({ memoryMiB: 15391, millicores: 3920, gpus: 1 });
        expect(allocatable("p5.48xlarge")).toMatchObject({ memoryMiB: 2097152 - (255 + 11 * 100) - 100, gpus: 8 });
    });

    test("node templates take the smallest allocatable of a group's types; one GPU count only", () => {
        expect(nodeTemplateResources(["g5.2xlarge", "g5.xlarge"])).toEqual({ cpu: "3920m", memory: "15391Mi", gpus: 1 });
        expect(() => nodeTemplateResources(["g5.xlarge", "g5.12xlarge"])).toThrow(/differ in GPU count \(g5\.xlarge: 1, g5\.12xlarge: 4\)/);
    });

    test("the default gpusPerNode is the first type's GPU count, and 1 for a type the catalogue does not know", () => {
        expect(defaultGpusPerNode(["g6e.48xlarge"])).toBe(8);
        expect(defaultGpusPerNode(["g5.xlarge", "g5.12xlarge"])).toBe(1);
        expect(defaultGpusPerNode(["x9.huge"])).toBe(1);
        expect(parsePlatformConfig(aws(), SECRETS).gpuPools.map((p) => p.gpusPerNode)).toEqual([1, 4]);
    });

    test("an unknown type says where and how to add it", () => {
        expect(() => instanceType("m9z.large")).toThrow(
            "instance type m9z.large is not in the catalogue; add it to INSTANCE_TYPES in components/cluster/instanceTypes.ts with vcpus, memoryMiB, gpus, gpuModel and maxPods",
        );
    });
});

describe("profiles and executors must fit their nodes (aws)", () => {
    test("a memory limit at or above the node's memory names the profile, the node group and the instance type", () => {
        const problems = problemsOf(aws({ profiles: [profile({ name: "cpu-large", memory: { guarantee: "16Gi", limit: "32Gi" } })] }));
        expect(problems).toEqual([expect.objectContaining({ path: "profiles[0].memory.limit", value: "32Gi" })]);
        const message = problems[0].message;
        expect(message).toContain("profile cpu-large");
        expect(message).toContain("the CPU node group (aws.cpuNodes)");
        expect(message).toContain("instance type m6i.2xlarge");
        expect(message).toMatch(/at most the 31775Mi allocatable \(31Gi\)/);
        // Just below the node's memory is accepted (requests are what must fit the allocatable).
        expect(problemsOf(aws({ profiles: [profile({ memory: { guarantee: "16Gi", limit: "31.9Gi" } })] }))).toEqual([]);
    });

    test("a GPU profile is checked against the smallest type of its pool", () => {
        const problems = problemsOf(aws({ profiles: [profile({ name: "gpu-1", gpus: 1, gpuPool: "g5", image: "gpu", memory: { guarantee: "12Gi", limit: "16Gi" } })] }));
        expect(problems).toEqual([expect.objectContaining({ path: "profiles[0].memory.limit" })]);
        expect(problems[0].message).toMatch(/16384 MiB of memory of instance type g5\.xlarge \(profile gpu-1 on GPU pool g5 \(gpuPools\[0\]\)\)/);
    });

    test("requests above the allocatable memory or CPU are refused, with the reserve spelled out", () => {
        const problems = problemsOf(aws({ profiles: [profile({ cpu: { guarantee: 8, limit: 8 }, memory: { guarantee: "31.5Gi", limit: "31.9Gi" } })] }));
        expect(problems.map((p) => p.path).sort()).toEqual(["profiles[0].cpu.guarantee", "profiles[0].memory.guarantee"]);
        const memory = problems.find((p) => p.path.endsWith("memory.guarantee"))!.message;
        expect(memory).toContain("exceeds the 31775Mi allocatable memory of instance type m6i.2xlarge (profile p on the CPU node group (aws.cpuNodes))");
        expect(memory).toContain("32768 MiB less 893 MiB kube-reserved (255 + 11 x 58 pods) and the 100 MiB eviction threshold");
        expect(problems.find((p) => p.path.endsWith("cpu.guarantee"))!.message).toContain("exceeds the 7.91 allocatable cores of instance type m6i.2xlarge");
    });

    test("Spark executors (memory + overhead, cores) must fit the CPU group and, with GPU executors, every pool they may use", () => {
        const big = problemsOf(aws({ spark: { executor: { cores: 2, memory: "30g", memoryOverhead: "2g" } } }));
        expect(big).toEqual([expect.objectContaining({ path: "spark.executor.memory", value: "30g" })]);
        expect(big[0].message).toContain("executor pods ask 32768Mi");
        expect(big[0].message).toContain("instance type m6i.2xlarge (Spark executors on the CPU node group (aws.cpuNodes))");

        const wide = problemsOf(aws({ spark: { executor: { cores: 6 }, gpuExecutors: { enabled: true, pools: ["g5"] } } }));
        expect(wide).toEqual([expect.objectContaining({ path: "spark.executor.cores" })]);
        expect(wide[0].message).toContain("exceeds the 3.92 allocatable cores of instance type g5.xlarge (Spark executors on GPU pool g5 (gpuPools[0]))");
    });

    test("instance types must be known, GPU pools must have GPUs of one count, and gpusPerNode must match", () => {
        const problems = problemsOf(
            aws(
                {
                    gpuPools: [
                        { name: "unknown", instanceTypes: ["g9.mega"] },
                        { name: "cpu", instanceTypes: ["m6i.xlarge"] },
                        { name: "mixed", instanceTypes: ["g5.xlarge", "g5.12xlarge"] },
                        { name: "wrong", instanceTypes: ["g6.12xlarge"], gpusPerNode: 2 },
                    ],
                },
                { cpuNodes: { instanceType: "m6i.3xlarge" } },
            ),
        );
        const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
        expect(Object.keys(byPath).sort()).toEqual(["aws.cpuNodes.instanceType", "gpuPools[0].instanceTypes[0]", "gpuPools[1].instanceTypes[0]", "gpuPools[2].instanceTypes", "gpuPools[3].gpusPerNode"]);
        expect(byPath["aws.cpuNodes.instanceType"]).toContain("names instance type m6i.3xlarge, which the instance type catalogue does not know; add it to INSTANCE_TYPES in components/cluster/instanceTypes.ts");
        expect(byPath["gpuPools[1].instanceTypes[0]"]).toContain("has no GPU");
        expect(byPath["gpuPools[2].instanceTypes"]).toContain("g5.xlarge: 1, g5.12xlarge: 4");
        expect(byPath["gpuPools[3].gpusPerNode"]).toContain("must be 4, the GPUs of instance type g6.12xlarge (NVIDIA L4)");
    });

    test("on kubeconfig clusters node sizes are unknown: nothing is checked", () => {
        const raw = { gpuPools: [{ name: "g", instanceTypes: ["g9.mega"], gpusPerNode: 2 }], profiles: [profile({ memory: { guarantee: "1Ti", limit: "2Ti" } })] };
        expect(problemsOf(raw)).toEqual([]);
    });

    test.each(committedStacks())("the committed %s stack fits its nodes", (stack) => {
        expect(problemsOf(stackRaw(stack))).toEqual([]);
    });
});
