/**
 * A user's home survives the upgrade: E2E_HOME_PHASE=write starts the user's server on the platform
 * of the last release, writes a file in the home and stops the server; E2E_HOME_PHASE=read (after the
 * checked-out program's `pulumi up`) starts it again, as that release's users do, and finds the file.
 * The server runs as the user's own ServiceAccount after the upgrade.
 */
import { e2eEnv } from "./helpers/env";
import { Kubectl } from "./helpers/kube";
import { Servers } from "./helpers/servers";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const USER = process.env.E2E_HOME_USER || "e2e-home";
const PHASE = process.env.E2E_HOME_PHASE;
const FILE = "/home/jovyan/e2e-upgrade-home.txt";
const CONTENT = `written before the upgrade by ${USER}`;
const suite = PHASE === "write" || PHASE === "read" ? describe : describe.skip;

afterAll(async () => {
    await servers.close();
}, 120_000);

suite(`a user's home across the upgrade (${PHASE})`, () => {
    test(PHASE === "write" ? "a file written in the home, the server stopped" : "the file is there after the upgrade", async () => {
        await servers.ensureUser(USER);
        const started = await servers.start(USER, undefined);
        const pod = started.pod.metadata.name;
        if (PHASE === "write") {
            await kube.exec(pod, "notebook", ["sh", "-c", `printf '%s' '${CONTENT}' > ${FILE} && sync`]);
        } else {
            expect(started.pod.spec.serviceAccountName).toBe(`notebook-${USER}`);
            expect(await kube.exec(pod, "notebook", ["cat", FILE])).toBe(CONTENT);
        }
        await servers.stop(USER);
    });
});
