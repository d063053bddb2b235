/**
 * The z2jh values builder and the profile checks, as pure functions: dev-like and prod-like values
 * validate against the chart's 4.4.0 schema, GPU and CPU profiles land where they must, every image
 * is the given digest reference, and bad input is refused naming the key.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parsePlatformConfig, PlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { nodePurposeLabels, withNodePurpose } from "../../components/cluster/nodePurpose";
import { avoidGpuNodesAffinity, gpuNodeAffinity, gpuPlacement, GpuPlacement, gpuToleration, GPU_POOL_LABEL, GPU_RESOURCE } from "../../components/gpu/gpuNodePool";
import {
    buildHubValues as typedBuildHubValues,
    byteSpecification,
    HubValuesInput,
    joinChartImage,
    KUBESPAWNER_OVERRIDE_KEYS,
    splitImageReference,
    USER_ISOLATION_CUSTOM_KEY,
    validateProfileList,
} from "../../components/hub/hubValues";
import type { NotebookSparkWiring } from "../../components/spark/sparkExecutors";
import { USER_NAMESPACE_PLACEHOLDER, USER_PLACEHOLDER, userIsolationHookConfig } from "../../components/spark/userIsolation";
import { fakeDigest, setupMocks, valueOf } from "../helpers/mocks";
import { mergeHelmValues, validateZ2jhValues } from "../helpers/z2jhSchema";
import { readable } from "../helpers/manifests";
import { restrictedViolations } from "../helpers/podSecurity";
import { DEFAULT_PAUSE_IMAGE } from "../../components/hub/imagePrePuller";
import { loadShared, PROJECT_ROOT } from "../helpers/sharedData";

const buildHubValues = readable(typedBuildHubValues);

setupMocks();

const CPU_IMAGE = `registry.example.com:5000/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com:5000/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const DIGEST_REF = /^[^\s@:]+(:[0-9]+)?\/[^\s@:]+@sha256:[a-f0-9]{64}$/;
const SECRETS = { cookieSecret: "c".repeat(64), proxyToken: "p".repeat(64), hubPassword: "dev-password", hubAdminPassword: "a".repeat(32), oauthClientSecret: "oauth-secret" };

/** What the hub creates per user, as the Spark component builds it (pull secret and notebook role included). */
const USER_ISOLATION = userIsolationHookConfig({
    hubNamespace: "ds-platform",
    executorNamespacePrefix: "ds-platform-u",
    spark: parsePlatformConfig({}, { hubPassword: true }).spark,
    gpuResources: ["nvidia.com/gpu"],
    imagePullSecretName: "registry-pull",
    notebookServiceAccountAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notebook" },
});
/** The hub's script (hub.extraConfig), read from where the component reads it. */
const USER_ISOLATION_PY = fs.readFileSync(path.join(PROJECT_ROOT, "components", "hub", "python", "user_isolation.py"), "utf8");

const SPARK: NotebookSparkWiring = {
    userIsolation: pulumi.output(USER_ISOLATION),
    configMapName: "spark-conf-abc",
    confDir: "/etc/spark/conf",
    env: { SPARK_CONF_DIR: "/etc/spark/conf", SPARK_DRIVER_HOST: { valueFrom: { fieldRef: { fieldPath: "status.podIP" } } } },
    podLabels: { "ds-platform.io/spark-role": "driver" },
};

function devConfig(): PlatformConfig {
    return parsePlatformConfig(
        {
            profiles: [
                { name: "small", displayName: "Small", cpu: { guarantee: 0.5, limit: 1 }, memory: { guarantee: "1Gi", limit: "2Gi" } },
                { name: "medium", displayName: "Medium", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "512Mi", limit: "4Gi" }, default: true },
            ],
        },
        { hubPassword: true, hubAdminPassword: true },
    );
}

function prodRaw(auth: "github" | "oidc"): PlatformConfigInput {
    return {
        image: { gpu: true },
        gpuPools: [
            { name: "t4", gpusPerNode: 1 },
            { name: "a10", gpusPerNode: 4 },
        ],
        hub: {
            auth: {
                type: auth,
                admins: ["alice"],
                allowedUsers: ["bob"],
                github: { clientId: "gh-client", callbackUrl: "https://hub.example.com/hub/oauth_callback", organizations: ["example-org"] },
                oidc: {
                    clientId: "oidc-client",
                    callbackUrl: "https://hub.example.com/hub/oauth_callback",
                    authorizeUrl: "https://id.example.com/authorize",
                    tokenUrl: "https://id.example.com/token",
                    userdataUrl: "https://id.example.com/userinfo",
                    allowedGroups: ["data-science"],
                },
            },
            exposure: { type: "ingress", host: "hub.example.com", clusterIssuer: "letsencrypt-prod" },
            storage: { homeCapacity: "20Gi", shared: { enabled: true, capacity: "500Gi", storageClass: "efs" } },
            culling: { timeoutSeconds: 7200, everySeconds: 300, maxAgeSeconds: 86400 },
            scheduling: { userPlaceholders: 2 },
        },
        profiles: [
            { name: "cpu", displayName: "CPU", cpu: { guarantee: 1, limit: 4 }, memory: { guarantee: "4Gi", limit: "8Gi" } },
            { name: "gpu", displayName: "One T4", cpu: { guarantee: 2, limit: 4 }, memory: { guarantee: "8Gi", limit: "16Gi" }, gpus: 1, image: "gpu" },
            { name: "big-gpu", displayName: "Four A10", cpu: { guarantee: 8, limit: 16 }, memory: { guarantee: "32Gi", limit: "64Gi" }, gpus: 4, gpuPool: "a10", image: "gpu" },
        ],
    };
}

function placementsOf(config: PlatformConfig): Record<string, GpuPlacement> {
    return Object.fromEntries(config.gpuPools.map((p) => [p.name, gpuPlacement(p)]));
}

function devInput(overrides: Partial<HubValuesInput> = {}): HubValuesInput {
    const config = devConfig();
    return {
        hub: config.hub,
        profiles: config.profiles,
        images: { cpu: CPU_IMAGE },
        uid: config.image.uid,
        gid: config.image.gid,
        secrets: { cookieSecret: SECRETS.cookieSecret, proxyToken: SECRETS.proxyToken, hubPassword: SECRETS.hubPassword, hubAdminPassword: SECRETS.hubAdminPassword },
        ...overrides,
    };
}

function prodInput(auth: "github" | "oidc" = "github", overrides: Partial<HubValuesInput> = {}): HubValuesInput {
    const config = parsePlatformConfig(prodRaw(auth), { oauthClientSecret: true });
    return {
        hub: config.hub,
        profiles: config.profiles,
        images: { cpu: pulumi.output(CPU_IMAGE), gpu: pulumi.output(GPU_IMAGE) },
        gpuPlacements: placementsOf(config),
        uid: 1000,
        gid: 100,
        secrets: { cookieSecret: pulumi.secret(SECRETS.cookieSecret), proxyToken: pulumi.secret(SECRETS.proxyToken), oauthClientSecret: pulumi.secret(SECRETS.oauthClientSecret) },
        spark: SPARK,
        // As on AWS, where the node groups carry the node-purpose labels.
        matchNodePurpose: "require",
        imagePullSecretName: "registry-pull",
        homeStorageClass: "ds-platform-retained",
        sharedClaimName: pulumi.output("jupyterhub-shared-data"),
        registryEgress: { podLabels: { "app.kubernetes.io/name": "registry" } },
        releaseName: "jupyterhub",
        protect: true,
        ...overrides,
    };
}

/** The chart's own defaults (values.yaml of z2jh 4.4.0). */
function defaultsOfChart(): unknown {
    return loadShared("z2jh/4.4.0/values.yaml");
}

/** Resolved values (Outputs and secrets become plain data, as Helm receives them). */
async function resolved(input: HubValuesInput): Promise<any> {
    return valueOf(pulumi.output(buildHubValues(input)));
}

describe("splitImageReference", () => {
    it("splits a digest reference so that the chart's name:tag joining gives it back exactly", () => {
        for (const ref of [CPU_IMAGE, `notebook@sha256:${fakeDigest("x")}`, `ghcr.io/org/nb:2024.1@sha256:${fakeDigest("y")}`]) {
            const split = splitImageReference(ref);
            expect(split.tag).toMatch(/^[a-f0-9]{64}$/);
            expect(split.name.endsWith("@sha256")).toBe(true);
            expect(joinChartImage(split)).toBe(ref);
            expect(`${split.name}:${split.tag}`).toBe(ref);
        }
    });

    it("refuses references that are not pinned by digest", () => {
        expect(() => splitImageReference("registry.example.com/ds-platform/notebook:latest")).toThrow(/not pinned by digest/);
        expect(() => splitImageReference("notebook@sha256:abc")).toThrow(/sha256:<64/);
    });
});

describe("byteSpecification", () => {
    it("turns Kubernetes binary quantities into JupyterHub's K/M/G/T suffixes (powers of 1024)", () => {
        expect(byteSpecification("4Gi")).toBe("4G");
        expect(byteSpecification("512Mi")).toBe("512M");
        expect(byteSpecification("1.5Ti")).toBe("1.5T");
        expect(byteSpecification("64Ki")).toBe("64K");
    });

    it("refuses other forms, naming what is allowed", () => {
        expect(() => byteSpecification("4G")).toThrow(/512Mi or 4Gi/);
        expect(() => byteSpecification("4gi")).toThrow(/binary quantity/);
    });
});

describe("buildHubValues: schema", () => {
    it("dev-like values (dummy auth, CPU profiles, port-forward) pass the z2jh 4.4.0 schema and profile checks", async () => {
        const values = await resolved(devInput());
        expect(validateZ2jhValues(values)).toEqual([]);
        expect(values.proxy.service.type).toBe("ClusterIP");
        expect(values.ingress).toBeUndefined();
    });

    it.each(["github", "oidc"] as const)("prod-like values (%s auth, ingress TLS, two GPU pools, shared volume, Spark) pass", async (auth) => {
        const values = await resolved(prodInput(auth));
        expect(validateZ2jhValues(values)).toEqual([]);
        expect(values.singleuser.profileList).toHaveLength(3);
    });

    it("the validator catches a misspelt chart key and a bad profile entry", () => {
        const errors = validateZ2jhValues({
            singleuser: { storge: {}, profileList: [{ display_name: "x", kubespawner_overide: {} }] },
            proxy: { service: { type: "NodePorts" } },
        });
        expect(errors).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^singleuser: unknown key "storge"/),
                expect.stringMatching(/^proxy\.service\.type: must be one of/),
                expect.stringMatching(/^singleuser\.profileList\[0\]\.kubespawner_overide: unknown key; did you mean "kubespawner_override"\?/),
            ]),
        );
    });

    it("merges like Helm: mappings recursively, lists replaced, null deletes", () => {
        const merged = mergeHelmValues({ a: { b: 1, c: [1, 2], d: "x" }, e: 1 }, { a: { c: [3], d: null }, f: 2 });
        expect(merged).toEqual({ a: { b: 1, c: [3] }, e: 1, f: 2 });
    });
});

describe("buildHubValues: profiles", () => {
    it("gives GPU profiles their pool's GPU limit, toleration and exact node labels", async () => {
        const input = prodInput();
        const placements = input.gpuPlacements!;
        const values = await resolved(input);
        const [, t4, a10] = values.singleuser.profileList;
        for (const [entry, placement, gpus] of [
            [t4, placements.t4, 1],
            [a10, placements.a10, 4],
        ] as const) {
            const o = entry.kubespawner_override;
            expect(o.extra_resource_limits).toEqual({ [placement.resourceName]: String(gpus) });
            expect(placement.resourceName).toBe(GPU_RESOURCE);
            expect(o.tolerations).toEqual([gpuToleration(placement)]);
            expect(o.node_affinity_required).toEqual(
                withNodePurpose(gpuNodeAffinity(placement), "user", "require").requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
            );
            const selected = Object.fromEntries(
                o.node_affinity_required.flatMap((term: any) => term.matchExpressions.map((e: any) => (expect(e.operator).toBe("In"), [e.key, e.values[0]]))),
            );
            expect(selected).toEqual({ ...placement.nodeLabels, ...nodePurposeLabels("user") });
            expect(selected[GPU_POOL_LABEL]).toBe(placement.poolName);
        }
        expect(t4.kubespawner_override.node_affinity_required).not.toEqual(a10.kubespawner_override.node_affinity_required);
    });

    it("keeps CPU profiles off GPU nodes and asks them for no GPU", async () => {
        for (const input of [devInput(), prodInput()]) {
            const values = await resolved(input);
            const cpuProfiles = values.singleuser.profileList.filter((e: any) => !e.kubespawner_override.extra_resource_limits);
            expect(cpuProfiles.length).toBeGreaterThan(0);
            for (const entry of cpuProfiles) {
                const o = entry.kubespawner_override;
                expect(o.tolerations).toBeUndefined();
                expect(JSON.stringify(o)).not.toContain(GPU_RESOURCE);
                const purpose = input.matchNodePurpose === "require" ? "require" : "ignore";
                expect(o.node_affinity_required).toEqual(withNodePurpose(avoidGpuNodesAffinity(), "user", purpose).requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms);
            }
        }
    });

    it("converts resources for KubeSpawner and marks exactly one default (the marked one, else the first)", async () => {
        const dev = await resolved(devInput());
        expect(dev.singleuser.profileList.map((e: any) => [e.slug, e.default])).toEqual([
            ["small", false],
            ["medium", true],
        ]);
        expect(dev.singleuser.profileList[1].kubespawner_override).toMatchObject({ cpu_guarantee: 1, cpu_limit: 2, mem_guarantee: "512M", mem_limit: "4G" });
        const prod = await resolved(prodInput());
        expect(prod.singleuser.profileList.map((e: any) => e.default)).toEqual([true, false, false]);
        expect(prod.singleuser.profileList[0]).toMatchObject({ display_name: "CPU", slug: "cpu", description: "" });
    });

    it("uses only KubeSpawner trait names", async () => {
        const values = await resolved(prodInput());
        const keys = new Set(values.singleuser.profileList.flatMap((e: any) => Object.keys(e.kubespawner_override)));
        expect(keys.size).toBeGreaterThanOrEqual(8);
        for (const key of keys) {
            expect(Object.keys(KUBESPAWNER_OVERRIDE_KEYS)).toContain(key);
        }
    });

    it("refuses impossible profiles with the config rules, naming the key", () => {
        const dev = devInput();
        const gpuProfile = { ...dev.profiles[0], name: "gpu", gpus: 1 };
        expect(() => buildHubValues({ ...dev, profiles: [dev.profiles[0], gpuProfile] })).toThrow(/profiles\[1\]\.gpus: asks for GPUs but the stack has no gpuPools; add a GPU pool or set gpus: 0/);
        const prod = prodInput();
        expect(() => buildHubValues({ ...prod, profiles: [{ ...prod.profiles[1], gpuPool: "h100" }] })).toThrow(/profiles\[0\]\.gpuPool: names no GPU pool; allowed: t4, a10 \(got "h100"\)/);
        expect(() => buildHubValues({ ...prod, profiles: [{ ...prod.profiles[1], gpus: 2 }] })).toThrow(/profiles\[0\]\.gpus: exceeds the 1 GPUs per node of pool t4 \(got 2\)/);
        expect(() => buildHubValues({ ...prod, images: { cpu: CPU_IMAGE } })).toThrow(/profiles\[1\]\.image: gpu needs image\.gpu: true so the gpu image is built; allowed: cpu/);
        expect(() => buildHubValues({ ...dev, profiles: [{ ...dev.profiles[0], memory: { guarantee: "1G", limit: "2Gi" } }] })).toThrow(/"1G" is not a memory quantity; allowed: a Kubernetes binary quantity such as 512Mi or 4Gi/);
        expect(() => buildHubValues({ ...dev, profiles: [{ ...dev.profiles[0], default: true }, dev.profiles[1]] })).toThrow(/at most one profile may set default/);
    });
});

describe("buildHubValues: images", () => {
    it("uses the given digest references everywhere: default image, profile overrides, pre-puller", async () => {
        const values = await resolved(prodInput());
        const images = [
            joinChartImage(values.singleuser.image),
            ...values.singleuser.profileList.map((e: any) => e.kubespawner_override.image),
            ...Object.values<any>(values.prePuller.extraImages).map(joinChartImage),
        ];
        expect(images).toEqual([CPU_IMAGE, CPU_IMAGE, GPU_IMAGE, GPU_IMAGE, GPU_IMAGE]);
        for (const image of images) {
            expect(image).toMatch(DIGEST_REF);
        }
        expect(values.singleuser.image.pullSecrets).toEqual(["registry-pull"]);
    });

    it("pre-pulls nothing extra when every profile uses the default image", async () => {
        const values = await resolved(devInput());
        expect(values.prePuller.extraImages).toEqual({});
        expect(values.prePuller.extraTolerations).toBeUndefined();
    });

    it("lets the pre-pullers onto GPU nodes, so GPU profiles find their image there", async () => {
        const input = prodInput();
        const values = await resolved(input);
        expect(values.prePuller.extraTolerations).toEqual([gpuToleration(input.gpuPlacements!.t4)]);
    });

    it("refuses a tag-only image", () => {
        expect(() => buildHubValues(devInput({ images: { cpu: "ds-platform/notebook:latest" } }))).toThrow(/"ds-platform\/notebook:latest" is not pinned by digest/);
    });
});

describe("buildHubValues: auth", () => {
    it("shared-password: SharedPasswordAuthenticator with the users' and the admins' passwords, as secrets", async () => {
        const values = buildHubValues(devInput());
        expect(await pulumi.isSecret(pulumi.output(values.hub.config.SharedPasswordAuthenticator.user_password))).toBe(true);
        const plain = await resolved(devInput());
        expect(plain.hub.config.JupyterHub.authenticator_class).toBe("shared-password");
        expect(plain.hub.config.DummyAuthenticator).toBeUndefined();
        // No admins listed: no admin password is configured, so nobody logs in as an admin.
        expect(plain.hub.config.SharedPasswordAuthenticator).toEqual({ user_password: SECRETS.hubPassword });
        // No allowed-users list: whoever knows the password may log in (JupyterHub 5 needs allow_all for that).
        expect(plain.hub.config.Authenticator).toEqual({ allow_all: true });

        const withAdmins = devInput({ hub: { ...devConfig().hub, auth: { ...devConfig().hub.auth, admins: ["admin"] } } });
        const admins = await resolved(withAdmins);
        expect(admins.hub.config.SharedPasswordAuthenticator).toEqual({ user_password: SECRETS.hubPassword, admin_password: SECRETS.hubAdminPassword });
        expect(admins.hub.config.Authenticator).toEqual({ admin_users: ["admin"], allow_all: true });
        // With an allowed-users list, the admins are on it too, or JupyterHub would refuse them.
        const listed = await resolved(devInput({ hub: { ...devConfig().hub, auth: { ...devConfig().hub.auth, admins: ["admin"], allowedUsers: ["ana"] } } }));
        expect(listed.hub.config.Authenticator).toEqual({ admin_users: ["admin"], allowed_users: ["ana", "admin"] });
        expect(await pulumi.isSecret(pulumi.output(buildHubValues(withAdmins).hub.config.SharedPasswordAuthenticator.admin_password))).toBe(true);
    });

    it("shared-password: passwords shorter than the authenticator accepts fail, naming the key and not the value", async () => {
        const short = devInput({ secrets: { ...devInput().secrets, hubPassword: "short" } });
        expect(() => buildHubValues(short)).toThrow(/hubPassword must be at least 8 characters \(got 5\)/);
        expect(() => buildHubValues(short)).not.toThrow(/short/);
        const withAdmins = devInput({
            hub: { ...devConfig().hub, auth: { ...devConfig().hub.auth, admins: ["admin"] } },
            secrets: { ...devInput().secrets, hubAdminPassword: "too-short-for-an-admin" },
        });
        expect(() => buildHubValues(withAdmins)).toThrow(/hubAdminPassword must be at least 32 characters \(got 22\)/);
    });

    it("github: GitHubOAuthenticator with org membership and read:org", async () => {
        const values = await resolved(prodInput("github"));
        expect(values.hub.config.JupyterHub.authenticator_class).toBe("github");
        expect(values.hub.config.GitHubOAuthenticator).toEqual({
            client_id: "gh-client",
            client_secret: SECRETS.oauthClientSecret,
            oauth_callback_url: "https://hub.example.com/hub/oauth_callback",
            allowed_organizations: ["example-org"],
            scope: ["read:org"],
        });
        expect(values.hub.config.Authenticator).toEqual({ admin_users: ["alice"], allowed_users: ["bob"] });
    });

    it("oidc: GenericOAuthenticator with endpoints, claim and managed groups", async () => {
        const values = await resolved(prodInput("oidc"));
        expect(values.hub.config.JupyterHub.authenticator_class).toBe("generic-oauth");
        expect(values.hub.config.GenericOAuthenticator).toEqual({
            client_id: "oidc-client",
            client_secret: SECRETS.oauthClientSecret,
            oauth_callback_url: "https://hub.example.com/hub/oauth_callback",
            authorize_url: "https://id.example.com/authorize",
            token_url: "https://id.example.com/token",
            userdata_url: "https://id.example.com/userinfo",
            username_claim: "preferred_username",
            scope: ["openid", "profile", "email"],
            allowed_groups: ["data-science"],
            manage_groups: true,
            auth_state_groups_key: "oauth_user.groups",
        });
    });

    it("keeps the cookie secret, proxy token and client secret secret", async () => {
        const values = buildHubValues(prodInput());
        for (const leaf of [values.hub.config.JupyterHub.cookie_secret, values.proxy.secretToken, values.hub.config.GitHubOAuthenticator.client_secret]) {
            expect(await pulumi.isSecret(pulumi.output(leaf))).toBe(true);
        }
    });

    it("refuses auth without its secret, naming it", () => {
        expect(() => buildHubValues(devInput({ secrets: { cookieSecret: "c", proxyToken: "p" } }))).toThrow(/secrets\.hubPassword is required for hub\.auth\.type shared-password/);
        const prod = prodInput();
        expect(() => buildHubValues({ ...prod, secrets: { cookieSecret: "c", proxyToken: "p" } })).toThrow(/secrets\.oauthClientSecret is required for hub\.auth\.type github/);
    });
});

describe("buildHubValues: storage, security, Spark, network, scheduling", () => {
    it("keeps homes on retained dynamic volumes and mounts the shared volume and the Spark conf", async () => {
        const values = await resolved(prodInput());
        expect(values.singleuser.storage).toEqual({
            type: "dynamic",
            capacity: "20Gi",
            homeMountPath: "/home/jovyan",
            dynamic: { storageClass: "ds-platform-retained", storageAccessModes: ["ReadWriteOnce"] },
            extraVolumes: [
                { name: "shared-data", persistentVolumeClaim: { claimName: "jupyterhub-shared-data" } },
                { name: "spark-conf", configMap: { name: SPARK.configMapName } },
            ],
            extraVolumeMounts: [
                { name: "shared-data", mountPath: "/home/jovyan/shared" },
                { name: "spark-conf", mountPath: SPARK.confDir, readOnly: true },
            ],
        });
        expect(values.hub.db.pvc).toEqual({ storageClassName: "ds-platform-retained", annotations: { "helm.sh/resource-policy": "keep" } });
        expect(values.hub.config.KubeSpawner.delete_pvc).toBe(false);
        const dev = await resolved(devInput());
        expect(dev.hub.db.pvc).toEqual({});
        expect(dev.singleuser.storage.dynamic).toEqual({ storageAccessModes: ["ReadWriteOnce"] });
    });

    it("runs notebooks as the image's user with the Spark env and labels, and no shared ServiceAccount", async () => {
        const values = await resolved(prodInput());
        expect(values.singleuser).toMatchObject({
            uid: 1000,
            fsGid: 100,
            allowPrivilegeEscalation: false,
            extraEnv: SPARK.env,
            extraLabels: SPARK.podLabels,
        });
        // Each user's pod runs as that user's ServiceAccount, which the hub's hook sets at spawn.
        expect(values.singleuser.serviceAccountName).toBeUndefined();
        expect(JSON.stringify(values.singleuser)).not.toMatch(/"notebook"/);
    });

    it("isolates users with the hub's hooks when Spark is wired, fed with the per-user objects; without Spark, neither", async () => {
        const values = await resolved(prodInput());
        expect(values.hub.extraConfig["ds-platform-user-isolation"]).toBe(USER_ISOLATION_PY);
        expect(values.custom).toEqual({ [USER_ISOLATION_CUSTOM_KEY]: USER_ISOLATION });
        // The chart's own extra config stays beside it.
        expect(Object.keys(values.hub.extraConfig)).toEqual(expect.arrayContaining(["ds-platform-pvc-storage-class", "ds-platform-user-isolation"]));
        expect(validateZ2jhValues(values)).toEqual([]);
        const plain = await resolved(devInput());
        expect(plain.hub.extraConfig["ds-platform-user-isolation"]).toBeUndefined();
        expect(plain.custom).toBeUndefined();
    });

    it("hands the hub's script every key it reads, under the key it reads them from, with the placeholders it replaces", () => {
        expect(USER_ISOLATION_PY).toContain(`get_config("custom.${USER_ISOLATION_CUSTOM_KEY}")`);
        const read = (re: RegExp) => [...new Set([...USER_ISOLATION_PY.matchAll(re)].map((m) => m[1]))];
        const configKeys = [...read(/(?:cfg|_DS_ISOLATION)\[["'](\w+)["']\]/g), ...read(/cfg\.get\(["'](\w+)["']\)/g)];
        expect(configKeys).toEqual(expect.arrayContaining(["objects", "cleanup", "executorNamespacePrefix", "pullSecretName"]));
        expect(configKeys.length).toBeGreaterThan(8);
        for (const key of configKeys) {
            expect({ key, given: key in USER_ISOLATION }).toEqual({ key, given: true });
        }
        const itemKeys = read(/item\[["'](\w+)["']\]/g);
        expect(itemKeys.sort()).toEqual(["labelSelector", "manifest", "path"]);
        for (const key of ["path", "manifest"]) {
            expect(USER_ISOLATION.objects.every((o) => key in o)).toBe(true);
        }
        for (const key of ["path", "labelSelector"]) {
            expect(USER_ISOLATION.cleanup.every((o) => key in o)).toBe(true);
        }
        expect(USER_ISOLATION_PY).toContain(`"${USER_NAMESPACE_PLACEHOLDER}": namespace`);
        expect(USER_ISOLATION_PY).toContain(`"${USER_PLACEHOLDER}": slug`);
    });

    it("runs notebook pods at the restricted Pod Security level, and keeps them from the cloud metadata address without a privileged init container", async () => {
        const values = await resolved(prodInput());
        const merged = mergeHelmValues(defaultsOfChart(), values) as any;
        const spawner = values.hub.config.KubeSpawner;
        // The pod KubeSpawner builds from these values (the chart passes uid, fsGid and allowPrivilegeEscalation).
        const pod = {
            securityContext: { fsGroup: merged.singleuser.fsGid, ...spawner.pod_security_context },
            initContainers: merged.singleuser.cloudMetadata.blockWithIptables ? [{ name: "block-cloud-metadata", securityContext: { privileged: true } }] : undefined,
            containers: [
                {
                    name: "notebook",
                    securityContext: { runAsUser: merged.singleuser.uid, allowPrivilegeEscalation: merged.singleuser.allowPrivilegeEscalation, ...spawner.container_security_context },
                },
            ],
            volumes: [{ name: "home", persistentVolumeClaim: { claimName: "claim-ana" } }, ...merged.singleuser.storage.extraVolumes],
        };
        expect(restrictedViolations(pod)).toEqual([]);
        expect(merged.singleuser.cloudMetadata.blockWithIptables).toBe(false);
        expect(merged.singleuser.networkPolicy.egressAllowRules.cloudMetadataServer).toBe(false);
        expect(merged.singleuser.networkPolicy.enabled).toBe(true);
    });

    it("keeps every network policy on and adds only the registry egress", async () => {
        const values = await resolved(prodInput());
        expect(values.hub.networkPolicy).toEqual({ enabled: true });
        expect(values.proxy.chp.networkPolicy).toEqual({ enabled: true });
        expect(values.singleuser.networkPolicy).toEqual({
            enabled: true,
            egress: [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "registry" } } }], ports: [{ port: 5000, protocol: "TCP" }] }],
        });
        const dev = await resolved(devInput());
        expect(dev.singleuser.networkPolicy).toEqual({ enabled: true });
    });

    it("sets culling, pre-pulling and scheduling from config", async () => {
        const values = await resolved(prodInput());
        expect(values.cull).toEqual({ enabled: true, timeout: 7200, every: 300, maxAge: 86400 });
        // The chart's pullers stay off whatever the config: the platform's pre-puller replaces them.
        expect(values.prePuller.hook).toEqual({ enabled: false });
        expect(values.prePuller.continuous).toEqual({ enabled: false });
        expect(values.scheduling).toEqual({
            corePods: { nodeAffinity: { matchNodePurpose: "require" } },
            userPods: { nodeAffinity: { matchNodePurpose: "require" } },
            userScheduler: { enabled: true },
            podPriority: { enabled: true },
            userPlaceholder: { enabled: true, replicas: 2, image: DEFAULT_PAUSE_IMAGE },
        });
        expect(values.prePuller.pause.image).toEqual(DEFAULT_PAUSE_IMAGE);
        const input = prodInput();
        expect(() => buildHubValues({ ...input, hub: { ...input.hub, scheduling: { ...input.hub.scheduling, podPriority: false } } })).toThrow(
            /hub\.scheduling\.userPlaceholders: needs hub\.scheduling\.podPriority: true, or placeholder pods would block arriving users; set podPriority: true, or userPlaceholders: 0/,
        );
    });
});

describe("buildHubValues: exposure", () => {
    const exposed = async (exposure: object) => {
        const input = prodInput();
        return resolved({ ...input, hub: { ...input.hub, exposure: { ...input.hub.exposure, ...exposure } } });
    };

    it("ingress: ClusterIP proxy behind an Ingress with cert-manager TLS", async () => {
        const values = await exposed({});
        expect(values.proxy.service.type).toBe("ClusterIP");
        expect(values.ingress).toEqual({
            enabled: true,
            ingressClassName: "nginx",
            annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-prod" },
            hosts: ["hub.example.com"],
            tls: [{ hosts: ["hub.example.com"], secretName: "jupyterhub-tls" }],
        });
    });

    it("letsencrypt: the chart's own HTTPS on a LoadBalancer", async () => {
        const values = await exposed({ type: "letsencrypt", contactEmail: "ops@example.com" });
        expect(values.proxy.service.type).toBe("LoadBalancer");
        expect(values.proxy.https).toEqual({ enabled: true, type: "letsencrypt", hosts: ["hub.example.com"], letsencrypt: { contactEmail: "ops@example.com" } });
        // Nothing calls home from the proxy pod: no version check, no usage data.
        expect(values.proxy.traefik.extraStaticConfig.global).toEqual({ checkNewVersion: false, sendAnonymousUsage: false });
        expect(validateZ2jhValues(values)).toEqual([]);
        await expect(exposed({ type: "letsencrypt", contactEmail: undefined })).rejects.toThrow(/hub\.exposure\.contactEmail: is required when hub\.exposure\.type is letsencrypt/);
    });

    it("load-balancer and port-forward: the proxy Service type only", async () => {
        expect((await exposed({ type: "load-balancer" })).proxy.service.type).toBe("LoadBalancer");
        expect((await exposed({ type: "port-forward" })).proxy.service.type).toBe("ClusterIP");
        await expect(exposed({ type: "ingress", host: undefined })).rejects.toThrow(/hub\.exposure\.host: is required when hub\.exposure\.type is ingress/);
    });
});

describe("validateProfileList", () => {
    const valid = () => [
        {
            display_name: "Small",
            slug: "small",
            description: "",
            default: true,
            kubespawner_override: { image: CPU_IMAGE, cpu_guarantee: 0.5, cpu_limit: 1, mem_guarantee: "1G", mem_limit: "2G", node_affinity_required: [] },
        },
    ];

    it("accepts a well-formed list", () => {
        expect(validateProfileList(valid())).toEqual([]);
    });

    it("rejects a misspelt override key, suggesting the trait", () => {
        const list: any[] = valid();
        list[0].kubespawner_override.cpu_guarante = 0.5;
        const errors = validateProfileList(list);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(/^singleuser\.profileList\[0\]\.kubespawner_override\.cpu_guarante: unknown key; did you mean "cpu_guarantee"\?/);
    });

    it("rejects a misspelt entry key", () => {
        const list: any[] = valid();
        list[0].kubespawner_overide = list[0].kubespawner_override;
        delete list[0].kubespawner_override;
        expect(validateProfileList(list)).toEqual([expect.stringMatching(/^singleuser\.profileList\[0\]\.kubespawner_overide: unknown key; did you mean "kubespawner_override"\?/)]);
    });

    it("rejects wrong types, Kubernetes memory units and tag-only images", () => {
        const list: any[] = [...valid(), ...valid()];
        Object.assign(list[1].kubespawner_override, { mem_limit: "2Gi", cpu_limit: "1", image: "notebook:latest", cpu_guarantee: 4 });
        const errors = validateProfileList(list).join("\n");
        expect(errors).toMatch(/profileList\[1\]\.kubespawner_override\.mem_limit: must be bytes .* Ki\/Mi\/Gi are not accepted/);
        expect(errors).toMatch(/profileList\[1\]\.kubespawner_override\.cpu_limit: must be a non-negative number/);
        expect(errors).toMatch(/profileList\[1\]\.kubespawner_override\.image: must be an image reference pinned by digest/);
        expect(validateProfileList({})).toEqual(["singleuser.profileList: must be a list"]);
    });
});
