/**
 * End to end: a deployed ds-platform stack on a real cluster, reached the way a user reaches it
 * (`kubectl port-forward` of the proxy Service), checked through the hub's login form, its REST API
 * and the pods KubeSpawner creates. Takes any kubeconfig and the stack's facts from the environment
 * (test/e2e/README.md). Tests run in order and build on each other; every wait is bounded.
 */
import { e2eEnv, figure, seconds, waitFor } from "./helpers/env";
import { BrowserSession, HubApi, request } from "./helpers/hub";
import { Kubectl, PortForward } from "./helpers/kube";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const forward = new PortForward(env.kubectl, env.namespace, "service/proxy-public", 80);
/** JupyterHub version of the z2jh 4.4.0 hub. */
const HUB_VERSION_PREFIX = "5.5.";
const HOME = "/home/jovyan";
const MARKER = `${HOME}/.ds-platform-e2e-marker`;
/** KubeSpawner 7 names the notebook container so. */
const CONTAINER = "notebook";
const STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

/** Servers this run started, stopped again at the end whatever happened. */
const started = new Set<string>();

// ---------------------------------------------------------------------------------------------
// Shared, lazily created state: a focused run (`-t "notebook server"`) still gets the hub and token.
// ---------------------------------------------------------------------------------------------

let hubReady: Promise<{ version: string; seconds: number }> | undefined;
function waitForHub(): Promise<{ version: string; seconds: number }> {
    hubReady ??= (async () => {
        const t0 = Date.now();
        const version = await waitFor(`GET /hub/api through service/proxy-public`, env.hubTimeoutSeconds, async () => {
            const res = await request(forward, "/hub/api");
            return res.status === 200 ? res.json<{ version: string }>().version : undefined;
        });
        return { version, seconds: seconds(t0) };
    })();
    return hubReady;
}

let adminApi: Promise<HubApi> | undefined;
function api(): Promise<HubApi> {
    adminApi ??= (async () => {
        await waitForHub();
        const browser = new BrowserSession(forward);
        const res = await browser.login(env.admin, env.adminPassword);
        if (res.status !== 302 || !browser.loggedIn) {
            throw new Error(`'${env.admin}' could not log in with the admin password: HTTP ${res.status}`);
        }
        return new HubApi(forward, await browser.createToken(env.admin, "ds-platform e2e", 3600));
    })();
    return adminApi;
}

interface Started {
    seconds: number;
    pod: any;
}

/** Starts `name`'s default server through the API and waits until the hub reports it ready. */
async function startServer(name: string): Promise<Started> {
    const hub = await api();
    const t0 = Date.now();
    started.add(name);
    await hub.startServer(name);
    const server = await waitFor(`${name}'s server to be ready`, env.spawnTimeoutSeconds, async () => {
        const s = await hub.server(name);
        if (s === undefined) {
            throw new Error(`the hub has no server for ${name}: the spawn failed (see the hub's log)`);
        }
        return s.ready === true ? s : undefined;
    }, 2000);
    const elapsed = seconds(t0);
    const podName: string | undefined = server.state?.pod_name;
    if (!podName) {
        throw new Error(`the hub's server model names no pod: ${JSON.stringify(server)}`);
    }
    return { seconds: elapsed, pod: await kube.json(["get", "pod", podName]) };
}

/** Stops `name`'s default server and waits until the hub reports none and its pod is gone. */
async function stopServer(name: string, podName: string): Promise<number> {
    const hub = await api();
    const t0 = Date.now();
    await hub.stopServer(name);
    await waitFor(`${name}'s server to stop`, 120, async () => ((await hub.server(name)) === undefined ? true : undefined));
    await waitFor(`pod ${podName} to be deleted`, 120, async () => ((await kube.get("pod", podName)) === undefined ? true : undefined));
    started.delete(name);
    return seconds(t0);
}

afterAll(async () => {
    try {
        if (adminApi && started.size > 0) {
            const hub = await adminApi;
            await Promise.all([...started].map((name) => hub.stopServer(name).catch(() => undefined)));
        }
    } finally {
        forward.close();
    }
}, 60_000);

// ---------------------------------------------------------------------------------------------

describe("hub", () => {
    test("answers through the proxy Service (proxy-public, port-forwarded to 127.0.0.1)", async () => {
        const { version, seconds: waited } = await waitForHub();
        figure("hub_answer_seconds", waited);
        expect(version.startsWith(HUB_VERSION_PREFIX)).toBe(true);
        const login = await request(forward, "/hub/login");
        expect(login.status).toBe(200);
        expect(login.body).toContain('name="password"');
    });
});

describe("login", () => {
    test("a user logs in with the stack's password", async () => {
        await waitForHub();
        const browser = new BrowserSession(forward);
        const res = await browser.login(env.user, env.userPassword);
        expect(res.status).toBe(302);
        expect(browser.loggedIn).toBe(true);
        const home = await browser.navigate("/hub/home");
        expect(home.status).toBe(200);
        expect(home.body).toContain(env.user);
        // Not an admin: the admin panel is refused.
        expect((await browser.navigate("/hub/admin")).status).toBe(403);
    });

    test("the admin logs in with the admin password and opens the admin panel", async () => {
        await waitForHub();
        const browser = new BrowserSession(forward);
        const res = await browser.login(env.admin, env.adminPassword);
        expect(res.status).toBe(302);
        expect(browser.loggedIn).toBe(true);
        expect((await browser.navigate("/hub/admin")).status).toBe(200);
    });

    test("a wrong password is refused", async () => {
        await waitForHub();
        const browser = new BrowserSession(forward);
        const res = await browser.login(env.user, `not-${env.userPassword}`);
        expect(res.status).toBe(403);
        expect(res.body).toContain("Invalid username or password");
        expect(browser.loggedIn).toBe(false);
    });

    test("an admin's name with the users' password is refused", async () => {
        await waitForHub();
        const browser = new BrowserSession(forward);
        const res = await browser.login(env.admin, env.userPassword);
        expect(res.status).toBe(403);
        expect(browser.loggedIn).toBe(false);
    });

    test("the admin gets an API token; the API knows who is admin", async () => {
        const hub = await api();
        expect((await hub.user(env.admin)).admin).toBe(true);
        expect((await hub.user(env.user)).admin).toBe(false);
    });
});

describe("notebook server", () => {
    let podName = "";
    let heartbeat: NodeJS.Timeout | undefined;

    beforeAll(async () => {
        const hub = await api();
        // Culling is short in the e2e stack: report activity as a busy user's server would, so the
        // culler leaves this server alone while it is checked.
        heartbeat = setInterval(() => void hub.reportActivity(env.admin).catch(() => undefined), 10_000);
    });
    afterAll(() => clearInterval(heartbeat));

    test("starts through the hub's REST API", async () => {
        const { seconds: spawn, pod } = await startServer(env.admin);
        podName = pod.metadata.name;
        figure("spawn_seconds", spawn);
        expect(pod.status.phase).toBe("Running");
    });

    test("its pod runs the notebook image by digest", async () => {
        const pod = await kube.json(["get", "pod", podName]);
        const container = pod.spec.containers.find((c: any) => c.name === CONTAINER);
        expect(container?.image).toBe(env.image);
        const status = pod.status.containerStatuses.find((c: any) => c.name === CONTAINER);
        const digest = env.image.slice(env.image.indexOf("@") + 1);
        // The runtime reports the digest it pulled: <repository>@sha256:<hex> (containerd) or a bare digest.
        expect(status?.imageID.endsWith(digest)).toBe(true);
        console.log(`pod ${podName}: image ${container.image}, imageID ${status.imageID}`);
    });

    test("it runs as the configured UID and GID", async () => {
        const pod = await kube.json(["get", "pod", podName]);
        const container = pod.spec.containers.find((c: any) => c.name === CONTAINER);
        expect(container.securityContext?.runAsUser).toBe(env.uid);
        expect(pod.spec.securityContext?.fsGroup).toBe(env.gid);
        const [uid, gid, groups] = (await kube.exec(podName, CONTAINER, ["sh", "-c", "id -u; id -g; id -G"])).trim().split("\n");
        expect(Number(uid)).toBe(env.uid);
        expect(Number(gid)).toBe(env.gid);
        expect(groups.split(" ").map(Number)).toContain(env.gid);
    });

    test("its home volume is mounted and writable", async () => {
        const pod = await kube.json(["get", "pod", podName]);
        const container = pod.spec.containers.find((c: any) => c.name === CONTAINER);
        const mount = container.volumeMounts.find((m: any) => m.mountPath === HOME);
        const volume = pod.spec.volumes.find((v: any) => v.name === mount?.name);
        expect(volume?.persistentVolumeClaim?.claimName).toBeTruthy();
        const mounts = await kube.exec(podName, CONTAINER, ["cat", "/proc/mounts"]);
        expect(mounts.split("\n").some((line) => line.split(" ")[1] === HOME)).toBe(true);
        const stamp = `written by ${podName} at ${new Date().toISOString()}`;
        const out = await kube.exec(podName, CONTAINER, ["sh", "-c", `printf '%s\\n' "$1" > ${MARKER} && cat ${MARKER}`, "sh", stamp]);
        expect(out.trim()).toBe(stamp);
    });

    test("answers through the proxy with the token", async () => {
        const hub = await api();
        const root = await hub.call("GET", `/user/${env.admin}/api`);
        expect(root.status).toBe(200);
        expect(typeof root.json().version).toBe("string");
        const status = await hub.call("GET", `/user/${env.admin}/api/status`);
        expect(status.status).toBe(200);
        expect(typeof status.json().started).toBe("string");
        const anonymous = await request(forward, `/user/${env.admin}/api/status`);
        expect([401, 403]).toContain(anonymous.status);
    });

    test("its home claim names its StorageClass only in spec.storageClassName", async () => {
        const pod = await kube.json(["get", "pod", podName]);
        const mount = pod.spec.containers.find((c: any) => c.name === CONTAINER).volumeMounts.find((m: any) => m.mountPath === HOME);
        const claimName = pod.spec.volumes.find((v: any) => v.name === mount.name).persistentVolumeClaim.claimName;
        const claim = await kube.json(["get", "persistentvolumeclaim", claimName]);
        console.log(`claim ${claimName}: storageClassName ${claim.spec.storageClassName}, annotations ${JSON.stringify(claim.metadata.annotations ?? {})}`);
        expect(claim.spec.storageClassName).toBeTruthy();
        if (env.storageClass) {
            expect(claim.spec.storageClassName).toBe(env.storageClass);
        }
        expect(Object.keys(claim.metadata.annotations ?? {})).not.toContain(STORAGE_CLASS_ANNOTATION);
        expect(claim.status.phase).toBe("Bound");
    });

    test("a file in the home survives a server restart", async () => {
        const before = (await kube.exec(podName, CONTAINER, ["cat", MARKER])).trim();
        const stopSeconds = await stopServer(env.admin, podName);
        figure("stop_seconds", stopSeconds);
        const { seconds: spawn, pod } = await startServer(env.admin);
        figure("restart_spawn_seconds", spawn);
        podName = pod.metadata.name;
        expect((await kube.exec(podName, CONTAINER, ["cat", MARKER])).trim()).toBe(before);
    });

    test("stopping the server removes its pod", async () => {
        expect(await kube.get("pod", podName)).toBeDefined();
        const stopSeconds = await stopServer(env.admin, podName);
        figure("stop_seconds", stopSeconds);
        expect(await kube.get("pod", podName)).toBeUndefined();
    });
});

describe("idle culling", () => {
    test("stops an idle server within the culling timeout", async () => {
        const hub = await api();
        const { pod } = await startServer(env.user);
        const readyAt = Date.now();
        // The culler stops a server idle for timeoutSeconds at its next run (every everySeconds), then
        // KubeSpawner deletes the pod.
        const bound = env.cullTimeoutSeconds + 2 * env.cullEverySeconds + 90;
        await waitFor(`the culler to stop ${env.user}'s idle server`, bound, async () => ((await hub.server(env.user)) === undefined ? true : undefined), 2000);
        const culledAfter = seconds(readyAt);
        figure("cull_seconds", culledAfter);
        started.delete(env.user);
        await waitFor(`pod ${pod.metadata.name} to be deleted`, 120, async () => ((await kube.get("pod", pod.metadata.name)) === undefined ? true : undefined));
        // A culled server is stopped, not deleted with its user: the user is still there.
        expect((await hub.user(env.user)).name).toBe(env.user);
    });
});
