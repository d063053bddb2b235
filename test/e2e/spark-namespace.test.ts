/**
 * Executors in a namespace of their own (spark.namespace), for real. The README says executors
 * there get no owner reference (owners cannot cross namespaces), so only Spark itself removes them:
 * SparkContext.stop() does, and so does a driver that exits (its shutdown hook stops the context),
 * as when the notebook pod is deleted. A driver killed outright leaves its executor pods behind,
 * finished once they lose it, until someone deletes them. This suite checks that behaviour, and
 * that drivers and executors still reach each other across the two namespaces.
 *
 * Applies only when the deployed conf names an executor namespace other than the notebooks' (the
 * e2e run sets spark.namespace and runs `pulumi up` before this suite).
 */
import { deployedExecutorNamespace, pods, sparkTierSkipReason, waitNoPods, waitRunning } from "./helpers/cluster";
import { e2eEnv, figure, sleep, waitFor } from "./helpers/env";
import { Kernel } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { readSparkStack, SparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const USER = process.env.E2E_SPARK_NS_USER || "e2e-spark-ns";

const tierSkip = sparkTierSkipReason();
const executorNamespace = tierSkip ? undefined : deployedExecutorNamespace(env.kubectl, env.namespace);
const applies = !tierSkip && executorNamespace !== undefined && executorNamespace !== env.namespace;
const suite = applies ? describe : describe.skip;
if (!applies) {
    console.log(`spark-namespace.test.ts: skipped: ${tierSkip ?? "the stack runs executors beside the notebooks (spark.namespace unset); set it and pulumi up to run this suite"}`);
}
const executors = new Kubectl(env.kubectl, executorNamespace ?? env.namespace);
const executorsOf = (app: string) => `spark-app-selector=${app},spark-role=executor`;

let stack: SparkStack;
const kernels: Kernel[] = [];
const leftApps: string[] = [];

afterAll(async () => {
    for (const k of kernels) {
        await k.shutdown().catch(() => undefined);
    }
    // What this suite left on purpose (executors of a dead driver) goes now.
    for (const app of leftApps) {
        await executors.run(["delete", "pods", "--selector", executorsOf(app), "--ignore-not-found", "--wait=false"]).catch(() => undefined);
    }
    await servers.close();
}, 120_000);

async function kernel(): Promise<Kernel> {
    const k = await Kernel.start(servers.forward, USER, await servers.token(USER));
    kernels.push(k);
    return k;
}

suite("executors in their own namespace (spark.namespace)", () => {
    test("executors start in the executor namespace, without an owner, and reach their driver", async () => {
        stack = await readSparkStack(kube, env.namespace);
        expect(stack.executorNamespace).toBe(executorNamespace);
        // Spark looks its driver pod up in its own namespace: the conf must not name it there.
        expect(stack.defaults.has("spark.kubernetes.driver.pod.name")).toBe(false);
        await servers.start(USER, sparkProfile(stack).slug);
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns", limitSeconds: 300 }), 360);
        figure("separate_namespace_first_executor_seconds", r.first_executor_seconds ?? -1);
        expect(r.namespace).toBe(executorNamespace);
        expect(r.sum).toBe(9900);
        const job = await k.json(`e2e_out({"sum": sc.parallelize(range(1000), 4).map(lambda x: x + 1).sum()})`, 300);
        expect(job.sum).toBe(500500);
        const list = await pods(executors, executorsOf(r.app));
        expect(list.length).toBeGreaterThan(0);
        for (const pod of list) {
            expect(pod.metadata.namespace).toBe(executorNamespace);
            expect(pod.metadata.ownerReferences ?? []).toEqual([]);
        }
        // SparkContext.stop() removes them: Spark is the one that cleans up here.
        await k.json(`sc.stop()\ne2e_out(True)`, 120);
        await waitNoPods(executors, executorsOf(r.app), `the executors of ${r.app} to be deleted by stop()`, 90);
    });

    test("a driver killed outright (no shutdown hook) leaves its executor pods behind, finished", async () => {
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns-killed", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        leftApps.push(r.app);
        const running = await waitRunning(executors, executorsOf(r.app), 1, `an executor of ${r.app}`, 120);
        // SIGKILL to the driver's JVM, as the OOM killer or a lost node would: no shutdown hook runs,
        // so nothing deletes the executors, and no owner reference lets the garbage collector do it.
        const killed = await k.json(`import signal\nos.kill(sc._gateway.proc.pid, signal.SIGKILL)\nsc._gateway.proc.wait(30)\ne2e_out(sc._gateway.proc.returncode)`, 60);
        expect(killed).toBe(-9);
        const t0 = Date.now();
        // The executors notice their driver is gone (its connections closed) and end; their pods stay.
        const ended = await waitFor(`the executors of ${r.app} to end`, 180, async () => {
            const list = await pods(executors, executorsOf(r.app));
            return list.length > 0 && list.every((p) => ["Succeeded", "Failed"].includes(p.status?.phase)) ? list : undefined;
        });
        figure("killed_driver_executors_ended_seconds", (Date.now() - t0) / 1000);
        await sleep(20_000);
        const still = await pods(executors, executorsOf(r.app));
        console.log(`after the driver's SIGKILL: ${still.map((p) => `${p.metadata.name} ${p.status.phase}`).join(", ")}`);
        for (const pod of running) {
            expect(still.map((p) => p.metadata.name)).toContain(pod.metadata.name);
        }
        expect(still.length).toBe(ended.length);
        expect(still.every((p) => ["Succeeded", "Failed"].includes(p.status.phase))).toBe(true);
    });

    test("deleting the notebook pod: the exiting driver deletes its executors itself", async () => {
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns-deleted", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        leftApps.push(r.app);
        await waitRunning(executors, executorsOf(r.app), 1, `an executor of ${r.app}`, 120);
        const nb = await servers.pod(USER);
        // A normal deletion: SIGTERM ends the kernel, its JVM exits and Spark's shutdown hook stops
        // the context, which deletes the executor pods (the only clean-up across namespaces).
        await kube.run(["delete", "pod", nb.metadata.name, "--wait=false"]);
        const seconds = await waitNoPods(executors, executorsOf(r.app), `the executors of ${r.app} to be deleted by their exiting driver`, 120);
        figure("deleted_notebook_executors_gone_seconds", seconds);
        // The hub notices its server is gone.
        const hub = await servers.api();
        await waitFor(`the hub to notice ${USER}'s pod is gone`, 180, async () => ((await hub.server(USER)) === undefined ? true : undefined), 2000);
    });
});
