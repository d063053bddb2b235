/**
 * The NVIDIA device plugin, which advertises `nvidia.com/gpu` on GPU nodes. Bottlerocket NVIDIA
 * AMIs ship their own plugin, so the DaemonSet only targets pools whose AMI needs it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuPoolConfig } from "../config/config";
import { ChartSource, chartReference } from "../shared/helmChart";
import { GPU_POOL_LABEL, GpuPlacement, gpuToleration } from "./placement";
import { chartImageOf } from "../image/imageReference";

/** A GPU pool as the device plugin sees it: where its nodes are, and what they run. */
export interface DevicePluginPool {
    placement: GpuPlacement;
    amiType: GpuPoolConfig["amiType"];
}

/** Whether nodes of this AMI type need the plugin installed (Bottlerocket brings its own). */
export function needsDevicePlugin(amiType: GpuPoolConfig["amiType"]): boolean {
    return !amiType.startsWith("BOTTLEROCKET");
}

/**
 * Chart values, or undefined when no pool needs the plugin. The chart's default affinity selects
 * nodes by node-feature-discovery labels; the platform runs no NFD, so the affinity is replaced by
 * one on the pool label, listing only the pools that need the plugin.
 */
export function devicePluginValues(pools: DevicePluginPool[]): Record<string, unknown> | undefined {
    const targets = pools.filter((p) => needsDevicePlugin(p.amiType));
    if (targets.length === 0) {
        return undefined;
    }
    const poolNames = targets.map((p) => {
        const value = p.placement.nodeLabels[GPU_POOL_LABEL];
        if (value === undefined) {
            throw new Error(`GPU pool ${p.placement.poolName} has no ${GPU_POOL_LABEL} node label`);
        }
        return value;
    });
    const tolerations = targets.map((p) => gpuToleration(p.placement));
    const uniqueTolerations = tolerations.filter((t, i) => tolerations.findIndex((u) => JSON.stringify(u) === JSON.stringify(t)) === i);
    return {
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "In", values: poolNames }] }],
                },
            },
        },
        tolerations: uniqueTolerations,
        gfd: { enabled: false },
        // The chart's node-feature-discovery dependency is switched by this condition key.
        nfd: { enabled: false },
    };
}

export interface NvidiaDevicePluginArgs {
    /** The GPU pools of the cluster. Required. */
    pools: DevicePluginPool[];
    /** The chart's repository and version (config `aws.devicePlugin`). Required. */
    chart: ChartSource;
    /** Namespace of the DaemonSet. Default: kube-system. */
    namespace?: string;
    /** A mirror of the plugin image, pinned by digest (config `images.devicePlugin`). Default: the chart's */
    image?: string;
}

/** The device plugin release, absent when every pool ships its own plugin. Pass the Kubernetes provider in opts. */
export class NvidiaDevicePlugin extends pulumi.ComponentResource {
    public readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: NvidiaDevicePluginArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:gpu:NvidiaDevicePlugin", name, {}, opts);
        const namespace = args.namespace ?? "kube-system";
        const values = devicePluginValues(args.pools);
        if (values && args.image) {
            values.image = chartImageOf(args.image);
        }
        if (values) {
            this.release = new k8s.helm.v3.Release(
                `${name}-release`,
                { ...chartReference(args.chart, "nvidia-device-plugin"), name: "nvidia-device-plugin", namespace, values },
                { parent: this },
            );
        }
        this.registerOutputs({ release: this.release });
    }
}
