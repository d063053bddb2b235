/**
 * A browser session and an API client for JupyterHub 5.5 behind its proxy: the login form with its
 * _xsrf token, session cookies, and the REST API with a token.
 */
import * as http from "http";
import { PortForward } from "./kube";

export interface HttpResponse {
    status: number;
    /** Response headers, lower-case names; set-cookie is a list. */
    headers: http.IncomingHttpHeaders;
    body: string;
    json<T = any>(): T;
}

export interface RequestOptions {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * One HTTP request with exactly the given headers: Node's http, not fetch, because fetch replaces
 * Sec-Fetch-Mode, which the hub reads to tell page views (that get an _xsrf cookie) from API calls.
 * Redirects are not followed.
 */
function send(url: string, options: RequestOptions): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, timeout: REQUEST_TIMEOUT_MS }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                resolve({
                    status: res.statusCode ?? 0,
                    headers: res.headers,
                    body,
                    json<T>() {
                        return JSON.parse(body) as T;
                    },
                });
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
        req.on("error", reject);
        req.end(options.body);
    });
}

/** One HTTP request through the forward; a failed connection (the forward died) is retried once on a new forward. */
export async function request(forward: PortForward, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
        const base = await forward.url();
        try {
            return await send(base + path, options);
        } catch (e) {
            if (attempt >= 1) {
                throw new Error(`${options.method ?? "GET"} ${path}: ${(e as Error).message}`);
            }
            forward.reset();
        }
    }
}

/** A browser: one cookie jar, a fixed User-Agent (the hub binds anonymous _xsrf tokens to it). */
export class BrowserSession {
    readonly cookies = new Map<string, string>();

    constructor(
        private readonly forward: PortForward,
        private readonly userAgent = "ds-platform-e2e",
    ) {}

    private headers(extra: Record<string, string> = {}): Record<string, string> {
        const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
        return { "User-Agent": this.userAgent, ...(cookie ? { Cookie: cookie } : {}), ...extra };
    }

    private keep(res: HttpResponse): HttpResponse {
        for (const line of res.headers["set-cookie"] ?? []) {
            const [pair] = line.split(";");
            const eq = pair.indexOf("=");
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '""' || value === "") {
                this.cookies.delete(name);
            } else {
                this.cookies.set(name, value);
            }
        }
        return res;
    }

    /** A page visit, as a browser navigates (the hub sets _xsrf cookies only on those). */
    async navigate(path: string): Promise<HttpResponse> {
        return this.keep(
            await request(this.forward, path, { headers: this.headers({ "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin" }) }),
        );
    }

    /** Submits the login form; resolves the POST's response (302 on success, 403 when refused). */
    async login(username: string, password: string): Promise<HttpResponse> {
        const form = await this.navigate("/hub/login");
        const xsrf = /name="_xsrf" value="([^"]*)"/.exec(form.body)?.[1];
        if (form.status !== 200 || xsrf === undefined) {
            throw new Error(`GET /hub/login: HTTP ${form.status}, _xsrf field ${xsrf === undefined ? "missing" : "present"}`);
        }
        const base = await this.forward.url();
        return this.keep(
            await request(this.forward, "/hub/login?next=%2Fhub%2Fhome", {
                method: "POST",
                headers: this.headers({
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Sec-Fetch-Mode": "navigate",
                    "Sec-Fetch-Site": "same-origin",
                    Origin: base,
                }),
                body: new URLSearchParams({ username, password, _xsrf: xsrf }).toString(),
            }),
        );
    }

    get loggedIn(): boolean {
        return this.cookies.has("jupyterhub-hub-login") && this.cookies.has("jupyterhub-session-id");
    }

    /**
     * Creates an API token for `username` as the browser's frontend does: a page view renews the _xsrf
     * cookie (its id includes the session, so the one from before login is stale), then the API call
     * carries it as X-XSRFToken beside the session cookies.
     */
    async createToken(username: string, note: string, expiresInSeconds: number): Promise<string> {
        const page = await this.navigate("/hub/token");
        if (page.status !== 200) {
            throw new Error(`GET /hub/token: HTTP ${page.status}`);
        }
        const xsrf = this.cookies.get("_xsrf");
        if (!xsrf) {
            throw new Error("the hub set no _xsrf cookie on /hub/token");
        }
        const res = await request(this.forward, `/hub/api/users/${encodeURIComponent(username)}/tokens`, {
            method: "POST",
            headers: this.headers({ "Content-Type": "application/json", "X-XSRFToken": xsrf, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin" }),
            body: JSON.stringify({ note, expires_in: expiresInSeconds }),
        });
        if (res.status !== 201) {
            throw new Error(`POST /hub/api/users/${username}/tokens: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
        return res.json<{ token: string }>().token;
    }
}

/** The hub's REST API with a token. */
export class HubApi {
    constructor(
        private readonly forward: PortForward,
        private readonly token: string,
    ) {}

    call(method: string, path: string, body?: unknown): Promise<HttpResponse> {
        return request(this.forward, path.startsWith("/user/") ? path : `/hub/api${path}`, {
            method,
            headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    }

    async user(name: string): Promise<any> {
        const res = await this.call("GET", `/users/${encodeURIComponent(name)}`);
        if (res.status !== 200) {
            throw new Error(`GET /hub/api/users/${name}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
        return res.json();
    }

    /** The default server's model, or undefined when it is not running or pending. */
    async server(name: string): Promise<any | undefined> {
        return (await this.user(name)).servers?.[""];
    }

    /** Requests the default server; resolves the HTTP status (201 started, 202 pending). */
    async startServer(name: string): Promise<number> {
        const res = await this.call("POST", `/users/${encodeURIComponent(name)}/server`);
        if (res.status !== 201 && res.status !== 202) {
            throw new Error(`POST /hub/api/users/${name}/server: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
        return res.status;
    }

    async stopServer(name: string): Promise<number> {
        const res = await this.call("DELETE", `/users/${encodeURIComponent(name)}/server`);
        if (res.status !== 202 && res.status !== 204) {
            throw new Error(`DELETE /hub/api/users/${name}/server: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
        return res.status;
    }

    /** Reports activity on the default server now, as jupyterhub-singleuser does periodically. */
    async reportActivity(name: string): Promise<void> {
        const now = new Date().toISOString();
        const res = await this.call("POST", `/users/${encodeURIComponent(name)}/activity`, { last_activity: now, servers: { "": { last_activity: now } } });
        if (res.status !== 200) {
            throw new Error(`POST /hub/api/users/${name}/activity: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        }
    }
}
