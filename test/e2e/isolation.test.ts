/**
 * Users isolated from each other, tried as an attacker would: code in user A's notebook kernel (the
 * Jupyter kernel API, as JupyterLab runs it) uses only what A's pod holds (its ServiceAccount token,
 * its hub token, its environment) and plain HTTPS to the API server and the hub, against user B's
 * pod, token, claim and executors, the hub, the proxy and the platform's ConfigMaps and Secrets.
 * Every attempt must fail with a 403 from RBAC or a named admission refusal; in the same run the
 * allowed path works: an executor pod as the platform defines it is admitted (server-side dry run),
 * a Spark session starts executors in A's namespace, and they are gone after the session.
 *
 * Also: pods created by hand in an executor namespace with another image, privileged, a hostPath or
 * another user's claim are refused with the policy's message; every namespace carries Pod Security
 * Admission labels, and a server-side dry run of the `restricted` level reports no violating pod
 * while notebooks and executors run; the per-user quota refuses executors past its cap, and the
 * driver logs the refusal.
 *
 * Runs with either layout (executors in `<platform>-u-<user>` or `<spark.namespace>-<user>`).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { EXECUTOR_NAMESPACE_ENV, EXECUTORS_OF_LABEL, USER_LABEL } from "../../components/spark/sparkConf";
import { admissionPolicyNames } from "../../components/spark/userIsolation";
import { sparkTierSkipReason, waitNoPods } from "./helpers/cluster";
import { e2eEnv, figure } from "./helpers/env";
import { Kernel, RESULT_MARKER } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { PRELUDE, startSession } from "./helpers/pyspark";
import { Servers } from "./helpers/servers";
import { readSparkStack, sparkProfile } from "./helpers/stack";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const USER_A = process.env.E2E_ISO_USER_A || "e2e-iso-ana";
const USER_B = process.env.E2E_ISO_USER_B || "e2e-iso-ben";
const NOTEBOOK = "notebook";

const tierSkip = sparkTierSkipReason();
const suite = tierSkip ? describe.skip : describe;
if (tierSkip) {
    console.log(`isolation.test.ts: skipped: ${tierSkip}`);
}

let podA: any;
let podB: any;
let nsA = "";
let nsB = "";
let kernelA: Kernel | undefined;

const envOf = (pod: any, name: string): string | undefined =>
    pod.spec.containers.find((c: any) => c.name === NOTEBOOK)?.env?.find((e: any) => e.name === name)?.value;

/** Python run in A's kernel: calls the API server with the pod's own ServiceAccount token. */
const API_CLIENT = `
import json, os, ssl, urllib.request, urllib.error
_SA = "/var/run/secrets/kubernetes.io/serviceaccount"
_CTX = ssl.create_default_context(cafile=_SA + "/ca.crt")
def api(method, path, body=None):
    token = open(_SA + "/token").read().strip()
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("https://kubernetes.default.svc" + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/merge-patch+json" if method == "PATCH" else "application/json"})
    try:
        with urllib.request.urlopen(req, context=_CTX, timeout=20) as r:
            return {"status": r.status, "message": ""}
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
        try:
            message = json.loads(text).get("message", text)
        except ValueError:
            message = text
        return {"status": e.code, "message": message[:600]}
def hub(path, token):
    req = urllib.request.Request(os.environ["JUPYTERHUB_API_URL"] + path, headers={"Authorization": "token " + token})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            body = r.read().decode(errors="replace")
            try:
                name = json.loads(body).get("name")
            except (ValueError, AttributeError):
                name = None
            return {"status": r.status, "name": name, "message": body[:300]}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "name": None, "message": e.read().decode(errors="replace")[:300]}
`;

/** An executor pod as the platform defines it: the mounted template, the conf's image, plus `patch`. */
function executorPodPython(namespace: string, patchPython: string): string {
    return `
import yaml, copy
conf = dict(l.split(None, 1) for l in open("/etc/spark/conf/spark-defaults.conf").read().splitlines() if l and not l.startswith("#"))
pod = yaml.safe_load(open("/etc/spark/conf/executor-pod-template.yaml"))
pod["metadata"]["generateName"] = "e2e-iso-"
pod["spec"]["containers"][0]["image"] = conf["spark.kubernetes.container.image"].strip()
${patchPython}
result = api("POST", "/api/v1/namespaces/${namespace}/pods?dryRun=All", pod)
`;
}

/** kubectl's stdout and stderr together (Pod Security Admission reports violating pods as warnings on stderr). */
function kubectlOutput(args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(env.kubectl, args, { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`)) : resolve(`${stdout}${stderr}`))),
    );
}

async function run<T = any>(k: Kernel, code: string, timeoutSeconds = 60): Promise<T> {
    return k.json<T>(`${API_CLIENT}\n${code}\nprint(${JSON.stringify(RESULT_MARKER)} + json.dumps(result), flush=True)`, timeoutSeconds);
}

afterAll(async () => {
    await kernelA?.shutdown().catch(() => undefined);
    await servers.close();
}, 120_000);

suite("users isolated from each other", () => {
    test("two users' servers run as ServiceAccounts of their own, each naming an executor namespace of its own", async () => {
        const stack = await readSparkStack(kube, env.namespace);
        const [a, b] = await Promise.all([servers.start(USER_A, sparkProfile(stack).slug), servers.start(USER_B, undefined)]);
        podA = a.pod;
        podB = b.pod;
        figure("spawn_isolated_user_seconds", a.seconds);
        nsA = envOf(podA, EXECUTOR_NAMESPACE_ENV) ?? "";
        nsB = envOf(podB, EXECUTOR_NAMESPACE_ENV) ?? "";
        expect(nsA).not.toBe("");
        expect(nsB).not.toBe("");
        expect(nsA).not.toBe(nsB);
        expect(podA.spec.serviceAccountName).not.toBe(podB.spec.serviceAccountName);
        for (const [pod, ns, user] of [
            [podA, nsA, USER_A],
            [podB, nsB, USER_B],
        ] as const) {
            expect(pod.spec.serviceAccountName).toBe(`notebook-${user}`);
            expect(pod.metadata.labels[USER_LABEL]).toBe(user);
            const namespace = await kube.json(["get", "namespace", ns]);
            expect(namespace.metadata.labels).toEqual(
                expect.objectContaining({
                    [EXECUTORS_OF_LABEL]: env.namespace,
                    [USER_LABEL]: user,
                    "pod-security.kubernetes.io/enforce": "restricted",
                }),
            );
        }
        kernelA = await Kernel.start(servers.forward, USER_A, await servers.token(USER_A));
        await kernelA.execute(PRELUDE, 60);
    });

    test("A's ServiceAccount token grants nothing over B, the hub, the proxy or the platform's objects (403 from RBAC)", async () => {
        const hubPod = (await kube.json<{ items: any[] }>(["get", "pods", "-l", "component=hub"])).items[0].metadata.name;
        const ns = env.namespace;
        const attempts: [string, string, string, unknown?][] = [
            ["GET B's pod (its spec holds B's hub token)", "GET", `/api/v1/namespaces/${ns}/pods/${podB.metadata.name}`],
            ["list the platform's pods", "GET", `/api/v1/namespaces/${ns}/pods`],
            ["list B's executors", "GET", `/api/v1/namespaces/${nsB}/pods`],
            ["delete the hub pod (dry run)", "DELETE", `/api/v1/namespaces/${ns}/pods/${hubPod}?dryRun=All`],
            ["delete every ConfigMap of the platform (dry run)", "DELETE", `/api/v1/namespaces/${ns}/configmaps?dryRun=All`],
            ["read the platform's Secrets", "GET", `/api/v1/namespaces/${ns}/secrets`],
            ["read the hub's Secret", "GET", `/api/v1/namespaces/${ns}/secrets/hub`],
            ["read the Spark ConfigMap through the API", "GET", `/api/v1/namespaces/${ns}/configmaps/spark-conf`],
            ["list the hub's and proxy's Services", "GET", `/api/v1/namespaces/${ns}/services`],
            ["list claims (B's home)", "GET", `/api/v1/namespaces/${ns}/persistentvolumeclaims`],
            ["read A's own executor namespace's Secrets", "GET", `/api/v1/namespaces/${nsA}/secrets`],
            ["relabel A's namespace (drop its Pod Security level)", "PATCH", `/api/v1/namespaces/${nsA}`],
            ["grant itself a Role in A's namespace", "POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${nsA}/rolebindings?dryRun=All`, {
                metadata: { name: "x" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
                subjects: [{ kind: "ServiceAccount", name: podA.spec.serviceAccountName, namespace: ns }],
            }],
            ["create a pod in the platform namespace mounting B's home (dry run)", "POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
                metadata: { name: "e2e-iso-steal" },
                spec: { containers: [{ name: "c", image: env.image }], volumes: [{ name: "h", persistentVolumeClaim: { claimName: `claim-${USER_B}` } }] },
            }],
            ["create a pod in B's executor namespace (dry run)", "POST", `/api/v1/namespaces/${nsB}/pods?dryRun=All`, {
                metadata: { name: "e2e-iso-b" }, spec: { containers: [{ name: "c", image: env.image }] },
            }],
        ];
        const code = `result = {}\n${attempts
            .map(([name, method, path, body]) => `result[${JSON.stringify(name)}] = api(${JSON.stringify(method)}, ${JSON.stringify(path)}, ${body === undefined ? (method === "PATCH" ? "{}" : "None") : `json.loads(${JSON.stringify(JSON.stringify(body))})`})`)
            .join("\n")}`;
        const r = await run<Record<string, { status: number; message: string }>>(kernelA!, code, 120);
        for (const [name] of attempts) {
            console.log(`A: ${name}: ${r[name].status} ${r[name].message.slice(0, 160)}`);
        }
        for (const [name] of attempts) {
            expect([name, r[name].status]).toEqual([name, 403]);
            expect([name, r[name].message]).toEqual([name, expect.stringMatching(/forbidden/i)]);
        }
    });

    test("A's hub token reaches only A: not B's server, not the user list", async () => {
        const code = `
token = os.environ["JUPYTERHUB_API_TOKEN"]
result = {"self": hub("/user", token), "users": hub("/users", token), "b": hub("/users/${USER_B}", token),
          "b_server": hub("/users/${USER_B}/server", token), "env_tokens": sorted(k for k in os.environ if "TOKEN" in k)}
`;
        const r = await run(kernelA!, code);
        console.log(`A's hub token: self ${r.self.status}, /users ${r.users.status}, /users/${USER_B} ${r.b.status}; token variables: ${r.env_tokens.join(", ")}`);
        expect(r.self.status).toBe(200);
        expect(r.self.name).toBe(USER_A);
        expect(r.users.status).toBe(403);
        expect([403, 404]).toContain(r.b.status);
        expect([403, 404, 405]).toContain(r.b_server.status);
        // B's token appears nowhere A can read: not in A's environment, and B's pod spec is refused above.
        const bToken = envOf(podB, "JUPYTERHUB_API_TOKEN");
        const aEnv = await kernelA!.json<Record<string, string>>(`e2e_out(dict(os.environ))`, 30);
        expect(Object.values(aEnv)).not.toContain(bToken);
    });

    test("in A's own namespace the API server admits executors as the platform defines them, and refuses every other pod with the policy's message", async () => {
        const policy = admissionPolicyNames(env.namespace).executorPods;
        const cases: [string, string][] = [
            ["an executor pod as the platform defines it", ""],
            ["another image", `pod["spec"]["containers"][0]["image"] = "docker.io/library/busybox:latest"`],
            ["privileged", `pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}`],
            ["the node's / as a hostPath", `pod["spec"]["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]`],
            ["B's home claim", `pod["spec"]["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-${USER_B}"}}]`],
            ["another ServiceAccount", `pod["spec"]["serviceAccountName"] = "default"`],
            ["root", `pod["spec"]["securityContext"]["runAsUser"] = 0; pod["spec"]["securityContext"]["runAsNonRoot"] = False`],
            ["the host network", `pod["spec"]["hostNetwork"] = True`],
            ["an added capability", `pod["spec"]["containers"][0]["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"], "drop": ["ALL"]}`],
            ["a Secret in its environment", `pod["spec"]["containers"][0]["env"] = [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}}]`],
            ["no executor label", `pod["metadata"]["labels"] = {}`],
        ];
        const results: Record<string, { status: number; message: string }> = {};
        for (const [name, patch] of cases) {
            results[name] = await run(kernelA!, executorPodPython(nsA, patch));
            console.log(`A creates in ${nsA}: ${name}: ${results[name].status} ${results[name].message.slice(0, 220)}`);
        }
        expect(results[cases[0][0]].status).toBe(201);
        for (const [name] of cases.slice(1)) {
            expect([name, results[name].status]).toEqual([name, 403]);
            // Named by Pod Security Admission or by the platform's policy.
            expect([name, results[name].message]).toEqual([name, expect.stringMatching(new RegExp(`violates PodSecurity|${policy}`))]);
        }
        expect(results["another image"].message).toContain(policy);
        expect(results["another image"].message).toContain("the platform's image by digest");
        expect(results["B's home claim"].message).toContain(policy);
        expect(results["privileged"].message).toMatch(/violates PodSecurity "restricted:latest"|not privileged/);
    });

    test("the cluster itself refuses such pods, whoever asks: a cluster admin's kubectl gets the same named refusals", async () => {
        const policy = admissionPolicyNames(env.namespace).executorPods;
        const template = (await kube.json(["get", "configmap", "spark-conf"])).data["executor-pod-template.yaml"] as string;
        const base = YAML.parse(template);
        const variants: [string, (pod: any) => void, RegExp][] = [
            ["another image", (pod) => (pod.spec.containers[0].image = "docker.io/library/busybox:latest"), new RegExp(`${policy}.*the platform's image by digest`)],
            ["privileged", (pod) => (pod.spec.containers[0].securityContext = { privileged: true }), /violates PodSecurity "restricted:latest": privileged/],
            ["the node's / as a hostPath", (pod) => (pod.spec.volumes = [{ name: "root", hostPath: { path: "/" } }]), /violates PodSecurity "restricted:latest": restricted volume types/],
            [`${USER_B}'s home claim`, (pod) => (pod.spec.volumes = [{ name: "home", persistentVolumeClaim: { claimName: `claim-${USER_B}` } }]), new RegExp(`${policy}.*own on-demand claims`)],
        ];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-iso-"));
        try {
            for (const [name, change, refusal] of variants) {
                const pod = { ...structuredClone(base), metadata: { ...base.metadata, name: "e2e-iso-admin" } };
                change(pod);
                const file = path.join(dir, "pod.json");
                fs.writeFileSync(file, JSON.stringify(pod));
                const out = await kubectlOutput(["--namespace", nsA, "create", "--dry-run=server", "-f", file]).catch((e: Error) => e.message);
                console.log(`admin creates in ${nsA}: ${name}: ${out.trim().slice(0, 220)}`);
                expect([name, out]).toEqual([name, expect.stringMatching(refusal)]);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("a Spark session in A's notebook starts executors in A's namespace only; they are gone after stop()", async () => {
        const r = await kernelA!.json(startSession({ appName: "e2e-iso-a", limitSeconds: 300 }), 360);
        expect(r.sum).toBe(9900);
        const executorsA = new Kubectl(env.kubectl, nsA);
        const inA = (await executorsA.json<{ items: any[] }>(["get", "pods", "-l", `spark-app-selector=${r.app}`])).items;
        expect(inA.length).toBeGreaterThan(0);
        for (const pod of inA) {
            expect(pod.metadata.namespace).toBe(nsA);
            expect(pod.spec.serviceAccountName).toBe("spark-executor");
        }
        const elsewhere = (await kube.json<{ items: any[] }>(["get", "pods", "--all-namespaces", "-l", `spark-app-selector=${r.app}`])).items.filter(
            (p) => p.metadata.namespace !== nsA,
        );
        expect(elsewhere).toEqual([]);

        // While notebooks and executors run: every namespace passes its Pod Security level, and the
        // notebook and executor namespaces pass `restricted`.
        for (const [ns, level] of [
            [env.namespace, (await kube.json(["get", "namespace", env.namespace])).metadata.labels["pod-security.kubernetes.io/enforce"]],
            [nsA, "restricted"],
            [nsB, "restricted"],
        ] as [string, string][]) {
            expect([ns, level]).toEqual([ns, expect.stringMatching(/^(baseline|restricted)$/)]);
            const out = await kubectlOutput(["label", "--dry-run=server", "--overwrite", "namespace", ns, `pod-security.kubernetes.io/enforce=${level}`]);
            console.log(`dry run ${ns} enforce=${level}: ${out.trim().replace(/\n/g, " | ")}`);
            expect([ns, out]).toEqual([ns, expect.not.stringMatching(/violate/i)]);
        }
        await kernelA!.json(`spark.stop()\ne2e_out({"stopped": True})`, 120);
        await waitNoPods(executorsA, `spark-app-selector=${r.app},spark-role=executor`, `the executors of ${r.app} after stop()`, 120);
    });

    test("the per-user quota refuses executors past its cap; the driver logs the refusal", async () => {
        const quota = await new Kubectl(env.kubectl, nsA).json(["get", "resourcequota", "spark-executors"]);
        const cap = Number(quota.spec.hard.pods);
        expect(cap).toBeGreaterThan(0);
        const want = cap + 1;
        const r = await kernelA!.json(
            startSession({
                appName: "e2e-iso-quota",
                conf: { "spark.dynamicAllocation.enabled": "false", "spark.executor.instances": String(want) },
                limitSeconds: 240,
            }),
            300,
        );
        const executorsA = new Kubectl(env.kubectl, nsA);
        const held = (await executorsA.json<{ items: any[] }>(["get", "pods", "-l", `spark-app-selector=${r.app},spark-role=executor`])).items.length;
        const log = await kube.run(["logs", podA.metadata.name, "--container", NOTEBOOK, "--since=10m"], 60);
        const refusal = log.split("\n").find((l) => /exceeded quota: spark-executors/.test(l));
        console.log(`quota ${cap}: asked ${want}, held ${held}; driver log: ${refusal?.slice(0, 300)}`);
        expect(held).toBeLessThanOrEqual(cap);
        expect(refusal).toBeDefined();
        await kernelA!.json(`spark.stop()\ne2e_out({"stopped": True})`, 120);
        await waitNoPods(executorsA, `spark-app-selector=${r.app},spark-role=executor`, `the executors of ${r.app} after stop()`, 120);
    });
});
