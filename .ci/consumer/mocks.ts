/**
 * Runs a consumer program under Pulumi mocks, from the installed package, and checks what it
 * declares. One line per check, "ok: ..." or "not ok: ...", which .ci/consumer-test.sh counts.
 *
 *   ts-node --transpile-only mocks.ts team      program.ts, the program the deploy mode deploys, on a
 *                                               cluster stack the mocks answer the StackReference for
 *   ts-node --transpile-only mocks.ts cluster   cluster/index.ts, the cluster stack the deploy mode deploys
 *   ts-node --transpile-only mocks.ts example   example/program.ts, a copy of examples/team-platform
 *
 * Env: CONSUMER_REPO_HOOK (the repository's components/hub/python/user_isolation.py, which the
 * package must carry unchanged); CONSUMER_CONTEXT_DIGEST (the repository's images/notebook
 * contextDigest, which the image built from the packaged context must carry).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

interface Declared {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The explicit provider's `<urn>::<id>`, if any. */
    provider?: string;
}

const mode = process.argv[2];
const project = mode === "example" ? "team-platform" : mode === "cluster" ? "ds-platform-consumer-cluster" : "ds-platform-consumer";
/** The outputs of the stack the team program references (the cluster stack), as the engine would read them. */
let referenced: { outputs: Record<string, unknown>; secretOutputNames: string[] } = { outputs: {}, secretOutputNames: [] };
const declared: Declared[] = [];
const hex = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const pem = (label: string, name: string) => `-----BEGIN ${label}-----\n${hex(name)}\n-----END ${label}-----\n`;

/** What the providers would compute for the outputs the program reads. */
function computed(a: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    switch (a.type) {
        case "docker-build:index:Image":
            return { digest: `sha256:${hex(JSON.stringify(a.inputs))}` };
        case "random:index/randomPassword:RandomPassword": {
            const result = `pw-${hex(a.name).slice(0, 24)}`;
            return { result, bcryptHash: `$2a$10$${hex(result).slice(0, 53)}` };
        }
        case "random:index/randomBytes:RandomBytes": {
            const bytes = hex(a.name).slice(0, (a.inputs.length ?? 32) * 2);
            return { hex: bytes, base64: Buffer.from(bytes, "hex").toString("base64") };
        }
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: pem("PRIVATE KEY", a.name), publicKeyPem: pem("PUBLIC KEY", a.name) };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: pem("CERTIFICATE", a.name) };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: pem("CERTIFICATE REQUEST", a.name) };
        case "pulumi:pulumi:StackReference":
            return referenced;
        default:
            return {};
    }
}

pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            declared.push({ type: a.type, name: a.name, inputs: a.inputs, provider: a.provider });
            return { id: `${a.name}-id`, state: { ...a.inputs, ...computed(a) } };
        },
        call: (a) => a.inputs,
    },
    project,
    "mocks",
    false,
);

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** Inputs as the provider would get them: secrets unwrapped. */
function plain(v: any): any {
    if (v !== null && typeof v === "object" && v[SECRET_KEY] === SECRET_SIG) {
        return plain(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

let failures = 0;
function check(ok: boolean, what: string, got?: unknown): void {
    if (ok) {
        console.log(`ok: ${what}`);
    } else {
        failures++;
        console.log(`not ok: ${what}${got === undefined ? "" : ` (got ${JSON.stringify(got)?.slice(0, 300)})`}`);
    }
}

/** Waits until the program has stopped declaring resources (registrations inside applies included). */
async function settle(): Promise<void> {
    let last = -1;
    for (let stable = 0; stable < 5; ) {
        await new Promise((r) => setTimeout(r, 5));
        stable = declared.length === last ? stable + 1 : 0;
        last = declared.length;
    }
}

function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

const ofType = (type: string) => declared.filter((r) => r.type === type);

/** The hub's namespace and Release, common to both programs. */
function checkHub(namespace: string): Record<string, any> {
    const namespaces = ofType("kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata?.name);
    check(namespaces.length === 1 && namespaces[0] === namespace, `one Namespace declared, ${namespace}`, namespaces);
    const releases = ofType("kubernetes:helm.sh/v3:Release").map((r) => plain(r.inputs));
    check(releases.length === 1, "one Helm Release declared (the hub)", releases.length);
    const release = releases[0] ?? {};
    check(
        release.name === `jupyterhub-${namespace}` && release.namespace === namespace && release.version === "4.4.0",
        `the hub's Release jupyterhub-${namespace} of z2jh 4.4.0 in ${namespace}`,
        { name: release.name, namespace: release.namespace, version: release.version },
    );
    const hook = release.values?.hub?.extraConfig?.["ds-platform-user-isolation"];
    const expected = process.env.CONSUMER_REPO_HOOK ? fs.readFileSync(process.env.CONSUMER_REPO_HOOK, "utf8") : undefined;
    check(
        typeof hook === "string" && hook.length > 0 && hook === expected,
        "the hub's values carry the user-isolation hooks read from the package's bin/components/hub/python, as in the repository",
        typeof hook === "string" ? `${hook.length} characters` : hook,
    );
    return release;
}

async function team(): Promise<void> {
    const image = `registry.example.com:5000/ds-platform/notebook@sha256:${"c".repeat(64)}`;
    const mirror = (name: string, digit: string) => `mirror.example.com/${name}@sha256:${digit.repeat(64)}`;
    const hubMirror = mirror("jupyterhub/k8s-hub", "d");
    // The keys .ci/e2e/airgap-images.sh mirrors, as the deploy mode sets them.
    const mirrored = { hub: hubMirror, proxy: mirror("jupyterhub/configurable-http-proxy", "e"), userScheduler: mirror("kube-scheduler", "f"), pause: mirror("pause", "1"), networkTools: mirror("jupyterhub/k8s-network-tools", "2") };
    const clusterStack = "organization/ds-platform-consumer-cluster/cluster";
    pulumi.runtime.setAllConfig(
        {
            [`${project}:clusterStack`]: clusterStack,
            [`${project}:namespace`]: "team-mocks",
            [`${project}:notebookImage`]: image,
            [`${project}:hubChart`]: "https://hub.jupyter.org/helm-chart/",
            [`${project}:images`]: JSON.stringify(mirrored),
            [`${project}:hubPassword`]: "team-password",
            [`${project}:hubAdminPassword`]: "team-admin-password-of-at-least-32-chars",
        },
        [`${project}:hubPassword`, `${project}:hubAdminPassword`],
    );
    // Loaded only now: the package (and the program) must load from node_modules.
    const { teamPlatform } = await import("./program");
    const { joinChartImage, ClusterStackError } = await import("ds-platform");

    // A cluster stack that was never deployed: no outputs, and nothing of the platform declared.
    const failed = await teamPlatform().then(
        () => undefined,
        (e: Error) => e,
    );
    check(
        failed instanceof ClusterStackError && failed.message.includes(`the cluster stack ${clusterStack}`) && failed.message.includes("it has no output kubeconfig"),
        "without the cluster stack's kubeconfig output the program stops with ClusterStackError naming the stack",
        failed?.message ?? "no error",
    );
    await settle();
    check(ofType("pulumi:providers:kubernetes").length === 0 && ofType("ds-platform:index:DataSciencePlatform").length === 0, "and declares no provider and no platform");

    const kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://cluster.example.com:6443'}}]\n";
    const facts = {
        kubernetesVersion: "1.35",
        matchNodePurpose: "require",
        gpuPools: [{ name: "ci-gpu", gpusPerNode: 2, maxSize: 1 }],
        homeStorageClass: "standard",
        registryUrl: "registry.example.com:5000",
    };
    referenced = { outputs: { kubeconfig, ...facts }, secretOutputNames: ["kubeconfig"] };
    declared.length = 0;
    const out = await teamPlatform();
    await settle();
    const references = ofType("pulumi:pulumi:StackReference").map((r) => r.inputs.name);
    check(references.length === 1 && references[0] === clusterStack, `one StackReference, to ${clusterStack}`, references);
    const providers = ofType("pulumi:providers:kubernetes");
    check(
        providers.length === 1 && providers[0].name === "team-k8s" && plain(providers[0].inputs.kubeconfig) === kubeconfig && providers[0].inputs.kubeconfig !== kubeconfig,
        "one Kubernetes provider, built from the referenced kubeconfig, which stays a secret",
        providers.map((p) => ({ name: p.name, kubeconfig: typeof p.inputs.kubeconfig })),
    );
    const strays = declared.filter((r) => r.type.startsWith("kubernetes:") && !r.provider?.includes("pulumi:providers:kubernetes::team-k8s"));
    check(strays.length === 0, "every Kubernetes object goes through that provider", strays.map((r) => `${r.type} ${r.name}`));
    check(JSON.stringify(out.clusterFacts) === JSON.stringify(facts), "the platform's configuration holds the referenced cluster's facts", out.clusterFacts);
    const release = checkHub("team-mocks");
    check(release.repositoryOpts?.repo === "https://hub.jupyter.org/helm-chart/", "the Release takes the chart from the configured repository", release.repositoryOpts);
    check(release.values?.singleuser?.storage?.dynamic?.storageClass === "standard", "homes use the cluster's home StorageClass", release.values?.singleuser?.storage?.dynamic);
    check(
        JSON.stringify(release.values?.scheduling?.corePods) === JSON.stringify({ nodeAffinity: { matchNodePurpose: "require" } }),
        "hub pods follow the cluster's node-purpose mode",
        release.values?.scheduling?.corePods,
    );
    const single = release.values?.singleuser?.image;
    check(single !== undefined && joinChartImage(single) === image, "KubeSpawner runs the prebuilt image by digest", single);
    const hubImage = release.values?.hub?.image;
    const proxyImage = release.values?.proxy?.chp?.image;
    check(
        hubImage !== undefined && joinChartImage(hubImage) === hubMirror && proxyImage !== undefined && joinChartImage(proxyImage) === mirrored.proxy,
        "the mirrored hub and proxy images from the typed images config",
        { hubImage, proxyImage },
    );
    const custom = declared.filter((r) => !r.type.startsWith("ds-platform:") && r.type !== "pulumi:pulumi:Stack" && r.type !== "pulumi:pulumi:StackReference");
    const others = [...new Set(custom.map((r) => r.type).filter((t) => !t.startsWith("kubernetes:") && t !== "pulumi:providers:kubernetes"))];
    check(custom.length > 0 && others.length === 0, `only Kubernetes resources (${custom.length}), so the kubernetes plugin alone deploys it`, others);
    check(ofType("docker-build:index:Image").length === 0, "no image build (image.prebuilt)");
    check((await valueOf(out.imageRef)) === image, "output imageRef is the prebuilt image", await valueOf(out.imageRef));
    check((await valueOf(out.hubUrl)) === "http://localhost:8080", "output hubUrl is the port-forward address", await valueOf(out.hubUrl));
}

async function cluster(): Promise<void> {
    const kubeconfig = "apiVersion: v1\nkind: Config\n";
    const facts = { kubernetesVersion: "1.35", matchNodePurpose: "prefer", gpuPools: [{ name: "ci-gpu", gpusPerNode: 2, maxSize: 1 }], homeStorageClass: "standard", registryUrl: "127.0.0.1:5000" };
    const configure = (overrides: Record<string, string> = {}) =>
        pulumi.runtime.setAllConfig(
            {
                [`${project}:kubeconfig`]: kubeconfig,
                [`${project}:kubernetesVersion`]: facts.kubernetesVersion,
                [`${project}:matchNodePurpose`]: facts.matchNodePurpose,
                [`${project}:gpuPools`]: JSON.stringify(facts.gpuPools),
                [`${project}:homeStorageClass`]: facts.homeStorageClass,
                [`${project}:registryUrl`]: facts.registryUrl,
                ...overrides,
            },
            [`${project}:kubeconfig`],
        );
    configure();
    const { CLUSTER_STACK_OUTPUT_NAMES, ConfigError } = await import("ds-platform");
    const program = require.resolve("./cluster/index");
    // The program's module.exports are its stack outputs.
    const exported: Record<string, pulumi.Output<unknown>> = (await import("./cluster/index")).default;
    await settle();
    const names = Object.keys(exported);
    check(
        names.length === CLUSTER_STACK_OUTPUT_NAMES.length && CLUSTER_STACK_OUTPUT_NAMES.every((n: string) => names.includes(n)),
        `the program exports every cluster stack output: ${CLUSTER_STACK_OUTPUT_NAMES.join(", ")}`,
        names,
    );
    check((await valueOf(exported.kubeconfig)) === kubeconfig && (await pulumi.isSecret(exported.kubeconfig)), "kubeconfig is the configured one, a secret");
    const values = Object.fromEntries(await Promise.all(Object.keys(facts).map(async (k) => [k, await valueOf(exported[k])] as const)));
    check(JSON.stringify(values) === JSON.stringify(facts), "the facts are the configured ones", values);
    const resources = declared.filter((r) => r.type !== "pulumi:pulumi:Stack");
    check(resources.length === 0, "no resource declared: pulumi up needs no cluster and no plugin", resources.map((r) => r.type));
    delete require.cache[program];
    configure({ [`${project}:kubernetesVersion`]: "1.20" });
    let refused: unknown;
    try {
        await import("./cluster/index");
    } catch (e) {
        refused = e;
    }
    check(refused instanceof ConfigError && /kubernetesVersion/.test((refused as Error).message), "a fact no team stack would accept fails the cluster stack's own run (kubernetesVersion 1.20)", String(refused));
}

async function example(): Promise<void> {
    pulumi.runtime.setAllConfig(
        { [`${project}:hubPassword`]: "team-a-password", [`${project}:hubAdminPassword`]: "team-a-admin-password-of-32-chars!" },
        [`${project}:hubPassword`, `${project}:hubAdminPassword`],
    );
    const { teamPlatform } = await import("./example/program");
    const out = teamPlatform();
    await settle();
    checkHub("team-a");
    const images = ofType("docker-build:index:Image").map((r) => plain(r.inputs));
    const shipped = fs.realpathSync(path.join(path.dirname(require.resolve("ds-platform/package.json")), "images", "notebook"));
    const location = images[0]?.context?.location;
    check(
        images.length === 1 && typeof location === "string" && fs.realpathSync(location) === shipped,
        "without projectRoot the image is built from the images/notebook installed with the package",
        location,
    );
    const digest = process.env.CONSUMER_CONTEXT_DIGEST ?? "";
    const tag: string = images[0]?.tags?.[0] ?? "";
    check(/^[a-f0-9]{64}$/.test(digest) && tag.includes(`-${digest.slice(0, 12)}-`), "its tag carries the repository's context digest: the packaged context is the same files, modes included", tag);
    check(/^localhost:30501\/team-a\/notebook@sha256:[a-f0-9]{64}$/.test(await valueOf(out.imageRef)), "output imageRef is the built image by digest", await valueOf(out.imageRef));
}

const run: Record<string, () => Promise<void>> = { team, cluster, example };
(run[mode] ? run[mode]() : Promise.reject(new Error(`usage: mocks.ts team|cluster|example (got ${mode})`)))
    .then(() => process.exit(failures > 0 ? 1 : 0))
    .catch((e) => {
        console.log(`not ok: the ${mode} program under mocks threw: ${(e as Error).stack ?? e}`);
        process.exit(2);
    });
