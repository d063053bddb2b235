/**
 * The JupyterHub component under Pulumi mocks: one Helm release of the z2jh chart with values that
 * pass the chart's schema, generated secrets that stay secret, a protected shared volume that passes
 * the Kubernetes spec, and the hub URL for each exposure.
 */
import * as pulumi from "@pulumi/pulumi";
import { parsePlatformConfig, PlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { gpuPlacement } from "../../components/gpu/gpuNodePool";
import { joinChartImage } from "../../components/hub/hubValues";
import { hubAccess, hubChartReference, JupyterHub, JupyterHubArgs, mergeHubValues } from "../../components/hub/jupyterHub";
import { userIsolationHookConfig } from "../../components/spark/userIsolation";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { fakeDigest, isSecret, plainStrings, RecordedResource, ResourceRecorder, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { validateZ2jhValues } from "../helpers/z2jhSchema";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("hub-cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("hub-gpu")}`;
const HUB_PASSWORD = "hub-password-under-test";
const OAUTH_SECRET = "oauth-client-secret-under-test";

function config(raw: PlatformConfigInput, secrets: { hubPassword?: boolean; oauthClientSecret?: boolean }): PlatformConfig {
    return parsePlatformConfig(raw, secrets);
}

function devArgs(): JupyterHubArgs {
    const c = config({}, { hubPassword: true });
    return {
        namespace: "ds-platform",
        hub: c.hub,
        profiles: c.profiles,
        images: { cpu: pulumi.output(CPU_IMAGE) },
        uid: c.image.uid,
        gid: c.image.gid,
        secrets: { hubPassword: pulumi.secret(HUB_PASSWORD) },
        protect: false,
    };
}

function prodArgs(): JupyterHubArgs {
    const c = config(
        {
            image: { gpu: true },
            gpuPools: [{ name: "t4" }, { name: "a10", gpusPerNode: 4 }],
            hub: {
                chart: { repository: "oci://registry.example.com/charts", version: "4.4.0" },
                auth: { type: "github", admins: ["alice"], github: { clientId: "gh", callbackUrl: "https://hub.example.com/hub/oauth_callback", organizations: ["org"] } },
                exposure: { type: "ingress", host: "hub.example.com" },
                storage: { shared: { enabled: true, capacity: "200Gi", storageClass: "efs" } },
            },
            profiles: [
                { name: "cpu", displayName: "CPU", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "2Gi", limit: "4Gi" } },
                { name: "gpu", displayName: "GPU", cpu: { guarantee: 2, limit: 4 }, memory: { guarantee: "8Gi", limit: "16Gi" }, gpus: 1, image: "gpu", gpuPool: "a10" },
            ],
        },
        { oauthClientSecret: true },
    );
    return {
        namespace: pulumi.output("ds-prod"),
        hub: c.hub,
        profiles: c.profiles,
        images: { cpu: pulumi.output(CPU_IMAGE), gpu: pulumi.output(GPU_IMAGE) },
        gpuPlacements: Object.fromEntries(c.gpuPools.map((p) => [p.name, gpuPlacement(p)])),
        uid: 1000,
        gid: 100,
        secrets: { oauthClientSecret: pulumi.secret(OAUTH_SECRET) },
        spark: {
            userIsolation: userIsolationHookConfig({ hubNamespace: "ds-prod", executorNamespacePrefix: "ds-prod-u", spark: c.spark, gpuResources: ["nvidia.com/gpu"] }),
            configMapName: pulumi.output("spark-conf-1234"),
            confDir: "/etc/spark/conf",
            env: { SPARK_CONF_DIR: "/etc/spark/conf", POD_IP: { valueFrom: { fieldRef: { fieldPath: "status.podIP" } } } },
            podLabels: { "ds-platform.io/spark-driver": "true" },
        },
        imagePullSecretName: pulumi.output("registry-pull"),
        homeStorageClass: "ds-platform-retained",
        protect: true,
    };
}

interface Rendered {
    hub: JupyterHub;
    recorder: ResourceRecorder;
    options: Map<string, pulumi.CustomResourceOptions>;
}

async function render(args: JupyterHubArgs): Promise<Rendered> {
    const recorder = setupMocks();
    const options = new Map<string, pulumi.CustomResourceOptions>();
    const hub = new JupyterHub("hub", args, {
        // Resource options are not visible to mocks; a transformation sees them for every child.
        transformations: [
            (a) => {
                options.set(`${a.type}::${a.name}`, a.opts as pulumi.CustomResourceOptions);
                return undefined;
            },
        ],
    });
    await valueOf(hub.values);
    await settle(recorder);
    return { hub, recorder, options };
}

function release(r: Rendered): RecordedResource {
    return r.recorder.one(RELEASE);
}

describe("hubChartReference", () => {
    it("uses repositoryOpts for an https repository", () => {
        expect(hubChartReference({ repository: "https://hub.jupyter.org/helm-chart/", version: "4.4.0" })).toEqual({
            chart: "jupyterhub",
            version: "4.4.0",
            repositoryOpts: { repo: "https://hub.jupyter.org/helm-chart/" },
        });
    });

    it("names the chart inside an oci:// repository", () => {
        expect(hubChartReference({ repository: "oci://registry.example.com/charts/", version: "4.4.0" })).toEqual({
            chart: "oci://registry.example.com/charts/jupyterhub",
            version: "4.4.0",
        });
    });

    it("uses a local chart path as the chart", () => {
        const ref = hubChartReference({ repository: "./charts/jupyterhub-4.4.0.tgz", version: "4.4.0" });
        expect(ref.chart).toBe("./charts/jupyterhub-4.4.0.tgz");
        expect(ref.repositoryOpts).toBeUndefined();
    });
});

describe("hubAccess", () => {
    const exposure = (e: object) => ({ ...config({}, { hubPassword: true }).hub.exposure, ...e });

    it("port-forward: localhost with the documented command", () => {
        expect(hubAccess(exposure({}), "ds")).toEqual({ url: "http://localhost:8080", hint: "kubectl --namespace ds port-forward service/proxy-public 8080:80" });
    });

    it("ingress and letsencrypt: https on the host; load-balancer: the proxy-public Service", () => {
        expect(hubAccess(exposure({ type: "ingress", host: "hub.example.com" }), "ds").url).toBe("https://hub.example.com");
        expect(hubAccess(exposure({ type: "letsencrypt", host: "hub.example.org" }), "ds").url).toBe("https://hub.example.org");
        const lb = hubAccess(exposure({ type: "load-balancer" }), "ds");
        expect(lb.url).toBe("http://proxy-public.ds");
        expect(lb.hint).toContain("kubectl --namespace ds get service proxy-public");
    });
});

describe.each([
    ["dev-like", devArgs],
    ["prod-like", prodArgs],
])("JupyterHub (%s)", (_label, makeArgs) => {
    let r: Rendered;
    let args: JupyterHubArgs;

    beforeAll(async () => {
        args = makeArgs();
        r = await render(args);
    });

    it("declares one z2jh Helm release with pinned chart, namespace and safe release options", async () => {
        const rel = release(r);
        const expected = hubChartReference(args.hub.chart);
        expect(rel.inputs.chart).toBe(expected.chart);
        expect(rel.inputs.version).toBe("4.4.0");
        expect(rel.inputs.repositoryOpts).toEqual(expected.repositoryOpts);
        expect(rel.inputs.name).toBe("jupyterhub");
        expect(rel.inputs.namespace).toBe(await valueOf(args.namespace));
        expect(rel.inputs.createNamespace).toBe(false);
        expect(rel.inputs.atomic).toBe(true);
        expect(rel.inputs.timeout).toBe(1200);
        expect(r.recorder.ofType("ds-platform:hub:JupyterHub")).toHaveLength(1);
    });

    it("hands the release values that pass the z2jh 4.4.0 schema and profile checks", () => {
        expect(validateZ2jhValues(unwrapSecrets(release(r).inputs.values))).toEqual([]);
    });

    it("generates the cookie secret and proxy token as 32 random bytes, children of the hub", () => {
        const bytes = r.recorder.ofType("random:index/randomBytes:RandomBytes");
        expect(bytes.map((b) => b.name).sort()).toEqual(["hub-cookie-secret", "hub-proxy-token"]);
        for (const b of bytes) {
            expect(b.inputs.length).toBe(32);
            expect(r.options.get(`${b.type}::${b.name}`)?.parent).toBe(r.hub);
        }
        const values = unwrapSecrets(release(r).inputs.values);
        expect(values.hub.config.JupyterHub.cookie_secret).toMatch(/^[a-f0-9]{64}$/);
        expect(values.proxy.secretToken).toMatch(/^[a-f0-9]{64}$/);
        expect(values.hub.config.JupyterHub.cookie_secret).not.toBe(values.proxy.secretToken);
    });

    it("keeps every secret secret: values output, release input, no raw secret in any plain input", async () => {
        expect(await isSecret(r.hub.values)).toBe(true);
        const rel = release(r);
        expect(plainStrings(rel.inputs.values)).toEqual([]);
        const values = unwrapSecrets(rel.inputs.values);
        const raw = [values.hub.config.JupyterHub.cookie_secret, values.proxy.secretToken, HUB_PASSWORD, OAUTH_SECRET];
        const leaks = r.recorder.resources.flatMap((res) =>
            plainStrings(res.inputs)
                .filter((s) => raw.some((secret) => s.value.includes(secret)))
                .map((s) => `${res.type} ${res.name}: ${s.path}`),
        );
        expect(leaks).toEqual([]);
        const authSecret =
            args.hub.auth.type === "shared-password" ? values.hub.config.SharedPasswordAuthenticator.user_password : values.hub.config.GitHubOAuthenticator.client_secret;
        expect(authSecret).toBe(args.hub.auth.type === "shared-password" ? HUB_PASSWORD : OAUTH_SECRET);
    });

    it("runs only the given images, by digest", () => {
        const values = unwrapSecrets(release(r).inputs.values);
        const images = [
            joinChartImage(values.singleuser.image),
            ...values.singleuser.profileList.map((e: any) => e.kubespawner_override.image),
            ...Object.values<any>(values.prePuller.extraImages).map(joinChartImage),
        ];
        const given = [CPU_IMAGE, ...(args.images.gpu ? [GPU_IMAGE] : [])];
        expect(new Set(images)).toEqual(new Set(given));
    });

    it("declares only Kubernetes objects that pass strict validation against the v1.35 spec", () => {
        const objects = r.recorder.resources.filter((res) => kubernetesGvk(res.type));
        const prePuller = args.hub.prePuller.hook || args.hub.prePuller.continuous ? 1 : 0;
        expect(objects.length).toBe((args.hub.storage.shared.enabled ? 1 : 0) + prePuller);
        const problems = objects.flatMap((res) => {
            const gvk = kubernetesGvk(res.type)!;
            return validateKubernetesObject({ ...gvk, ...unwrapSecrets(res.inputs) }).map((e) => `${res.name}: ${e}`);
        });
        expect(problems).toEqual([]);
    });

    it("outputs the URL, namespace and release name", async () => {
        const access = hubAccess(args.hub.exposure, await valueOf(args.namespace));
        expect(await valueOf(r.hub.url)).toBe(access.url);
        expect(await valueOf(r.hub.accessHint)).toBe(access.hint);
        expect(await valueOf(r.hub.namespace)).toBe(await valueOf(args.namespace));
        expect(await valueOf(r.hub.releaseName)).toBe("jupyterhub");
    });
});

describe("JupyterHub shared volume", () => {
    it("is a protected, retained ReadWriteMany claim mounted in every notebook", async () => {
        const r = await render(prodArgs());
        const claim = r.recorder.one("kubernetes:core/v1:PersistentVolumeClaim");
        expect(claim.inputs.spec).toEqual({ accessModes: ["ReadWriteMany"], storageClassName: "efs", resources: { requests: { storage: "200Gi" } } });
        expect(claim.inputs.metadata).toMatchObject({ name: "jupyterhub-shared-data", namespace: "ds-prod" });
        const opts = r.options.get(`${claim.type}::${claim.name}`);
        expect(opts?.protect).toBe(true);
        expect(opts?.retainOnDelete).toBe(true);
        const values = unwrapSecrets(release(r).inputs.values);
        expect(values.singleuser.storage.extraVolumes).toContainEqual({ name: "shared-data", persistentVolumeClaim: { claimName: "jupyterhub-shared-data" } });
        expect(await valueOf(r.hub.sharedClaimName)).toBe("jupyterhub-shared-data");
    });

    it("is neither protected nor declared when not asked for", async () => {
        const unprotected = await render({ ...prodArgs(), protect: false });
        const claim = unprotected.recorder.one("kubernetes:core/v1:PersistentVolumeClaim");
        expect(unprotected.options.get(`${claim.type}::${claim.name}`)?.protect).toBe(false);
        const dev = await render(devArgs());
        expect(dev.recorder.ofType("kubernetes:core/v1:PersistentVolumeClaim")).toHaveLength(0);
        expect(dev.hub.sharedClaimName).toBeUndefined();
    });
});

describe("JupyterHub input errors", () => {
    it("refuses a GPU profile without GPU pools, naming the key", () => {
        const args = devArgs();
        setupMocks();
        expect(() => new JupyterHub("bad", { ...args, profiles: [{ ...args.profiles[0], gpus: 1 }] })).toThrow(/profiles\[0\]\.gpus: asks for GPUs but the stack has no gpuPools/);
    });
});

describe("JupyterHub secrets generated by the chart", () => {
    it("declares no random resources and leaves the cookie secret and proxy token to z2jh", async () => {
        const args = devArgs();
        const r = await render({ ...args, hub: { ...args.hub, generatedSecrets: "chart" } });
        expect(r.recorder.resources.filter((x) => x.type.startsWith("random:"))).toEqual([]);
        const values = unwrapSecrets(release(r).inputs.values);
        expect(values.hub.config.JupyterHub.cookie_secret).toBeUndefined();
        expect(values.proxy.secretToken).toBeUndefined();
        expect(validateZ2jhValues(values)).toEqual([]);
        // The login secrets are still the stack's own.
        expect(values.hub.config.SharedPasswordAuthenticator.user_password).toBe(HUB_PASSWORD);
    });
});

describe("mergeHubValues", () => {
    it("merges mappings key by key, replaces lists and scalars, and passes null through for Helm to remove a default", () => {
        const values = { hub: { extraEnv: { A: "1" }, db: { type: "sqlite-pvc" } }, singleuser: { extraVolumes: [{ name: "spark-conf" }], uid: 1000 } };
        const extra = { hub: { extraEnv: { B: "2" }, db: null }, singleuser: { extraVolumes: [{ name: "scratch" }], uid: 1001 }, scheduling: { podPriority: { enabled: false } } };
        expect(mergeHubValues(values, extra)).toEqual({
            hub: { extraEnv: { A: "1", B: "2" }, db: null },
            singleuser: { extraVolumes: [{ name: "scratch" }], uid: 1001 },
            scheduling: { podPriority: { enabled: false } },
        });
        // Neither input is modified.
        expect(values.hub.extraEnv).toEqual({ A: "1" });
        expect(mergeHubValues(values, {})).toEqual(values);
    });

    it("replaces a generated scalar with a mapping and a mapping with a scalar", () => {
        expect(mergeHubValues({ a: "x", b: { c: 1 } }, { a: { y: 1 }, b: "z" })).toEqual({ a: { y: 1 }, b: "z" });
    });
});

describe("JupyterHub with hub.extraValues", () => {
    function withExtra(extraValues: Record<string, unknown>): JupyterHubArgs {
        const args = prodArgs();
        return { ...args, hub: { ...args.hub, extraValues } };
    }

    it("deep-merges them over the generated values, which still pass the z2jh schema", async () => {
        const r = await render(withExtra({ hub: { extraEnv: { JUPYTERHUB_LOG_LEVEL: "DEBUG" } }, singleuser: { extraLabels: { team: "analytics" } } }));
        const values = unwrapSecrets(release(r).inputs.values);
        expect(validateZ2jhValues(values)).toEqual([]);
        expect(values.hub.extraEnv).toMatchObject({ JUPYTERHUB_LOG_LEVEL: "DEBUG" });
        // Added beside the generated labels, not instead of them: the Spark policies select notebook pods by theirs.
        expect(values.singleuser.extraLabels).toEqual({ "ds-platform.io/spark-driver": "true", team: "analytics" });
        // The rest of the generated values is untouched, secrets included.
        const plain = unwrapSecrets(release(await render(prodArgs())).inputs.values);
        expect({ ...values, hub: { ...values.hub, extraEnv: plain.hub.extraEnv }, singleuser: { ...values.singleuser, extraLabels: plain.singleuser.extraLabels } }).toEqual(plain);
        expect(await isSecret(r.hub.values)).toBe(true);
    });

    it("lets the z2jh schema check name an unknown key by its path", async () => {
        const r = await render(withExtra({ singleuser: { extraLabelz: { team: "analytics" } } }));
        expect(validateZ2jhValues(unwrapSecrets(release(r).inputs.values))).toEqual(['singleuser: unknown key "extraLabelz"']);
    });
});
