/**
 * GPU node pools, and the single definition of how GPU work finds GPU nodes: the `nvidia.com/gpu`
 * resource, the taint that keeps other pods off, and the label that names a pool. Hub profiles and
 * Spark executor templates take a pool's `placement` output; nothing else spells these values.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolConfig } from "../config/config";
import { NodeAffinity, nodePurposeLabels } from "../cluster/nodePurpose";
import { nodeTemplateResources } from "../cluster/instanceTypes";

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

/** Root volume device of an EKS AMI type: Bottlerocket keeps images and containers on its second volume. */
export function rootDeviceName(amiType: string): string {
    return amiType.startsWith("BOTTLEROCKET") ? "/dev/xvdb" : "/dev/xvda";
}

/**
 * Launch template settings for every EKS node: IMDSv2 only with a hop limit of 1, so pods (one hop
 * further away) cannot read the node role's credentials, and an encrypted gp3 root volume.
 */
export function eksLaunchTemplateArgs(settings: { amiType: string; diskSizeGb: number; description: string }): aws.ec2.LaunchTemplateArgs {
    return {
        description: settings.description,
        updateDefaultVersion: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
            {
                deviceName: rootDeviceName(settings.amiType),
                ebs: { volumeSize: settings.diskSizeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ],
    };
}

/** What the EKS variant of a pool needs of its cluster; `EksCluster.core` provides it. */
export interface EksNodePoolCore {
    /** Name of the EKS cluster, known before deployment so the autoscaler tags can name it. Required. */
    clusterName: string;
    /** ARN of the node IAM role. Required. */
    nodeRoleArn: pulumi.Input<string>;
    /** Subnets of the nodes (private). Required. */
    privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** What the node group waits for: the cluster and the node role's policy attachments. Required. */
    nodeGroupDependencies: pulumi.Resource[];
}

export interface GpuNodePoolArgs {
    /** The pool's settings (name, instance types, AMI, sizes). Required. */
    pool: GpuPoolConfig;
    /** On EKS, the cluster (`EksCluster.core`): the pool is a managed node group scaling from zero. Default: none (nodes exist already). */
    eks?: EksNodePoolCore;
}

/**
 * A GPU node pool. On an existing cluster it describes nodes the administrator labelled
 * `ds-platform.io/gpu-pool=<name>` and tainted `nvidia.com/gpu=present:NoSchedule`; with `eks` it
 * creates a managed node group that scales from zero, labelled and tainted from the same placement.
 * AWS resources take the provider given in `opts.providers`.
 */
export class GpuNodePool extends pulumi.ComponentResource {
    /** Taint, labels and resource name that GPU pods of this pool use. */
    public readonly placement: GpuPlacement;
    /** The pool's AMI type (which decides whether the device plugin must be installed). */
    public readonly amiType: GpuPoolConfig["amiType"];
    /** The managed node group (EKS only). */
    public readonly nodeGroup?: aws.eks.NodeGroup;

    constructor(name: string, args: GpuNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:gpu:GpuNodePool", name, {}, opts);
        this.placement = gpuPlacement(args.pool);
        this.amiType = args.pool.amiType;
        if (args.eks) {
            this.nodeGroup = this.createNodeGroup(name, args.pool, args.eks);
        }
        this.registerOutputs({ placement: this.placement, amiType: this.amiType, nodeGroup: this.nodeGroup });
    }

    private createNodeGroup(name: string, pool: GpuPoolConfig, eks: EksNodePoolCore): aws.eks.NodeGroup {
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-lt`,
            eksLaunchTemplateArgs({ amiType: pool.amiType, diskSizeGb: pool.diskSizeGb, description: `GPU pool ${pool.name}` }),
            { parent: this },
        );
        const nodeGroup = new aws.eks.NodeGroup(
            `${name}-ng`,
            {
                clusterName: eks.clusterName,
                nodeRoleArn: eks.nodeRoleArn,
                subnetIds: eks.privateSubnetIds,
                amiType: pool.amiType,
                capacityType: "ON_DEMAND",
                instanceTypes: pool.instanceTypes,
                launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
                scalingConfig: { minSize: 0, desiredSize: 0, maxSize: pool.maxSize },
                updateConfig: { maxUnavailable: 1 },
                labels: { ...GPU_NODE_PURPOSE_LABELS, ...this.placement.nodeLabels },
                taints: [{ key: this.placement.taint.key, value: this.placement.taint.value, effect: eksTaintEffect(this.placement.taint.effect) }],
            },
            // cluster-autoscaler owns the desired size once the group exists.
            { parent: this, dependsOn: eks.nodeGroupDependencies, ignoreChanges: ["scalingConfig.desiredSize"] },
        );
        // The managed group's Auto Scaling group is created by EKS; tag it so the autoscaler can scale from zero.
        const asgName = nodeGroup.resources.apply((r) => {
            const asg = r?.[0]?.autoscalingGroups?.[0]?.name;
            if (!asg) {
                throw new Error(`node group ${name} reports no Auto Scaling group`);
            }
            return asg;
        });
        const tags = { ...autoscalerNodeTemplateTags(this.placement, gpuNodeTemplate(pool)), ...autoscalerDiscoveryTags(eks.clusterName) };
        for (const [key, value] of Object.entries(tags)) {
            new aws.autoscaling.Tag(
                `${name}-asg-${tagResourceSuffix(key, eks.clusterName)}`,
                { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } },
                { parent: this },
            );
        }
        return nodeGroup;
    }
}

/**
 * The node template of a pool's instance types, from the instance type catalogue; its GPU count
 * must be the pool's gpusPerNode, which placements (and so pods) use.
 */
export function gpuNodeTemplate(pool: Pick<GpuPoolConfig, "name" | "instanceTypes" | "gpusPerNode">): NodeTemplateResources {
    const node = nodeTemplateResources(pool.instanceTypes);
    if (node.gpus !== pool.gpusPerNode) {
        throw new Error(`GPU pool ${pool.name}: gpusPerNode is ${pool.gpusPerNode} but ${pool.instanceTypes.join(", ")} has ${node.gpus} GPU(s) per node in the instance type catalogue`);
    }
    return node;
}

/** A short, stable resource-name suffix for an ASG tag key (the cluster's own key becomes "owned"). */
function tagResourceSuffix(key: string, clusterName: string): string {
    if (key === `${AUTOSCALER_TAG_PREFIX}/${clusterName}`) {
        return "owned";
    }
    return key
        .slice(AUTOSCALER_TAG_PREFIX.length + 1)
        .replace(/^node-template\//, "")
        .replace(/[^a-zA-Z0-9]+/g, "-")
        .replace(/^-|-$/g, "")
        .toLowerCase();
}
