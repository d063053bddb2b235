/**
 * GPU node pools: on EKS, a managed node group that scales from zero, labelled, tainted and tagged
 * from the pool's placement (`./placement`, where the resource, taint and pool label are defined).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolConfig } from "../config/config";
import { nodeTemplateResources } from "../cluster/instanceTypes";
import { eksLaunchTemplateArgs } from "./launchTemplate";
import {
    AUTOSCALER_TAG_PREFIX,
    autoscalerDiscoveryTags,
    autoscalerNodeTemplateTags,
    eksTaintEffect,
    GPU_NODE_PURPOSE_LABELS,
    GpuPlacement,
    gpuPlacement,
    NodeTemplateResources,
} from "./placement";

export * from "./placement";
export * from "./launchTemplate";

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
