/**
 * What the deployed stack says about Spark and GPUs, read from the cluster rather than passed in:
 * the Spark ConfigMap notebook pods mount (spark-defaults.conf, spark-gpu.conf, the executor pod
 * templates) and the hub's values (the profile list KubeSpawner uses, and the per-user isolation
 * settings the hub applies at each spawn), so the Spark and GPU suites check what was really
 * deployed with any stack config.
 *
 * Where a user's executors run is not in the conf (spark.kubernetes.namespace reads the notebook
 * pod's SPARK_EXECUTOR_NAMESPACE): the suites take it from the pod (executorNamespaceOf in
 * cluster.ts), and the prefix it starts with from the hub's values.
 */
import * as YAML from "yaml";
import { USER_ISOLATION_CUSTOM_KEY } from "../../../components/hub/hubValues";
import { Kubectl } from "./kube";

export type SparkConf = Map<string, string>;

/** A Spark properties file as the platform renders it: `key value` lines, # comments. */
export function parseSparkConf(text: string): SparkConf {
    const conf = new Map<string, string>();
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            continue;
        }
        const m = /^(\S+)\s+(.*)$/.exec(line);
        if (m) {
            conf.set(m[1], m[2].replace(/\\\\/g, "\\"));
        }
    }
    return conf;
}

export interface Profile {
    slug: string;
    displayName: string;
    /** nvidia.com/gpu limit (0 for CPU profiles). */
    gpus: number;
    /** The GPU pool its node affinity requires (GPU profiles). */
    gpuPool?: string;
    memLimitBytes: number;
    override: Record<string, any>;
}

export interface SparkStack {
    namespace: string;
    /**
     * Each user's executors run in `<prefix>-<user>`: the hub's custom.dsPlatformUserIsolation
     * executorNamespacePrefix (stack config spark.namespace, else `<namespace>-u`).
     */
    executorNamespacePrefix: string;
    defaults: SparkConf;
    gpu?: SparkConf;
    executorTemplate: Record<string, any>;
    gpuExecutorTemplate?: Record<string, any>;
    profiles: Profile[];
    /** A Service named spark-history runs (spark.historyServer.enabled). */
    historyServer: boolean;
}

export const GPU_RESOURCE = "nvidia.com/gpu";
export const GPU_POOL_LABEL = "ds-platform.io/gpu-pool";
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };
export const EXECUTOR_LABEL = "ds-platform.io/spark-executor";
export const DRIVER_LABEL = "ds-platform.io/spark-driver";

function bytes(spec: unknown): number {
    if (typeof spec === "number") {
        return spec;
    }
    const m = /^([0-9.]+)([KMGT]?)$/.exec(String(spec));
    if (!m) {
        return 0;
    }
    return Number(m[1]) * 1024 ** " KMGT".indexOf(m[2] || " ");
}

function profileOf(entry: any): Profile {
    const o = entry.kubespawner_override ?? {};
    const gpus = Number(o.extra_resource_limits?.[GPU_RESOURCE] ?? 0);
    const terms: any[] = o.node_affinity_required ?? [];
    const pool = terms
        .flatMap((t) => t.matchExpressions ?? [])
        .find((e: any) => e.key === GPU_POOL_LABEL && e.operator === "In")?.values?.[0];
    return { slug: entry.slug, displayName: entry.display_name, gpus, gpuPool: pool, memLimitBytes: bytes(o.mem_limit), override: o };
}

/** The jsonpath of the chart values in the Secret `hub` (z2jh keeps them there for the hub's get_config). */
export const HUB_VALUES_JSONPATH = "jsonpath={.data.values\\.yaml}";

/** The hub's values from the base64 text of the Secret `hub`'s values.yaml. */
export function parseHubValues(base64: string): any {
    return YAML.parse(Buffer.from(base64.trim(), "base64").toString("utf8"));
}

/** custom.dsPlatformUserIsolation.executorNamespacePrefix of the hub's values, if the stack runs Spark. */
export function executorNamespacePrefixOf(values: any): string | undefined {
    const prefix = values?.custom?.[USER_ISOLATION_CUSTOM_KEY]?.executorNamespacePrefix;
    return typeof prefix === "string" && prefix !== "" ? prefix : undefined;
}

/** Reads the stack's Spark ConfigMap, the hub's values and the history Service from `namespace`. */
export async function readSparkStack(kube: Kubectl, namespace: string): Promise<SparkStack> {
    const cm = await kube.get<any>("configmap", "spark-conf");
    if (!cm) {
        throw new Error(`ConfigMap spark-conf is missing in ${namespace}: is the stack deployed there?`);
    }
    const data: Record<string, string> = cm.data ?? {};
    const defaults = parseSparkConf(data["spark-defaults.conf"] ?? "");
    const values = parseHubValues(await kube.run(["get", "secret", "hub", "--output", HUB_VALUES_JSONPATH]));
    const profiles: Profile[] = (values?.singleuser?.profileList ?? []).map(profileOf);
    const executorNamespacePrefix = executorNamespacePrefixOf(values);
    if (executorNamespacePrefix === undefined) {
        throw new Error(`the hub's values in ${namespace} have no custom.${USER_ISOLATION_CUSTOM_KEY}.executorNamespacePrefix: the stack deploys no per-user Spark isolation`);
    }
    return {
        namespace,
        executorNamespacePrefix,
        defaults,
        gpu: data["spark-gpu.conf"] ? parseSparkConf(data["spark-gpu.conf"]) : undefined,
        executorTemplate: YAML.parse(data["executor-pod-template.yaml"] ?? "{}"),
        gpuExecutorTemplate: data["executor-pod-template-gpu.yaml"] ? YAML.parse(data["executor-pod-template-gpu.yaml"]) : undefined,
        profiles,
        historyServer: (await kube.get("service", "spark-history")) !== undefined,
    };
}

/** The CPU profile for Spark drivers: E2E_SPARK_PROFILE, else the CPU profile with the most memory. */
export function sparkProfile(stack: SparkStack): Profile {
    const wanted = process.env.E2E_SPARK_PROFILE;
    const cpu = stack.profiles.filter((p) => p.gpus === 0);
    const chosen = wanted ? cpu.find((p) => p.slug === wanted) : [...cpu].sort((a, b) => b.memLimitBytes - a.memLimitBytes)[0];
    if (!chosen) {
        throw new Error(`no CPU profile ${wanted ?? ""} among ${stack.profiles.map((p) => p.slug).join(", ")}`);
    }
    return chosen;
}

/** The GPU profile to test: E2E_GPU_PROFILE, else the first profile asking for GPUs. */
export function gpuProfile(stack: SparkStack): Profile | undefined {
    const wanted = process.env.E2E_GPU_PROFILE;
    return stack.profiles.find((p) => p.gpus > 0 && (!wanted || p.slug === wanted));
}

export function confInt(conf: SparkConf, key: string): number {
    const v = conf.get(key);
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) {
        throw new Error(`${key} is not a number in the deployed conf (got ${v})`);
    }
    return n;
}

/** Seconds of a Spark duration such as 15s or 2min. */
export function confSeconds(conf: SparkConf, key: string): number {
    const v = conf.get(key) ?? "";
    const m = /^([0-9]+)(ms|s|min|m|h)?$/.exec(v);
    if (!m) {
        throw new Error(`${key} is not a duration in the deployed conf (got ${v})`);
    }
    const unit = { ms: 0.001, s: 1, min: 60, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "min" | "m" | "h"];
    return Number(m[1]) * unit;
}
