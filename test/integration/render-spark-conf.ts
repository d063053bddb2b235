/**
 * Renders a stack under Pulumi mocks and writes its Spark ConfigMap as files, exactly as a notebook
 * pod sees them at SPARK_CONF_DIR, so `.ci/spark-test.sh` can run a real client-mode driver on them.
 *
 *   ts-node --transpile-only test/integration/render-spark-conf.ts <out-dir> [stack] [overrides-json]
 *
 * overrides-json: stack-config keys laid over the stack's own (e.g. {"spark":{"historyServer":{"enabled":true}}}).
 *
 * Writes into <out-dir>:
 *   conf/<key>        one file per ConfigMap data key (spark-defaults.conf, the executor pod template),
 *                     mode 0644 like a ConfigMap volume's default.
 *   extra-env.json    the JupyterHub values' `singleuser.extraEnv`: the downward-API variables that
 *                     `${env:...}` references in spark-defaults.conf resolve from.
 *   expect.json       what the test asserts against: the stack's image ref, the ConfigMap's name and
 *                     how the hub values mount it, the executor container of the pod template, and
 *                     with event logs on, where notebook pods mount the event-log claim and how the
 *                     history server is started.
 * The stack's secrets are the placeholders the unit tests use (TEST_SECRETS).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { EXECUTOR_TEMPLATE_FILE, SPARK_CONF_DIR, SPARK_DEFAULTS_FILE } from "../../components/spark/sparkConf";
import { unwrapSecrets, valueOf } from "../helpers/mocks";
import { renderStack, TEST_SECRETS } from "../helpers/render";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const RELEASE = "kubernetes:helm.sh/v3:Release";

async function main(): Promise<void> {
    const [outDir, stack = "dev", overridesJson] = process.argv.slice(2);
    if (!outDir) {
        throw new Error("usage: render-spark-conf.ts <out-dir> [stack] [overrides-json]");
    }
    const overrides = overridesJson ? (JSON.parse(overridesJson) as Record<string, unknown>) : undefined;
    const rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] ?? {}, overrides });

    const maps = rendered.resources
        .filter((r) => r.type === CONFIG_MAP)
        .map((r) => unwrapSecrets<Record<string, any>>(r.inputs))
        .filter((m) => typeof m.data?.[SPARK_DEFAULTS_FILE] === "string");
    if (maps.length !== 1) {
        throw new Error(`expected one ConfigMap with ${SPARK_DEFAULTS_FILE} in stack ${stack}, found ${maps.length}`);
    }
    const data = maps[0].data as Record<string, string>;
    const configMapName: string = maps[0].metadata?.name;
    if (typeof data[EXECUTOR_TEMPLATE_FILE] !== "string") {
        throw new Error(`the Spark ConfigMap has no ${EXECUTOR_TEMPLATE_FILE}`);
    }

    const releases = rendered.resources.filter((r) => r.type === RELEASE && /jupyterhub/.test(String(r.inputs.chart)));
    if (releases.length !== 1) {
        throw new Error(`expected one JupyterHub release in stack ${stack}, found ${releases.length}`);
    }
    const singleuser = unwrapSecrets<Record<string, any>>(releases[0].inputs.values)?.singleuser ?? {};
    const storage = singleuser.storage ?? {};
    // The volume that carries the ConfigMap into notebook pods, and where it is mounted.
    const volume = (storage.extraVolumes ?? []).find((v: any) => v.configMap?.name === configMapName);
    const mount = volume ? (storage.extraVolumeMounts ?? []).find((m: any) => m.name === volume.name) : undefined;

    // The event-log claim in notebook pods, and the history server reading it.
    const eventLogVolume = (storage.extraVolumes ?? []).find((v: any) => v.persistentVolumeClaim?.claimName === "spark-event-logs");
    const eventLogMount = eventLogVolume ? (storage.extraVolumeMounts ?? []).find((m: any) => m.name === eventLogVolume.name) : undefined;
    const history = rendered.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.name === "spark-history");
    const historyContainer = history ? unwrapSecrets<Record<string, any>>(history.inputs).spec.template.spec.containers[0] : undefined;

    const template = parse(data[EXECUTOR_TEMPLATE_FILE]);
    const container = template?.spec?.containers?.[0] ?? {};
    const imageRef = await valueOf(rendered.outputs.imageRef);

    fs.mkdirSync(path.join(outDir, "conf"), { recursive: true, mode: 0o755 });
    for (const [key, text] of Object.entries(data)) {
        fs.writeFileSync(path.join(outDir, "conf", key), text, { mode: 0o644 });
    }
    const write = (name: string, value: unknown) => fs.writeFileSync(path.join(outDir, name), JSON.stringify(value, null, 2) + "\n", { mode: 0o644 });
    write("extra-env.json", singleuser.extraEnv ?? {});
    write("expect.json", {
        stack,
        imageRef,
        configMapName,
        confDir: SPARK_CONF_DIR,
        files: Object.keys(data).sort(),
        mount: mount ? { path: mount.mountPath, readOnly: mount.readOnly === true } : null,
        eventLog: eventLogMount ? { mountPath: eventLogMount.mountPath, readOnly: eventLogMount.readOnly === true } : null,
        historyServer: historyContainer
            ? {
                  args: historyContainer.args,
                  env: Object.fromEntries((historyContainer.env ?? []).map((e: any) => [e.name, e.value])),
                  port: historyContainer.ports?.[0]?.containerPort ?? null,
                  mountPath: historyContainer.volumeMounts?.[0]?.mountPath ?? null,
              }
            : null,
        executorContainer: {
            name: container.name ?? null,
            image: container.image ?? null,
            args: container.args ?? null,
            runAsUser: template?.spec?.securityContext?.runAsUser ?? null,
            runAsGroup: template?.spec?.securityContext?.runAsGroup ?? null,
            dropsAllCapabilities: (container.securityContext?.capabilities?.drop ?? []).includes("ALL"),
            allowPrivilegeEscalation: container.securityContext?.allowPrivilegeEscalation ?? null,
            limits: container.resources?.limits ?? null,
        },
    });
    console.log(`rendered ${stack}: ConfigMap ${configMapName} (${Object.keys(data).join(", ")}) -> ${outDir}`);
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
