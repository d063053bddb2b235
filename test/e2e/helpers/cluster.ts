/**
 * Small cluster helpers for the Spark, network and GPU suites, on top of Kubectl: objects from
 * JSON, pods by selector, a pod's events, node lookups and the facts of a pod's start, a notebook
 * pod's executor namespace, plus the synchronous look at the deployed stack that decides which
 * suites apply. Executor pods live in their user's namespace: query them with a Kubectl bound to
 * executorNamespaceOf(the user's notebook pod).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EXECUTOR_NAMESPACE_ENV } from "../../../components/spark/sparkConf";
import { waitFor } from "./env";
import { Kubectl } from "./kube";
import { executorNamespacePrefixOf, HUB_VALUES_JSONPATH, parseHubValues } from "./stack";

/** Creates or updates an object (kubectl apply of its JSON). */
export async function apply(kube: Kubectl, obj: Record<string, any>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ds-e2e-"));
    const file = path.join(dir, "object.json");
    try {
        fs.writeFileSync(file, JSON.stringify(obj));
        await kube.run(["apply", "--filename", file]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function pods(kube: Kubectl, selector: string): Promise<any[]> {
    return (await kube.json<{ items: any[] }>(["get", "pods", "--selector", selector])).items;
}

/** Waits until `selector` matches no pod (deleted, not merely terminated). Resolves the seconds waited. */
export async function waitNoPods(kube: Kubectl, selector: string, what: string, timeoutSeconds: number): Promise<number> {
    const t0 = Date.now();
    await waitFor(what, timeoutSeconds, async () => ((await pods(kube, selector)).length === 0 ? true : undefined));
    return (Date.now() - t0) / 1000;
}

/** Waits until `selector` matches at least `count` Running pods; resolves them. */
export async function waitRunning(kube: Kubectl, selector: string, count: number, what: string, timeoutSeconds: number): Promise<any[]> {
    return waitFor(what, timeoutSeconds, async () => {
        const running = (await pods(kube, selector)).filter((p) => p.status?.phase === "Running");
        return running.length >= count ? running : undefined;
    });
}

/** The events of one object, oldest first, as "reason: message" lines. */
export async function events(kube: Kubectl, kind: string, name: string): Promise<{ reason: string; message: string; source: string }[]> {
    const list = await kube.json<{ items: any[] }>(["get", "events", "--field-selector", `involvedObject.kind=${kind},involvedObject.name=${name}`]);
    return list.items
        .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)))
        .map((e) => ({ reason: e.reason, message: e.message, source: e.source?.component ?? e.reportingComponent ?? "" }));
}

/** Seconds from a pod's creation until its first container started running (second resolution). */
export function podStartSeconds(pod: any): number | undefined {
    const started = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt;
    return started ? (Date.parse(started) - Date.parse(pod.metadata.creationTimestamp)) / 1000 : undefined;
}

export interface Node {
    name: string;
    labels: Record<string, string>;
    taints: { key: string; value?: string; effect: string }[];
    allocatable: Record<string, string>;
}

export async function nodes(kube: Kubectl): Promise<Node[]> {
    const list = await kube.json<{ items: any[] }>(["get", "nodes"]);
    return list.items.map((n) => ({
        name: n.metadata.name,
        labels: n.metadata.labels ?? {},
        taints: n.spec.taints ?? [],
        allocatable: n.status.allocatable ?? {},
    }));
}

/**
 * The prefix of the deployed stack's executor namespaces (a user's executors run in
 * `<prefix>-<user>`), read synchronously so a suite can decide at load time whether it applies:
 * custom.dsPlatformUserIsolation.executorNamespacePrefix of the hub's values (Secret `hub`), or
 * undefined when it cannot be read (no cluster: the suite then runs and reports that).
 */
export function deployedExecutorNamespacePrefix(kubectl: string, namespace: string): string | undefined {
    try {
        const text = execFileSync(kubectl, ["--namespace", namespace, "get", "secret", "hub", "--output", HUB_VALUES_JSONPATH], {
            timeout: 30_000,
            stdio: ["ignore", "pipe", "ignore"],
        }).toString();
        return executorNamespacePrefixOf(parseHubValues(text));
    } catch {
        return undefined;
    }
}

/** The notebook container of a notebook pod (KubeSpawner 7 names it so). */
export const NOTEBOOK_CONTAINER = "notebook";

/**
 * The executor namespace of a notebook pod's user: the value the hub put in the notebook container's
 * SPARK_EXECUTOR_NAMESPACE (spark-defaults.conf reads it as spark.kubernetes.namespace). Fails,
 * naming the pod, when the pod has none.
 */
export function executorNamespaceOf(pod: any): string {
    const container = (pod?.spec?.containers ?? []).find((c: any) => c.name === NOTEBOOK_CONTAINER);
    const value = container?.env?.find((e: any) => e.name === EXECUTOR_NAMESPACE_ENV)?.value;
    if (typeof value !== "string" || value === "") {
        throw new Error(`pod ${pod?.metadata?.name}: its ${NOTEBOOK_CONTAINER} container has no ${EXECUTOR_NAMESPACE_ENV} (did the hub's pre-spawn hook run?)`);
    }
    return value;
}

/**
 * The Spark, network and GPU suites run only when E2E_SPARK_TIER=1: they need more than the base e2e
 * stack (the Spark tier's settings: spark.gpuExecutors, spark.historyServer on a ReadWriteMany class)
 * and more than one small node (room for two 1-core executors beside a notebook, a node with
 * nvidia.com/gpu): .ci/e2e.sh provides both (.ci/cluster/extras.sh) and sets it.
 */
export function sparkTierSkipReason(): string | undefined {
    return process.env.E2E_SPARK_TIER === "1"
        ? undefined
        : "E2E_SPARK_TIER is not 1 (the Spark tier needs its stack settings and the extra nodes of .ci/cluster/extras.sh; .ci/e2e.sh sets it)";
}
