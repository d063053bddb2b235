/**
 * A small team platform, written as a program outside the repository writes it: the package
 * imported by name, its types checked with --strict. Only Kubernetes resources: an external
 * registry without a user, a prebuilt image, the chart's own secrets, one small profile, no
 * pre-puller, user-scheduler or pod priority, so that the kubernetes plugin alone deploys it.
 *
 * Config (project ds-platform-consumer): notebookImage and registry (required), namespace,
 * hubChart, storageClass, images (mirrored third-party images); secrets hubPassword and
 * hubAdminPassword.
 */
import * as pulumi from "@pulumi/pulumi";
import { DataSciencePlatform, DataSciencePlatformArgs, ImagesConfig, PlatformConfigInput } from "ds-platform";

export interface TeamPlatform {
    platform: DataSciencePlatform;
    hubUrl: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    imageRef: pulumi.Output<string>;
}

export const DEFAULT_NAMESPACE = "team-consumer";
export const ADMIN = "admin";

export function teamPlatform(): TeamPlatform {
    const config = new pulumi.Config();
    const storageClass = config.get("storageClass");
    const hub: PlatformConfigInput["hub"] = {
        chart: { repository: config.get("hubChart") ?? "https://hub.jupyter.org/helm-chart/", version: "4.4.0" },
        generatedSecrets: "chart",
        auth: { type: "shared-password", admins: [ADMIN] },
        exposure: { type: "port-forward" },
        storage: { homeCapacity: "1Gi", ...(storageClass ? { storageClass } : {}) },
        prePuller: { hook: false, continuous: false },
        scheduling: { userScheduler: false, podPriority: false },
    };
    const args: DataSciencePlatformArgs = {
        cluster: { provider: "kubeconfig", namespace: config.get("namespace") ?? DEFAULT_NAMESPACE },
        registry: { kind: "external", server: config.require("registry"), repository: "ds-platform/notebook" },
        image: { uid: 1000, gid: 100, prebuilt: { cpu: config.require("notebookImage") } },
        hub,
        profiles: [
            { name: "small", displayName: "Small (1 CPU, 1 GiB)", cpu: { guarantee: 0.1, limit: 1 }, memory: { guarantee: "256Mi", limit: "1Gi" }, default: true },
        ],
        spark: { dynamicAllocation: { maxExecutors: 1 } },
        images: config.getObject<Partial<ImagesConfig>>("images") ?? {},
        protectData: false,
        secrets: { hubPassword: config.requireSecret("hubPassword"), hubAdminPassword: config.requireSecret("hubAdminPassword") },
    };
    const platform = new DataSciencePlatform("team", args);
    return { platform, hubUrl: platform.hubUrl, namespace: platform.namespace, imageRef: platform.imageRef };
}
