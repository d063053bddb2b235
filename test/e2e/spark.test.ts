/**
 * Client-mode Spark from a notebook, for real: a user's server started through the hub's REST API
 * (the stack's Spark profile), code run in its kernel over the kernel websocket as JupyterLab runs
 * it, and Spark's Kubernetes backend starting executor pods with the user's own ServiceAccount from
 * the mounted conf, in the user's own executor namespace.
 *
 * Checks: the notebook pod runs as `notebook-<user>`, carries the user label and names its executor
 * namespace (SPARK_EXECUTOR_NAMESPACE), which the hub created with its labels; that ServiceAccount
 * may manage executor pods in that namespace only (can-i, in the platform namespace, kube-system and
 * another user's namespace too); the executor pods against the deployed pod template, in the user's
 * namespace and without an owner (owners cannot cross namespaces); a shuffle's result; dynamic
 * allocation up to the maximum and back; a second session's ports; SparkContext.stop(); the history
 * server; cleanup when the server stops (Spark's shutdown hook and the hub's post-stop cleanup,
 * ConfigMaps included) and when its pod is deleted (no owner reference: the exiting driver and the
 * hub's post-stop cleanup remove the executors).
 *
 * Applies with either layout of executor namespaces (`<namespace>-u-<user>`, or spark.namespace's
 * `<prefix>-<user>`; spark-namespace.test.ts checks what differs with the latter). Tests run in
 * order; every wait is bounded; timings print as FIGURE lines.
 */
import {
    EXECUTOR_CONTAINER_NAME,
    EXECUTOR_NAMESPACE_ENV,
    EXECUTOR_SERVICE_ACCOUNT,
    EXECUTORS_OF_LABEL,
    NOTEBOOK_SERVICE_ACCOUNT,
    SPARK_CONF_DIR,
    SPARK_DRIVER_LABELS,
    USER_LABEL,
} from "../../components/spark/sparkConf";
import {
    events,
    executorNamespaceOf,
    NOTEBOOK_CONTAINER,
    nodes,
    podStartSeconds,
    pods,
    sparkTierSkipReason,
    waitNoPods,
    waitRunning,
} from "./helpers/cluster";
import { e2eEnv, figure, sleep, waitFor } from "./helpers/env";
import { request } from "./helpers/hub";
import { Kernel } from "./helpers/kernel";
import { Kubectl, PortForward } from "./helpers/kube";
import { loadAndRelease, shuffleJob, startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { confInt, confSeconds, EXECUTOR_LABEL, GPU_POOL_LABEL, readSparkStack, SparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
/** A user whose name is already a Kubernetes name, so KubeSpawner's safe slug of it is the name itself. */
const USER = process.env.E2E_SPARK_USER || "e2e-spark";

const tierSkip = sparkTierSkipReason();
const suite = tierSkip ? describe.skip : describe;
if (tierSkip) {
    console.log(`spark.test.ts: skipped: ${tierSkip}`);
}

let stack: SparkStack;
let notebookPod: any;
/** The user's executor namespace, from the notebook pod's environment. */
let executorNamespace = "";
/** kubectl in the user's executor namespace: every executor pod, event and ConfigMap query. */
let executors: Kubectl;
let kernelA: Kernel | undefined;
let kernelB: Kernel | undefined;
let appA = "";
const extraKernels: Kernel[] = [];

const executorsOf = (app: string) => `spark-app-selector=${app},spark-role=executor`;
const digestOf = (ref: string) => ref.slice(ref.indexOf("@") + 1);

async function kernel(): Promise<Kernel> {
    const k = await Kernel.start(servers.forward, USER, await servers.token(USER));
    extraKernels.push(k);
    return k;
}

afterAll(async () => {
    for (const k of extraKernels) {
        await k.shutdown().catch(() => undefined);
    }
    await servers.close();
}, 120_000);

suite("spark on kubernetes from a notebook", () => {
    test("the Spark profile's server starts; its pod runs as the user's ServiceAccount, names the user's executor namespace, off GPU nodes", async () => {
        stack = await readSparkStack(kube, env.namespace);
        const profile = sparkProfile(stack);
        const started = await servers.start(USER, profile.slug);
        figure("spawn_spark_profile_seconds", started.seconds);
        notebookPod = started.pod;
        const spec = notebookPod.spec;
        executorNamespace = executorNamespaceOf(notebookPod);
        executors = new Kubectl(env.kubectl, executorNamespace);
        console.log(`${USER}: profile ${profile.slug}, pod ${notebookPod.metadata.name} on ${spec.nodeName} as ${spec.serviceAccountName}, executors in ${executorNamespace}, spawned in ${started.seconds.toFixed(1)} s`);
        // Each user's pod runs as a ServiceAccount of that user's own, labelled with the user (the
        // per-user NetworkPolicies select it by that label).
        expect(spec.serviceAccountName).toBe(`${NOTEBOOK_SERVICE_ACCOUNT}-${USER}`);
        expect(notebookPod.metadata.labels).toEqual(expect.objectContaining({ ...SPARK_DRIVER_LABELS, [USER_LABEL]: USER }));
        // The conf is mounted where SPARK_CONF_DIR points, the downward API names the pod, and the hub
        // names the user's executor namespace, which spark.kubernetes.namespace reads.
        const c = spec.containers.find((x: any) => x.name === NOTEBOOK_CONTAINER);
        expect(c.volumeMounts.some((m: any) => m.mountPath === SPARK_CONF_DIR)).toBe(true);
        expect(c.env.find((e: any) => e.name === "POD_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
        expect(c.env.find((e: any) => e.name === "POD_IP")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
        expect(executorNamespace).toBe(`${stack.executorNamespacePrefix}-${USER}`);
        expect(stack.defaults.get("spark.kubernetes.namespace")).toBe(`\${env:${EXECUTOR_NAMESPACE_ENV}}`);
        // Executors never share the notebooks' namespace now, so nothing names the driver pod to Spark.
        expect(stack.defaults.has("spark.kubernetes.driver.pod.name")).toBe(false);
        // The hub created the namespace before the spawn: this platform's, this user's, `restricted`.
        const ns = await kube.json(["get", "namespace", executorNamespace]);
        console.log(`namespace ${executorNamespace}: labels ${JSON.stringify(ns.metadata.labels)}`);
        expect(ns.metadata.labels).toEqual(
            expect.objectContaining({ [EXECUTORS_OF_LABEL]: env.namespace, [USER_LABEL]: USER, "pod-security.kubernetes.io/enforce": "restricted" }),
        );
        expect((await executors.json(["get", "serviceaccount", EXECUTOR_SERVICE_ACCOUNT])).automountServiceAccountToken).toBe(false);
        // A CPU profile never lands on a GPU node.
        const gpuNodes = (await nodes(kube)).filter((n) => n.labels[GPU_POOL_LABEL] !== undefined).map((n) => n.name);
        expect(gpuNodes).not.toContain(spec.nodeName);
    });

    test("the user's ServiceAccount may manage executor pods in the user's namespace only, and nothing beyond what Spark needs", async () => {
        const sa = `system:serviceaccount:${env.namespace}:${notebookPod.spec.serviceAccountName}`;
        const can = async (verb: string, resource: string, ns: string): Promise<boolean> => {
            const out = await kube.run(["auth", "can-i", verb, resource, "--as", sa, "--namespace", ns]).catch((e: Error) => e.message);
            return out.trim().endsWith("yes");
        };
        // What Spark's Kubernetes backend does, in the user's executor namespace.
        for (const [verb, resource] of [["create", "pods"], ["get", "pods"], ["list", "pods"], ["watch", "pods"], ["delete", "pods"], ["create", "configmaps"]]) {
            expect([executorNamespace, verb, resource, await can(verb, resource, executorNamespace)]).toEqual([executorNamespace, verb, resource, true]);
        }
        for (const [verb, resource] of [["get", "secrets"], ["create", "deployments"], ["patch", "pods"], ["create", "services"], ["create", "roles"]]) {
            expect([executorNamespace, verb, resource, await can(verb, resource, executorNamespace)]).toEqual([executorNamespace, verb, resource, false]);
        }
        // Nothing in the platform namespace: not the other users' notebook pods, Secrets or ConfigMaps.
        for (const [verb, resource] of [["get", "pods"], ["list", "pods"], ["create", "pods"], ["get", "secrets"], ["get", "configmaps"]]) {
            expect([env.namespace, verb, resource, await can(verb, resource, env.namespace)]).toEqual([env.namespace, verb, resource, false]);
        }
        // Nor in another user's executor namespace (RBAC answers for a namespace that does not exist too), nor kube-system.
        const otherUsers = `${stack.executorNamespacePrefix}-${USER}-other`;
        for (const [verb, resource] of [["create", "pods"], ["list", "pods"]]) {
            expect([otherUsers, verb, resource, await can(verb, resource, otherUsers)]).toEqual([otherUsers, verb, resource, false]);
        }
        expect(await can("create", "pods", "kube-system")).toBe(false);
        // The shared ServiceAccounts of the former layout are gone from the platform namespace.
        expect(await kube.get("serviceaccount", NOTEBOOK_SERVICE_ACCOUNT)).toBeUndefined();
        expect(await kube.get("serviceaccount", EXECUTOR_SERVICE_ACCOUNT)).toBeUndefined();
        // The driver authenticates with nothing but its pod's ServiceAccount token: the conf names no credentials.
        const credentials = [...stack.defaults.keys()].filter((k) => /^spark\.kubernetes\.authenticate\.(driver|submission)\.|oauthToken|clientKey|clientCert/.test(k));
        expect(credentials).toEqual([]);
    });

    test("getOrCreate() with the mounted conf starts executors; the first registers", async () => {
        kernelA = await kernel();
        const limit = 300;
        const r = await kernelA.json(startSession({ appName: "e2e-spark-a", limitSeconds: limit }), limit + 60);
        appA = r.app;
        console.log(`session A: ${JSON.stringify({ ...r, executors: r.executors.length })}`);
        figure("spark_session_seconds", r.session_seconds);
        figure("spark_first_executor_seconds", r.first_executor_seconds);
        expect(r.first_executor_seconds).not.toBeNull();
        expect(r.sum).toBe(9900);
        expect(r.master).toBe(stack.defaults.get("spark.master"));
        expect(r.deploy_mode).toBe("client");
        expect(r.host).toBe(notebookPod.status.podIP);
        // The downward API's pod name (Spark itself is not told its pod: no owner across namespaces).
        expect(r.pod_name).toBe(notebookPod.metadata.name);
        // The conf's ${env:...} text, and the namespace it names in this pod.
        expect(r.namespace).toBe(stack.defaults.get("spark.kubernetes.namespace"));
        expect(r.executor_namespace).toBe(executorNamespace);
        expect(r.driver_port).toBe(confInt(stack.defaults, "spark.driver.port"));
        expect(r.bm_port).toBe(confInt(stack.defaults, "spark.driver.blockManager.port"));
        expect(r.image).toBe(env.image);
    });

    test("executor pods follow the deployed pod template and run the notebook image by digest", async () => {
        const running = await waitRunning(executors, executorsOf(appA), 1, `an executor pod of ${appA}`, 120).catch(async () => pods(executors, executorsOf(appA)));
        const executorsA: { id: string; addTime: string }[] = await kernelA!.json(`e2e_out(e2e_executors(sc, all=True))`, 30);
        expect(running.length).toBeGreaterThan(0);
        const t = stack.executorTemplate;
        const tc = t.spec.containers[0];
        for (const pod of running) {
            const spec = pod.spec;
            const c = spec.containers[0];
            // From the pod's creation to its executor registering with the driver (the driver's clock,
            // in ms; the pod's creation time has second resolution).
            const registered = executorsA.find((e) => e.id === pod.metadata.labels["spark-exec-id"]);
            if (registered) {
                figure("executor_pod_start_seconds", (Date.parse(registered.addTime.replace(/GMT$/, "Z")) - Date.parse(pod.metadata.creationTimestamp)) / 1000);
            }
            console.log(`executor ${pod.metadata.name}: container running ${podStartSeconds(pod)} s after the pod's creation`);
            console.log(`executor ${pod.metadata.name} on ${spec.nodeName}: image ${c.image}, imageID ${pod.status.containerStatuses?.[0]?.imageID}`);
            expect(pod.metadata.namespace).toBe(executorNamespace);
            for (const [k, v] of Object.entries(t.metadata.labels)) {
                expect([k, pod.metadata.labels[k]]).toEqual([k, v]);
            }
            expect(spec.serviceAccountName).toBe(t.spec.serviceAccountName);
            expect(spec.automountServiceAccountToken).toBe(false);
            expect(spec.restartPolicy).toBe("Never");
            expect(spec.securityContext).toEqual(expect.objectContaining(t.spec.securityContext));
            // Neither names a PriorityClass (the executor admission policy refuses one).
            expect(spec.priorityClassName).toBe(t.spec.priorityClassName);
            expect(spec.affinity).toEqual(t.spec.affinity);
            expect(c.name).toBe(EXECUTOR_CONTAINER_NAME);
            expect(c.name).toBe(tc.name);
            // Spark appends its own "executor" to the template's args (BasicExecutorFeatureStep); the
            // image's entrypoint takes the first one as its mode.
            expect(c.args).toEqual([...(tc.args ?? []), "executor"]);
            expect(c.securityContext).toEqual(expect.objectContaining(tc.securityContext));
            expect(c.resources).toEqual(tc.resources);
            expect(c.image).toBe(env.image);
            expect(c.image).toBe(stack.defaults.get("spark.kubernetes.container.image"));
            if (pod.status.containerStatuses?.[0]?.imageID) {
                expect(pod.status.containerStatuses[0].imageID.endsWith(digestOf(env.image))).toBe(true);
            }
            const gpuNodes = (await nodes(kube)).filter((n) => n.labels[GPU_POOL_LABEL] !== undefined).map((n) => n.name);
            expect(gpuNodes).not.toContain(spec.nodeName);
        }
    });

    test("executor pods live in the user's executor namespace, without an owner", async () => {
        const list = await pods(executors, executorsOf(appA));
        expect(list.length).toBeGreaterThan(0);
        for (const pod of list) {
            expect(pod.metadata.namespace).toBe(executorNamespace);
            // Owner references cannot cross namespaces: Spark and the hub remove executors (the last tests).
            expect(pod.metadata.ownerReferences ?? []).toEqual([]);
        }
        // None beside the notebooks.
        expect(await pods(kube, executorsOf(appA))).toEqual([]);
    });

    test("dynamic allocation grows to maxExecutors under load and releases idle executors", async () => {
        const max = confInt(stack.defaults, "spark.dynamicAllocation.maxExecutors");
        const idle = confSeconds(stack.defaults, "spark.dynamicAllocation.executorIdleTimeout");
        const tasks = Math.max(4, 4 * max);
        const r = await kernelA!.json(loadAndRelease({ tasks, sleep: 6, jobLimit: 420, releaseLimit: idle + 90 }), 420 + 2 * idle + 240);
        console.log(`load: ${tasks} tasks of 6 s: peak ${r.peak} executors after ${r.peak_seconds?.toFixed(1)} s, job ${r.job_seconds?.toFixed(1)} s, released ${r.released_after_seconds?.toFixed(1)} s after it (idle timeout ${idle} s)`);
        figure("dynamic_allocation_peak_executors", r.peak);
        figure("dynamic_allocation_peak_seconds", r.peak_seconds ?? -1);
        figure("dynamic_allocation_release_seconds", r.released_after_seconds ?? -1);
        expect(r.values).toEqual([...Array(tasks).keys()]);
        expect(r.at_start).toBe(0);
        expect(r.peak).toBe(max);
        expect(r.released_after_seconds).not.toBeNull();
        expect(r.released_after_seconds).toBeGreaterThanOrEqual(idle - 1);
        // Released executors' pods are deleted, not left behind.
        await waitNoPods(executors, executorsOf(appA), `the released executor pods of ${appA} to be deleted`, 60);
    });

    test("a second session in the same notebook binds the next ports; its executors reach it", async () => {
        kernelB = await kernel();
        const ports = { driver: confInt(stack.defaults, "spark.driver.port"), bm: confInt(stack.defaults, "spark.driver.blockManager.port") };
        const maxRetries = confInt(stack.defaults, "spark.port.maxRetries");
        expect(maxRetries).toBeGreaterThanOrEqual(1);
        // minExecutors keeps one executor, so that stop() has one to remove.
        const r = await kernelB.json(startSession({ appName: "e2e-spark-b", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        console.log(`session B: driver ${r.host}:${r.driver_port}, block manager ${r.bm_port}, first executor after ${r.first_executor_seconds?.toFixed(1)} s`);
        expect(r.driver_port).toBe(ports.driver + 1);
        expect(r.bm_port).toBe(ports.bm + 1);
        expect(r.sum).toBe(9900);
        const job = await kernelB.json(`e2e_out({"sum": sc.parallelize(range(1000), 4).map(lambda x: x + 1).sum(), "executors": [e["hostPort"] for e in e2e_executors(sc)]})`, 300);
        expect(job.sum).toBe(500500);
        expect(job.executors.length).toBeGreaterThan(0);
    });

    test("SparkContext.stop() removes the session's executor pods", async () => {
        const app = (await kernelB!.json(`e2e_out({"app": sc.applicationId})`, 30)).app;
        await waitRunning(executors, executorsOf(app), 1, `session B's kept executor`, 120);
        await kernelB!.json(`sc.stop()\ne2e_out({"stopped": True})`, 120);
        const gone = await waitNoPods(executors, executorsOf(app), `the executor pods of ${app} to be deleted after stop()`, 90);
        figure("spark_stop_cleanup_seconds", gone);
    });

    test("a shuffle returns the right result, with blocks fetched between executors", async () => {
        const rows = 200_000;
        const cold = await kernelA!.json(shuffleJob({ rows, partitions: 8, mapSleep: 3 }), 600);
        const warm = await kernelA!.json(shuffleJob({ rows, partitions: 8, mapSleep: 3 }), 600);
        figure("shuffle_job_seconds", cold.seconds);
        figure("shuffle_job_warm_seconds", warm.seconds);
        for (const run of [cold, warm]) {
            const counts = Object.fromEntries(run.rows.map((x: any[]) => [x[0], x[1]]));
            expect(counts).toEqual(Object.fromEntries([...Array(10).keys()].map((k) => [k, rows / 10])));
        }
        const writers = new Set<string>(warm.rows.flatMap((x: any[]) => x[2]));
        const reducers = new Set<string>(warm.rows.map((x: any[]) => x[3]));
        console.log(`shuffle: cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s; warm map outputs on ${[...writers].join(", ")}, reduced on ${[...reducers].join(", ")}`);
        // Map output on two executors: every reducer read blocks of the other one over the network.
        expect(writers.size).toBe(confInt(stack.defaults, "spark.dynamicAllocation.maxExecutors") >= 2 ? 2 : 1);
    });

    test("after a shuffle, executors stay while its data is referenced, and go once it is released", async () => {
        const idle = confSeconds(stack.defaults, "spark.dynamicAllocation.executorIdleTimeout");
        // Shuffle tracking keeps executors that hold shuffle files of a live shuffle.
        await sleep((idle + 20) * 1000);
        const held = (await kernelA!.json(`e2e_out({"registered": e2e_registered(sc)})`, 30)).registered;
        console.log(`${idle + 20} s after the shuffle: ${held} executor(s) still registered (shuffle tracking)`);
        figure("executors_held_after_shuffle", held);
        // Dropping the references lets the ContextCleaner remove the shuffle; the executors are idle then.
        // (The JVM's garbage collector runs every few seconds here, as Spark's periodic one would
        // every spark.cleaner.periodicGC.interval.)
        const r = await kernelA!.json(
            `del shuffled
gc.collect()
t0 = time.time()
released = None
while time.time() - t0 < ${idle + 120}:
    if e2e_registered(sc) == 0:
        released = time.time() - t0
        break
    gc.collect()
    sc._jvm.System.gc()
    time.sleep(5)
e2e_out({"released_after_seconds": released})`,
            idle + 180,
        );
        console.log(`after dropping the shuffle: released in ${r.released_after_seconds} s`);
        expect(r.released_after_seconds).not.toBeNull();
    });

    test("the history server lists the finished application", async () => {
        if (!stack.historyServer) {
            console.log("history server: not enabled in this stack (spark.historyServer.enabled); nothing to check");
            return;
        }
        await kernelA!.json(`sc.stop()\ne2e_out({"stopped": True})`, 120);
        await waitNoPods(executors, executorsOf(appA), `the executor pods of ${appA} to be deleted after stop()`, 90);
        const history = new PortForward(env.kubectl, env.namespace, "service/spark-history", 18080);
        try {
            const t0 = Date.now();
            const app = await waitFor(`${appA} to be listed as completed by the history server`, 180, async () => {
                const res = await request(history, "/api/v1/applications");
                if (res.status !== 200) {
                    return undefined;
                }
                const found = res.json<any[]>().find((a) => a.id === appA);
                return found?.attempts?.[0]?.completed === true ? found : undefined;
            }, 2000);
            figure("history_listed_seconds", (Date.now() - t0) / 1000);
            console.log(`history server: ${JSON.stringify(app)}`);
            expect(app.name).toBe("e2e-spark-a");
            const jobs = await request(history, `/api/v1/applications/${appA}/jobs`);
            expect(jobs.status).toBe(200);
            expect(jobs.json<any[]>().length).toBeGreaterThanOrEqual(4);
        } finally {
            history.close();
        }
    });

    test("stopping the server removes its executors and Spark's ConfigMaps", async () => {
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-c", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        await waitRunning(executors, executorsOf(r.app), 1, `session C's executor`, 120);
        const t0 = Date.now();
        // The pod's SIGTERM ends the driver (Spark's shutdown hook deletes its executors); the hub's
        // post-stop cleanup deletes whatever is left in the user's namespace.
        await servers.stop(USER);
        const gone = await waitNoPods(executors, executorsOf(r.app), `the executors of ${r.app} to be deleted with the server`, 120);
        figure("executor_cleanup_after_server_stop_seconds", (Date.now() - t0) / 1000);
        expect(gone).toBeGreaterThanOrEqual(0);
        // Spark's per-application ConfigMaps (labelled with the application) go too.
        await waitFor(`no ConfigMap of a Spark application left in ${executorNamespace}`, 60, async () =>
            (await executors.json<{ items: any[] }>(["get", "configmaps", "--selector", "spark-app-selector"])).items.length === 0 ? true : undefined,
        );
    });

    test("deleting the notebook pod still removes its executors (the exiting driver, the hub's post-stop cleanup)", async () => {
        const started = await servers.start(USER, sparkProfile(stack).slug);
        // The hub names the same namespace at every spawn.
        expect(executorNamespaceOf(started.pod)).toBe(executorNamespace);
        const k = await kernel();
        const r = await k.json(startSession({ appName: "e2e-spark-d", conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        const running = await waitRunning(executors, executorsOf(r.app), 1, `session D's executor`, 120);
        // No owner reference, so the garbage collector plays no part.
        expect(running[0].metadata.ownerReferences ?? []).toEqual([]);
        const t0 = Date.now();
        // Gone at once from the API. Whatever the driver's shutdown hook manages in the kill's short
        // grace, the hub deletes the rest once it notices its server is gone (post-stop cleanup).
        await kube.run(["delete", "pod", started.pod.metadata.name, "--grace-period=0", "--force", "--wait=false"]);
        await waitNoPods(executors, executorsOf(r.app), `the executors of ${r.app} to be deleted after their driver's pod`, 120);
        figure("executor_cleanup_after_pod_delete_seconds", (Date.now() - t0) / 1000);
        const ev = await events(executors, "Pod", running[0].metadata.name).catch(() => []);
        console.log(`executor ${running[0].metadata.name} events: ${ev.map((e) => `${e.reason}${e.reason.startsWith("Failed") ? ` (${e.message})` : ""}`).join(", ")}`);
        // The hub notices its server is gone; its cleanup leaves no executor of the user.
        const hub = await servers.api();
        await waitFor(`the hub to notice ${USER}'s pod is gone`, 180, async () => ((await hub.server(USER)) === undefined ? true : undefined), 2000);
        await waitNoPods(executors, `${EXECUTOR_LABEL}=true`, `no executor pod left in ${executorNamespace}`, 60);
    });
});
