/**
 * The EC2 instance types the stacks may name, what a node of each offers to pods, and the checks
 * that notebook profiles and Spark executors fit the nodes they are sent to.
 *
 * Sources:
 * - vCPUs, memory, GPUs and GPU model: the Amazon EC2 instance type documentation
 *   (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, co.html, mo.html, ac.html), cross-checked
 *   against cluster-autoscaler's generated list (kubernetes/autoscaler,
 *   cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go, 2026-01-22).
 * - maxPods: the EKS AMI's ENI formula, ENIs x (IPv4 addresses per ENI - 1) + 2, with the ENI figures
 *   of awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl (the same values as its
 *   former eni-max-pods.txt). Managed node groups may cap maxPods at 110 (under 30 vCPUs) or 250,
 *   which only lowers the reserve: the formula's figure is the conservative one.
 * - Reserves: what the EKS AMI configures the kubelet with (awslabs/amazon-eks-ami
 *   nodeadm/internal/kubelet/config.go): kube-reserved memory 255 MiB + 11 MiB per pod of maxPods;
 *   kube-reserved CPU 6% of the first core, 1% of the second, 0.5% of cores 3 and 4 and 0.25% of
 *   every further core; hard eviction at memory.available < 100Mi; no system-reserved.
 *
 * Memory capacity is the instance's nominal memory; the kernel keeps a little of it, so leave some
 * headroom below the allocatable figure rather than sizing to the last MiB.
 */

import { isMemoryQuantity, isSparkSize, memoryMiB, sparkSizeMiB } from "../shared/quantities";
import { gpuPoolNameOf } from "../shared/gpuPool";

/** What one EC2 instance type offers. */
export interface InstanceType {
    vcpus: number;
    memoryMiB: number;
    /** NVIDIA GPUs; 0 for CPU-only types. */
    gpus: number;
    gpuModel?: string;
    /** Pods a node runs with the VPC CNI without prefix delegation (the ENI formula). */
    maxPods: number;
}

/** Where to add a type the stacks need; error messages quote it. */
export const CATALOGUE_FILE = "components/cluster/instanceTypes.ts";

const cpu = (vcpus: number, memoryGiB: number, maxPods: number): InstanceType => ({ vcpus, memoryMiB: memoryGiB * 1024, gpus: 0, maxPods });
const gpu = (vcpus: number, memoryGiB: number, gpus: number, gpuModel: string, maxPods: number): InstanceType => ({ vcpus, memoryMiB: memoryGiB * 1024, gpus, gpuModel, maxPods });

const A10G = "NVIDIA A10G";
const L4 = "NVIDIA L4";
const L40S = "NVIDIA L40S";

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
    // General purpose (Intel Ice Lake / Sapphire Rapids).
    "m6i.large": cpu(2, 8, 29),
    "m6i.xlarge": cpu(4, 16, 58),
    "m6i.2xlarge": cpu(8, 32, 58),
    "m6i.4xlarge": cpu(16, 64, 234),
    "m6i.8xlarge": cpu(32, 128, 234),
    "m7i.large": cpu(2, 8, 29),
    "m7i.xlarge": cpu(4, 16, 58),
    "m7i.2xlarge": cpu(8, 32, 58),
    "m7i.4xlarge": cpu(16, 64, 234),
    "m7i.8xlarge": cpu(32, 128, 234),
    // Memory optimized.
    "r6i.large": cpu(2, 16, 29),
    "r6i.xlarge": cpu(4, 32, 58),
    "r6i.2xlarge": cpu(8, 64, 58),
    "r6i.4xlarge": cpu(16, 128, 234),
    "r6i.8xlarge": cpu(32, 256, 234),
    // Compute optimized.
    "c6i.large": cpu(2, 4, 29),
    "c6i.xlarge": cpu(4, 8, 58),
    "c6i.2xlarge": cpu(8, 16, 58),
    "c6i.4xlarge": cpu(16, 32, 234),
    "c6i.8xlarge": cpu(32, 64, 234),
    // NVIDIA A10G (24 GB).
    "g5.xlarge": gpu(4, 16, 1, A10G, 58),
    "g5.2xlarge": gpu(8, 32, 1, A10G, 58),
    "g5.4xlarge": gpu(16, 64, 1, A10G, 234),
    "g5.8xlarge": gpu(32, 128, 1, A10G, 234),
    "g5.12xlarge": gpu(48, 192, 4, A10G, 737),
    "g5.16xlarge": gpu(64, 256, 1, A10G, 234),
    "g5.24xlarge": gpu(96, 384, 4, A10G, 737),
    "g5.48xlarge": gpu(192, 768, 8, A10G, 345),
    // NVIDIA L4 (24 GB).
    "g6.xlarge": gpu(4, 16, 1, L4, 58),
    "g6.2xlarge": gpu(8, 32, 1, L4, 58),
    "g6.4xlarge": gpu(16, 64, 1, L4, 234),
    "g6.8xlarge": gpu(32, 128, 1, L4, 234),
    "g6.12xlarge": gpu(48, 192, 4, L4, 234),
    "g6.16xlarge": gpu(64, 256, 1, L4, 737),
    "g6.24xlarge": gpu(96, 384, 4, L4, 737),
    "g6.48xlarge": gpu(192, 768, 8, L4, 737),
    // NVIDIA L40S (48 GB).
    "g6e.xlarge": gpu(4, 32, 1, L40S, 58),
    "g6e.2xlarge": gpu(8, 64, 1, L40S, 58),
    "g6e.4xlarge": gpu(16, 128, 1, L40S, 234),
    "g6e.8xlarge": gpu(32, 256, 1, L40S, 234),
    "g6e.12xlarge": gpu(48, 384, 4, L40S, 292),
    "g6e.16xlarge": gpu(64, 512, 1, L40S, 737),
    "g6e.24xlarge": gpu(96, 768, 4, L40S, 492),
    "g6e.48xlarge": gpu(192, 1536, 8, L40S, 492),
    // NVIDIA A100 (40 GB) and H100 (80 GB).
    "p4d.24xlarge": gpu(96, 1152, 8, "NVIDIA A100", 737),
    "p5.48xlarge": gpu(192, 2048, 8, "NVIDIA H100", 100),
};

/** How to extend the catalogue, for error messages. */
export function catalogueHint(example: string): string {
    return (
        `add it to INSTANCE_TYPES in ${CATALOGUE_FILE} with vcpus, memoryMiB, gpus, gpuModel and maxPods ` +
        `(from the AWS instance type documentation; maxPods = ENIs x (IPv4 addresses per ENI - 1) + 2), or use a listed type such as ${example}`
    );
}

/** The catalogue entry of a type; throws with how to add it. */
export function instanceType(name: string): InstanceType {
    const t = INSTANCE_TYPES[name];
    if (!t) {
        throw new Error(`instance type ${name} is not in the catalogue; ${catalogueHint("m6i.2xlarge")}`);
    }
    return t;
}

/** What the kubelet of an EKS AMI node keeps back, and what it leaves to pods. */
export interface Allocatable {
    type: string;
    /** kube-reserved memory, MiB: 255 + 11 x maxPods. */
    kubeReservedMiB: number;
    /** Hard eviction threshold (memory.available), MiB. */
    evictionMiB: number;
    memoryMiB: number;
    /** kube-reserved CPU, millicores. */
    kubeReservedMillicores: number;
    millicores: number;
    gpus: number;
}

export const EVICTION_HARD_MIB = 100;

/** kube-reserved CPU of the EKS AMI, in millicores, for a node of `vcpus` (nodeadm's getCPUMillicoresToReserve). */
export function kubeReservedMillicores(vcpus: number): number {
    const total = vcpus * 1000;
    const ranges: [number, number, number][] = [
        [0, 1000, 600],
        [1000, 2000, 100],
        [2000, 4000, 50],
        [4000, Math.max(total, 4000), 25],
    ];
    return ranges.reduce((sum, [start, end, basisPoints]) => (total <= start ? sum : sum + Math.floor(((Math.min(total, end) - start) * basisPoints) / 10000)), 0);
}

/** kube-reserved memory of the EKS AMI, in MiB (nodeadm's getMemoryMebibytesToReserve). */
export function kubeReservedMiB(maxPods: number): number {
    return 255 + 11 * maxPods;
}

/** A node's allocatable resources per the EKS AMI's kubelet configuration. */
export function allocatable(name: string): Allocatable {
    const t = instanceType(name);
    const kubeReserved = kubeReservedMiB(t.maxPods);
    const cpuReserved = kubeReservedMillicores(t.vcpus);
    return {
        type: name,
        kubeReservedMiB: kubeReserved,
        evictionMiB: EVICTION_HARD_MIB,
        memoryMiB: t.memoryMiB - kubeReserved - EVICTION_HARD_MIB,
        kubeReservedMillicores: cpuReserved,
        millicores: t.vcpus * 1000 - cpuReserved,
        gpus: t.gpus,
    };
}

/**
 * What cluster-autoscaler should assume a new node of a group offers when it has none to copy
 * (it takes these as capacity and allocatable alike): the smallest allocatable CPU and memory, and
 * the GPUs, of the group's instance types, so a pod it scales up for fits any type it launches.
 */
export function nodeTemplateResources(types: string[]): { cpu: string; memory: string; gpus: number } {
    if (types.length === 0) {
        throw new Error("a node group needs at least one instance type");
    }
    const sizes = types.map(allocatable);
    const gpus = new Set(sizes.map((s) => s.gpus));
    if (gpus.size > 1) {
        throw new Error(`instance types ${types.join(", ")} differ in GPU count (${sizes.map((s) => `${s.type}: ${s.gpus}`).join(", ")}); one node template describes one count`);
    }
    return {
        cpu: `${Math.min(...sizes.map((s) => s.millicores))}m`,
        memory: `${Math.min(...sizes.map((s) => s.memoryMiB))}Mi`,
        gpus: sizes[0].gpus,
    };
}

/** The default `gpusPerNode` of a pool: its first type's GPUs from the catalogue, else 1. */
export function defaultGpusPerNode(types: string[]): number {
    const first = types.length > 0 ? INSTANCE_TYPES[types[0]] : undefined;
    return first && first.gpus > 0 ? first.gpus : 1;
}

// ---------------------------------------------------------------------------------------------
// Checks, run by the config schema on aws clusters (node sizes of kubeconfig clusters are unknown)
// ---------------------------------------------------------------------------------------------

/** The parts of the platform configuration the checks read. */
export interface NodeFitConfig {
    cluster: { provider: string };
    aws?: { systemNodes: { instanceType: string }; cpuNodes: { instanceType: string } };
    gpuPools: { name: string; instanceTypes: string[]; gpusPerNode: number }[];
    profiles: { name: string; cpu: { guarantee: number; limit: number }; memory: { guarantee: string; limit: string }; gpus: number; gpuPool?: string }[];
    /** Model services (config `models`): each replica is a pod sized like a profile. */
    models?: { name: string; cpu: { guarantee: number; limit: number }; memory: { guarantee: string; limit: string }; gpus: number; gpuPool?: string }[];
    spark: {
        executor: { cores: number; memory: string; memoryOverhead: string };
        gpuExecutors: { enabled: boolean; pools?: string[] };
    };
}

export interface NodeFitProblem {
    path: (string | number)[];
    message: string;
}

// The schema has already reported malformed sizes; these checks skip them rather than repeat that.
const quantityMiB = (q: string): number | undefined => (isMemoryQuantity(q) ? memoryMiB(q) : undefined);
const sparkMiB = (s: string): number | undefined => (isSparkSize(s) ? sparkSizeMiB(s) : undefined);

const mib = (n: number) => `${Math.floor(n)}Mi`;
const cores = (millicores: number) => `${Number((millicores / 1000).toFixed(3))}`;

/** Where a group of nodes is configured, in words and as a key. */
interface NodeGroupRef {
    describe: string;
    types: string[];
}

function memoryBreakdown(a: Allocatable): string {
    const t = INSTANCE_TYPES[a.type];
    return `${t.memoryMiB} MiB less ${a.kubeReservedMiB} MiB kube-reserved (255 + 11 x ${t.maxPods} pods) and the ${a.evictionMiB} MiB eviction threshold`;
}

function cpuBreakdown(a: Allocatable): string {
    return `${INSTANCE_TYPES[a.type].vcpus} vCPUs less ${a.kubeReservedMillicores}m kube-reserved`;
}

/**
 * Every problem of instance types and sizes on an aws cluster: types missing from the catalogue,
 * GPU pools whose types or gpusPerNode disagree with it, and profiles or Spark executors that do
 * not fit the nodes they run on. Each names the profile (or executor), the node group and the type.
 */
export function nodeFitProblems(c: NodeFitConfig): NodeFitProblem[] {
    if (c.cluster.provider !== "aws" || !c.aws) {
        return [];
    }
    const problems: NodeFitProblem[] = [];
    const known = (type: string, path: (string | number)[], example: string): boolean => {
        if (INSTANCE_TYPES[type]) {
            return true;
        }
        problems.push({ path, message: `names instance type ${type}, which the instance type catalogue does not know; ${catalogueHint(example)}` });
        return false;
    };

    for (const group of ["systemNodes", "cpuNodes"] as const) {
        const type = c.aws[group].instanceType;
        if (known(type, ["aws", group, "instanceType"], "m6i.2xlarge") && INSTANCE_TYPES[type].gpus > 0) {
            problems.push({ path: ["aws", group, "instanceType"], message: `names GPU instance type ${type}; GPU nodes belong in gpuPools, where they are tainted and scale from zero` });
        }
    }
    const cpuGroup: NodeGroupRef | undefined = INSTANCE_TYPES[c.aws.cpuNodes.instanceType]
        ? { describe: "the CPU node group (aws.cpuNodes)", types: [c.aws.cpuNodes.instanceType] }
        : undefined;

    const pools = new Map<string, NodeGroupRef>();
    c.gpuPools.forEach((pool, i) => {
        const types = pool.instanceTypes;
        const allKnown = types.map((t, j) => known(t, ["gpuPools", i, "instanceTypes", j], "g5.xlarge")).every(Boolean);
        if (!allKnown) {
            return;
        }
        const cpuOnly = types.filter((t) => INSTANCE_TYPES[t].gpus === 0);
        cpuOnly.forEach((t) =>
            problems.push({ path: ["gpuPools", i, "instanceTypes", types.indexOf(t)], message: `names instance type ${t}, which has no GPU; a GPU pool needs GPU instance types such as g5.xlarge` }),
        );
        if (cpuOnly.length > 0) {
            return;
        }
        const counts = new Set(types.map((t) => INSTANCE_TYPES[t].gpus));
        if (counts.size > 1) {
            problems.push({
                path: ["gpuPools", i, "instanceTypes"],
                message: `needs instance types with one GPU count (${types.map((t) => `${t}: ${INSTANCE_TYPES[t].gpus}`).join(", ")}): the autoscaler's node template and gpusPerNode describe one; split them into pools`,
            });
            return;
        }
        const gpus = INSTANCE_TYPES[types[0]].gpus;
        if (pool.gpusPerNode !== gpus) {
            problems.push({
                path: ["gpuPools", i, "gpusPerNode"],
                message: `must be ${gpus}, the GPUs of instance type ${types[0]} (${INSTANCE_TYPES[types[0]].gpuModel}) in the catalogue (${CATALOGUE_FILE}); leave it out to take the catalogue's count`,
            });
        }
        pools.set(pool.name, { describe: `GPU pool ${pool.name} (gpuPools[${i}])`, types });
    });

    const smallest = (group: NodeGroupRef, metric: (a: Allocatable) => number): Allocatable =>
        group.types.map(allocatable).reduce((min, a) => (metric(a) < metric(min) ? a : min));

    const sized = [
        ...c.profiles.map((p, i) => ({ p, key: "profiles", i, kind: "profile", pod: "notebook" })),
        ...(c.models ?? []).map((p, i) => ({ p, key: "models", i, kind: "model", pod: "model replica" })),
    ];
    sized.forEach(({ p, key, i, kind, pod }) => {
        const group = p.gpus > 0 ? pools.get(gpuPoolNameOf(p, c.gpuPools.map((g) => g.name)) ?? "") : cpuGroup;
        if (!group) {
            return; // an unknown type or pool, reported on its own
        }
        const who = `${kind} ${p.name} on ${group.describe}`;
        const memNode = smallest(group, (a) => a.memoryMiB);
        const limit = quantityMiB(p.memory.limit);
        const capacity = INSTANCE_TYPES[memNode.type].memoryMiB;
        if (limit !== undefined && limit >= capacity) {
            problems.push({
                path: [key, i, "memory", "limit"],
                message:
                    `must be below the ${capacity} MiB of memory of instance type ${memNode.type} (${who}): a limit at or above the node's memory lets one ${pod} ` +
                    `exhaust the node; allowed: at most the ${mib(memNode.memoryMiB)} allocatable (${Math.floor(memNode.memoryMiB / 1024)}Gi), or a larger instance type`,
            });
        }
        const request = quantityMiB(p.memory.guarantee);
        if (request !== undefined && request > memNode.memoryMiB) {
            problems.push({
                path: [key, i, "memory", "guarantee"],
                message: `exceeds the ${mib(memNode.memoryMiB)} allocatable memory of instance type ${memNode.type} (${who}): ${memoryBreakdown(memNode)}; such a pod is never scheduled`,
            });
        }
        const cpuNode = smallest(group, (a) => a.millicores);
        if (p.cpu.guarantee * 1000 > cpuNode.millicores) {
            problems.push({
                path: [key, i, "cpu", "guarantee"],
                message: `exceeds the ${cores(cpuNode.millicores)} allocatable cores of instance type ${cpuNode.type} (${who}): ${cpuBreakdown(cpuNode)}; such a pod is never scheduled`,
            });
        }
    });

    // Executor pods ask for executor memory + overhead (request = limit) and spark.executor.cores.
    const x = c.spark.executor;
    const executorGroups: NodeGroupRef[] = [];
    if (cpuGroup) {
        executorGroups.push(cpuGroup);
    }
    if (c.spark.gpuExecutors.enabled) {
        for (const name of c.spark.gpuExecutors.pools ?? c.gpuPools.map((p) => p.name)) {
            const pool = pools.get(name);
            if (pool) {
                executorGroups.push(pool);
            }
        }
    }
    const heap = sparkMiB(x.memory);
    const overhead = sparkMiB(x.memoryOverhead);
    for (const group of executorGroups) {
        const memNode = smallest(group, (a) => a.memoryMiB);
        if (heap !== undefined && overhead !== undefined && heap + overhead > memNode.memoryMiB) {
            problems.push({
                path: ["spark", "executor", "memory"],
                message:
                    `exceeds, with spark.executor.memoryOverhead ${x.memoryOverhead}, the ${mib(memNode.memoryMiB)} allocatable memory of instance type ${memNode.type} ` +
                    `(Spark executors on ${group.describe}): executor pods ask ${mib(heap + overhead)}, and ${memoryBreakdown(memNode)}; such executors are never scheduled`,
            });
        }
        const cpuNode = smallest(group, (a) => a.millicores);
        if (x.cores * 1000 > cpuNode.millicores) {
            problems.push({
                path: ["spark", "executor", "cores"],
                message: `exceeds the ${cores(cpuNode.millicores)} allocatable cores of instance type ${cpuNode.type} (Spark executors on ${group.describe}): ${cpuBreakdown(cpuNode)}; such executors are never scheduled`,
            });
        }
    }
    return problems;
}
