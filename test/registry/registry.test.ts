import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ConfigError, registrySchema, RegistryConfig } from "../../components/config/config";
import { isDigestReference } from "../../components/image/imageReference";
import {
    containerdHostsToml,
    DEFAULT_PULL_SECRET_NAME,
    dockerConfigJson,
    ecrLifecyclePolicy,
    htpasswdEntry,
    Registry,
    RegistryArgs,
    registryTlsNames,
    statefulOptions,
} from "../../components/registry/registry";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { isSecret, plainStrings, RecordedResource, registerMockOutputs, ResourceRecorder, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";

registerMockOutputs("aws:ecr/repository:Repository", (a) => ({
    registryId: "123456789012",
    repositoryUrl: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${a.inputs.name}`,
}));

interface ChildOptions {
    type: string;
    name: string;
    protect?: boolean;
    retainOnDelete?: boolean;
}

/** Builds a Registry under mocks and records each child's resource options through a transformation. */
async function build(registry: Partial<RegistryConfig> & Record<string, unknown>, args: Partial<RegistryArgs> = {}, providers?: pulumi.ProviderResource[]) {
    const recorder = setupMocks();
    const options: ChildOptions[] = [];
    const capture: pulumi.ResourceTransformation = (t) => {
        options.push({ type: t.type, name: t.name, protect: t.opts.protect as boolean | undefined, retainOnDelete: t.opts.retainOnDelete });
        return undefined;
    };
    const component = new Registry(
        "registry",
        {
            registry: registrySchema.parse(registry),
            namespace: "ds-platform",
            pullSecretNamespaces: ["ds-platform", "spark"],
            protect: true,
            ...args,
        },
        { transformations: [capture], providers },
    );
    await settle(recorder);
    return { recorder, component, options };
}

function kubernetesObjects(recorder: ResourceRecorder): RecordedResource[] {
    return recorder.resources.filter((r) => kubernetesGvk(r.type) !== undefined);
}

function expectValidKubernetes(recorder: ResourceRecorder): void {
    const objects = kubernetesObjects(recorder);
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) {
        expect({ name: r.name, errors: validateKubernetesObject(unwrapSecrets(r.inputs)) }).toEqual({ name: r.name, errors: [] });
    }
}

function expectPullSecrets(recorder: ResourceRecorder, server: string): void {
    const pulls = recorder.ofType("kubernetes:core/v1:Secret").filter((r) => r.inputs.type === "kubernetes.io/dockerconfigjson");
    expect(pulls.map((p) => p.inputs.metadata.namespace).sort()).toEqual(["ds-platform", "spark"]);
    for (const p of pulls) {
        expect(p.inputs.metadata.name).toBe(DEFAULT_PULL_SECRET_NAME);
        // The document is secret in the declared inputs: no plain string carries it.
        expect(plainStrings(p.inputs).filter((s) => s.path.startsWith("stringData") || s.path.startsWith("data"))).toEqual([]);
        const config = JSON.parse(unwrapSecrets(p.inputs).stringData[".dockerconfigjson"]);
        expect(Object.keys(config.auths)).toEqual([server]);
    }
}

describe("pure helpers", () => {
    it("statefulOptions protects and retains exactly when asked", () => {
        expect(statefulOptions(true)).toEqual({ protect: true, retainOnDelete: true });
        expect(statefulOptions(false)).toEqual({ protect: false, retainOnDelete: false });
    });

    it("dockerConfigJson writes username, password and their base64 auth for the server", () => {
        const doc = JSON.parse(dockerConfigJson("localhost:30500", "user", "p4ss"));
        expect(doc.auths["localhost:30500"]).toEqual({ username: "user", password: "p4ss", auth: Buffer.from("user:p4ss").toString("base64") });
        expect(() => dockerConfigJson("https://x", "u", "p")).toThrow(/not a host\[:port\]/);
        expect(() => dockerConfigJson("x.io", "u:1", "p")).toThrow(/must not contain ':'/);
        expect(() => dockerConfigJson("x.io", "u 1", "p")).toThrow(/or spaces/);
    });

    it("htpasswdEntry needs a bcrypt hash and a plain user name", () => {
        expect(htpasswdEntry("ds", "$2a$10$abc")).toBe("ds:$2a$10$abc\n");
        expect(() => htpasswdEntry("ds", "plaintext")).toThrow(/bcrypt/);
        expect(() => htpasswdEntry("a:b", "$2a$10$abc")).toThrow(/':'/);
    });

    it("ecrLifecyclePolicy expires untagged images and keeps the last N per target prefix", () => {
        const policy = JSON.parse(ecrLifecyclePolicy({ untaggedExpiryDays: 5, keepTaggedImages: 12, tagPrefixes: ["cpu-", "gpu-"] }));
        expect(policy.rules).toHaveLength(3);
        expect(policy.rules[0].selection).toEqual({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 5 });
        expect(policy.rules.slice(1).map((r: any) => r.selection)).toEqual([
            { tagStatus: "tagged", tagPrefixList: ["cpu-"], countType: "imageCountMoreThan", countNumber: 12 },
            { tagStatus: "tagged", tagPrefixList: ["gpu-"], countType: "imageCountMoreThan", countNumber: 12 },
        ]);
        expect(new Set(policy.rules.map((r: any) => r.rulePriority)).size).toBe(3);
        expect(policy.rules.every((r: any) => r.action.type === "expire")).toBe(true);
        expect(() => ecrLifecyclePolicy({ untaggedExpiryDays: 0, keepTaggedImages: 1, tagPrefixes: ["cpu-"] })).toThrow(/untaggedExpiryDays/);
        expect(() => ecrLifecyclePolicy({ untaggedExpiryDays: 1, keepTaggedImages: 1, tagPrefixes: [] })).toThrow(/tagPrefixes/);
    });

    it("registryTlsNames covers the service, localhost, 127.0.0.1 and a push address", () => {
        expect(registryTlsNames("registry", "ns", ["10.1.2.3:30500"])).toEqual({
            dnsNames: ["registry.ns.svc", "registry.ns.svc.cluster.local", "localhost"],
            ipAddresses: ["127.0.0.1", "10.1.2.3"],
        });
        expect(registryTlsNames("registry", "ns", ["builder.lan:30500"]).dnsNames).toContain("builder.lan");
    });

    it("containerdHostsToml points containerd at the CA next to it", () => {
        const toml = containerdHostsToml("localhost:30500");
        expect(toml).toContain('server = "https://localhost:30500"');
        expect(toml).toContain('[host."https://localhost:30500"]');
        expect(toml).toContain('ca = "/etc/containerd/certs.d/localhost:30500/ca.crt"');
        expect(() => containerdHostsToml("https://x")).toThrow(/not a host/);
    });
});

describe("in-cluster registry", () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        built = await build({ nodePort: 30555, storageSize: "50Gi", storageClass: "fast" });
    });

    it("runs the digest-pinned Distribution image as one non-root replica that Recreates", () => {
        const dep = built.recorder.one("kubernetes:apps/v1:Deployment").inputs;
        const pod = dep.spec.template.spec;
        const container = pod.containers[0];
        expect(isDigestReference(container.image)).toBe(true);
        expect(container.image).toBe(registrySchema.parse({}).image);
        expect(dep.spec.replicas).toBe(1);
        expect(dep.spec.strategy).toEqual({ type: "Recreate" });
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(container.resources.requests).toBeDefined();
        expect(container.resources.limits).toBeDefined();
        expect(container.readinessProbe.tcpSocket).toBeDefined();
        expect(container.livenessProbe.tcpSocket).toBeDefined();
        // No secret inside the spec, so diffs of the Deployment stay readable.
        expect(unwrapSecrets(dep)).toEqual(dep);
    });

    it("configures TLS, htpasswd auth and storage through Distribution's environment", () => {
        const container = built.recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0];
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
        expect(env).toMatchObject({ REGISTRY_AUTH: "htpasswd", REGISTRY_STORAGE_DELETE_ENABLED: "true" });
        expect(env.REGISTRY_AUTH_HTPASSWD_REALM).toBeTruthy();
        expect(env.REGISTRY_HTTP_TLS_CERTIFICATE).toBe(`${mounts.tls}/tls.crt`);
        expect(env.REGISTRY_HTTP_TLS_KEY).toBe(`${mounts.tls}/tls.key`);
        expect(env.REGISTRY_AUTH_HTPASSWD_PATH).toBe(`${mounts.auth}/htpasswd`);
        expect(env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY).toBe(mounts.data);
    });

    it("keeps the blobs on a protected, retained claim of the configured size and class", () => {
        const claim = built.recorder.one("kubernetes:core/v1:PersistentVolumeClaim").inputs;
        expect(claim.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } }, storageClassName: "fast" });
        const volumes = built.recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.volumes;
        expect(volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName).toBe(claim.metadata.name);
        const opts = built.options.find((o) => o.type === "kubernetes:core/v1:PersistentVolumeClaim");
        expect(opts).toMatchObject({ protect: true, retainOnDelete: true });
    });

    it("does not protect the claim when protect is false", async () => {
        const { options } = await build({}, { protect: false });
        expect(options.find((o) => o.type === "kubernetes:core/v1:PersistentVolumeClaim")).toMatchObject({ protect: false, retainOnDelete: false });
    });

    it("is reached through a NodePort Service on registry.nodePort", () => {
        const svc = built.recorder.one("kubernetes:core/v1:Service").inputs;
        const dep = built.recorder.one("kubernetes:apps/v1:Deployment").inputs;
        expect(svc.spec.type).toBe("NodePort");
        expect(svc.spec.ports[0].nodePort).toBe(30555);
        expect(dep.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    });

    it("signs a server certificate with its own CA for the in-cluster and localhost names", async () => {
        const ca = built.recorder.one("tls:index/selfSignedCert:SelfSignedCert").inputs;
        expect(ca.isCaCertificate).toBe(true);
        const csr = built.recorder.one("tls:index/certRequest:CertRequest").inputs;
        expect(csr.dnsNames).toEqual(expect.arrayContaining(["registry.ds-platform.svc", "registry.ds-platform.svc.cluster.local", "localhost"]));
        expect(csr.ipAddresses).toEqual(["127.0.0.1"]);
        expect(built.recorder.ofType("tls:index/locallySignedCert:LocallySignedCert")).toHaveLength(1);
        const tlsSecret = built.recorder.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.type === "kubernetes.io/tls")!;
        const data = unwrapSecrets(tlsSecret.inputs).stringData;
        expect(data["tls.crt"]).toMatch(/BEGIN CERTIFICATE/);
        expect(data["tls.key"]).toMatch(/BEGIN PRIVATE KEY/);
        expect(await valueOf(built.component.caCertPem)).toMatch(/BEGIN CERTIFICATE/);
        expect(await valueOf(built.component.containerdHostsToml)).toContain("localhost:30555");
    });

    it("builds the htpasswd secret from the generated password's bcrypt hash", () => {
        const htpasswd = built.recorder.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "registry-htpasswd")!;
        const line: string = unwrapSecrets(htpasswd.inputs).stringData.htpasswd;
        const password = built.recorder.one("random:index/randomPassword:RandomPassword");
        expect(password.inputs.special).toBe(false);
        expect(line).toMatch(/^ds-platform:\$2a\$10\$[0-9a-f]+\n$/);
        expect(plainStrings(htpasswd.inputs).filter((s) => s.path.startsWith("stringData"))).toEqual([]);
    });

    it("gives pull secrets for localhost:<nodePort> in every namespace and secret credentials", async () => {
        expectPullSecrets(built.recorder, "localhost:30555");
        const c = built.component;
        expect(await valueOf(c.server)).toBe("localhost:30555");
        expect(await valueOf(c.pushServer)).toBe("localhost:30555");
        expect(await valueOf(c.repository)).toBe("localhost:30555/ds-platform/notebook");
        expect(await valueOf(c.username)).toBe("ds-platform");
        expect(await isSecret(c.password)).toBe(true);
        expect(await valueOf(c.password)).toMatch(/^pw-/);
        expect(c.pullSecretName).toBe(DEFAULT_PULL_SECRET_NAME);
        expect(c.kind).toBe("in-cluster");
    });

    it("declares only Kubernetes objects that pass strict validation", () => {
        expect(kubernetesObjects(built.recorder).map((r) => r.type).sort()).toEqual([
            "kubernetes:apps/v1:Deployment",
            "kubernetes:core/v1:PersistentVolumeClaim",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Service",
        ]);
        expectValidKubernetes(built.recorder);
    });

    it("pushes through a configured pushAddress, which the certificate names", async () => {
        const { recorder, component } = await build({ pushAddress: "192.168.49.2:30500" });
        expect(await valueOf(component.pushServer)).toBe("192.168.49.2:30500");
        expect(await valueOf(component.pushRepository)).toBe("192.168.49.2:30500/ds-platform/notebook");
        expect(await valueOf(component.repository)).toBe("localhost:30500/ds-platform/notebook");
        expect(recorder.one("tls:index/certRequest:CertRequest").inputs.ipAddresses).toEqual(["127.0.0.1", "192.168.49.2"]);
    });
});

describe("ECR registry", () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        const recorder = setupMocks();
        const awsProvider = new aws.Provider("aws", { region: "eu-west-1" });
        await settle(recorder);
        built = await build({ kind: "ecr", untaggedExpiryDays: 3, keepTaggedImages: 9 }, { tags: { owner: "team" } }, [awsProvider]);
    });

    it("creates an immutable, scanned, KMS-encrypted repository that is never force-deleted", () => {
        const repo = built.recorder.one("aws:ecr/repository:Repository").inputs;
        expect(repo.name).toBe("ds-platform/notebook");
        expect(repo.imageTagMutability).toBe("IMMUTABLE_WITH_EXCLUSION");
        // Only the BuildKit cache tags may move.
        expect(repo.imageTagMutabilityExclusionFilters).toEqual([{ filterType: "WILDCARD", filter: "buildcache-*" }]);
        expect(repo.imageScanningConfiguration).toEqual({ scanOnPush: true });
        expect(repo.encryptionConfigurations).toEqual([{ encryptionType: "KMS" }]);
        expect(repo.forceDelete).toBe(false);
        expect(repo.tags).toEqual({ owner: "team" });
        expect(built.options.find((o) => o.type === "aws:ecr/repository:Repository")).toMatchObject({ protect: true, retainOnDelete: true });
    });

    it("attaches the lifecycle policy from config", () => {
        const policy = JSON.parse(built.recorder.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy);
        expect(policy.rules[0].selection.countNumber).toBe(3);
        expect(policy.rules.slice(1).map((r: any) => [r.selection.tagPrefixList[0], r.selection.countNumber])).toEqual([
            ["cpu-", 9],
            ["gpu-", 9],
        ]);
    });

    it("serves the repository URL, a secret token, and no pull secrets (nodes pull with their role)", async () => {
        const c = built.component;
        expect(await valueOf(c.server)).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        expect(await valueOf(c.repository)).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/ds-platform/notebook");
        expect(await valueOf(c.pushRepository)).toBe(await valueOf(c.repository));
        expect(await isSecret(c.password)).toBe(true);
        expect(c.pullSecretName).toBeUndefined();
        expect(c.caCertPem).toBeUndefined();
        expect(kubernetesObjects(built.recorder)).toEqual([]);
    });

    it("requires the AWS provider in opts.providers", () => {
        setupMocks();
        expect(() => new Registry("r", { registry: registrySchema.parse({ kind: "ecr" }), namespace: "ns", protect: false })).toThrow(/needs the AWS provider/);
    });
});

describe("external registry", () => {
    it("uses the configured server and user with the given secret password", async () => {
        const password = pulumi.secret("s3cret-value");
        const { recorder, component } = await build({ kind: "external", server: "registry.example.com:8443", username: "robot" }, { password });
        expect(await valueOf(component.server)).toBe("registry.example.com:8443");
        expect(await valueOf(component.repository)).toBe("registry.example.com:8443/ds-platform/notebook");
        expect(await valueOf(component.username)).toBe("robot");
        expect(await valueOf(component.password)).toBe("s3cret-value");
        expect(await isSecret(component.password)).toBe(true);
        expect(component.caCertPem).toBeUndefined();
        expectPullSecrets(recorder, "registry.example.com:8443");
        const doc = JSON.parse(unwrapSecrets(recorder.ofType("kubernetes:core/v1:Secret")[0].inputs).stringData[".dockerconfigjson"]);
        expect(doc.auths["registry.example.com:8443"]).toMatchObject({ username: "robot", password: "s3cret-value" });
        // Nothing in-cluster is declared for an external registry.
        expect(recorder.ofType("kubernetes:apps/v1:Deployment")).toEqual([]);
        expectValidKubernetes(recorder);
        for (const r of recorder.resources) {
            expect(plainStrings(r.inputs).filter((s) => s.value.includes("s3cret-value"))).toEqual([]);
        }
    });

    it("refuses to start without the password or the server", () => {
        setupMocks();
        const external = registrySchema.parse({ kind: "external", server: "r.example.com", username: "u" });
        expect(() => new Registry("r", { registry: external, namespace: "ns", protect: false })).toThrow(
            /with a username needs the password \(stack secret registryPassword\)/,
        );
        expect(() => new Registry("r2", { registry: registrySchema.parse({ kind: "external" }), namespace: "ns", protect: false, password: "x" })).toThrow(
            /registry\.server: is required when registry\.kind is external/,
        );
    });

    it("checks settings that did not come through the config parse with the config's own rules", () => {
        const recorder = setupMocks();
        const unchecked = (registry: Partial<RegistryConfig>) => () =>
            new Registry("r3", { registry: { ...registrySchema.parse({}), ...registry }, namespace: "ns", protect: false, password: "x" });
        expect(unchecked({ image: "registry:2" })).toThrow(/registry\.image: must be an image reference pinned by digest/);
        expect(unchecked({ username: "a b" })).toThrow(/registry\.username: must be a user name without ':' or spaces/);
        expect(unchecked({ kind: "external", server: undefined })).toThrow(ConfigError);
        expect(recorder.resources).toHaveLength(0);
    });

    it("without a user: anonymous pulls from a mirror, so no pull secret and no credentials", async () => {
        const { recorder, component } = await build({ kind: "external", server: "127.0.0.1:5000" });
        expect(await valueOf(component.repository)).toBe("127.0.0.1:5000/ds-platform/notebook");
        expect(component.pullSecretName).toBeUndefined();
        expect(await valueOf(component.username)).toBe("");
        expect(recorder.ofType("kubernetes:core/v1:Secret")).toEqual([]);
    });
});
