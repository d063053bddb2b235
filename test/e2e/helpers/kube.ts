/**
 * The cluster through kubectl (so any kubeconfig works: KUBECONFIG, kind, a cloud context) and a
 * port-forward to the hub's proxy Service on 127.0.0.1.
 */
import { ChildProcess, execFile, spawn } from "child_process";

export class Kubectl {
    constructor(
        private readonly bin: string,
        private readonly namespace: string,
    ) {}

    /** Runs kubectl in the namespace; resolves stdout, rejects with stderr. Bounded by `timeoutSeconds`. */
    run(args: string[], timeoutSeconds = 60): Promise<string> {
        return new Promise((resolve, reject) => {
            execFile(
                this.bin,
                ["--namespace", this.namespace, ...args],
                { timeout: timeoutSeconds * 1000, maxBuffer: 64 * 1024 * 1024 },
                (error, stdout, stderr) => {
                    if (error) {
                        reject(new Error(`kubectl ${args.join(" ")}: ${(stderr || error.message).trim()}`));
                    } else {
                        resolve(stdout);
                    }
                },
            );
        });
    }

    async json<T = any>(args: string[], timeoutSeconds = 60): Promise<T> {
        return JSON.parse(await this.run([...args, "--output", "json"], timeoutSeconds)) as T;
    }

    /** The object, or undefined when it does not exist. */
    async get<T = any>(kind: string, name: string): Promise<T | undefined> {
        const out = await this.run(["get", kind, name, "--ignore-not-found", "--output", "json"]);
        return out.trim() === "" ? undefined : (JSON.parse(out) as T);
    }

    /** Runs a command in a pod's container and returns its stdout. */
    exec(pod: string, container: string, command: string[], timeoutSeconds = 60): Promise<string> {
        return this.run(["exec", pod, "--container", container, "--", ...command], timeoutSeconds);
    }
}

/**
 * `kubectl port-forward` of a Service to a free port on 127.0.0.1. kubectl forwards to one pod and
 * exits when that connection breaks (the pod restarted); `url()` starts a new forward then.
 */
export class PortForward {
    private child?: ChildProcess;
    private current?: Promise<string>;

    constructor(
        private readonly bin: string,
        private readonly namespace: string,
        private readonly target: string,
        private readonly remotePort: number,
    ) {}

    /** http://127.0.0.1:<port> of a live forward. */
    url(): Promise<string> {
        if (!this.current || !this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
            this.current = this.start();
        }
        return this.current;
    }

    /** Drops the forward, so the next `url()` starts a new one (after a pod restart). */
    reset(): void {
        this.close();
    }

    close(): void {
        this.child?.kill("SIGTERM");
        this.child = undefined;
        this.current = undefined;
    }

    private start(): Promise<string> {
        this.close();
        const child = spawn(this.bin, ["--namespace", this.namespace, "port-forward", "--address", "127.0.0.1", this.target, `:${this.remotePort}`], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child = child;
        return new Promise((resolve, reject) => {
            let output = "";
            const timer = setTimeout(() => {
                child.kill("SIGTERM");
                reject(new Error(`kubectl port-forward ${this.target}: no forwarding address within 30 s: ${output.trim()}`));
            }, 30_000);
            const onData = (chunk: Buffer) => {
                output += chunk.toString();
                const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
                if (m) {
                    clearTimeout(timer);
                    resolve(`http://127.0.0.1:${m[1]}`);
                }
            };
            child.stdout!.on("data", onData);
            child.stderr!.on("data", onData);
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`kubectl port-forward ${this.target} exited (${code}): ${output.trim()}`));
            });
        });
    }
}
