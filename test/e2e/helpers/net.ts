/**
 * Connection probes for the NetworkPolicy checks. Every probe is one TCP connect with a bound
 * (3 s), to an address on this cluster's pod or service network; its outcome is "connected",
 * "refused", "timeout" or "error:<errno>". A denied connection is any outcome but "connected"
 * within the bound. Probes run where the policy under test applies: in a notebook's kernel, in
 * Spark tasks on executors, or (kubectl exec) in the hub, the proxy and probe pods. Listeners (a
 * probe pod's, or one started in a kernel) answer "pong" on the ports a policy is tested on, so a
 * denied probe is told from a closed port by its control.
 */
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT, RESTRICTED_POD_SECURITY_CONTEXT } from "../../../components/shared/security";
import { EXECUTOR_SERVICE_ACCOUNT, SPARK_EXECUTOR_LABELS } from "../../../components/spark/sparkConf";
import { Kubectl } from "./kube";

export const CONNECT_TIMEOUT_SECONDS = 3;

export interface ProbeResult {
    host: string;
    port: number;
    result: string;
    seconds: number;
}

/** Python (3.8+) defining e2e_probe(host, port) -> ProbeResult, for kernels and Spark tasks. */
export const PYTHON_PROBE = `
import errno as _errno, socket as _socket, time as _time
def e2e_probe(host, port, timeout=${CONNECT_TIMEOUT_SECONDS}.0):
    t = _time.time()
    try:
        s = _socket.create_connection((host, int(port)), timeout=timeout)
        s.close()
        r = "connected"
    except _socket.timeout:
        r = "timeout"
    except ConnectionRefusedError:
        r = "refused"
    except OSError as e:
        r = "error:" + _errno.errorcode.get(e.errno, str(e.errno))
    return {"host": host, "port": int(port), "result": r, "seconds": round(_time.time() - t, 2)}
`;

/** A probe from inside a pod that has Python (the notebook image, the hub image). */
export async function probeFromPythonPod(kube: Kubectl, pod: string, container: string, host: string, port: number): Promise<ProbeResult> {
    const code = `${PYTHON_PROBE}\nimport json, sys\nprint(json.dumps(e2e_probe(sys.argv[1], sys.argv[2])))`;
    const out = await kube.exec(pod, container, ["python3", "-c", code, host, String(port)], 30);
    return JSON.parse(out.trim().split("\n").pop()!) as ProbeResult;
}

/** A probe from inside a pod that has Node.js (configurable-http-proxy). */
export async function probeFromNodePod(kube: Kubectl, pod: string, container: string, host: string, port: number): Promise<ProbeResult> {
    const code = `
const t = Date.now();
const done = (result) => { console.log(JSON.stringify({ host: process.argv[1], port: Number(process.argv[2]), result, seconds: (Date.now() - t) / 1000 })); process.exit(0); };
const s = require("net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
s.setTimeout(${CONNECT_TIMEOUT_SECONDS * 1000});
s.on("connect", () => { s.destroy(); done("connected"); });
s.on("timeout", () => { s.destroy(); done("timeout"); });
s.on("error", (e) => done(e.code === "ECONNREFUSED" ? "refused" : "error:" + e.code));`;
    const out = await kube.exec(pod, container, ["node", "-e", code, host, String(port)], 30);
    return JSON.parse(out.trim().split("\n").pop()!) as ProbeResult;
}

export function denied(r: ProbeResult): boolean {
    return r.result !== "connected" && r.seconds <= CONNECT_TIMEOUT_SECONDS + 1;
}

export function describeProbe(from: string, r: ProbeResult): string {
    return `${from} -> ${r.host}:${r.port}: ${r.result} after ${r.seconds} s`;
}

/** The listening loop of probe pods and kernels: accepts on every port, answers "pong", closes. */
function listenerLines(ports: number[]): string[] {
    return [
        "import select, socket",
        "listening = []",
        `for port in ${JSON.stringify(ports)}:`,
        "    s = socket.socket()",
        "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        '    s.bind(("0.0.0.0", port))',
        "    s.listen(16)",
        "    listening.append(s)",
        "def e2e_serve():",
        "    while True:",
        "        ready, _, _ = select.select(listening, [], [])",
        "        for s in ready:",
        "            c, _ = s.accept()",
        "            c.sendall(b'pong\\n')",
        "            c.close()",
    ];
}

/**
 * Python for a kernel: listens on `ports` in a daemon thread (answers "pong"), so that a notebook
 * pod that runs no Spark session still has something on its Spark ports for probes to reach.
 */
export function kernelListener(ports: number[]): string {
    return [...listenerLines(ports), "import threading", "threading.Thread(target=e2e_serve, daemon=True).start()"].join("\n");
}

export interface ProbePodOptions {
    /** Namespace of the pod (metadata.namespace). Default: none, the namespace of the kubectl that applies it */
    namespace?: string;
    /** ServiceAccount of the pod. Default: none, the namespace's `default` */
    serviceAccountName?: string;
}

/**
 * A pod of the notebook image that listens on `ports` (answers "pong") and can run probes: no
 * ServiceAccount token, the image's UID and GID, the `restricted` Pod Security Standard's security
 * contexts, no volumes, no init container, only the labels given.
 */
export function probePod(
    name: string,
    image: string,
    labels: Record<string, string>,
    uid: number,
    gid: number,
    ports: number[] = [8080],
    opts: ProbePodOptions = {},
): Record<string, any> {
    const listener = [...listenerLines(ports), "e2e_serve()"].join("\n");
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), labels: { "app.kubernetes.io/name": "ds-platform-e2e-probe", ...labels } },
        spec: {
            restartPolicy: "Never",
            terminationGracePeriodSeconds: 0,
            ...(opts.serviceAccountName ? { serviceAccountName: opts.serviceAccountName } : {}),
            automountServiceAccountToken: false,
            securityContext: { runAsUser: uid, runAsGroup: gid, ...RESTRICTED_POD_SECURITY_CONTEXT },
            containers: [
                {
                    name: "probe",
                    image,
                    command: ["python3", "-u", "-c", listener],
                    ports: ports.map((containerPort) => ({ containerPort })),
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                    securityContext: { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT },
                },
            ],
        },
    };
}

/**
 * A probe pod that the API server admits into a user's executor namespace as an executor: the
 * executor-pod admission policy wants the platform's image by digest (`image` must be the notebook
 * image the stack deploys), the ServiceAccount spark-executor, the executor label, the platform's
 * UID and GID, runAsNonRoot, no privilege, only emptyDir/ConfigMap volumes (it has none), no
 * PriorityClass and no node name; the namespace's Pod Security level is `restricted`. To the
 * NetworkPolicies it is one of that user's executors.
 */
export function executorProbePod(name: string, namespace: string, image: string, uid: number, gid: number, ports: number[]): Record<string, any> {
    return probePod(name, image, { ...SPARK_EXECUTOR_LABELS }, uid, gid, ports, { namespace, serviceAccountName: EXECUTOR_SERVICE_ACCOUNT });
}
