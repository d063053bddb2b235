/**
 * ClusterAddons: what an EKS cluster runs for the platform beyond EKS's own add-ons. The default
 * StorageClass (encrypted gp3 on the EBS CSI driver), cluster-autoscaler with its IRSA role, and the
 * NVIDIA device plugin for the GPU pools whose AMI lacks one. Takes the cluster's `core` bundle.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ImagesConfig } from "../config/config";
import { ServiceAccountRole } from "../iam/serviceAccountRole";
import { ChartSource } from "../shared/helmChart";
import { DevicePluginPool, NvidiaDevicePlugin } from "../gpu/nvidiaDevicePlugin";
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, ClusterAutoscaler, clusterAutoscalerPolicy } from "./clusterAutoscaler";
import { EksCore, formerAwsClusterUrn } from "./eksCluster";

/** The default StorageClass the platform creates; user homes use it. */
export const STORAGE_CLASS_NAME = "ds-platform-gp3";

/** The default StorageClass: encrypted gp3, bound where the pod lands, expandable, retained when data is protected. */
export function storageClassManifest(protect: boolean): k8s.storage.v1.StorageClassArgs {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS_NAME, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
        reclaimPolicy: protect ? "Retain" : "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    };
}

export interface ClusterAddonsArgs {
    /** The cluster (`EksCluster.core`). Required. */
    cluster: EksCore;
    /** The cluster's GPU pools; the device plugin targets those whose AMI does not ship one. Required (may be empty). */
    gpuPools: DevicePluginPool[];
    /** cluster-autoscaler's chart repository and version (config `aws.autoscaler`). Required. */
    autoscalerChart: ChartSource;
    /** The device plugin's chart repository and version (config `aws.devicePlugin`). Required. */
    devicePluginChart: ChartSource;
    /** Retain volumes of the StorageClass when their claims go (config `protectData`). Required. */
    protect: boolean;
    /** Mirrors of the add-on images, pinned by digest (config `images`). Default: the charts' and the version table's */
    images?: Pick<ImagesConfig, "clusterAutoscaler" | "devicePlugin">;
}

/**
 * The cluster's add-ons. Pass the AWS provider (for the autoscaler's role) and the cluster's
 * Kubernetes provider in `opts.providers`.
 */
export class ClusterAddons extends pulumi.ComponentResource {
    /** The default StorageClass (encrypted gp3). */
    public readonly storageClassName: string;
    /** The IRSA role of cluster-autoscaler. */
    public readonly autoscalerRoleArn: pulumi.Output<string>;

    constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:aws:ClusterAddons", name, {}, opts);
        const core = args.cluster;
        // A stack deployed before the split holds these as children of the former AWS component, which
        // had this component's name and parent: aliases keep them.
        const formerParent = formerAwsClusterUrn(name, opts?.parent);
        const moved = { parent: this, aliases: [{ parent: formerParent }] };

        new k8s.storage.v1.StorageClass(`${name}-gp3`, storageClassManifest(args.protect), {
            ...moved,
            dependsOn: [core.ebsCsiDriver],
        });

        const autoscalerRole = new ServiceAccountRole(
            `${name}-autoscaler-role`,
            {
                oidcProvider: core.oidcProvider,
                serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                description: `cluster-autoscaler of ${core.clusterName}`,
                inlinePolicies: { policy: clusterAutoscalerPolicy(core.clusterName) },
                formerly: {
                    parent: pulumi.createUrn(`${name}-autoscaler`, "ds-platform:aws:ClusterAutoscaler", formerParent),
                    policyNames: { policy: `${name}-autoscaler-policy` },
                },
            },
            { parent: this },
        );
        new ClusterAutoscaler(
            `${name}-autoscaler`,
            {
                clusterName: core.clusterName,
                region: core.region,
                roleArn: autoscalerRole.roleArn,
                chart: args.autoscalerChart,
                nodeSelector: core.systemNodeLabels,
                kubernetesVersion: core.kubernetesVersion,
                image: args.images?.clusterAutoscaler,
            },
            moved,
        );
        new NvidiaDevicePlugin(
            `${name}-device-plugin`,
            { pools: args.gpuPools, chart: args.devicePluginChart, image: args.images?.devicePlugin },
            moved,
        );

        this.storageClassName = STORAGE_CLASS_NAME;
        this.autoscalerRoleArn = autoscalerRole.roleArn;
        this.registerOutputs({ storageClassName: this.storageClassName, autoscalerRoleArn: this.autoscalerRoleArn });
    }
}
