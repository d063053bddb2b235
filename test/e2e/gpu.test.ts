/**
 * GPU placement on a node offering nvidia.com/gpu behind the pool's label and taint (on the CI
 * cluster: a second kubelet with fake-gpu, a device plugin without hardware; see
 * .ci/cluster/extras.sh). Checks that the GPU profile's notebook lands there with its GPU limit and
 * toleration and gets the device the kubelet allocated, that CPU profiles never land there, that
 * Spark's GPU executors (spark-gpu.conf) land there and Spark assigns them the allocated device,
 * and that running out of GPUs leaves the next GPU pod Pending with the scheduler's reason while
 * everything else goes on. GPU executors run in their user's executor namespace (the GPU notebook
 * pod's SPARK_EXECUTOR_NAMESPACE), under that user's quota: requests.nvidia.com/gpu of the
 * ResourceQuota spark-executors (spark.maxExecutorGpus) must leave room for the two GPU executors
 * the out-of-GPUs check has one user ask for, or the second would be refused by the quota instead
 * of waiting for the scheduler; the suite checks that first.
 *
 * What this cannot show without a GPU: CUDA, the driver, device isolation (/dev/nvidia*), and the
 * NVIDIA container toolkit's own injection of nvidia-smi, for which fake-gpu stands in.
 */
import { execFileSync } from "child_process";
import { events, executorNamespaceOf, NOTEBOOK_CONTAINER, nodes, pods, sparkTierSkipReason, waitNoPods, waitRunning } from "./helpers/cluster";
import { e2eEnv, figure, waitFor } from "./helpers/env";
import { Kernel } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { PRELUDE, startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { GPU_POOL_LABEL, GPU_RESOURCE, GPU_TAINT, gpuProfile, Profile, readSparkStack, SparkStack } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const GPU_USER = process.env.E2E_GPU_USER || "e2e-gpu";
const GPU_USER_2 = `${GPU_USER}-2`;
const CPU_USER = process.env.E2E_CPU_USER || "e2e-cpu";
const GPU_CONF = "/etc/spark/conf/spark-gpu.conf";
const DISCOVERY = "/opt/spark-scripts/gpu-discovery.sh";

function gpuNodeNames(): string[] {
    try {
        return execFileSync(env.kubectl, ["get", "nodes", "--selector", GPU_POOL_LABEL, "--output", "jsonpath={.items[*].metadata.name}"], {
            timeout: 30_000,
            stdio: ["ignore", "pipe", "ignore"],
        })
            .toString()
            .split(" ")
            .filter((n) => n !== "");
    } catch {
        return ["(the cluster could not be read)"];
    }
}
const tierSkip = sparkTierSkipReason();
const gpuNodesAtLoad = tierSkip ? [] : gpuNodeNames();
const suite = gpuNodesAtLoad.length > 0 ? describe : describe.skip;
if (gpuNodesAtLoad.length === 0) {
    console.log(`gpu.test.ts: skipped: ${tierSkip ?? `no node carries ${GPU_POOL_LABEL} (on the CI cluster, .ci/cluster/extras.sh up adds one with fake GPUs)`}`);
}

let stack: SparkStack;
let profile: Profile;
let gpuNode = "";
let gpusOnNode = 0;
let gpuPod: any;
/** GPU_USER's executor namespace, where that user's GPU executors run, and kubectl there. */
let executorNamespace = "";
let executorKube: Kubectl;
let gpuKernel: Kernel | undefined;
let notebookDevices: string[] = [];
let gpuApp = "";
const kernels: Kernel[] = [];

const executorsOf = (app: string) => `spark-app-selector=${app},spark-role=executor`;
const hasGpuToleration = (spec: any) =>
    (spec.tolerations ?? []).some((t: any) => t.key === GPU_TAINT.key && t.value === GPU_TAINT.value && t.effect === GPU_TAINT.effect && t.operator === "Equal");

afterAll(async () => {
    for (const k of kernels) {
        await k.shutdown().catch(() => undefined);
    }
    await servers.close();
}, 120_000);

suite("GPU placement", () => {
    test("the GPU node offers nvidia.com/gpu behind the pool's label and taint", async () => {
        stack = await readSparkStack(kube, env.namespace);
        const p = gpuProfile(stack);
        expect(p).toBeDefined();
        profile = p!;
        const node = (await nodes(kube)).find((n) => n.labels[GPU_POOL_LABEL] === profile.gpuPool);
        expect(node).toBeDefined();
        gpuNode = node!.name;
        gpusOnNode = Number(node!.allocatable[GPU_RESOURCE] ?? 0);
        console.log(`GPU node ${gpuNode}: pool ${profile.gpuPool}, ${gpusOnNode} ${GPU_RESOURCE}, taints ${JSON.stringify(node!.taints)}`);
        expect(node!.taints).toContainEqual(GPU_TAINT);
        expect(gpusOnNode).toBeGreaterThanOrEqual(profile.gpus + 1);
        expect(profile.override.tolerations).toContainEqual({ key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: GPU_TAINT.effect });
    });

    test("the GPU profile's server lands on the GPU node with its GPU limit, the toleration and the allocated device", async () => {
        const started = await servers.start(GPU_USER, profile.slug);
        figure("spawn_gpu_profile_seconds", started.seconds);
        gpuPod = started.pod;
        executorNamespace = executorNamespaceOf(gpuPod);
        executorKube = new Kubectl(env.kubectl, executorNamespace);
        const spec = gpuPod.spec;
        const c = spec.containers.find((x: any) => x.name === NOTEBOOK_CONTAINER);
        console.log(`${GPU_USER}: pod ${gpuPod.metadata.name} on ${spec.nodeName} in ${started.seconds.toFixed(1)} s; limits ${JSON.stringify(c.resources.limits)}`);
        expect(spec.nodeName).toBe(gpuNode);
        expect(c.resources.limits[GPU_RESOURCE]).toBe(String(profile.gpus));
        expect(c.resources.requests[GPU_RESOURCE]).toBe(String(profile.gpus));
        expect(hasGpuToleration(spec)).toBe(true);
        const required = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(required.every((t: any) => t.matchExpressions.some((e: any) => e.key === GPU_POOL_LABEL && e.values?.[0] === profile.gpuPool))).toBe(true);

        gpuKernel = await Kernel.start(servers.forward, GPU_USER, await servers.token(GPU_USER));
        kernels.push(gpuKernel);
        const r = await gpuKernel.json(
            `${PRELUDE}
import subprocess
e2e_out({"visible": os.environ.get("NVIDIA_VISIBLE_DEVICES"),
         "smi": subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout,
         "discovery": json.loads(subprocess.run([${JSON.stringify(DISCOVERY)}], capture_output=True, text=True, timeout=30).stdout)})`,
            60,
        );
        console.log(`in the GPU notebook: NVIDIA_VISIBLE_DEVICES=${r.visible}; nvidia-smi -L: ${r.smi.trim()}; discovery: ${JSON.stringify(r.discovery)}`);
        notebookDevices = String(r.visible ?? "").split(",").filter((d) => d !== "");
        expect(notebookDevices.length).toBe(profile.gpus);
        expect(r.smi.trim().split("\n").length).toBe(profile.gpus);
        expect(r.discovery).toEqual({ name: "gpu", addresses: [...Array(profile.gpus).keys()].map(String) });
    });

    test("CPU profiles never land on the GPU node", async () => {
        const started = await servers.start(CPU_USER, undefined);
        figure("spawn_cpu_profile_seconds", started.seconds);
        const all = await pods(kube, "component=singleuser-server");
        for (const pod of all) {
            const c = pod.spec.containers.find((x: any) => x.name === NOTEBOOK_CONTAINER);
            const gpus = Number(c?.resources?.limits?.[GPU_RESOURCE] ?? 0);
            if (gpus === 0) {
                expect([pod.metadata.name, pod.spec.nodeName]).not.toEqual([pod.metadata.name, gpuNode]);
                const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
                expect(terms.length).toBeGreaterThan(0);
                expect(terms.every((t: any) => t.matchExpressions.some((e: any) => e.key === GPU_POOL_LABEL && e.operator === "DoesNotExist"))).toBe(true);
            }
        }
        console.log(`notebook pods: ${all.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(", ")}`);
    });

    test("GPU executors (spark-gpu.conf) land on the GPU node and Spark assigns them the allocated device", async () => {
        if (!stack.gpu || !stack.gpuExecutorTemplate) {
            throw new Error("the stack has no spark-gpu.conf: set spark.gpuExecutors.enabled (and image.gpu) for this suite");
        }
        // The user's quota caps the GPUs of that user's executors: the next test has one running and a
        // second asked for (Pending on the full node), so it must admit two executors' worth.
        const perExecutor = Number(stack.gpu.get("spark.executor.resource.gpu.amount"));
        const quota = await executorKube.json(["get", "resourcequota", "spark-executors"]);
        const quotaGpus = Number(quota.spec.hard?.[`requests.${GPU_RESOURCE}`]);
        console.log(`quota spark-executors in ${executorNamespace}: hard ${JSON.stringify(quota.spec.hard)}, used ${JSON.stringify(quota.status?.used ?? {})}; ${perExecutor} GPU(s) per executor`);
        expect(quotaGpus).toBeGreaterThanOrEqual(2 * perExecutor);
        // And two executor pods (spark.maxExecutorPods; no `pods` entry: no cap).
        if (quota.spec.hard?.pods !== undefined) {
            expect(Number(quota.spec.hard.pods)).toBeGreaterThanOrEqual(2);
        }
        // One GPU executor kept for the rest of the suite (a user may raise minExecutors in a notebook).
        const r = await gpuKernel!.json(startSession({ appName: "e2e-gpu", gpuConf: GPU_CONF, conf: { "spark.dynamicAllocation.minExecutors": "1" }, limitSeconds: 300 }), 360);
        gpuApp = r.app;
        figure("gpu_first_executor_seconds", r.first_executor_seconds ?? -1);
        expect(r.sum).toBe(9900);
        expect(r.image).toBe(stack.gpu.get("spark.kubernetes.container.image"));
        const running = await waitRunning(executorKube, executorsOf(gpuApp), 1, "a GPU executor", 120);
        const t = stack.gpuExecutorTemplate;
        for (const pod of running) {
            const c = pod.spec.containers[0];
            console.log(`GPU executor ${pod.metadata.name} on ${pod.spec.nodeName}: limits ${JSON.stringify(c.resources.limits)}`);
            expect(pod.spec.nodeName).toBe(gpuNode);
            expect(c.resources.limits[GPU_RESOURCE]).toBe(stack.gpu.get("spark.executor.resource.gpu.amount"));
            expect(c.resources).toEqual(t.spec.containers[0].resources);
            expect(hasGpuToleration(pod.spec)).toBe(true);
            expect(pod.spec.affinity).toEqual(t.spec.affinity);
            expect(c.image).toBe(stack.gpu.get("spark.kubernetes.container.image"));
        }
        const seen = await gpuKernel!.json(
            `from pyspark import TaskContext
def _gpu(_):
    import os, socket
    rs = TaskContext.get().resources()
    return {"host": socket.gethostname(), "visible": os.environ.get("NVIDIA_VISIBLE_DEVICES"),
            "assigned": list(rs["gpu"].addresses) if "gpu" in rs else None}
e2e_out({"tasks": sc.parallelize(range(2), 2).map(_gpu).collect(),
         "executors": [{"id": e["id"], "hostPort": e["hostPort"], "resources": e.get("resources")} for e in e2e_executors(sc)]})`,
            300,
        );
        console.log(`GPU tasks: ${JSON.stringify(seen.tasks)}; executors in the driver: ${JSON.stringify(seen.executors)}`);
        for (const task of seen.tasks) {
            // The executor's discovery script found the device the kubelet gave its container (index 0 of
            // what it sees), Spark assigned it to the task, and it is not the notebook's device.
            expect(task.assigned).toEqual(["0"]);
            expect(task.visible).toMatch(/^GPU-/);
            expect(notebookDevices).not.toContain(task.visible);
            expect(running.map((p) => p.metadata.name)).toContain(task.host);
        }
        for (const e of seen.executors) {
            expect(e.resources?.gpu?.addresses).toEqual(["0"]);
        }
    });

    test("out of GPUs: the next GPU executor and the next GPU notebook stay Pending with the scheduler's reason; the rest goes on", async () => {
        const gpuMax = Number(stack.gpu!.get("spark.dynamicAllocation.maxExecutors"));
        const used = profile.gpus + 1;
        console.log(`${used} of ${gpusOnNode} GPUs in use (notebook + one executor); GPU maxExecutors ${gpuMax}`);
        expect(used).toBe(gpusOnNode);
        // A job wanting more executors than GPUs remain: Spark asks for another, which cannot be placed.
        const job = gpuKernel!.json(
            `e2e_out({"values": sc.parallelize(range(4), 4).map(lambda x: (time.sleep(15), x * x)[1]).collect()})`,
            600,
        );
        const pending = await waitFor(`a Pending GPU executor of ${gpuApp}`, 120, async () =>
            (await pods(executorKube, executorsOf(gpuApp))).find((p) => p.status.phase === "Pending"),
        );
        const execReason = await waitFor(`FailedScheduling for ${pending.metadata.name}`, 60, async () =>
            (await events(executorKube, "Pod", pending.metadata.name)).find((e) => e.reason === "FailedScheduling"),
        );
        console.log(`${pending.metadata.name}: ${execReason.reason}: ${execReason.message}`);
        expect(execReason.message).toContain(`Insufficient ${GPU_RESOURCE}`);

        // A second GPU notebook, meanwhile: Pending with the user-scheduler's reason.
        await servers.request(GPU_USER_2, profile.slug);
        const pendingNb = await waitFor(`${GPU_USER_2}'s pod`, 60, async () => servers.pod(GPU_USER_2));
        const nbReason = await waitFor(`FailedScheduling for ${pendingNb.metadata.name}`, 90, async () =>
            (await events(kube, "Pod", pendingNb.metadata.name)).find((e) => e.reason === "FailedScheduling"),
        );
        console.log(`${pendingNb.metadata.name}: ${nbReason.source}: ${nbReason.message}`);
        expect(nbReason.message).toContain(`Insufficient ${GPU_RESOURCE}`);
        expect((await kube.json(["get", "pod", pendingNb.metadata.name])).status.phase).toBe("Pending");

        // Nothing else breaks: the job finishes on the executor it has, a CPU notebook still answers.
        const result = await job;
        expect(result.values).toEqual([0, 1, 4, 9]);
        const hub = await servers.api();
        expect((await hub.server(CPU_USER))?.ready).toBe(true);
        // The pending spawn is cancelled cleanly.
        await servers.stop(GPU_USER_2, 120);
        expect(await servers.pod(GPU_USER_2)).toBeUndefined();
    });

    test("freed GPUs are used again: after stop(), the second GPU notebook starts", async () => {
        await gpuKernel!.json(`sc.stop()\ne2e_out(True)`, 120);
        await waitNoPods(executorKube, executorsOf(gpuApp), `the GPU executors of ${gpuApp} to be deleted`, 120);
        const started = await servers.start(GPU_USER_2, profile.slug);
        figure("spawn_gpu_profile_again_seconds", started.seconds);
        expect(started.pod.spec.nodeName).toBe(gpuNode);
    });
});
