/**
 * A Jupyter kernel of a running notebook server, driven the way JupyterLab drives it: the server's
 * REST API creates the kernel (POST /user/<name>/api/kernels), code goes to it as execute_request
 * messages over the kernel's websocket (/api/kernels/<id>/channels), and its output comes back as
 * iopub messages (stream, execute_result, error). Everything passes through the hub's proxy, with
 * a token of the server's owner.
 */
import { randomUUID } from "crypto";
import WebSocket from "ws";
import { request } from "./hub";
import { PortForward } from "./kube";

export interface Execution {
    /** What the code printed to stdout and stderr (Spark's log lines arrive on stderr). */
    stdout: string;
    stderr: string;
    /** text/plain of the execute_result, if any. */
    result?: string;
    /** The exception, if the code raised one. */
    error?: { ename: string; evalue: string; traceback: string };
    seconds: number;
}

interface Message {
    header: { msg_id: string; msg_type: string };
    parent_header: { msg_id?: string };
    content: any;
    channel: string;
}

interface Pending {
    execution: Execution;
    replied: boolean;
    idle: boolean;
    resolve: (e: Execution) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
    started: number;
}

/** The marker a snippet prints before the JSON it returns (see `json`). */
export const RESULT_MARKER = "E2E-RESULT ";

export class Kernel {
    private readonly pending = new Map<string, Pending>();
    private readonly session = randomUUID();
    private closed = false;

    private constructor(
        private readonly forward: PortForward,
        private readonly user: string,
        private readonly token: string,
        readonly id: string,
        private readonly socket: WebSocket,
    ) {
        socket.on("message", (data) => this.onMessage(data.toString()));
        socket.on("close", () => this.failAll(new Error(`the websocket of kernel ${id} closed`)));
        socket.on("error", (e) => this.failAll(new Error(`the websocket of kernel ${id} failed: ${e.message}`)));
    }

    /** Starts a kernel in `user`'s running server and connects to its channels. Bounded by `timeoutSeconds`. */
    static async start(forward: PortForward, user: string, token: string, timeoutSeconds = 120): Promise<Kernel> {
        const base = `/user/${encodeURIComponent(user)}/api/kernels`;
        const res = await request(forward, base, {
            method: "POST",
            headers: { Authorization: `token ${token}`, "Content-Type": "application/json" },
            body: JSON.stringify({ name: "python3" }),
        });
        if (res.status !== 201) {
            throw new Error(`POST ${base}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
        const id = res.json<{ id: string }>().id;
        const url = (await forward.url()).replace(/^http:/, "ws:") + `${base}/${id}/channels`;
        const socket = await new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(url, { headers: { Authorization: `token ${token}` }, handshakeTimeout: 30_000 });
            ws.once("open", () => resolve(ws));
            ws.once("error", (e) => reject(new Error(`websocket ${base}/${id}/channels: ${e.message}`)));
            ws.once("unexpected-response", (_req, r) => reject(new Error(`websocket ${base}/${id}/channels: HTTP ${r.statusCode}`)));
        });
        const kernel = new Kernel(forward, user, token, id, socket);
        // The kernel answers once it runs: the first execution waits for it.
        await kernel.execute("pass", timeoutSeconds);
        return kernel;
    }

    private send(msgType: string, content: unknown): string {
        const msgId = randomUUID();
        const message = {
            header: { msg_id: msgId, msg_type: msgType, username: this.user, session: this.session, date: new Date().toISOString(), version: "5.3" },
            parent_header: {},
            metadata: {},
            content,
            channel: "shell",
            buffers: [],
        };
        this.socket.send(JSON.stringify(message));
        return msgId;
    }

    /** Runs `code` as a cell; resolves when the kernel is idle again, rejects after `timeoutSeconds`. */
    execute(code: string, timeoutSeconds: number): Promise<Execution> {
        if (this.closed) {
            return Promise.reject(new Error(`kernel ${this.id} is closed`));
        }
        return new Promise((resolve, reject) => {
            const msgId = this.send("execute_request", { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true });
            const execution: Execution = { stdout: "", stderr: "", seconds: 0 };
            const timer = setTimeout(() => {
                this.pending.delete(msgId);
                reject(new Error(`kernel ${this.id}: no answer within ${timeoutSeconds} s; stdout so far: ${tail(execution.stdout)}; stderr: ${tail(execution.stderr)}`));
            }, timeoutSeconds * 1000);
            this.pending.set(msgId, { execution, replied: false, idle: false, resolve, reject, timer, started: Date.now() });
        });
    }

    /**
     * Runs `code`, which must print RESULT_MARKER + JSON on a line of its own, and returns that JSON.
     * An exception in the code fails with its traceback.
     */
    async json<T = any>(code: string, timeoutSeconds: number): Promise<T> {
        const e = await this.execute(code, timeoutSeconds);
        if (e.error) {
            throw new Error(`the cell raised ${e.error.ename}: ${e.error.evalue}\n${e.error.traceback}\nstderr: ${tail(e.stderr)}`);
        }
        const line = e.stdout.split("\n").reverse().find((l) => l.startsWith(RESULT_MARKER));
        if (line === undefined) {
            throw new Error(`the cell printed no result; stdout: ${tail(e.stdout)}; stderr: ${tail(e.stderr)}`);
        }
        return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
    }

    private onMessage(text: string): void {
        let msg: Message;
        try {
            msg = JSON.parse(text) as Message;
        } catch {
            return;
        }
        const parent = msg.parent_header?.msg_id;
        const p = parent ? this.pending.get(parent) : undefined;
        if (!p || !parent) {
            return;
        }
        const c = msg.content;
        switch (msg.header.msg_type) {
            case "stream":
                if (c.name === "stdout") {
                    p.execution.stdout += c.text;
                } else {
                    p.execution.stderr += c.text;
                }
                break;
            case "execute_result":
                p.execution.result = c.data?.["text/plain"];
                break;
            case "error":
                p.execution.error = { ename: c.ename, evalue: c.evalue, traceback: stripAnsi((c.traceback ?? []).join("\n")) };
                break;
            case "execute_reply":
                p.replied = true;
                break;
            case "status":
                if (c.execution_state === "idle") {
                    p.idle = true;
                }
                break;
        }
        if (p.replied && p.idle) {
            clearTimeout(p.timer);
            this.pending.delete(parent);
            p.execution.seconds = (Date.now() - p.started) / 1000;
            p.resolve(p.execution);
        }
    }

    private failAll(error: Error): void {
        this.closed = true;
        for (const [id, p] of this.pending) {
            clearTimeout(p.timer);
            this.pending.delete(id);
            p.reject(error);
        }
    }

    /** Closes the channels and shuts the kernel down (its Spark driver, if any, dies with it). */
    async shutdown(): Promise<void> {
        this.closed = true;
        this.socket.close();
        const path = `/user/${encodeURIComponent(this.user)}/api/kernels/${this.id}`;
        await request(this.forward, path, { method: "DELETE", headers: { Authorization: `token ${this.token}` } }).catch(() => undefined);
    }
}

function stripAnsi(s: string): string {
    // eslint-disable-next-line no-control-regex
    return s.replace(/\x1b\[[0-9;]*m/g, "");
}

function tail(s: string, n = 1500): string {
    return s.length > n ? `...${s.slice(-n)}` : s;
}
