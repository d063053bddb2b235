/**
 * The NetworkPolicies of the deployed stack, enforced by the cluster's policy controller: what is
 * allowed connects, what is denied is refused or times out within the probe's bound. Probes run
 * where the policy applies: in notebook kernels (as a user's code), in Spark tasks on real executor
 * pods, and (kubectl exec) in the hub, the proxy and two probe pods of the notebook image, one
 * without the platform's labels and one carrying the executor label. Every target is a pod or
 * Service address of this cluster.
 *
 * Egress to the cloud metadata address and to public addresses is checked without sending a packet
 * there: in the policy objects, and (on a node whose firewall this process can read, such as the CI
 * cluster's kube-router) in the ipsets the controller programmed, with `ipset test` lookups.
 */
import { execFile } from "child_process";
import { EXECUTOR_SERVICE_ACCOUNT, PRIVATE_IPV4, SPARK_DRIVER_LABELS, SPARK_EXECUTOR_LABELS } from "../../components/spark/sparkConf";
import { apply, deployedExecutorNamespace, pods, sparkTierSkipReason, waitRunning } from "./helpers/cluster";
import { e2eEnv } from "./helpers/env";
import { Kernel } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { denied, describeProbe, probeFromNodePod, probeFromPythonPod, probePod, ProbeResult } from "./helpers/net";
import { PRELUDE, startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { confInt, readSparkStack, SparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const USER_A = process.env.E2E_NET_USER_A || "e2e-net-a";
const USER_B = process.env.E2E_NET_USER_B || "e2e-net-b";
const PLAIN = "e2e-probe-plain";
const EXECUTOR_LIKE = "e2e-probe-executor-label";
const PROBE_PORT = 8080;
/** A second port of the probe pods: the API server's, which the driver egress policy opens by port alone. */
const API_LIKE_PORT = 6443;
const NOTEBOOK_PORT = 8888;
const HUB_API_PORT = 8081;
/** Addresses for ipset lookups only: never connected to. TEST-NET-2 (RFC 5737) stands for "public". */
const PUBLIC_SAMPLE = "198.51.100.7";
const METADATA = "169.254.169.254";

const tierSkip = sparkTierSkipReason();
const executorNamespace = tierSkip ? undefined : deployedExecutorNamespace(env.kubectl, env.namespace);
const applies = !tierSkip && (executorNamespace === undefined || executorNamespace === env.namespace);
const suite = applies ? describe : describe.skip;
if (!applies) {
    console.log(`network.test.ts: skipped: ${tierSkip ?? `executors run in ${executorNamespace}; this suite checks executors beside the notebooks`}`);
}

let stack: SparkStack;
let podA: any;
let podB: any;
let kernelA: Kernel;
let kernelB: Kernel;
let driverPort = 0;
let bmPort = 0;
let executorIps: string[] = [];
let hubIp = "";
let hubServiceIp = "";
let apiServiceIp = "";
let plainIp = "";
const kernels: Kernel[] = [];

function expectDenied(from: string, r: ProbeResult): void {
    console.log(describeProbe(from, r));
    expect([describeProbe(from, r), denied(r)]).toEqual([describeProbe(from, r), true]);
}

function expectConnected(from: string, r: ProbeResult): void {
    console.log(describeProbe(from, r));
    expect(describeProbe(from, r)).toBe(`${from} -> ${r.host}:${r.port}: connected after ${r.seconds} s`);
}

async function kernelProbe(k: Kernel, host: string, port: number): Promise<ProbeResult> {
    return k.json(`e2e_out(e2e_probe(${JSON.stringify(host)}, ${port}))`, 30);
}

/** Probes from inside Spark tasks: `tasks` tasks spread over the executors, each probing every target. */
async function executorProbes(targets: [string, number][], tasks = 4): Promise<{ host: string; results: ProbeResult[] }[]> {
    const code = `
_targets = ${JSON.stringify(targets)}
def _probe_all(_):
    import socket, time
    time.sleep(2)
    return (socket.gethostname(), [e2e_probe(h, p) for h, p in _targets])
e2e_out([{"host": h, "results": r} for h, r in sc.parallelize(range(${tasks}), ${tasks}).map(_probe_all).collect()])`;
    return kernelA.json(code, 60 + tasks * targets.length * 5);
}

/** Whether the IPv4 address is in an ipBlock (its cidr, minus its excepts). */
function inBlock(ip: string, block: { cidr: string; except?: string[] }): boolean {
    const num = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const within = (cidr: string) => {
        const [base, bits] = cidr.split("/");
        const size = 2 ** (32 - Number(bits));
        return Math.floor(num(ip) / size) === Math.floor(num(base) / size);
    };
    return within(block.cidr) && !(block.except ?? []).some(within);
}

function run(cmd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(cmd, args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (e, out, err) => (e ? reject(new Error(`${cmd}: ${err || e.message}`)) : resolve(out))),
    );
}

suite("network policies, enforced", () => {
    beforeAll(async () => {
        stack = await readSparkStack(kube, env.namespace);
        driverPort = confInt(stack.defaults, "spark.driver.port");
        bmPort = confInt(stack.defaults, "spark.driver.blockManager.port");
        const [a, b] = await Promise.all([servers.start(USER_A, sparkProfile(stack).slug), servers.start(USER_B, undefined)]);
        podA = a.pod;
        podB = b.pod;
        for (const [name, labels] of [
            [PLAIN, {}],
            [EXECUTOR_LIKE, { ...SPARK_EXECUTOR_LABELS }],
        ] as const) {
            await kube.run(["delete", "pod", name, "--ignore-not-found", "--wait=true", "--timeout=60s"]);
            await apply(kube, probePod(name, env.image, labels, env.uid, env.gid, [PROBE_PORT, API_LIKE_PORT]));
        }
        await waitRunning(kube, "app.kubernetes.io/name=ds-platform-e2e-probe", 2, "the probe pods", 180);
        plainIp = (await kube.json(["get", "pod", PLAIN])).status.podIP;
        const hub = (await pods(kube, "component=hub"))[0];
        hubIp = hub.status.podIP;
        hubServiceIp = (await kube.json(["get", "service", "hub"])).spec.clusterIP;
        apiServiceIp = (await new Kubectl(env.kubectl, "default").json(["get", "service", "kubernetes"])).spec.clusterIP;

        kernelA = await Kernel.start(servers.forward, USER_A, await servers.token(USER_A));
        kernelB = await Kernel.start(servers.forward, USER_B, await servers.token(USER_B));
        kernels.push(kernelA, kernelB);
        // Two executors that stay for the whole suite (a user may raise minExecutors in a notebook).
        const max = confInt(stack.defaults, "spark.dynamicAllocation.maxExecutors");
        const s = await kernelA.json(startSession({ appName: "e2e-network", conf: { "spark.dynamicAllocation.minExecutors": String(max) }, limitSeconds: 300 }), 360);
        const running = await waitRunning(kube, `spark-app-selector=${s.app},spark-role=executor`, max, `${max} executors of ${s.app}`, 240);
        executorIps = running.map((p) => p.status.podIP);
        await kernelB.json(`${PRELUDE}\ne2e_out(None)`, 30);
        console.log(`A ${podA.status.podIP} (driver ${driverPort}/${bmPort}), B ${podB.status.podIP}, executors ${executorIps.join(", ")}, hub ${hubIp} (service ${hubServiceIp}), API ${apiServiceIp}, plain probe ${plainIp}`);
    }, 20 * 60 * 1000);

    afterAll(async () => {
        for (const k of kernels) {
            await k.shutdown().catch(() => undefined);
        }
        await kube.run(["delete", "pod", PLAIN, EXECUTOR_LIKE, "--ignore-not-found", "--wait=false"]).catch(() => undefined);
        await servers.close();
    }, 120_000);

    test("the hub and the proxy reach notebook servers", async () => {
        const hubPod = (await pods(kube, "component=hub"))[0].metadata.name;
        const proxyPod = (await pods(kube, "component=proxy"))[0].metadata.name;
        for (const pod of [podA, podB]) {
            expectConnected("hub", await probeFromPythonPod(kube, hubPod, "hub", pod.status.podIP, NOTEBOOK_PORT));
            expectConnected("proxy", await probeFromNodePod(kube, proxyPod, "chp", pod.status.podIP, NOTEBOOK_PORT));
        }
    });

    test("notebook pods of two users cannot reach each other's servers", async () => {
        expectDenied(`${USER_A}'s kernel`, await kernelProbe(kernelA, podB.status.podIP, NOTEBOOK_PORT));
        expectDenied(`${USER_B}'s kernel`, await kernelProbe(kernelB, podA.status.podIP, NOTEBOOK_PORT));
        // Not the Spark ports of another user's driver either.
        expectDenied(`${USER_B}'s kernel`, await kernelProbe(kernelB, podA.status.podIP, driverPort));
    });

    test("the driver and its executors reach each other on the Spark ports", async () => {
        for (const ip of executorIps) {
            expectConnected(`${USER_A}'s kernel (driver)`, await kernelProbe(kernelA, ip, bmPort));
        }
        const targets: [string, number][] = [
            [podA.status.podIP, driverPort],
            [podA.status.podIP, bmPort],
            ...executorIps.map((ip): [string, number] => [ip, bmPort]),
        ];
        const results = await executorProbes(targets);
        const hosts = new Set(results.map((r) => r.host));
        console.log(`probed from executors ${[...hosts].join(", ")}`);
        for (const { host, results: rs } of results) {
            for (const r of rs) {
                expectConnected(`executor ${host}`, r);
            }
        }
        // A pod carrying the executor label is let in like an executor: the control for the next test.
        expectConnected(EXECUTOR_LIKE, await probeFromPythonPod(kube, EXECUTOR_LIKE, "probe", podA.status.podIP, driverPort));
    });

    test("a pod without the platform's labels cannot reach a driver's or an executor's ports", async () => {
        const plain = await kube.json(["get", "pod", PLAIN]);
        const labels = Object.keys(plain.metadata.labels ?? {});
        expect(labels.filter((l) => l in SPARK_DRIVER_LABELS || l in SPARK_EXECUTOR_LABELS || l.startsWith("hub.jupyter.org/"))).toEqual([]);
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, driverPort));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, bmPort));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, NOTEBOOK_PORT));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", executorIps[0], bmPort));
    });

    test("executors cannot reach the hub API, the Kubernetes API or other private addresses; the notebook can", async () => {
        // Controls: the listener answers (the hub may reach private addresses), the notebook reaches the hub and the API.
        const hubPod = (await pods(kube, "component=hub"))[0].metadata.name;
        expectConnected("hub", await probeFromPythonPod(kube, hubPod, "hub", plainIp, PROBE_PORT));
        expectConnected(`${USER_A}'s kernel`, await kernelProbe(kernelA, hubServiceIp, HUB_API_PORT));
        expectConnected(`${USER_A}'s kernel`, await kernelProbe(kernelA, apiServiceIp, 443));
        const results = await executorProbes([
            [hubServiceIp, HUB_API_PORT],
            [hubIp, HUB_API_PORT],
            [apiServiceIp, 443],
            [plainIp, PROBE_PORT],
            [podB.status.podIP, NOTEBOOK_PORT],
        ]);
        for (const { host, results: rs } of results) {
            for (const r of rs) {
                expectDenied(`executor ${host}`, r);
            }
        }
    });

    test("notebooks reach other pods only on the ports their policies open", async () => {
        expectDenied(`${USER_A}'s kernel`, await kernelProbe(kernelA, plainIp, PROBE_PORT));
        expectDenied(`${USER_B}'s kernel`, await kernelProbe(kernelB, plainIp, PROBE_PORT));
        // The driver's egress policy opens the API server's ports to every address (NetworkPolicy
        // cannot name the API server): any pod listening on 443 or 6443 is reachable from notebooks.
        const api = await kernelProbe(kernelA, plainIp, API_LIKE_PORT);
        console.log(`note: ${describeProbe(`${USER_A}'s kernel`, api)} (spark-driver-egress allows ports ${API_LIKE_PORT} and 443 to any address)`);
    });

    test("pods reach DNS", async () => {
        const resolve = `
import socket
names = ["kubernetes.default.svc.cluster.local", "hub.${env.namespace}.svc.cluster.local", "proxy-public"]
out = {}
for n in names:
    try:
        out[n] = socket.gethostbyname(n)
    except OSError as e:
        out[n] = "error: " + str(e)
`;
        const fromKernel = await kernelA.json(`${resolve}\ne2e_out(out)`, 30);
        const fromExecutors = await kernelA.json(
            `${resolve}
def _resolve(_):
    import socket
    return {n: socket.gethostbyname(n) for n in names[:2]}
e2e_out(sc.parallelize(range(2), 2).map(_resolve).collect())`,
            120,
        );
        console.log(`DNS: notebook ${JSON.stringify(fromKernel)}, executors ${JSON.stringify(fromExecutors)}`);
        expect(fromKernel["kubernetes.default.svc.cluster.local"]).toBe(apiServiceIp);
        expect(fromKernel[`hub.${env.namespace}.svc.cluster.local`]).toBe(hubServiceIp);
        for (const r of fromExecutors) {
            expect(r["kubernetes.default.svc.cluster.local"]).toBe(apiServiceIp);
        }
    });

    test("egress to the cloud metadata address and public addresses is as the README says (policy objects)", async () => {
        // Executors: out to public addresses only (spark.executorPublicEgress, default on), never to
        // private or link-local ones, the metadata address included.
        const executors = await kube.json(["get", "networkpolicy", "spark-executors"]);
        expect(executors.spec.podSelector.matchLabels).toEqual(SPARK_EXECUTOR_LABELS);
        const blocks = (executors.spec.egress ?? []).flatMap((r: any) => (r.to ?? []).filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock));
        console.log(`spark-executors egress ipBlocks: ${JSON.stringify(blocks)}`);
        expect(blocks).toEqual([{ cidr: "0.0.0.0/0", except: PRIVATE_IPV4 }]);
        expect(PRIVATE_IPV4).toContain("169.254.0.0/16");
        // Notebooks: the chart's policy lets them out to non-private addresses, except the metadata address.
        const singleuser = await kube.json(["get", "networkpolicy", "singleuser"]);
        const nbBlocks = (singleuser.spec.egress ?? []).flatMap((r: any) => (r.to ?? []).filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock));
        console.log(`singleuser egress ipBlocks: ${JSON.stringify(nbBlocks)}`);
        const publicRule = nbBlocks.find((b: any) => b.cidr === "0.0.0.0/0");
        expect(publicRule?.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", `${METADATA}/32`]));
        // Every egress rule that applies to notebook or executor pods and lets them reach the metadata
        // address at all does so only for DNS, or for the API ports that the driver's policy opens to
        // every address (NetworkPolicy cannot name the API server): never the metadata service's port 80.
        const policies = (await kube.json<{ items: any[] }>(["get", "networkpolicies"])).items;
        const selects = (p: any, labels: Record<string, string>) =>
            Object.entries(p.spec.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (p.spec.podSelector?.matchExpressions ?? []).length === 0;
        for (const [who, labels] of [
            ["notebook", podA.metadata.labels],
            ["executor", SPARK_EXECUTOR_LABELS],
        ] as const) {
            const open: string[] = [];
            for (const p of policies.filter((x) => (x.spec.policyTypes ?? []).includes("Egress") && selects(x, labels))) {
                for (const rule of p.spec.egress ?? []) {
                    const reaches = !rule.to || rule.to.some((t: any) => t.ipBlock && inBlock(METADATA, t.ipBlock));
                    if (reaches) {
                        const ports = (rule.ports ?? []).map((x: any) => x.port);
                        open.push(`${p.metadata.name}: ${ports.length ? ports.join(",") : "every port"}`);
                        expect([p.metadata.name, ports.length > 0 && ports.every((x: number) => [53, 443, 6443].includes(x))]).toEqual([p.metadata.name, true]);
                    }
                }
            }
            console.log(`${who} pods may reach ${METADATA} by: ${open.join("; ") || "no rule"}`);
        }
        // And the chart blocks the metadata address inside each notebook pod with an init container.
        const init = podA.spec.initContainers?.find((c: any) => JSON.stringify(c).includes(METADATA));
        expect(init).toBeDefined();
        const status = (await kube.json(["get", "pod", podA.metadata.name])).status.initContainerStatuses?.find((s: any) => s.name === init.name);
        expect(status?.state?.terminated?.exitCode).toBe(0);
        // The executors' ServiceAccount has no token to use against the API anyway.
        expect((await kube.json(["get", "serviceaccount", EXECUTOR_SERVICE_ACCOUNT])).automountServiceAccountToken).toBe(false);
    });

    test("the policy controller programmed those egress rules (ipset lookups, no packets)", async () => {
        const saved = await run("iptables-save", []).catch(() => "");
        if (!/KUBE-(ROUTER|NWPLCY|POD-FW)/.test(saved)) {
            console.log("no kube-router chains readable on this machine (another CNI, or not the cluster's host): only the policy objects were checked");
            return;
        }
        const setsOf = (policy: string): string[] => [
            ...new Set(
                saved
                    .split("\n")
                    .filter((l) => l.includes(`to specified ipBlocks selected by policy name: ${policy} namespace ${env.namespace}`))
                    .flatMap((l) => [...l.matchAll(/--match-set (\S+) dst/g)].map((m) => m[1])),
            ),
        ];
        const test_ = async (set: string, ip: string): Promise<boolean> =>
            run("ipset", ["test", set, ip]).then(
                () => true,
                () => false,
            );
        const checked: string[] = [];
        for (const policy of ["spark-executors", "singleuser"]) {
            const sets = setsOf(policy);
            const blockSets: string[] = [];
            for (const set of sets) {
                if ((await run("ipset", ["list", set]).catch(() => "")).includes("nomatch")) {
                    blockSets.push(set);
                }
            }
            console.log(`${policy}: ipsets ${sets.join(", ")}; ipBlock sets ${blockSets.join(", ")}`);
            expect(blockSets.length).toBeGreaterThan(0);
            for (const set of blockSets) {
                expect([set, PUBLIC_SAMPLE, await test_(set, PUBLIC_SAMPLE)]).toEqual([set, PUBLIC_SAMPLE, true]);
                expect([set, METADATA, await test_(set, METADATA)]).toEqual([set, METADATA, false]);
                expect([set, plainIp, await test_(set, plainIp)]).toEqual([set, plainIp, false]);
                checked.push(set);
            }
        }
        expect(checked.length).toBeGreaterThanOrEqual(2);
    });
});

