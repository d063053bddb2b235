/**
 * Connection probes for the NetworkPolicy checks. Every probe is one TCP connect with a bound
 * (3 s), to an address on this cluster's pod or service network; its outcome is "connected",
 * "refused", "timeout" or "error:<errno>". A denied connection is any outcome but "connected"
 * within the bound. Probes run where the policy under test applies: in a notebook's kernel, in
 * Spark tasks on executors, or (kubectl exec) in the hub, the proxy and probe pods.
 */
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

/**
 * A pod of the notebook image in the suite's namespace that listens on `ports` (answers "pong") and
 * can run probes: no ServiceAccount token, the image's non-root user, only the labels given.
 */
export function probePod(name: string, image: string, labels: Record<string, string>, uid: number, gid: number, ports: number[] = [8080]): Record<string, any> {
    const listener = [
        "import select, socket",
        "listening = []",
        `for port in ${JSON.stringify(ports)}:`,
        "    s = socket.socket()",
        "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        '    s.bind(("0.0.0.0", port))',
        "    s.listen(16)",
        "    listening.append(s)",
        "while True:",
        "    ready, _, _ = select.select(listening, [], [])",
        "    for s in ready:",
        "        c, _ = s.accept()",
        "        c.sendall(b'pong\\n')",
        "        c.close()",
    ].join("\n");
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: { "app.kubernetes.io/name": "ds-platform-e2e-probe", ...labels } },
        spec: {
            restartPolicy: "Never",
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            securityContext: { runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "probe",
                    image,
                    command: ["python3", "-u", "-c", listener],
                    ports: ports.map((containerPort) => ({ containerPort })),
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
            ],
        },
    };
}
