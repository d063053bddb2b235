/**
 * Where GPU work lands, defined once: the `nvidia.com/gpu` resource, the taint that keeps other pods
 * off GPU nodes, and the label that names a pool. Hub profiles, Spark executor templates, model
 * services, the device plugin, node groups and the autoscaler's node templates all derive their
 * values from a pool's placement; nothing else spells them. Pure: no resources are declared here.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { GpuPoolConfig } from "../config/config";
import { NodeAffinity, nodePurposeLabels } from "../cluster/nodePurpose";

/** The extended resource the NVIDIA device plugin advertises. */
export const GPU_RESOURCE = "nvidia.com/gpu";

/** Kubernetes taint effects, as written in pod tolerations and node taints. */
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
    key: string;
    value: string;
    effect: TaintEffect;
}

/** Every GPU node carries this taint, so only pods that tolerate it (GPU work) land there. */
export const GPU_TAINT: Taint = { key: GPU_RESOURCE, value: "present", effect: "NoSchedule" };

/** Label whose value names the GPU pool a node belongs to. */
export const GPU_POOL_LABEL = "ds-platform.io/gpu-pool";

/** Where GPU pods of one pool must go, and how they get there. */
export interface GpuPlacement {
    /** Pool name. */
    poolName: string;
    /** The pool's taint, to be tolerated. */
    taint: Taint;
    /** Labels every node of the pool carries, to be selected. */
    nodeLabels: Record<string, string>;
    /** Extended resource to request. */
    resourceName: string;
    /** GPUs on one node of the pool. */
    gpusPerNode: number;
}

/** The placement of a pool: pure, so consumers and tests derive the same values. */
export function gpuPlacement(pool: Pick<GpuPoolConfig, "name" | "gpusPerNode">): GpuPlacement {
    return {
        poolName: pool.name,
        taint: { ...GPU_TAINT },
        nodeLabels: { [GPU_POOL_LABEL]: pool.name },
        resourceName: GPU_RESOURCE,
        gpusPerNode: pool.gpusPerNode,
    };
}

/** The pod toleration for a placement's taint. */
export function gpuToleration(p: GpuPlacement): k8s.types.input.core.v1.Toleration {
    return { key: p.taint.key, operator: "Equal", value: p.taint.value, effect: p.taint.effect };
}

/** A required node affinity that selects exactly the nodes of one of the placements (terms are ORed). */
export function gpuNodeAffinity(...placements: GpuPlacement[]): NodeAffinity {
    if (placements.length === 0) {
        throw new Error("gpuNodeAffinity needs at least one GPU placement");
    }
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: placements.map((p) => ({
                matchExpressions: Object.entries(p.nodeLabels).map(([key, value]) => ({ key, operator: "In" as const, values: [value] })),
            })),
        },
    };
}

/**
 * A node affinity that keeps CPU pods off every GPU pool: GPU nodes are expensive, and the taint
 * alone does not stop a pod that happens to tolerate everything.
 */
export function avoidGpuNodesAffinity(): NodeAffinity {
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "DoesNotExist" }] }],
        },
    };
}

/** Taint effects as the EKS node group API spells them. */
export type EksTaintEffect = "NO_SCHEDULE" | "PREFER_NO_SCHEDULE" | "NO_EXECUTE";

const EKS_TAINT_EFFECTS: Record<TaintEffect, EksTaintEffect> = {
    NoSchedule: "NO_SCHEDULE",
    PreferNoSchedule: "PREFER_NO_SCHEDULE",
    NoExecute: "NO_EXECUTE",
};

/** The EKS API spelling of a Kubernetes taint effect (`NoSchedule` becomes `NO_SCHEDULE`). */
export function eksTaintEffect(effect: TaintEffect): EksTaintEffect {
    const converted = EKS_TAINT_EFFECTS[effect];
    if (!converted) {
        throw new Error(`taint effect "${String(effect)}" is not a Kubernetes taint effect; allowed: ${Object.keys(EKS_TAINT_EFFECTS).join(", ")}`);
    }
    return converted;
}

/** Prefix of the ASG tags cluster-autoscaler reads to build a node from nothing. */
export const AUTOSCALER_TAG_PREFIX = "k8s.io/cluster-autoscaler";

/** What a node of a pool offers pods, as cluster-autoscaler's node template states it. */
export interface NodeTemplateResources {
    /** Allocatable CPU, such as 3920m. */
    cpu: string;
    /** Allocatable memory, such as 15391Mi. */
    memory: string;
    gpus: number;
}

/**
 * The node-template tags of a pool's Auto Scaling group. With zero nodes, cluster-autoscaler has no
 * node to copy; it builds one from these tags, so they must say what a real node would: its GPUs,
 * its taint and its labels, and (with `node`, from the instance type catalogue) the CPU and memory
 * pods can have, which the autoscaler otherwise takes as the instance's full size. Managed node
 * groups do not write them, hence they are derived here from the placement, the same values pods use.
 */
export function autoscalerNodeTemplateTags(p: GpuPlacement, node?: NodeTemplateResources): Record<string, string> {
    const template = `${AUTOSCALER_TAG_PREFIX}/node-template`;
    const labels = { ...GPU_NODE_PURPOSE_LABELS, ...p.nodeLabels };
    return {
        ...(node ? { [`${template}/resources/cpu`]: node.cpu, [`${template}/resources/memory`]: node.memory } : {}),
        [`${template}/resources/${p.resourceName}`]: String(node?.gpus ?? p.gpusPerNode),
        [`${template}/taint/${p.taint.key}`]: `${p.taint.value}:${p.taint.effect}`,
        ...Object.fromEntries(Object.entries(labels).map(([key, value]) => [`${template}/label/${key}`, value])),
    };
}

/** GPU nodes run user pods (notebooks, executors): z2jh's node-purpose label, beside the pool label. */
export const GPU_NODE_PURPOSE_LABELS = nodePurposeLabels("user");

/** The auto-discovery tags: cluster-autoscaler manages groups carrying both. */
export function autoscalerDiscoveryTags(clusterName: string): Record<string, string> {
    return { [`${AUTOSCALER_TAG_PREFIX}/enabled`]: "true", [`${AUTOSCALER_TAG_PREFIX}/${clusterName}`]: "owned" };
}
