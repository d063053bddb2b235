/**
 * GPU node pools, and the single definition of how GPU work finds GPU nodes: the `nvidia.com/gpu`
 * resource, the taint that keeps other pods off, and the label that names a pool. Hub profiles and
 * Spark executor templates take a pool's `placement` output; nothing else spells these values.
 */
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolConfig } from "./config";

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
export function gpuToleration(p: GpuPlacement): { key: string; operator: "Equal"; value: string; effect: TaintEffect } {
    return { key: p.taint.key, operator: "Equal", value: p.taint.value, effect: p.taint.effect };
}

/** A required node affinity that selects exactly the placement's nodes. */
export function gpuNodeAffinity(p: GpuPlacement): any {
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
                {
                    matchExpressions: Object.entries(p.nodeLabels).map(([key, value]) => ({ key, operator: "In", values: [value] })),
                },
            ],
        },
    };
}

/**
 * A node affinity that keeps CPU pods off every GPU pool: GPU nodes are expensive, and the taint
 * alone does not stop a pod that happens to tolerate everything.
 */
export function avoidGpuNodesAffinity(): any {
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "DoesNotExist" }] }],
        },
    };
}

export interface GpuNodePoolArgs {
    /** The pool's settings (name, instance types, AMI, sizes). Required. */
    pool: GpuPoolConfig;
}

/**
 * A GPU node pool. On an existing cluster it describes nodes the administrator labelled
 * `ds-platform.io/gpu-pool=<name>` and tainted `nvidia.com/gpu=present:NoSchedule`; on AWS the EKS
 * variant (see awsCluster) creates a managed node group that scales from zero.
 */
export class GpuNodePool extends pulumi.ComponentResource {
    /** Taint, labels and resource name that GPU pods of this pool use. */
    public readonly placement: GpuPlacement;

    constructor(name: string, args: GpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:gpu:GpuNodePool", name, {}, opts);
        this.placement = gpuPlacement(args.pool);
        this.registerOutputs({ placement: this.placement });
    }
}
