/**
 * Executor namespaces under a prefix of the stack's choosing (spark.namespace), for real. Each
 * user's executors run in `<spark.namespace>-<user>` instead of `<namespace>-u-<user>`; as in every
 * layout they get no owner reference (owners cannot cross namespaces), so Spark and the hub remove
 * them: SparkContext.stop() does, so does a driver that exits (its shutdown hook stops the context),
 * as when the notebook pod is deleted, and the hub deletes what is left in the user's namespace when
 * the server stops (post-stop cleanup). A driver killed outright leaves its executor pods behind,
 * finished once they lose it, until then.
 *
 * Checks: executors start in `<prefix>-<user>` (the pod's SPARK_EXECUTOR_NAMESPACE, a namespace of
 * this platform and this user), without an owner, and reach their driver across the two
 * namespaces; stop() removes them; a SIGKILLed driver's executor pods stay, finished; stopping the
 * server through the hub's API then leaves no executor pod (nor Spark ConfigMap) of the user, within
 * a bound; a deleted notebook pod's executors are removed by its exiting driver (or the hub's
 * cleanup behind it).
 *
 * Applies only when the deployed hub's executor-namespace prefix (its values'
 * custom.dsPlatformUserIsolation.executorNamespacePrefix) is not the default `<namespace>-u` (the
 * e2e run sets spark.namespace and runs `pulumi up` before this suite). spark.test.ts covers the
 * rest of Spark with either prefix.
 */
import { EXECUTOR_NAMESPACE_ENV, EXECUTORS_OF_LABEL, USER_LABEL } from "../../components/spark/sparkConf";
import { defaultExecutorNamespacePrefix } from "../../components/spark/userIsolation";
import { deployedExecutorNamespacePrefix, executorNamespaceOf, pods, sparkTierSkipReason, waitNoPods, waitRunning } from "./helpers/cluster";
import { e2eEnv, figure, sleep, waitFor } from "./helpers/env";
import { Kernel } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { EXECUTOR_LABEL, readSparkStack, SparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
/** A user whose name is already a Kubernetes name, so KubeSpawner's safe slug of it is the name itself. */
const USER = process.env.E2E_SPARK_NS_USER || "e2e-spark-ns";

const tierSkip = sparkTierSkipReason();
const prefix = tierSkip ? undefined : deployedExecutorNamespacePrefix(env.kubectl, env.namespace);
const applies = !tierSkip && prefix !== undefined && prefix !== defaultExecutorNamespacePrefix(env.namespace);
const suite = applies ? describe : describe.skip;
if (!applies) {
    console.log(
        `spark-namespace.test.ts: skipped: ${tierSkip ?? `the stack's executor namespaces have the default prefix ${defaultExecutorNamespacePrefix(env.namespace)} (spark.namespace unset, or the hub's values could not be read); set it and pulumi up to run this suite`}`,
    );
}
const executorsOf = (app: string) => `spark-app-selector=${app},spark-role=executor`;

let stack: SparkStack;
/** The user's executor namespace, from the notebook pod's environment. */
let executorNamespace = "";
/** kubectl in the user's executor namespace. */
let executors: Kubectl | undefined;
const kernels: Kernel[] = [];
const leftApps: string[] = [];

afterAll(async () => {
    for (const k of kernels) {
        await k.shutdown().catch(() => undefined);
    }
    // What this suite left on purpose (executors of a dead driver), should the hub's cleanup have failed, goes now.
    for (const app of leftApps) {
        await executors?.run(["delete", "pods", "--selector", executorsOf(app), "--ignore-not-found", "--wait=false"]).catch(() => undefined);
    }
    await servers.close();
}, 120_000);

async function kernel(): Promise<Kernel> {
    const k = await Kernel.start(servers.forward, USER, await servers.token(USER));
    kernels.push(k);
    return k;
}

suite("executors in namespaces under spark.namespace", () => {
    test("executors start in <spark.namespace>-<user>, without an owner, and reach their driver", async () => {
        stack = await readSparkStack(kube, env.namespace);
        expect(stack.executorNamespacePrefix).toBe(prefix);
        // The executor namespace comes from the pod's environment; Spark looks no driver pod up.
        expect(stack.defaults.get("spark.kubernetes.namespace")).toBe(`\${env:${EXECUTOR_NAMESPACE_ENV}}`);
        expect(stack.defaults.has("spark.kubernetes.driver.pod.name")).toBe(false);
        const started = await servers.start(USER, sparkProfile(stack).slug);
        executorNamespace = executorNamespaceOf(started.pod);
        executors = new Kubectl(env.kubectl, executorNamespace);
        expect(executorNamespace).toBe(`${prefix}-${USER}`);
        const ns = await kube.json(["get", "namespace", executorNamespace]);
        expect(ns.metadata.labels).toEqual(expect.objectContaining({ [EXECUTORS_OF_LABEL]: env.namespace, [USER_LABEL]: USER }));
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns", limitSeconds: 300 }), 360);
        figure("separate_namespace_first_executor_seconds", r.first_executor_seconds ?? -1);
        expect(r.executor_namespace).toBe(executorNamespace);
        expect(r.sum).toBe(9900);
        const job = await k.json(`e2e_out({"sum": sc.parallelize(range(1000), 4).map(lambda x: x + 1).sum()})`, 300);
        expect(job.sum).toBe(500500);
        const list = await pods(executors, executorsOf(r.app));
        expect(list.length).toBeGreaterThan(0);
        for (const pod of list) {
            expect(pod.metadata.namespace).toBe(executorNamespace);
            expect(pod.metadata.ownerReferences ?? []).toEqual([]);
        }
        // SparkContext.stop() removes them: Spark is the one that cleans up while the server runs.
        await k.json(`sc.stop()\ne2e_out(True)`, 120);
        await waitNoPods(executors, executorsOf(r.app), `the executors of ${r.app} to be deleted by stop()`, 90);
    });

    test("a driver killed outright (no shutdown hook) leaves its executor pods behind, finished", async () => {
        const ex = executors!;
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns-killed", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        leftApps.push(r.app);
        const running = await waitRunning(ex, executorsOf(r.app), 1, `an executor of ${r.app}`, 120);
        // SIGKILL to the driver's JVM, as the OOM killer or a lost node would: no shutdown hook runs,
        // so nothing deletes the executors while the server runs, and no owner reference lets the
        // garbage collector do it.
        const killed = await k.json(`import signal\nos.kill(sc._gateway.proc.pid, signal.SIGKILL)\nsc._gateway.proc.wait(30)\ne2e_out(sc._gateway.proc.returncode)`, 60);
        expect(killed).toBe(-9);
        const t0 = Date.now();
        // The executors notice their driver is gone (its connections closed) and end; their pods stay.
        const ended = await waitFor(`the executors of ${r.app} to end`, 180, async () => {
            const list = await pods(ex, executorsOf(r.app));
            return list.length > 0 && list.every((p) => ["Succeeded", "Failed"].includes(p.status?.phase)) ? list : undefined;
        });
        figure("killed_driver_executors_ended_seconds", (Date.now() - t0) / 1000);
        await sleep(20_000);
        const still = await pods(ex, executorsOf(r.app));
        console.log(`after the driver's SIGKILL: ${still.map((p) => `${p.metadata.name} ${p.status.phase}`).join(", ")}`);
        for (const pod of running) {
            expect(still.map((p) => p.metadata.name)).toContain(pod.metadata.name);
        }
        expect(still.length).toBe(ended.length);
        expect(still.every((p) => ["Succeeded", "Failed"].includes(p.status.phase))).toBe(true);
    });

    test("stopping the server through the hub's API leaves no executor pod of the user (the hub's post-stop cleanup)", async () => {
        const ex = executors!;
        const left = await pods(ex, `${EXECUTOR_LABEL}=true`);
        console.log(`before the stop: ${left.map((p) => `${p.metadata.name} ${p.status?.phase}`).join(", ") || "no executor pod"} in ${executorNamespace}`);
        // The previous test's finished pods: only the hub removes them now.
        expect(left.length).toBeGreaterThan(0);
        const t0 = Date.now();
        await servers.stop(USER);
        await waitNoPods(ex, `${EXECUTOR_LABEL}=true`, `no executor pod left in ${executorNamespace} after the server stopped`, 120);
        figure("server_stop_executor_cleanup_seconds", (Date.now() - t0) / 1000);
        // The killed driver's per-application ConfigMap goes with them.
        await waitFor(`no ConfigMap of a Spark application left in ${executorNamespace}`, 60, async () =>
            (await ex.json<{ items: any[] }>(["get", "configmaps", "--selector", "spark-app-selector"])).items.length === 0 ? true : undefined,
        );
    });

    test("deleting the notebook pod: the exiting driver deletes its executors itself (the hub's cleanup behind it)", async () => {
        const ex = executors!;
        const started = await servers.start(USER, sparkProfile(stack).slug);
        expect(executorNamespaceOf(started.pod)).toBe(executorNamespace);
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-ns-deleted", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        leftApps.push(r.app);
        await waitRunning(ex, executorsOf(r.app), 1, `an executor of ${r.app}`, 120);
        const hub = await servers.api();
        // A normal deletion: SIGTERM ends the kernel, its JVM exits and Spark's shutdown hook stops
        // the context, which deletes the executor pods. The hub's post-stop cleanup, once it notices
        // the server is gone, deletes whatever the driver did not.
        await kube.run(["delete", "pod", started.pod.metadata.name, "--wait=false"]);
        const seconds = await waitNoPods(ex, executorsOf(r.app), `the executors of ${r.app} to be deleted by their exiting driver`, 120);
        figure("deleted_notebook_executors_gone_seconds", seconds);
        const hubKnew = (await hub.server(USER)) === undefined;
        console.log(`executors of ${r.app} gone after ${seconds.toFixed(1)} s; the hub ${hubKnew ? "had already noticed the server was gone (its cleanup may have done it)" : "had not noticed yet: the driver did it"}`);
        // The hub notices its server is gone.
        await waitFor(`the hub to notice ${USER}'s pod is gone`, 180, async () => ((await hub.server(USER)) === undefined ? true : undefined), 2000);
    });
});
