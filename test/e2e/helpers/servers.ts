/**
 * Users and their notebook servers, through the hub's REST API as an admin: users created with
 * POST /hub/api/users/<name>, a token for each (so the notebook's own API is used as its owner),
 * servers started with a chosen profile (KubeSpawner's user_options.profile), activity reported
 * while a suite uses them (the e2e stack culls idle servers after a minute), and their pods.
 */
import { E2eEnv, seconds, waitFor } from "./env";
import { BrowserSession, HubApi, request } from "./hub";
import { Kubectl, PortForward } from "./kube";

export interface StartedServer {
    user: string;
    seconds: number;
    pod: any;
}

export class Servers {
    readonly forward: PortForward;
    private admin?: Promise<HubApi>;
    private readonly tokens = new Map<string, Promise<string>>();
    private readonly running = new Set<string>();
    private heartbeat?: NodeJS.Timeout;

    constructor(
        private readonly env: E2eEnv,
        private readonly kube: Kubectl,
    ) {
        this.forward = new PortForward(env.kubectl, env.namespace, "service/proxy-public", 80);
    }

    /** The admin's API client: login with the admin password, then a token (as the admin's browser does). */
    api(): Promise<HubApi> {
        this.admin ??= (async () => {
            await waitFor("GET /hub/api through service/proxy-public", this.env.hubTimeoutSeconds, async () => {
                const res = await request(this.forward, "/hub/api");
                return res.status === 200 ? true : undefined;
            });
            const browser = new BrowserSession(this.forward);
            const res = await browser.login(this.env.admin, this.env.adminPassword);
            if (res.status !== 302 || !browser.loggedIn) {
                throw new Error(`'${this.env.admin}' could not log in with the admin password: HTTP ${res.status}`);
            }
            return new HubApi(this.forward, await browser.createToken(this.env.admin, "ds-platform e2e (spark tier)", 3 * 3600));
        })();
        return this.admin;
    }

    /** Creates the user unless it exists. */
    async ensureUser(name: string): Promise<void> {
        const hub = await this.api();
        const res = await hub.call("POST", `/users/${encodeURIComponent(name)}`);
        if (res.status !== 201 && res.status !== 409) {
            throw new Error(`POST /hub/api/users/${name}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
    }

    /** A token of `name` itself (created by the admin), for the user's own server API. */
    token(name: string): Promise<string> {
        let t = this.tokens.get(name);
        if (!t) {
            t = (async () => {
                await this.ensureUser(name);
                const hub = await this.api();
                const res = await hub.call("POST", `/users/${encodeURIComponent(name)}/tokens`, { note: "ds-platform e2e (spark tier)", expires_in: 3 * 3600 });
                if (res.status !== 201) {
                    throw new Error(`POST /hub/api/users/${name}/tokens: HTTP ${res.status} ${res.body.slice(0, 300)}`);
                }
                return res.json<{ token: string }>().token;
            })();
            this.tokens.set(name, t);
        }
        return t;
    }

    /** Requests `name`'s default server with `profile`; does not wait. */
    async request(name: string, profile?: string): Promise<void> {
        await this.ensureUser(name);
        const hub = await this.api();
        this.running.add(name);
        this.startHeartbeat();
        const res = await hub.call("POST", `/users/${encodeURIComponent(name)}/server`, profile ? { profile } : undefined);
        if (res.status !== 201 && res.status !== 202) {
            throw new Error(`POST /hub/api/users/${name}/server (profile ${profile}): HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
    }

    /** Starts `name`'s server with `profile` and waits until the hub reports it ready. */
    async start(name: string, profile: string | undefined, timeoutSeconds = this.env.spawnTimeoutSeconds): Promise<StartedServer> {
        const hub = await this.api();
        const t0 = Date.now();
        await this.request(name, profile);
        await waitFor(
            `${name}'s server (profile ${profile}) to be ready`,
            timeoutSeconds,
            async () => {
                const s = await hub.server(name);
                if (s === undefined) {
                    throw new Error(`the hub has no server for ${name}: the spawn failed (see the hub's log)`);
                }
                return s.ready === true ? s : undefined;
            },
            1000,
        );
        const elapsed = seconds(t0);
        const pod = await this.pod(name);
        if (!pod) {
            throw new Error(`${name}'s server is ready but no pod of it was found`);
        }
        return { user: name, seconds: elapsed, pod };
    }

    /** The notebook pod of `name` (KubeSpawner annotates it with the user's name), or undefined. */
    async pod(name: string): Promise<any | undefined> {
        const pods = await this.kube.json<{ items: any[] }>(["get", "pods", "--selector", "component=singleuser-server"]);
        return pods.items.find((p) => p.metadata.annotations?.["hub.jupyter.org/username"] === name && !p.metadata.deletionTimestamp);
    }

    /** Stops `name`'s server; waits (bounded) until the hub reports none and its pod is gone. */
    async stop(name: string, timeoutSeconds = 120): Promise<number> {
        const hub = await this.api();
        const t0 = Date.now();
        const pod = await this.pod(name);
        await hub.stopServer(name);
        await waitFor(`${name}'s server to stop`, timeoutSeconds, async () => ((await hub.server(name)) === undefined ? true : undefined));
        if (pod) {
            await waitFor(`pod ${pod.metadata.name} to be deleted`, timeoutSeconds, async () =>
                (await this.kube.get("pod", pod.metadata.name)) === undefined ? true : undefined,
            );
        }
        this.running.delete(name);
        return seconds(t0);
    }

    /** Reports activity for every running server every 10 s, so the stack's culler leaves them alone. */
    private startHeartbeat(): void {
        if (this.heartbeat) {
            return;
        }
        this.heartbeat = setInterval(() => {
            void this.api().then((hub) => Promise.all([...this.running].map((n) => hub.reportActivity(n).catch(() => undefined))));
        }, 10_000);
    }

    /** Stops every server this object started (whatever happened) and the port-forward. */
    async close(): Promise<void> {
        if (this.heartbeat) {
            clearInterval(this.heartbeat);
        }
        try {
            if (this.admin && this.running.size > 0) {
                const hub = await this.admin;
                await Promise.all([...this.running].map((n) => hub.stopServer(n).catch(() => undefined)));
            }
        } finally {
            this.forward.close();
        }
    }
}
