/**
 * cluster-autoscaler for EKS managed node groups.
 *
 * Chosen over Karpenter: managed node groups plus node-template tags on their Auto Scaling groups
 * already give scale-from-zero GPU pools, with one Deployment and one IAM role, and no extra node
 * provisioning API, interruption queue or instance profile to run beside the groups.
 */
import * as k8s from "@pulumi/kubernetes";
import { ChartSource, chartReference } from "../shared/helmChart";
import * as pulumi from "@pulumi/pulumi";
import { AUTOSCALER_TAG_PREFIX } from "../gpu/placement";
import { IRSA_ROLE_ANNOTATION, PolicyDocument, ServiceAccountRef } from "../iam/policies";
import { KubernetesVersion, PinnedImage, clusterAutoscalerExtraRules, clusterAutoscalerImage, supplementaryRbac } from "../cluster/kubernetesVersions";
import { chartImageOf } from "../image/imageReference";

/** The service account the chart creates; the IAM role trusts exactly this one. */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT: ServiceAccountRef = { namespace: "kube-system", name: "cluster-autoscaler" };

/**
 * Least privilege for the autoscaler: it may change the size of, and terminate instances in, only
 * the Auto Scaling groups tagged as owned by this cluster; it may describe everything it reads.
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ScaleOwnedGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/${AUTOSCALER_TAG_PREFIX}/${clusterName}`]: "owned" } },
            },
            {
                Sid: "Describe",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
        ],
    };
}

/**
 * Chart values: auto-discovery of this cluster's groups, IRSA, placement on system nodes, and the
 * cluster-autoscaler image of the cluster's minor (the chart's default is v1.32 whatever the cluster).
 */
export function clusterAutoscalerValues(settings: {
    clusterName: string;
    region: string;
    roleArn: pulumi.Input<string>;
    nodeSelector: Record<string, string>;
    image: PinnedImage;
}): Record<string, unknown> {
    return {
        cloudProvider: "aws",
        image: { repository: settings.image.repository, tag: settings.image.tag },
        awsRegion: settings.region,
        autoDiscovery: { clusterName: settings.clusterName },
        fullnameOverride: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name,
        rbac: {
            create: true,
            serviceAccount: {
                create: true,
                name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name,
                annotations: { [IRSA_ROLE_ANNOTATION]: settings.roleArn },
            },
        },
        extraArgs: {
            // GPU pools of the same instance types grow evenly across zones.
            "balance-similar-node-groups": true,
            // kube-system DaemonSets run on every node; they must not pin idle GPU nodes.
            "skip-nodes-with-system-pods": false,
            // Pick the group that leaves the least idle CPU and memory after scaling.
            expander: "least-waste",
        },
        nodeSelector: settings.nodeSelector,
    };
}

export interface ClusterAutoscalerArgs {
    /** EKS cluster name, as the node groups' owned tag spells it. Required. */
    clusterName: string;
    /** AWS region of the cluster. Required. */
    region: string;
    /** The IRSA role of the autoscaler's ServiceAccount (`CLUSTER_AUTOSCALER_SERVICE_ACCOUNT`, policy `clusterAutoscalerPolicy`). Required. */
    roleArn: pulumi.Input<string>;
    /** The chart's repository and version (config `aws.autoscaler`). Required. */
    chart: ChartSource;
    /** Labels of the nodes the autoscaler runs on (the system group). Required. */
    nodeSelector: Record<string, string>;
    /** The cluster's Kubernetes minor: the autoscaler's image and RBAC follow it (components/cluster/kubernetesVersions.ts). Required. */
    kubernetesVersion: KubernetesVersion;
    /** A mirror of the autoscaler image of that minor, pinned by digest (config `images.clusterAutoscaler`). Default: the version table's */
    image?: string;
}

/**
 * The cluster-autoscaler Helm release, running as the given IRSA role. Pass the Kubernetes provider
 * in `opts.providers`.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:aws:ClusterAutoscaler", name, {}, opts);
        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                ...chartReference(args.chart, "cluster-autoscaler"),
                name: "cluster-autoscaler",
                namespace: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace,
                values: clusterAutoscalerValues({
                    clusterName: args.clusterName,
                    region: args.region,
                    roleArn: args.roleArn,
                    nodeSelector: args.nodeSelector,
                    image: args.image ? chartImageOf(args.image) : clusterAutoscalerImage(args.kubernetesVersion),
                }),
            },
            { parent: this },
        );
        // What a newer autoscaler watches that the chart's ClusterRole does not grant.
        const extraRules = clusterAutoscalerExtraRules(args.kubernetesVersion);
        if (extraRules.length > 0) {
            const rbac = supplementaryRbac({
                name: `${CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name}-ds-platform`,
                rules: extraRules,
                serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                labels: { "app.kubernetes.io/component": "cluster-autoscaler", "ds-platform.io/kubernetes-version": args.kubernetesVersion },
            });
            const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-extra`, rbac.clusterRole, { parent: this });
            new k8s.rbac.v1.ClusterRoleBinding(`${name}-extra`, rbac.clusterRoleBinding, { parent: this, dependsOn: [clusterRole] });
        }
        this.registerOutputs({ release: this.release });
    }
}
