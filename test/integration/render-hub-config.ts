/**
 * Renders a stack under Pulumi mocks and writes what its JupyterHub release hands the chart as
 * traitlets config, so `.ci/hub-test.sh` can run a real JupyterHub on exactly those settings.
 *
 *   ts-node --transpile-only test/integration/render-hub-config.ts <out-dir> [stack]
 *
 * Writes into <out-dir>:
 *   jupyterhub_config.json  `values.hub.config` as JupyterHub loads a JSON config file: one object per
 *                           class, keyed by trait (the chart applies the same mapping as `c.<Class>.<trait>`).
 *   values.json             the release's whole values, for checks of chart-side settings (culling).
 *   expect.json             what the test asserts against: the login password, the admins and the
 *                           cookie secret as rendered.
 * The stack's secrets are the placeholders the unit tests use (TEST_SECRETS).
 */
import * as fs from "fs";
import * as path from "path";
import { unwrapSecrets } from "../helpers/mocks";
import { renderStack, TEST_SECRETS } from "../helpers/render";

const RELEASE = "kubernetes:helm.sh/v3:Release";

async function main(): Promise<void> {
    const [outDir, stack = "dev"] = process.argv.slice(2);
    if (!outDir) {
        throw new Error("usage: render-hub-config.ts <out-dir> [stack]");
    }
    const rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] ?? {} });
    const releases = rendered.resources.filter((r) => r.type === RELEASE && /jupyterhub/.test(String(r.inputs.chart)));
    if (releases.length !== 1) {
        throw new Error(`expected one JupyterHub release in stack ${stack}, found ${releases.length}`);
    }
    const values = unwrapSecrets<Record<string, any>>(releases[0].inputs.values);
    const config = values?.hub?.config;
    if (config === null || typeof config !== "object") {
        throw new Error("the JupyterHub release has no hub.config values");
    }
    const cookieSecret = config.JupyterHub?.cookie_secret;
    if (typeof cookieSecret !== "string" || !/^[0-9a-f]{64}$/.test(cookieSecret)) {
        throw new Error("hub.config.JupyterHub.cookie_secret is missing or not 32 bytes of hex");
    }

    fs.mkdirSync(outDir, { recursive: true });
    // The files hold secrets (cookie secret, password): readable by their owner and the hub container only.
    const write = (name: string, data: unknown) => fs.writeFileSync(path.join(outDir, name), JSON.stringify(data, null, 2) + "\n", { mode: 0o600 });
    write("jupyterhub_config.json", config);
    write("values.json", values);
    write("expect.json", {
        stack,
        chart: releases[0].inputs.chart,
        chartVersion: releases[0].inputs.version,
        password: TEST_SECRETS[stack]?.hubPassword ?? null,
        adminPassword: TEST_SECRETS[stack]?.hubAdminPassword ?? null,
        admins: config.Authenticator?.admin_users ?? [],
        cookieSecret,
    });
    console.log(`rendered ${stack}: ${Object.keys(config).join(", ")} -> ${outDir}`);
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
