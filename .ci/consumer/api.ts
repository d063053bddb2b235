/**
 * More of the package's API as another program uses it, type-checked only (nothing here runs):
 * the config parser and its types, single components and pure builders; and settings the
 * declarations must refuse, so that a package whose types resolved to `any` fails the check
 * (each @ts-expect-error is itself an error when nothing is wrong on its line).
 */
import * as pulumi from "@pulumi/pulumi";
import {
    buildHubValues,
    CLUSTER_STACK_OUTPUTS,
    ClusterStackExports,
    clusterStackOutputs,
    ConfigError,
    contextDigest,
    DataSciencePlatform,
    DataSciencePlatformArgs,
    GpuNodePool,
    HubValues,
    parsePlatformConfig,
    PlatformConfig,
    ReferencedCluster,
    SparkHistoryServer,
} from "ds-platform";

export function parsed(): PlatformConfig {
    try {
        return parsePlatformConfig({ gpuPools: [{ name: "a10", gpusPerNode: 1 }] }, { hubPassword: true });
    } catch (e) {
        if (e instanceof ConfigError) {
            console.error(e.message);
        }
        throw e;
    }
}

export function hubValues(config: PlatformConfig, image: string): HubValues {
    return buildHubValues({ hub: config.hub, profiles: config.profiles, images: { cpu: image }, uid: config.image.uid, gid: config.image.gid, secrets: { hubPassword: "a-password" } });
}

export function pieces(config: PlatformConfig, image: pulumi.Input<string>): { placements: string[]; historyUrl: pulumi.Output<string>; digest: string } {
    const pools = config.gpuPools.map((pool) => new GpuNodePool(`pool-${pool.name}`, { pool }));
    const history = new SparkHistoryServer("history", { namespace: "analytics", image, uid: 1000, gid: 100, eventLogDir: "file:/var/spark-events" });
    return { placements: pools.map((p) => p.placement.poolName), historyUrl: history.url, digest: contextDigest("images/notebook") };
}

/** The two sides of a cluster stack: its outputs, and a team's settings merged with its facts. */
export function clusterStack(kubeconfig: pulumi.Input<string>, cluster: ReferencedCluster): { outputs: ClusterStackExports; names: string[]; args: DataSciencePlatformArgs } {
    const outputs = clusterStackOutputs({ kubeconfig, kubernetesVersion: "1.35", gpuPools: [{ name: "a10", gpusPerNode: 1, maxSize: 2 }] });
    const args: DataSciencePlatformArgs = cluster.platformArgs({ cluster: { namespace: "team-a" }, gpuPools: [{ name: "a10" }] });
    return { outputs, names: Object.keys(CLUSTER_STACK_OUTPUTS), args };
}

export function refusedOutputs(): ClusterStackExports[] {
    return [
        // @ts-expect-error the node-purpose modes are require, prefer and ignore
        clusterStackOutputs({ matchNodePurpose: "always" }),
        // @ts-expect-error a GPU pool states its GPUs per node and its size
        clusterStackOutputs({ gpuPools: [{ name: "a10" }] }),
    ];
}

export function refused(): DataSciencePlatform[] {
    return [
        // @ts-expect-error "dummy" is no auth type (shared-password, github or oidc)
        new DataSciencePlatform("auth", { hub: { auth: { type: "dummy" } } }),
        // @ts-expect-error no such section
        new DataSciencePlatform("section", { hubs: {} }),
        // @ts-expect-error CPU cores are numbers
        new DataSciencePlatform("cores", { profiles: [{ name: "x", displayName: "X", cpu: { guarantee: "1", limit: 2 }, memory: { guarantee: "1Gi", limit: "1Gi" } }] }),
        // @ts-expect-error the registry kinds are in-cluster, ecr and external
        new DataSciencePlatform("registry", { registry: { kind: "docker-hub" } }),
    ];
}
