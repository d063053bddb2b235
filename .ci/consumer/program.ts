/**
 * A small team platform, written as a program outside the repository writes it: the package
 * imported by name, its types checked with --strict. It builds on a cluster stack (cluster/index.ts,
 * or any stack that exports the cluster's outputs): through a StackReference it gets the kubeconfig
 * its Kubernetes provider uses, and the cluster's facts (Kubernetes version, node-purpose mode, GPU
 * pools, home StorageClass, the registry the nodes pull from). Only Kubernetes resources: that
 * registry as an external one without a user, a prebuilt image, the chart's own secrets, one small
 * profile, no pre-puller, user-scheduler or pod priority, so that the kubernetes plugin alone
 * deploys it.
 *
 * Config (project ds-platform-consumer): clusterStack (the cluster stack,
 * <organization>/<project>/<stack>) and notebookImage (required), namespace, hubChart, images
 * (mirrored third-party images); secrets hubPassword and hubAdminPassword.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterFacts, clusterFromStack, DataSciencePlatform, ImagesConfig, PlatformConfigInput } from "ds-platform";

export interface TeamPlatform {
    platform: DataSciencePlatform;
    hubUrl: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    imageRef: pulumi.Output<string>;
    /** The cluster stack the platform was built on. */
    clusterStack: string;
    /** The cluster's facts as the platform's validated configuration holds them (null where unset). */
    clusterFacts: { [K in keyof Required<ClusterFacts>]: ClusterFacts[K] | null };
}

export const DEFAULT_NAMESPACE = "team-consumer";
export const ADMIN = "admin";

export async function teamPlatform(): Promise<TeamPlatform> {
    const config = new pulumi.Config();
    const cluster = await clusterFromStack("team", config.require("clusterStack"));
    const hub: PlatformConfigInput["hub"] = {
        chart: { repository: config.get("hubChart") ?? "https://hub.jupyter.org/helm-chart/", version: "4.4.0" },
        generatedSecrets: "chart",
        auth: { type: "shared-password", admins: [ADMIN] },
        exposure: { type: "port-forward" },
        storage: { homeCapacity: "1Gi" },
        prePuller: { hook: false, continuous: false },
        scheduling: { userScheduler: false, podPriority: false },
    };
    const platform = new DataSciencePlatform(
        "team",
        cluster.platformArgs({
            cluster: { namespace: config.get("namespace") ?? DEFAULT_NAMESPACE },
            registry: { kind: "external", server: cluster.registryUrl, repository: "ds-platform/notebook" },
            image: { uid: 1000, gid: 100, prebuilt: { cpu: config.require("notebookImage") } },
            hub,
            profiles: [
                { name: "small", displayName: "Small (1 CPU, 1 GiB)", cpu: { guarantee: 0.1, limit: 1 }, memory: { guarantee: "256Mi", limit: "1Gi" }, default: true },
            ],
            spark: { dynamicAllocation: { maxExecutors: 1 } },
            images: config.getObject<Partial<ImagesConfig>>("images") ?? {},
            protectData: false,
            secrets: { hubPassword: config.requireSecret("hubPassword"), hubAdminPassword: config.requireSecret("hubAdminPassword") },
        }),
    );
    const c = platform.config;
    return {
        platform,
        hubUrl: platform.hubUrl,
        namespace: platform.namespace,
        imageRef: platform.imageRef,
        clusterStack: cluster.stack,
        clusterFacts: {
            kubernetesVersion: c.cluster.kubernetesVersion ?? null,
            matchNodePurpose: c.cluster.matchNodePurpose,
            gpuPools: c.gpuPools.map(({ name, gpusPerNode, maxSize }) => ({ name, gpusPerNode, maxSize })),
            homeStorageClass: c.hub.storage.storageClass ?? null,
            registryUrl: c.registry.server ?? null,
        },
    };
}
