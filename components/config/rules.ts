/**
 * Cross-field rules: combinations of keys that are each valid alone but impossible together. They
 * run while the configuration is parsed, before any resource is declared; a builder that can be
 * called with unchecked input runs the rules of its own section, never a copy of them.
 */
import { nodeFitProblems } from "../cluster/instanceTypes";
import { gpuPoolOf } from "../shared/gpuPool";
import { isMemoryQuantity, memoryBytes } from "../shared/quantities";
import { RuleProblem } from "./errors";
import type { ClusterConfig, HubConfig, ImageConfig, RegistryConfig } from "./schema";
import type { AwsConfig, GpuPoolConfig, ModelConfig, Profile, SparkConfig } from "./workloadSchema";
import { MODEL_PREFIX } from "./workloadSchema";

/** What a rule needs to know of a GPU pool; `maxSize` only for capacity rules. */
export interface RulePool {
    name: string;
    gpusPerNode: number;
    maxSize?: number;
}

/** The parsed sections the rules read (before platform-wide defaults such as matchNodePurpose). */
export interface RuleInput {
    cluster: ClusterConfig;
    registry: RegistryConfig;
    image: ImageConfig;
    hub: HubConfig;
    profiles: Profile[];
    gpuPools: GpuPoolConfig[];
    models: ModelConfig[];
    spark: SparkConfig;
    aws?: AwsConfig;
}

type Path = (string | number)[];

/** Every rule of the platform configuration. */
export function platformRules(c: RuleInput): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const issue = (path: Path, problem: string, more: { allowed?: string; fix?: string } = {}) => problems.push({ path, problem, ...more });
    if (c.cluster.provider === "aws" && !c.aws) {
        issue(["aws"], "is required when cluster.provider is aws (at least aws.region)");
    }
    if (c.cluster.provider !== "aws" && c.aws) {
        issue(["aws"], "is only allowed when cluster.provider is aws");
    }
    if (c.cluster.provider === "aws" && c.cluster.kubernetesVersion !== undefined) {
        issue(["cluster", "kubernetesVersion"], "is for existing (kubeconfig) clusters; on aws the cluster's version is aws.kubernetesVersion");
    }
    if (c.registry.kind === "ecr" && c.cluster.provider !== "aws") {
        issue(["registry", "kind"], "ecr needs cluster.provider aws", { allowed: "in-cluster, external" });
    }
    problems.push(...registryRules(c.registry), ...imageRules(c.image));
    if (c.image.platform === "linux/arm64") {
        issue(["image", "platform"], "is linux/arm64, which is not supported yet: no arm64 image has been built and smoke-tested", { allowed: "linux/amd64" });
    }
    duplicates(c.gpuPools.map((p) => p.name)).forEach((i) => issue(["gpuPools", i, "name"], "must be unique among gpuPools"));
    if (c.aws) {
        const vpc = c.aws.vpc;
        if (vpc.existingVpcId && vpc.privateSubnetIds.length < 2) {
            issue(["aws", "vpc", "privateSubnetIds"], "needs at least two subnets when aws.vpc.existingVpcId is set");
        }
        for (const group of ["systemNodes", "cpuNodes"] as const) {
            const g = c.aws[group];
            if (g.minSize > g.desiredSize || g.desiredSize > g.maxSize) {
                issue(["aws", group], `needs minSize <= desiredSize <= maxSize (got ${g.minSize}, ${g.desiredSize}, ${g.maxSize})`);
            }
        }
    }
    const context = { gpuPools: c.gpuPools, gpuImage: c.image.gpu };
    problems.push(
        ...hubRules(c.hub),
        ...profileRules(c.profiles, context),
        ...sparkRules(c.spark, { ...context, notebookNamespace: c.cluster.namespace }),
        ...modelRules(c, context),
        ...nodeFitProblems(c).map((p) => ({ path: p.path, problem: p.message })),
    );
    return problems;
}

/** Registry settings that depend on each other: an external registry needs its server. */
export function registryRules(registry: RegistryConfig): RuleProblem[] {
    if (registry.kind === "external" && !registry.server) {
        return [{ path: ["registry", "server"], problem: "is required when registry.kind is external" }];
    }
    return [];
}

/** The prebuilt images against image.gpu: a gpu reference exactly when the gpu target is used. */
export function imageRules(image: ImageConfig): RuleProblem[] {
    if (image.prebuilt?.gpu && !image.gpu) {
        return [{ path: ["image", "prebuilt", "gpu"], problem: "is set but image.gpu is false", fix: "set image.gpu: true so GPU profiles and executors use it" }];
    }
    if (image.prebuilt && image.gpu && !image.prebuilt.gpu) {
        return [{ path: ["image", "prebuilt", "gpu"], problem: "is required when image.gpu is true and images are prebuilt" }];
    }
    return [];
}

/** Hub settings that depend on each other: the auth and exposure details of their type, placeholders and priority. */
export function hubRules(hub: HubConfig): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const { auth, exposure } = hub;
    if (auth.type === "github" && !auth.github) {
        problems.push({ path: ["hub", "auth", "github"], problem: "is required when hub.auth.type is github (clientId, callbackUrl)" });
    }
    if (auth.type === "oidc" && !auth.oidc) {
        problems.push({ path: ["hub", "auth", "oidc"], problem: "is required when hub.auth.type is oidc (clientId, callbackUrl and the endpoint URLs)" });
    }
    if ((exposure.type === "ingress" || exposure.type === "letsencrypt") && !exposure.host) {
        problems.push({ path: ["hub", "exposure", "host"], problem: `is required when hub.exposure.type is ${exposure.type}` });
    }
    if (exposure.type === "letsencrypt" && !exposure.contactEmail) {
        problems.push({ path: ["hub", "exposure", "contactEmail"], problem: "is required when hub.exposure.type is letsencrypt" });
    }
    if (hub.scheduling.userPlaceholders > 0 && !hub.scheduling.podPriority) {
        problems.push({
            path: ["hub", "scheduling", "userPlaceholders"],
            problem: "needs hub.scheduling.podPriority: true, or placeholder pods would block arriving users",
            fix: "set podPriority: true, or userPlaceholders: 0",
        });
    }
    return problems;
}

/** What the workload rules know of the rest of the configuration. */
export interface WorkloadContext {
    gpuPools: readonly RulePool[];
    /** Whether the gpu image is built; undefined when the caller cannot tell. */
    gpuImage?: boolean;
}

/** A notebook profile or a model service: a pod with CPU, memory and maybe GPUs of a pool. */
type Workload = Pick<Profile, "cpu" | "memory" | "gpus" | "gpuPool" | "image">;

/** Sizes, GPU placement and image of profiles and models alike; `kind` words the messages. */
function workloadRules(key: "profiles" | "models", kind: string, items: readonly Workload[], ctx: WorkloadContext): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const poolNames = ctx.gpuPools.map((p) => p.name);
    items.forEach((w, i) => {
        const at = (...rest: string[]): Path => [key, i, ...rest];
        if (w.cpu.guarantee > w.cpu.limit) {
            problems.push({ path: at("cpu", "guarantee"), problem: `must not exceed cpu.limit (${w.cpu.limit})` });
        }
        // The schema reports malformed quantities itself; compare only well-formed ones.
        if ([w.memory.guarantee, w.memory.limit].every(isMemoryQuantity) && memoryBytes(w.memory.guarantee) > memoryBytes(w.memory.limit)) {
            problems.push({ path: at("memory", "guarantee"), problem: `must not exceed memory.limit (${w.memory.limit})` });
        }
        if (w.gpus > 0 && poolNames.length === 0) {
            problems.push({ path: at("gpus"), problem: "asks for GPUs but the stack has no gpuPools", fix: "add a GPU pool or set gpus: 0" });
        }
        if (w.gpuPool !== undefined && !poolNames.includes(w.gpuPool)) {
            problems.push({ path: at("gpuPool"), problem: "names no GPU pool", allowed: poolNames.join(", ") || "(none configured)" });
        }
        if (w.gpuPool !== undefined && w.gpus === 0) {
            problems.push({ path: at("gpuPool"), problem: `is set but gpus is 0; a CPU ${kind} never lands on GPU nodes` });
        }
        const pool = gpuPoolOf(w, ctx.gpuPools);
        if (pool && w.gpus > pool.gpusPerNode) {
            problems.push({ path: at("gpus"), problem: `exceeds the ${pool.gpusPerNode} GPUs per node of pool ${pool.name}` });
        }
        if (w.image === "gpu" && ctx.gpuImage === false) {
            problems.push({ path: at("image"), problem: "gpu needs image.gpu: true so the gpu image is built", allowed: "cpu" });
        }
    });
    return problems;
}

/** Notebook profiles: unique names, one default, and what every workload must satisfy. */
export function profileRules(profiles: readonly Profile[], ctx: WorkloadContext): RuleProblem[] {
    const problems: RuleProblem[] = duplicates(profiles.map((p) => p.name)).map((i) => ({ path: ["profiles", i, "name"], problem: "must be unique among profiles" }));
    if (profiles.filter((p) => p.default).length > 1) {
        problems.push({ path: ["profiles"], problem: "at most one profile may set default: true" });
    }
    return [...problems, ...workloadRules("profiles", "profile", profiles, ctx)];
}

/** Model services: unique names, replicas, what every workload must satisfy, and where the artifact may come from. */
function modelRules(c: Pick<RuleInput, "models" | "cluster" | "aws">, ctx: WorkloadContext): RuleProblem[] {
    const problems: RuleProblem[] = duplicates(c.models.map((m) => m.name)).map((i) => ({ path: ["models", i, "name"], problem: "must be unique among models" }));
    c.models.forEach((m, i) => {
        const at = (...rest: string[]): Path => ["models", i, ...rest];
        if (m.maxReplicas !== undefined && m.maxReplicas < m.replicas) {
            problems.push({ path: at("maxReplicas"), problem: `must be at least replicas (${m.replicas})` });
        }
        const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(m.artifact);
        if (s3 && c.cluster.provider !== "aws") {
            problems.push({
                path: at("artifact"),
                problem: "names an s3:// object, which needs cluster.provider aws (the data bucket and IRSA)",
                fix: "on kubeconfig clusters use pvc://<claim>/<path>",
            });
        }
        if (s3 && c.cluster.provider === "aws" && !s3[2].startsWith(MODEL_PREFIX)) {
            problems.push({ path: at("artifact"), problem: `must name a key under ${MODEL_PREFIX} of the data bucket, the only prefix model services may read` });
        }
        if (s3 && c.aws?.dataBucketName !== undefined && s3[1] !== c.aws.dataBucketName) {
            problems.push({ path: at("artifact"), problem: `names bucket ${s3[1]}, but model services may read only the data bucket ${c.aws.dataBucketName} (aws.dataBucketName)` });
        }
    });
    return [...problems, ...workloadRules("models", "model", c.models, ctx)];
}

/** The driver and block-manager port ranges: one port per concurrent Spark session in a notebook pod. */
export function sparkPortRanges(spark: Pick<SparkConfig, "driverPort" | "blockManagerPort" | "sessionsPerNotebook">): {
    driver: { port: number; endPort: number };
    blockManager: { port: number; endPort: number };
} {
    const span = spark.sessionsPerNotebook - 1;
    return {
        driver: { port: spark.driverPort, endPort: spark.driverPort + span },
        blockManager: { port: spark.blockManagerPort, endPort: spark.blockManagerPort + span },
    };
}

/** What the Spark rules know of the rest of the configuration. */
export interface SparkContext extends WorkloadContext {
    /** The notebook namespace (cluster.namespace), when known. */
    notebookNamespace?: string;
}

/** Spark settings: ports, executor sizes, the GPU executors' pools and the executor namespace. */
export function sparkRules(spark: SparkConfig, ctx: SparkContext): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const issue = (path: Path, problem: string, more: { allowed?: string; fix?: string } = {}) => problems.push({ path: ["spark", ...path], problem, ...more });
    if (spark.namespace !== undefined && spark.namespace === ctx.notebookNamespace) {
        issue(["namespace"], "is the notebook namespace (cluster.namespace): executor namespaces <spark.namespace>-<user> would sit among the platform's own names", {
            fix: "choose another prefix, or leave spark.namespace unset for <cluster.namespace>-u",
        });
    }
    const cap = spark.maxExecutorPods;
    if (cap > 0 && cap < spark.dynamicAllocation.maxExecutors) {
        issue(["maxExecutorPods"], `(${cap}, per user) is below spark.dynamicAllocation.maxExecutors (${spark.dynamicAllocation.maxExecutors}): a session could never reach its maximum`, {
            allowed: `0 (no cap) or at least ${spark.dynamicAllocation.maxExecutors}`,
            fix: "raise spark.maxExecutorPods or lower spark.dynamicAllocation.maxExecutors",
        });
    }
    if (spark.gpuExecutors.enabled && spark.maxExecutorGpus < spark.gpuExecutors.gpusPerExecutor) {
        issue(["maxExecutorGpus"], `(${spark.maxExecutorGpus}, per user) is below spark.gpuExecutors.gpusPerExecutor (${spark.gpuExecutors.gpusPerExecutor}): no GPU executor could start`, {
            allowed: `at least ${spark.gpuExecutors.gpusPerExecutor}`,
        });
    }
    if (spark.dynamicAllocation.minExecutors > spark.dynamicAllocation.maxExecutors) {
        issue(["dynamicAllocation", "minExecutors"], "must not exceed maxExecutors");
    }
    const { driver, blockManager } = sparkPortRanges(spark);
    if (spark.driverPort === spark.blockManagerPort) {
        issue(["blockManagerPort"], "must differ from spark.driverPort");
    } else if (driver.port <= blockManager.endPort && blockManager.port <= driver.endPort) {
        issue(
            ["blockManagerPort"],
            `ports ${blockManager.port}-${blockManager.endPort} overlap the driver ports ${driver.port}-${driver.endPort} (spark.sessionsPerNotebook = ${spark.sessionsPerNotebook})`,
            { fix: "move one so the ranges are disjoint" },
        );
    }
    for (const [key, range] of [["driverPort", driver], ["blockManagerPort", blockManager]] as const) {
        if (range.endPort > 65535) {
            issue([key], "plus spark.sessionsPerNotebook - 1 exceeds 65535", { fix: "lower the port or spark.sessionsPerNotebook" });
        }
    }
    const x = spark.executor;
    if (x.coresLimit !== undefined && x.coresLimit < x.cores) {
        issue(["executor", "coresLimit"], `is below spark.executor.cores (${x.cores})`, { allowed: `at least ${x.cores}` });
    }
    return [...problems, ...gpuExecutorRules(spark, ctx)];
}

function gpuExecutorRules(spark: SparkConfig, ctx: SparkContext): RuleProblem[] {
    const gx = spark.gpuExecutors;
    const problems: RuleProblem[] = [];
    const issue = (path: Path, problem: string, more: { allowed?: string; fix?: string } = {}) =>
        problems.push({ path: ["spark", "gpuExecutors", ...path], problem, ...more });
    const poolNames = ctx.gpuPools.map((p) => p.name);
    (gx.pools ?? []).forEach((name, i) => {
        if (!poolNames.includes(name)) {
            issue(["pools", i], "names no GPU pool", { allowed: poolNames.join(", ") || "(none configured)" });
        }
    });
    if (!gx.enabled) {
        return problems;
    }
    if (ctx.gpuImage === false) {
        issue(["enabled"], "needs image.gpu: true so executors get the gpu image");
    }
    if (poolNames.length === 0) {
        issue(["enabled"], "needs at least one entry in gpuPools");
        return problems;
    }
    const admitted = gpuExecutorPools({ gpuPools: ctx.gpuPools, spark });
    const perNode = (p: RulePool) => Math.floor(p.gpusPerNode / gx.gpusPerExecutor);
    for (const pool of admitted.filter((p) => perNode(p) === 0)) {
        issue(["gpusPerExecutor"], `exceeds the ${pool.gpusPerNode} GPUs per node of pool ${pool.name}`);
    }
    if (gx.gpusPerExecutor % spark.executor.cores !== 0 && spark.executor.cores % gx.gpusPerExecutor !== 0) {
        issue(["gpusPerExecutor"], `GPUs cannot be shared evenly by ${spark.executor.cores} cores (spark.executor.cores)`, {
            fix: "use a multiple or a divisor of it",
        });
    }
    const sized = admitted.filter((p): p is RulePool & { maxSize: number } => p.maxSize !== undefined);
    const capacity = gpuExecutorCapacity(sized, gx.gpusPerExecutor);
    if (sized.length === admitted.length && capacity > 0 && gx.maxExecutors !== undefined && gx.maxExecutors > capacity) {
        issue(
            ["maxExecutors"],
            `asks for ${gx.maxExecutors} GPU executors of ${gx.gpusPerExecutor} GPU(s), but the pools executors may use hold at most ${capacity} ` +
                `(${sized.map((p) => `${p.name}: ${p.maxSize} nodes x ${perNode(p)}`).join(", ")})`,
            { fix: `lower it to ${capacity}, add pools to spark.gpuExecutors.pools or raise their maxSize` },
        );
    }
    return problems;
}

/** GPU executors the pools can hold at once: each node fits floor(gpusPerNode / gpusPerExecutor). */
export function gpuExecutorCapacity(pools: { maxSize: number; gpusPerNode: number }[], gpusPerExecutor: number): number {
    return pools.reduce((sum, p) => sum + p.maxSize * Math.floor(p.gpusPerNode / gpusPerExecutor), 0);
}

/** The GPU pools Spark executors may use: the configured ones, else every pool. */
export function gpuExecutorPools<P extends { name: string }>(config: { gpuPools: readonly P[]; spark: Pick<SparkConfig, "gpuExecutors"> }): P[] {
    const names = config.spark.gpuExecutors.pools;
    return names ? config.gpuPools.filter((p) => names.includes(p.name)) : [...config.gpuPools];
}

function duplicates(values: string[]): number[] {
    return values.flatMap((v, i) => (values.indexOf(v) < i ? [i] : []));
}
