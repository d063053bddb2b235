/**
 * Stacks that build on stacks: one stack owns the cluster, each team's stack deploys its own platform
 * onto it and reads what it needs through a `pulumi.StackReference`.
 *
 * The cluster stack exports its kubeconfig (a secret) and the facts of the cluster a team platform
 * must agree with, under the names of `CLUSTER_STACK_OUTPUTS`: the project's own program does so
 * (components/stack.ts), and any other cluster-owning program does with `clusterStackOutputs`. A
 * team's program reads them with `clusterFromStack`, which builds the Kubernetes provider from the
 * referenced kubeconfig and merges the facts into the team's platform settings (`platformArgs`),
 * refusing settings that contradict the cluster. Both sides use the names and the schema defined
 * here, once.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { PlatformConfigInput, PlatformSecrets } from "../config/config";
import { ConfigError, ConfigProblem, configProblem, describeIssues } from "../config/errors";
import { dnsLabel, positiveInt } from "../config/values";
import { KubernetesVersion, SUPPORTED_KUBERNETES_VERSIONS } from "./kubernetesVersions";
import { NODE_PURPOSE_MATCHES, NodePurposeMatch } from "./nodePurpose";

/** A GPU pool of the cluster as its stack exports it: what a team's `gpuPools` entry must agree with. */
export interface ClusterGpuPool {
    /** The pool's name, the value of its nodes' ds-platform.io/gpu-pool label. */
    name: string;
    /** nvidia.com/gpu per node. */
    gpusPerNode: number;
    /** Most nodes the pool has (or scales to). */
    maxSize: number;
}

/** The facts of the cluster a team platform must agree with. Each is optional: a fact the cluster stack does not export is not imposed. */
export interface ClusterFacts {
    /** Kubernetes minor version of the cluster: the user-scheduler runs the kube-scheduler of that minor. */
    kubernetesVersion?: KubernetesVersion;
    /** How the nodes carry the hub.jupyter.org/node-purpose labels, as cluster.matchNodePurpose takes it. */
    matchNodePurpose?: NodePurposeMatch;
    /** The GPU pools: nodes labelled with the pool's name and tainted for GPUs. */
    gpuPools?: ClusterGpuPool[];
    /** StorageClass of users' homes. */
    homeStorageClass?: string;
    /** The registry the cluster's nodes pull from (host[:port]). */
    registryUrl?: string;
}

/** Every output a cluster stack exports: the facts and the kubeconfig. */
export interface ClusterStackOutputs extends ClusterFacts {
    /** The cluster's kubeconfig, a secret. */
    kubeconfig: string;
}

/** The cluster stack's output names, each with what it holds: the one list both sides use (and the README's table). */
export const CLUSTER_STACK_OUTPUTS: { readonly [K in keyof Required<ClusterStackOutputs>]: string } = {
    kubeconfig: "The cluster's kubeconfig, a secret. Required: team stacks build their Kubernetes provider from it",
    kubernetesVersion: "Kubernetes minor version of the cluster, such as 1.35: the team platforms' cluster.kubernetesVersion (the user-scheduler's kube-scheduler)",
    matchNodePurpose: "require, prefer or ignore: how the nodes carry the hub.jupyter.org/node-purpose labels (cluster.matchNodePurpose)",
    gpuPools: "The GPU pools, [{name, gpusPerNode, maxSize}]: the pools team platforms may name in gpuPools, with the same GPUs per node and at most maxSize nodes",
    homeStorageClass: "StorageClass of users' homes: the team platforms' hub.storage.storageClass unless they set their own",
    registryUrl: "The registry the nodes pull from (host[:port]), for team platforms that use it as their external registry (registry.server)",
};

/** Names of the cluster stack's outputs, in the order of `CLUSTER_STACK_OUTPUTS`. */
export const CLUSTER_STACK_OUTPUT_NAMES = Object.keys(CLUSTER_STACK_OUTPUTS) as (keyof ClusterStackOutputs)[];

const clusterGpuPoolSchema = z.strictObject({
    name: dnsLabel,
    gpusPerNode: positiveInt.max(16),
    maxSize: positiveInt.max(100),
});

/** The facts as both sides check them: what a cluster stack may export and a team stack accepts. */
export const clusterFactsSchema = z.strictObject({
    kubernetesVersion: z.enum(SUPPORTED_KUBERNETES_VERSIONS).optional(),
    matchNodePurpose: z.enum(NODE_PURPOSE_MATCHES).optional(),
    gpuPools: z.array(clusterGpuPoolSchema).optional(),
    homeStorageClass: z.string().min(1).optional(),
    registryUrl: z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?$/, "a registry host[:port] such as registry.example.com")
        .optional(),
});

/** Drops the keys whose value is undefined (or null, as a missing stack output reads). */
function defined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/**
 * Validates cluster facts from raw values (a cluster program's config, say), as a team stack will
 * read them. Unset (undefined) facts are left out. Throws `ConfigError` naming each bad output.
 */
export function parseClusterFacts(raw: Record<string, unknown>): ClusterFacts {
    const values = defined(raw);
    const result = clusterFactsSchema.safeParse(values);
    if (!result.success) {
        throw new ConfigError(describeIssues(result.error.issues, values, clusterFactsSchema));
    }
    return defined(result.data) as ClusterFacts;
}

/** What a cluster-owning program has of each output. Plain facts are validated as the team side reads them. */
export interface ClusterStackOutputsArgs {
    /** The cluster's kubeconfig; exported as a secret. Default: not exported (no team stack can use the cluster). */
    kubeconfig?: pulumi.Input<string>;
    kubernetesVersion?: KubernetesVersion;
    matchNodePurpose?: NodePurposeMatch;
    gpuPools?: ClusterGpuPool[];
    homeStorageClass?: pulumi.Input<string>;
    registryUrl?: pulumi.Input<string>;
}

/** The cluster stack's outputs as a program exports them; unset ones are absent. */
export type ClusterStackExports = { [K in keyof ClusterStackOutputs]?: pulumi.Output<NonNullable<ClusterStackOutputs[K]>> };

/**
 * The outputs a cluster stack exports for team stacks, under the names `clusterFromStack` reads:
 * the kubeconfig as a secret, each set fact as an output. Export them from the program's entry point,
 * e.g. `export = clusterStackOutputs({ kubeconfig, kubernetesVersion: "1.35" })`, or one by one.
 * Throws `ConfigError` for a plain fact a team stack would refuse.
 */
export function clusterStackOutputs(args: ClusterStackOutputsArgs): ClusterStackExports {
    const plain = (v: unknown) => (typeof v === "string" ? v : undefined);
    parseClusterFacts({
        kubernetesVersion: args.kubernetesVersion,
        matchNodePurpose: args.matchNodePurpose,
        gpuPools: args.gpuPools,
        homeStorageClass: plain(args.homeStorageClass),
        registryUrl: plain(args.registryUrl),
    });
    const { kubeconfig, ...facts } = defined(args);
    const out: Record<string, pulumi.Output<unknown>> = Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, pulumi.output(v)]));
    return (kubeconfig === undefined ? out : { kubeconfig: pulumi.secret(kubeconfig), ...out }) as ClusterStackExports;
}

/** A team platform's own settings, as `DataSciencePlatform` takes them (`DataSciencePlatformArgs`). */
export type TeamPlatformArgs = PlatformConfigInput & {
    secrets?: PlatformSecrets;
    projectRoot?: string;
    kubernetesProvider?: k8s.Provider;
};

/** A cluster that another stack owns, as a team's program sees it through the reference. */
export interface ReferencedCluster extends ClusterFacts {
    /** The cluster stack's name, as referenced. */
    stack: string;
    /** The StackReference, to read further outputs. */
    reference: pulumi.StackReference;
    /** The cluster's kubeconfig, a secret. */
    kubeconfig: pulumi.Output<string>;
    /** A Kubernetes provider built from that kubeconfig (server-side apply, as the platform's own). */
    provider: k8s.Provider;
    /**
     * The team's own settings with the cluster's facts merged in: cluster.provider kubeconfig,
     * `kubernetesProvider`, cluster.kubernetesVersion and cluster.matchNodePurpose, the GPU pools (all
     * the cluster's when `gpuPools` is unset; a named pool takes the cluster's gpusPerNode and maxSize)
     * and hub.storage.storageClass unless set. Throws `ConfigError` for a setting that contradicts the
     * cluster (a different version or node-purpose mode, an unknown pool, more GPUs per node or nodes
     * than the pool has) or that the reference replaces (cluster.context, another provider).
     */
    platformArgs(own: TeamPlatformArgs): TeamPlatformArgs;
}

/** The referenced stack could not be used: a missing kubeconfig, or facts that are not what a cluster stack exports. */
export class ClusterStackError extends Error {
    constructor(
        /** The referenced stack's name. */
        public readonly clusterStack: string,
        public readonly problems: string[],
    ) {
        super(`Cannot build on the cluster stack ${clusterStack}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ClusterStackError";
    }
}

/** An output's value, once known (a stack reference's name is known as soon as its outputs are). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        output.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

/**
 * Reads a cluster stack's outputs through a StackReference (given, or made from the stack's name,
 * `<organization>/<project>/<stack>`; on a local backend the organization is `organization`) and
 * builds a Kubernetes provider, `<name>-k8s`, from its kubeconfig. Awaits the outputs, so that the
 * facts are plain values the platform's configuration can be checked with before anything is declared:
 * call it from an async program (`export = async () => { ... }`). Rejects with `ClusterStackError`
 * when the stack has no kubeconfig output (not deployed yet, or not a cluster stack) or exports a
 * fact that is not valid (a kubeconfig the engine could not decrypt is missing too: it leaves out the
 * referenced stack's secrets it cannot decrypt); the engine itself fails the reference when the
 * stack does not exist.
 */
export async function clusterFromStack(name: string, stack: string | pulumi.StackReference, opts?: pulumi.CustomResourceOptions): Promise<ReferencedCluster> {
    const reference = typeof stack === "string" ? new pulumi.StackReference(`${name}-cluster`, { name: stack }, opts) : stack;
    const [stackName, details] = await Promise.all([
        typeof stack === "string" ? stack : valueOf(reference.name),
        Promise.all(CLUSTER_STACK_OUTPUT_NAMES.map((output) => reference.getOutputDetails(output))),
    ]);
    const read: Record<string, unknown> = Object.fromEntries(CLUSTER_STACK_OUTPUT_NAMES.map((output, i) => [output, details[i].value ?? details[i].secretValue]));
    const { kubeconfig, ...raw } = read;
    const problems: string[] = [];
    if (typeof kubeconfig !== "string" || kubeconfig.trim() === "") {
        problems.push(
            kubeconfig === undefined || kubeconfig === null
                ? "it has no output kubeconfig: deploy the cluster stack first (pulumi up), and export the cluster's kubeconfig under that name (clusterStackOutputs); " +
                  "on a self-managed backend, this stack must be able to decrypt the cluster stack's secrets (its passphrase, or its KMS key), as the engine leaves out those it cannot"
                : "its output kubeconfig is not a kubeconfig (an empty or non-string value)",
        );
    }
    const facts = clusterFactsSchema.safeParse(defined(raw));
    if (!facts.success) {
        problems.push(...describeIssues(facts.error.issues, defined(raw), clusterFactsSchema).map((p) => `its output ${p.path}: ${p.message}`));
    }
    if (problems.length > 0 || !facts.success) {
        throw new ClusterStackError(stackName, problems);
    }
    if (details[CLUSTER_STACK_OUTPUT_NAMES.indexOf("kubeconfig")].secretValue === undefined) {
        pulumi.log.warn(`The cluster stack ${stackName} exports its kubeconfig in plain text: export it as a secret (clusterStackOutputs does).`);
    }
    const secretKubeconfig = pulumi.secret(kubeconfig as string);
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: secretKubeconfig, enableServerSideApply: true }, opts);
    const cluster = defined(facts.data) as ClusterFacts;
    return {
        ...cluster,
        stack: stackName,
        reference,
        kubeconfig: secretKubeconfig,
        provider,
        platformArgs: (own) => withCluster(own, stackName, cluster, provider),
    };
}

/** The team's settings with the cluster's facts; see `ReferencedCluster.platformArgs`. */
function withCluster(own: TeamPlatformArgs, stack: string, facts: ClusterFacts, provider: k8s.Provider): TeamPlatformArgs {
    const problems: ConfigProblem[] = [];
    const from = (output: keyof ClusterStackOutputs) => `the cluster stack's output ${output} (${stack})`;
    const ownCluster = own.cluster ?? {};
    if (ownCluster.provider !== undefined && ownCluster.provider !== "kubeconfig") {
        problems.push(
            configProblem(
                "cluster.provider",
                { problem: "must be kubeconfig on a cluster another stack owns", fix: "remove it: the platform reaches the cluster through the cluster stack's kubeconfig" },
                ownCluster.provider,
            ),
        );
    }
    if (ownCluster.context !== undefined) {
        problems.push(configProblem("cluster.context", { problem: `is not used: the kubeconfig is ${from("kubeconfig")}`, fix: "remove it" }, ownCluster.context));
    }
    if (own.kubernetesProvider !== undefined) {
        problems.push(configProblem("kubernetesProvider", { problem: `is built from ${from("kubeconfig")}`, fix: "remove it" }));
    }
    const agree = <T>(key: string, mine: T | undefined, theirs: T | undefined, output: keyof ClusterStackOutputs): T | undefined => {
        if (mine !== undefined && theirs !== undefined && mine !== theirs) {
            problems.push(configProblem(key, { problem: `differs from ${from(output)}, ${String(theirs)}`, fix: "remove it: the cluster's value is used" }, mine));
        }
        return theirs ?? mine;
    };
    const kubernetesVersion = agree("cluster.kubernetesVersion", ownCluster.kubernetesVersion, facts.kubernetesVersion, "kubernetesVersion");
    const matchNodePurpose = agree("cluster.matchNodePurpose", ownCluster.matchNodePurpose, facts.matchNodePurpose, "matchNodePurpose");

    let gpuPools = own.gpuPools;
    const clusterPools = facts.gpuPools;
    if (clusterPools !== undefined) {
        gpuPools = (own.gpuPools ?? clusterPools).map((pool, i) => {
            const theirs = clusterPools.find((p) => p.name === pool.name);
            if (theirs === undefined) {
                const names = clusterPools.map((p) => p.name);
                problems.push(configProblem(["gpuPools", i, "name"], { problem: `names no GPU pool of ${from("gpuPools")}`, allowed: names.length > 0 ? names.join(", ") : "none" }, pool.name));
                return pool;
            }
            agree(`gpuPools[${i}].gpusPerNode`, pool.gpusPerNode, theirs.gpusPerNode, "gpuPools");
            if (pool.maxSize !== undefined && pool.maxSize > theirs.maxSize) {
                problems.push(
                    configProblem(`gpuPools[${i}].maxSize`, { problem: `exceeds the ${theirs.maxSize} nodes of pool ${theirs.name} (${from("gpuPools")})`, fix: "lower it, or leave it unset" }, pool.maxSize),
                );
            }
            return { ...pool, gpusPerNode: theirs.gpusPerNode, maxSize: pool.maxSize ?? theirs.maxSize };
        });
    }

    const storage = own.hub?.storage;
    const hub =
        facts.homeStorageClass !== undefined && storage?.storageClass === undefined
            ? { ...own.hub, storage: { ...storage, storageClass: facts.homeStorageClass } }
            : own.hub;

    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return defined({
        ...own,
        cluster: defined({ ...ownCluster, provider: "kubeconfig" as const, kubernetesVersion, matchNodePurpose }),
        gpuPools,
        hub,
        kubernetesProvider: provider,
    });
}
