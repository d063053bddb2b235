/**
 * The NetworkPolicies of the deployed stack, enforced by the cluster's policy controller: what is
 * allowed connects, what is denied is refused or times out within the probe's bound. Two users: A
 * runs a Spark session with two executors in A's executor namespace; B runs none, but B's kernel
 * listens on the Spark driver and block-manager ports, so probes to B's "driver" have something to
 * reach. Probes run where the policy applies: in notebook kernels (as a user's code), in Spark tasks
 * on A's real executor pods, and (kubectl exec) in the hub, the proxy and two probe pods of the
 * notebook image: one in the platform namespace without the platform's labels, and one that the
 * API server admits into B's executor namespace as an executor (executor label, ServiceAccount
 * spark-executor, the image by digest, the platform's UID and GID, `restricted`), i.e. one of B's
 * executors as far as the policies go. Every target is a pod or Service address of this cluster.
 *
 * Allowed: hub and proxy to notebooks; A's driver and A's executors both ways on the Spark ports,
 * and A's executors to each other; B's driver to B's executor and back; DNS. Denied: a pod without
 * the platform's labels to drivers and executors; executors to the hub, the Kubernetes API and
 * other private addresses; notebooks of two users to each other; across users, B's notebook to A's
 * executors, A's executors to B's driver ports, B's executor to A's driver and executors, A's
 * driver to B's executor. The policy objects: `spark-executors` in each user's executor namespace
 * (every pod there), `spark-driver-<user>` in the platform namespace, only `spark-driver-egress` of
 * the stack's own Spark policies in the platform namespace.
 *
 * Notebook pods carry no privileged init container that blocks the cloud metadata address (they
 * pass the `restricted` Pod Security Standard); the chart's `singleuser` NetworkPolicy denies that
 * address. Egress to the metadata address and to public addresses is checked without sending a
 * packet there: in the policy objects, and (on a node whose firewall this process can read, such as
 * the CI cluster's kube-router) in the ipsets the controller programmed, with `ipset test` lookups.
 *
 * Applies with either layout of executor namespaces (default or spark.namespace).
 */
import { execFile } from "child_process";
import { EXECUTOR_SERVICE_ACCOUNT, EXECUTORS_OF_LABEL, PRIVATE_IPV4, SPARK_DRIVER_LABELS, SPARK_EXECUTOR_LABELS, USER_LABEL } from "../../components/spark/sparkConf";
import { apply, executorNamespaceOf, pods, sparkTierSkipReason, waitRunning } from "./helpers/cluster";
import { e2eEnv, waitFor } from "./helpers/env";
import { Kernel } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { denied, describeProbe, executorProbePod, kernelListener, probeFromNodePod, probeFromPythonPod, probePod, ProbeResult } from "./helpers/net";
import { PRELUDE, startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { confInt, readSparkStack, SparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
/** Users whose names are already Kubernetes names: KubeSpawner's safe slug of each is the name itself. */
const USER_A = process.env.E2E_NET_USER_A || "e2e-net-a";
const USER_B = process.env.E2E_NET_USER_B || "e2e-net-b";
/** In the platform namespace, without the platform's labels. */
const PLAIN = "e2e-probe-plain";
/** In B's executor namespace, admitted as one of B's executors. */
const EXECUTOR_LIKE = "e2e-probe-executor-label";
const PROBE_PORT = 8080;
/** A second port of the probe pods: the API server's, which the driver egress policy opens by port alone. */
const API_LIKE_PORT = 6443;
const NOTEBOOK_PORT = 8888;
const HUB_API_PORT = 8081;
/** Addresses for ipset lookups only: never connected to. TEST-NET-2 (RFC 5737) stands for "public". */
const PUBLIC_SAMPLE = "198.51.100.7";
const METADATA = "169.254.169.254";
/** The init container z2jh adds when singleuser.cloudMetadata.blockWithIptables is on (privileged, NET_ADMIN). */
const METADATA_BLOCKER = /network-tools|block-cloud-metadata/;

const tierSkip = sparkTierSkipReason();
const suite = tierSkip ? describe.skip : describe;
if (tierSkip) {
    console.log(`network.test.ts: skipped: ${tierSkip}`);
}

let stack: SparkStack;
let podA: any;
let podB: any;
/** The users' labels (KubeSpawner's safe slugs) and executor namespaces, and kubectl there. */
let slugA = "";
let slugB = "";
let nsA = "";
let nsB = "";
let executorsA: Kubectl;
let executorsB: Kubectl | undefined;
let executorPodsA: any[] = [];
let executorLikeIp = "";
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
        slugA = podA.metadata.labels[USER_LABEL];
        slugB = podB.metadata.labels[USER_LABEL];
        nsA = executorNamespaceOf(podA);
        nsB = executorNamespaceOf(podB);
        executorsA = new Kubectl(env.kubectl, nsA);
        executorsB = new Kubectl(env.kubectl, nsB);
        expect([slugA, nsA]).toEqual([USER_A, `${stack.executorNamespacePrefix}-${USER_A}`]);
        expect([slugB, nsB]).toEqual([USER_B, `${stack.executorNamespacePrefix}-${USER_B}`]);
        // The plain probe beside the notebooks; the executor-like one in B's namespace (A's quota is
        // taken by A's two executors, and as B's executor it probes across users).
        await kube.run(["delete", "pod", PLAIN, "--ignore-not-found", "--wait=true", "--timeout=60s"]);
        await apply(kube, probePod(PLAIN, env.image, {}, env.uid, env.gid, [PROBE_PORT, API_LIKE_PORT]));
        await executorsB.run(["delete", "pod", EXECUTOR_LIKE, "--ignore-not-found", "--wait=true", "--timeout=60s"]);
        await apply(executorsB, executorProbePod(EXECUTOR_LIKE, nsB, env.image, env.uid, env.gid, [PROBE_PORT, API_LIKE_PORT, bmPort]));
        await waitRunning(kube, "app.kubernetes.io/name=ds-platform-e2e-probe", 1, "the plain probe pod", 180);
        await waitRunning(executorsB, "app.kubernetes.io/name=ds-platform-e2e-probe", 1, `the executor-like probe pod in ${nsB}`, 180);
        plainIp = (await kube.json(["get", "pod", PLAIN])).status.podIP;
        executorLikeIp = (await executorsB.json(["get", "pod", EXECUTOR_LIKE])).status.podIP;
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
        executorPodsA = await waitRunning(executorsA, `spark-app-selector=${s.app},spark-role=executor`, max, `${max} executors of ${s.app} in ${nsA}`, 240);
        executorIps = executorPodsA.map((p) => p.status.podIP);
        // A Running executor pod has not bound its block manager yet: wait until every executor's block
        // manager registered with the driver (getExecutorMemoryStatus lists them, the driver's included).
        await waitFor(`the block managers of ${max} executors of ${s.app}`, 120, async () =>
            (await kernelA.json<number>(`e2e_out(sc._jsc.sc().getExecutorMemoryStatus().size() - 1)`, 30)) >= max ? true : undefined,
        );
        // B runs no Spark: its kernel listens on the driver's ports instead, as B's driver would.
        await kernelB.json(`${PRELUDE}\n${kernelListener([driverPort, bmPort])}\ne2e_out(None)`, 30);
        console.log(
            `A ${podA.status.podIP} (driver ${driverPort}/${bmPort}; executors in ${nsA}: ${executorIps.join(", ")}), B ${podB.status.podIP} (listening on ${driverPort}/${bmPort}; ` +
                `executor-like probe in ${nsB}: ${executorLikeIp}), hub ${hubIp} (service ${hubServiceIp}), API ${apiServiceIp}, plain probe ${plainIp}`,
        );
    }, 20 * 60 * 1000);

    afterAll(async () => {
        for (const k of kernels) {
            await k.shutdown().catch(() => undefined);
        }
        await kube.run(["delete", "pod", PLAIN, "--ignore-not-found", "--wait=false"]).catch(() => undefined);
        await executorsB?.run(["delete", "pod", EXECUTOR_LIKE, "--ignore-not-found", "--wait=false"]).catch(() => undefined);
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
        // A pod the API server admitted as an executor of B is let in to B's driver ports like one, and
        // B's driver reaches its block manager: the controls for the denials below.
        expectConnected(`${EXECUTOR_LIKE} (${nsB})`, await probeFromPythonPod(executorsB!, EXECUTOR_LIKE, "probe", podB.status.podIP, driverPort));
        expectConnected(`${EXECUTOR_LIKE} (${nsB})`, await probeFromPythonPod(executorsB!, EXECUTOR_LIKE, "probe", podB.status.podIP, bmPort));
        expectConnected(`${USER_B}'s kernel (driver)`, await kernelProbe(kernelB, executorLikeIp, bmPort));
    });

    test("one user's Spark pods cannot reach another user's: drivers and executors stay within their user", async () => {
        // B's notebook (a driver by its labels, which the platform's egress policy lets out to executor
        // namespaces) is refused by A's executor namespace.
        for (const ip of executorIps) {
            expectDenied(`${USER_B}'s kernel`, await kernelProbe(kernelB, ip, bmPort));
        }
        // A's driver cannot reach B's executor.
        expectDenied(`${USER_A}'s kernel`, await kernelProbe(kernelA, executorLikeIp, bmPort));
        // A's executors reach neither B's driver ports nor B's executor.
        const results = await executorProbes([
            [podB.status.podIP, driverPort],
            [podB.status.podIP, bmPort],
            [executorLikeIp, bmPort],
        ]);
        for (const { host, results: rs } of results) {
            for (const r of rs) {
                expectDenied(`${USER_A}'s executor ${host}`, r);
            }
        }
        // B's executor reaches neither A's driver ports nor A's executors.
        for (const port of [driverPort, bmPort]) {
            expectDenied(`${EXECUTOR_LIKE} (${nsB})`, await probeFromPythonPod(executorsB!, EXECUTOR_LIKE, "probe", podA.status.podIP, port));
        }
        for (const ip of executorIps) {
            expectDenied(`${EXECUTOR_LIKE} (${nsB})`, await probeFromPythonPod(executorsB!, EXECUTOR_LIKE, "probe", ip, bmPort));
        }
    });

    test("a pod without the platform's labels cannot reach a driver's or an executor's ports", async () => {
        const plain = await kube.json(["get", "pod", PLAIN]);
        const labels = Object.keys(plain.metadata.labels ?? {});
        expect(labels.filter((l) => l in SPARK_DRIVER_LABELS || l in SPARK_EXECUTOR_LABELS || l.startsWith("hub.jupyter.org/"))).toEqual([]);
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, driverPort));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, bmPort));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", podA.status.podIP, NOTEBOOK_PORT));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", executorIps[0], bmPort));
        expectDenied(PLAIN, await probeFromPythonPod(kube, PLAIN, "probe", executorLikeIp, bmPort));
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

    test("the per-user policies: spark-executors in each user's namespace, spark-driver-<user> beside the notebooks", async () => {
        const platformPeer = (slug: string) => ({
            podSelector: { matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: slug } },
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": env.namespace } },
        });
        const portsOf = (rules: any[]) => rules.flatMap((r: any) => (r.ports ?? []).map((p: any) => p.port));
        for (const [user, slug, ns] of [
            [USER_A, slugA, nsA],
            [USER_B, slugB, nsB],
        ]) {
            // Every pod of the user's namespace: in from that user's drivers and the namespace's own pods, on the block-manager ports.
            const executors = await new Kubectl(env.kubectl, ns).json(["get", "networkpolicy", "spark-executors"]);
            expect(executors.spec.podSelector).toEqual({});
            expect(executors.spec.policyTypes).toEqual(expect.arrayContaining(["Ingress", "Egress"]));
            const from = (executors.spec.ingress ?? []).flatMap((r: any) => r.from ?? []);
            console.log(`${ns}/spark-executors: ingress from ${JSON.stringify(from)} on ${portsOf(executors.spec.ingress ?? []).join(",")}`);
            expect(from).toEqual(expect.arrayContaining([platformPeer(slug), { podSelector: {} }]));
            expect(from).toHaveLength(2);
            expect(portsOf(executors.spec.ingress ?? [])).toEqual([bmPort]);
            // The user's drivers: in from that user's executors only, on the driver and block-manager ports.
            const driver = await kube.json(["get", "networkpolicy", `spark-driver-${slug}`]);
            expect(driver.spec.podSelector).toEqual({ matchLabels: { ...SPARK_DRIVER_LABELS, [USER_LABEL]: slug } });
            expect(driver.spec.policyTypes).toEqual(["Ingress"]);
            const driverFrom = (driver.spec.ingress ?? []).flatMap((r: any) => r.from ?? []);
            console.log(`${env.namespace}/spark-driver-${slug} (${user}): ingress from ${JSON.stringify(driverFrom)} on ${portsOf(driver.spec.ingress ?? []).join(",")}`);
            expect(driverFrom).toEqual([{ podSelector: { matchLabels: { ...SPARK_EXECUTOR_LABELS } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } }]);
            expect(portsOf(driver.spec.ingress ?? [])).toEqual([driverPort, bmPort]);
        }
        // Beside the notebooks the stack keeps only the drivers' egress: the shared ingress and executor
        // policies of the former layout are gone.
        const egress = await kube.get<any>("networkpolicy", "spark-driver-egress");
        expect(egress).toBeDefined();
        const executorPeers = (egress.spec.egress ?? []).flatMap((r: any) => r.to ?? []).filter((t: any) => t.namespaceSelector);
        expect(executorPeers).toEqual([
            { podSelector: { matchLabels: { ...SPARK_EXECUTOR_LABELS } }, namespaceSelector: { matchLabels: { [EXECUTORS_OF_LABEL]: env.namespace } } },
        ]);
        expect(await kube.get("networkpolicy", "spark-driver-ingress")).toBeUndefined();
        expect(await kube.get("networkpolicy", "spark-executors")).toBeUndefined();
    });

    test("egress to the cloud metadata address and public addresses is as the README says (policy objects); notebook pods need no privileged init container for it", async () => {
        // Executors: out to public addresses only (spark.executorPublicEgress, default on), never to
        // private or link-local ones, the metadata address included. The policy is A's namespace's.
        const executors = await executorsA.json(["get", "networkpolicy", "spark-executors"]);
        expect(executors.spec.podSelector).toEqual({});
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
        // (Notebooks: the platform namespace's policies; executors: their user's namespace's.)
        const policiesIn = async (k: Kubectl) => (await k.json<{ items: any[] }>(["get", "networkpolicies"])).items;
        const selects = (p: any, labels: Record<string, string>) =>
            Object.entries(p.spec.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (p.spec.podSelector?.matchExpressions ?? []).length === 0;
        for (const [who, labels, policies] of [
            ["notebook", podA.metadata.labels, await policiesIn(kube)],
            ["executor", executorPodsA[0].metadata.labels, await policiesIn(executorsA)],
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
        // Only the policy keeps notebooks from the metadata address now: no init container blocks it
        // inside the pod (it would need privilege), and the pods pass the `restricted` standard.
        for (const pod of [podA, podB]) {
            const name = pod.metadata.name;
            const inits: any[] = pod.spec.initContainers ?? [];
            console.log(`${name}: init containers ${inits.map((c) => c.name).join(", ") || "none"}; pod securityContext ${JSON.stringify(pod.spec.securityContext)}`);
            expect([name, inits.filter((c) => METADATA_BLOCKER.test(c.name) || JSON.stringify(c).includes(METADATA)).map((c) => c.name)]).toEqual([name, []]);
            expect([name, pod.spec.securityContext?.runAsNonRoot, pod.spec.securityContext?.seccompProfile?.type]).toEqual([name, true, "RuntimeDefault"]);
            for (const c of [...inits, ...pod.spec.containers]) {
                const sc = c.securityContext ?? {};
                expect([name, c.name, sc.privileged ?? false, sc.allowPrivilegeEscalation, sc.capabilities?.drop, sc.capabilities?.add ?? []]).toEqual([
                    name,
                    c.name,
                    false,
                    false,
                    ["ALL"],
                    [],
                ]);
            }
        }
        // The executors' ServiceAccount (in A's namespace) has no token to use against the API anyway.
        expect((await executorsA.json(["get", "serviceaccount", EXECUTOR_SERVICE_ACCOUNT])).automountServiceAccountToken).toBe(false);
    });

    test("the policy controller programmed those egress rules (ipset lookups, no packets)", async () => {
        const saved = await run("iptables-save", []).catch(() => "");
        if (!/KUBE-(ROUTER|NWPLCY|POD-FW)/.test(saved)) {
            console.log("no kube-router chains readable on this machine (another CNI, or not the cluster's host): only the policy objects were checked");
            return;
        }
        const setsOf = (policy: string, namespace: string): string[] => [
            ...new Set(
                saved
                    .split("\n")
                    .filter((l) => l.includes(`to specified ipBlocks selected by policy name: ${policy} namespace ${namespace}`))
                    .flatMap((l) => [...l.matchAll(/--match-set (\S+) dst/g)].map((m) => m[1])),
            ),
        ];
        const test_ = async (set: string, ip: string): Promise<boolean> =>
            run("ipset", ["test", set, ip]).then(
                () => true,
                () => false,
            );
        const checked: string[] = [];
        for (const [policy, namespace] of [
            ["spark-executors", nsA],
            ["singleuser", env.namespace],
        ]) {
            const sets = setsOf(policy, namespace);
            const blockSets: string[] = [];
            for (const set of sets) {
                if ((await run("ipset", ["list", set]).catch(() => "")).includes("nomatch")) {
                    blockSets.push(set);
                }
            }
            console.log(`${namespace}/${policy}: ipsets ${sets.join(", ")}; ipBlock sets ${blockSets.join(", ")}`);
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

