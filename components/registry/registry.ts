/**
 * The registry that holds the notebook image: an in-cluster CNCF Distribution server, an AWS ECR
 * repository, or an existing external registry. Whatever the kind, the component hands out the same
 * outputs: where to push, the repository every pod refers to (by digest), credentials as Pulumi
 * secrets, and the name of the `kubernetes.io/dockerconfigjson` Secret in each namespace that pulls.
 *
 * In-cluster: the registry listens with TLS (its own CA) and htpasswd auth behind a NodePort, so
 * both the deploying machine and every node's container runtime reach it at `localhost:<nodePort>`
 * (kind/k3d map that port from the host; kube-proxy serves NodePorts on the node's localhost).
 * Neither trusts the registry's CA by default; see `RegistryArgs` and `containerdHostsToml` for the
 * one-time trust setup.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { assertRegistryConfig, RegistryConfig, registryUsername } from "../config/config";
import { isRegistryHost } from "../image/imageReference";
import { REGISTRY_PORT } from "./port";

export { REGISTRY_PORT } from "./port";
/** User for the in-cluster registry when `registry.username` is not set. */
export const DEFAULT_REGISTRY_USER = "ds-platform";
/** Name of the pull Secret created in every namespace that runs the notebook image. */
export const DEFAULT_PULL_SECRET_NAME = "notebook-registry";
/** Tag prefix of the BuildKit cache manifests; the only tags that may move. */
export const BUILD_CACHE_TAG_PREFIX = "buildcache-";
/** UID/GID the registry runs as: the registry:2 image defaults to root, which it does not need. */
export const REGISTRY_RUN_AS = 1000;

/** Build targets of the notebook image. */
export const IMAGE_TARGETS = ["cpu", "gpu"] as const;
export type ImageTarget = (typeof IMAGE_TARGETS)[number];

/** Every image tag of a target starts with this; lifecycle rules keep images by it. */
export function imageTagPrefix(target: ImageTarget): string {
    return `${target}-`;
}

const DATA_DIR = "/var/lib/registry";
const CERT_DIR = "/certs";
const AUTH_DIR = "/auth";

/** Resource options of stateful children: kept on `pulumi destroy` and never replaced silently. */
export function statefulOptions(protect: boolean): Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete"> {
    return { protect, retainOnDelete: protect };
}

/** The `.dockerconfigjson` document of a pull Secret, as kubelet and `docker login` write it. */
export function dockerConfigJson(server: string, username: string, password: string): string {
    if (!isRegistryHost(server)) {
        throw new Error(`registry server "${server}" is not a host[:port]`);
    }
    if (!registryUsername.safeParse(username).success) {
        throw new Error(`registry username "${username}" must not contain ':' or spaces`);
    }
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/** One htpasswd line from a bcrypt hash (the only hash Distribution accepts). */
export function htpasswdEntry(username: string, bcryptHash: string): string {
    if (!registryUsername.safeParse(username).success) {
        throw new Error(`registry username "${username}" must not contain ':' or spaces`);
    }
    if (!/^\$2[abxy]?\$[0-9]{2}\$/.test(bcryptHash)) {
        throw new Error(`htpasswd for "${username}" needs a bcrypt hash ($2a$/$2b$/$2y$...)`);
    }
    return `${username}:${bcryptHash}\n`;
}

export interface EcrLifecycle {
    /** Untagged images (replaced cache manifests, failed pushes) expire after this many days. */
    untaggedExpiryDays: number;
    /** For each tag prefix, keep this many most recent images. */
    keepTaggedImages: number;
    /** Tag prefixes of the images kept, one rule each (a rule with several prefixes needs all of them). */
    tagPrefixes: string[];
}

/**
 * The ECR lifecycle policy document. Build-cache tags match no "keep" rule, so they stay; the
 * manifests they used to point at become untagged and expire.
 */
export function ecrLifecyclePolicy(p: EcrLifecycle): string {
    if (!Number.isInteger(p.untaggedExpiryDays) || p.untaggedExpiryDays < 1) {
        throw new Error(`untaggedExpiryDays must be a positive integer (got ${p.untaggedExpiryDays})`);
    }
    if (!Number.isInteger(p.keepTaggedImages) || p.keepTaggedImages < 1) {
        throw new Error(`keepTaggedImages must be a positive integer (got ${p.keepTaggedImages})`);
    }
    if (p.tagPrefixes.length === 0) {
        throw new Error("tagPrefixes must name at least one tag prefix");
    }
    const rules = [
        {
            rulePriority: 1,
            description: `Expire untagged images after ${p.untaggedExpiryDays} days`,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: p.untaggedExpiryDays },
            action: { type: "expire" },
        },
        ...p.tagPrefixes.map((prefix, i) => ({
            rulePriority: i + 2,
            description: `Keep the last ${p.keepTaggedImages} images tagged ${prefix}*`,
            selection: { tagStatus: "tagged", tagPrefixList: [prefix], countType: "imageCountMoreThan", countNumber: p.keepTaggedImages },
            action: { type: "expire" },
        })),
    ];
    return JSON.stringify({ rules });
}

/** The names the in-cluster registry's certificate must carry. */
export function registryTlsNames(serviceName: string, namespace: string, extraAddresses: string[] = []): { dnsNames: string[]; ipAddresses: string[] } {
    const hosts = extraAddresses.map((a) => a.replace(/:[0-9]+$/, ""));
    const isIp = (h: string) => /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(h);
    const dnsNames = [`${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`, "localhost", ...hosts.filter((h) => !isIp(h))];
    const ipAddresses = ["127.0.0.1", ...hosts.filter(isIp)];
    return { dnsNames: [...new Set(dnsNames)], ipAddresses: [...new Set(ipAddresses)] };
}

/**
 * containerd's per-registry trust file, `/etc/containerd/certs.d/<address>/hosts.toml`, with the CA
 * stored next to it as `ca.crt`. containerd reads it on every pull, so no restart is needed, as long as
 * its CRI registry `config_path` is `/etc/containerd/certs.d`.
 */
export function containerdHostsToml(address: string): string {
    if (!isRegistryHost(address)) {
        throw new Error(`registry address "${address}" is not a host[:port]`);
    }
    return [
        `server = "https://${address}"`,
        "",
        `[host."https://${address}"]`,
        '  capabilities = ["pull", "resolve"]',
        `  ca = "/etc/containerd/certs.d/${address}/ca.crt"`,
        "",
    ].join("\n");
}

/** Inputs of the in-cluster registry's Kubernetes objects. */
export interface InClusterRegistrySpec {
    /** Base name of every object (Deployment and Service). */
    name: string;
    namespace: pulumi.Input<string>;
    /** Distribution image, pinned by digest. */
    image: string;
    nodePort: number;
    storageSize: string;
    storageClass?: string;
    tlsSecretName: pulumi.Input<string>;
    htpasswdSecretName: pulumi.Input<string>;
    claimName: pulumi.Input<string>;
    /** Changes whenever the certificate or the credentials change, to restart the pod (both are read at start). */
    configChecksum: pulumi.Input<string>;
}

/** Labels of the in-cluster registry's objects; the first two select its pod. */
export function registryLabels(name: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "registry",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "image-registry",
        "app.kubernetes.io/part-of": "ds-platform",
    };
}

/** Labels that select the in-cluster registry's pod (Service selector, NetworkPolicy peers). */
export function registryPodSelector(name: string): Record<string, string> {
    const labels = registryLabels(name);
    return { "app.kubernetes.io/name": labels["app.kubernetes.io/name"], "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"] };
}

/** The PersistentVolumeClaim holding the registry's blobs. */
export function registryClaim(s: Pick<InClusterRegistrySpec, "name" | "namespace" | "storageSize" | "storageClass">) {
    return {
        metadata: { name: `${s.name}-data`, namespace: s.namespace, labels: registryLabels(s.name) },
        spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: s.storageSize } },
            ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
        },
    };
}

/** The registry Deployment: one replica on a ReadWriteOnce volume, so updates Recreate. */
export function registryDeployment(s: InClusterRegistrySpec) {
    const labels = registryLabels(s.name);
    const selector = registryPodSelector(s.name);
    const probe = { tcpSocket: { port: "https" } };
    // Settings as Distribution's REGISTRY_<section>_<key> environment overrides of its built-in config.
    const env: Record<string, string> = {
        REGISTRY_HTTP_ADDR: `:${REGISTRY_PORT}`,
        REGISTRY_HTTP_TLS_CERTIFICATE: `${CERT_DIR}/tls.crt`,
        REGISTRY_HTTP_TLS_KEY: `${CERT_DIR}/tls.key`,
        REGISTRY_AUTH: "htpasswd",
        REGISTRY_AUTH_HTPASSWD_REALM: "ds-platform registry",
        REGISTRY_AUTH_HTPASSWD_PATH: `${AUTH_DIR}/htpasswd`,
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: DATA_DIR,
        REGISTRY_STORAGE_DELETE_ENABLED: "true",
    };
    return {
        metadata: { name: s.name, namespace: s.namespace, labels },
        spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: selector },
            template: {
                metadata: { labels, annotations: { "ds-platform.io/config-checksum": s.configChecksum } },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: REGISTRY_RUN_AS,
                        runAsGroup: REGISTRY_RUN_AS,
                        fsGroup: REGISTRY_RUN_AS,
                        fsGroupChangePolicy: "OnRootMismatch",
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [
                        {
                            name: "registry",
                            image: s.image,
                            ports: [{ name: "https", containerPort: REGISTRY_PORT, protocol: "TCP" }],
                            env: Object.entries(env).map(([name, value]) => ({ name, value })),
                            resources: {
                                requests: { cpu: "100m", memory: "128Mi" },
                                limits: { cpu: "1", memory: "1Gi" },
                            },
                            // HTTPS / answers 401 without credentials, so an HTTP probe could never pass.
                            readinessProbe: { ...probe, initialDelaySeconds: 2, periodSeconds: 10 },
                            livenessProbe: { ...probe, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 },
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                            },
                            volumeMounts: [
                                { name: "data", mountPath: DATA_DIR },
                                { name: "tls", mountPath: CERT_DIR, readOnly: true },
                                { name: "auth", mountPath: AUTH_DIR, readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "data", persistentVolumeClaim: { claimName: s.claimName } },
                        { name: "tls", secret: { secretName: s.tlsSecretName, defaultMode: 0o440 } },
                        { name: "auth", secret: { secretName: s.htpasswdSecretName, defaultMode: 0o440 } },
                        { name: "tmp", emptyDir: {} },
                    ],
                },
            },
        },
    };
}

/** The NodePort Service through which nodes and the deploying machine reach the registry. */
export function registryService(s: Pick<InClusterRegistrySpec, "name" | "namespace" | "nodePort">) {
    const labels = registryLabels(s.name);
    return {
        metadata: { name: s.name, namespace: s.namespace, labels },
        spec: {
            type: "NodePort",
            selector: registryPodSelector(s.name),
            ports: [{ name: "https", port: REGISTRY_PORT, targetPort: "https", nodePort: s.nodePort, protocol: "TCP" }],
        },
    };
}

export interface RegistryArgs {
    /** The `registry` section of the platform config (kind, repository, in-cluster and ECR settings). Required. */
    registry: RegistryConfig;
    /** Namespace the in-cluster registry runs in. Required (used by kind in-cluster only). */
    namespace: pulumi.Input<string>;
    /** Namespaces that run the notebook image; each gets the pull Secret (not for ecr: nodes pull with their IAM role). Default: [] */
    pullSecretNamespaces?: pulumi.Input<string>[];
    /** Name of the pull Secret in each of `pullSecretNamespaces`. Default: notebook-registry */
    pullSecretName?: string;
    /** Password of the external registry (stack secret `registryPassword`). Required for kind external; ignored otherwise. */
    password?: pulumi.Input<string>;
    /** Protect the registry's storage (in-cluster volume, ECR repository) from deletion and replacement (config `protectData`). Required. */
    protect: boolean;
    /** Tags on AWS resources. Default: {} */
    tags?: Record<string, string>;
}

/**
 * The image registry. Outputs are the same for every kind; `caCertPem` and `containerdHostsToml`
 * exist for in-cluster only.
 *
 * In-cluster trust setup (once per cluster, after the first `pulumi up` created the registry):
 * - nodes: write `caCertPem` to `/etc/containerd/certs.d/localhost:<nodePort>/ca.crt` and
 *   `containerdHostsToml` to `hosts.toml` next to it, on every node. With kind, mount a host folder
 *   there through `extraMounts` and set the CRI registry `config_path = "/etc/containerd/certs.d"`
 *   through `containerdConfigPatches`; map `<nodePort>` to the host with `extraPortMappings`
 *   (k3d: `--port <nodePort>:<nodePort>@server:0` and `registries.yaml` with the CA file).
 * - the deploying machine: its BuildKit pushes to `pushServer`, so Docker must trust the CA at
 *   `/etc/docker/certs.d/<pushServer>/ca.crt` (the default `docker` build driver; a
 *   `docker-container` builder needs the CA in its buildkitd.toml and a `pushAddress` it can reach).
 * The first up can therefore stop at the image push; create the registry first with
 * `pulumi up --target` on this component, install the CA, then run `pulumi up`.
 *
 * Pass the Kubernetes provider, and for kind ecr the AWS provider, in `opts.providers`.
 */
export class Registry extends pulumi.ComponentResource {
    /** Registry kind. */
    public readonly kind: RegistryConfig["kind"];
    /** host[:port] that pods' image references and pull Secrets name. */
    public readonly server: pulumi.Output<string>;
    /** `<server>/<repository path>`: the repository every pod refers to, by digest. */
    public readonly repository: pulumi.Output<string>;
    /** host[:port] the deploying machine pushes to (equal to `server` except for an in-cluster `pushAddress`). */
    public readonly pushServer: pulumi.Output<string>;
    /** `<pushServer>/<repository path>`: where builds push images and cache. */
    public readonly pushRepository: pulumi.Output<string>;
    /** User for pushes and pulls; empty for an external registry with anonymous pulls. */
    public readonly username: pulumi.Output<string>;
    /** Password or token for pushes and pulls (secret). */
    public readonly password: pulumi.Output<string>;
    /** Name of the pull Secret in each of `pullSecretNamespaces`; undefined for ecr (nodes pull with their IAM role). */
    public readonly pullSecretName: string | undefined;
    /** PEM of the CA that signed the in-cluster registry's certificate; undefined for other kinds. */
    public readonly caCertPem: pulumi.Output<string> | undefined;
    /** containerd `hosts.toml` for `server` (in-cluster only), to install with the CA on every node. */
    public readonly containerdHostsToml: pulumi.Output<string> | undefined;
    /** Labels selecting the in-cluster registry's pod, for network policies; undefined for other kinds. */
    public readonly podSelector: Record<string, string> | undefined;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:registry:Registry", name, {}, opts);
        const cfg = args.registry;
        // Callers other than the platform may pass unchecked settings: the same rules the config parse runs.
        assertRegistryConfig(cfg);
        const pullSecretNamespaces = args.pullSecretNamespaces ?? [];
        const pullSecretName = args.pullSecretName ?? DEFAULT_PULL_SECRET_NAME;
        const tags = args.tags ?? {};
        this.kind = cfg.kind;
        this.podSelector = cfg.kind === "in-cluster" ? registryPodSelector(name) : undefined;

        let endpoint: { server: pulumi.Output<string>; pushServer: pulumi.Output<string>; repository: pulumi.Output<string>; username: pulumi.Output<string>; password: pulumi.Output<string> };
        let pullSecrets = true;
        if (cfg.kind === "in-cluster") {
            const inCluster = this.inCluster(name, cfg, args);
            endpoint = inCluster;
            this.caCertPem = inCluster.caCertPem;
            this.containerdHostsToml = inCluster.server.apply(containerdHostsToml);
        } else if (cfg.kind === "ecr") {
            endpoint = this.ecr(name, cfg, args, tags);
            // ECR tokens expire after 12 hours and change on every run; nodes pull with their role instead.
            pullSecrets = false;
        } else {
            if (cfg.username !== undefined && args.password === undefined) {
                throw new Error("registry kind external with a username needs the password (stack secret registryPassword)");
            }
            // registryRules (asserted above) guarantee the server of an external registry.
            const server = pulumi.output(cfg.server!);
            endpoint = {
                server,
                pushServer: server,
                repository: pulumi.output(`${cfg.server!}/${cfg.repository}`),
                username: pulumi.output(cfg.username ?? ""),
                password: pulumi.secret(args.password ?? ""),
            };
            // Without a user the registry serves anonymous pulls (a site mirror): no pull secret.
            pullSecrets = cfg.username !== undefined;
        }

        this.server = endpoint.server;
        this.pushServer = endpoint.pushServer;
        this.repository = endpoint.repository;
        this.pushRepository = pulumi.all([endpoint.pushServer]).apply(([s]) => `${s}/${cfg.repository}`);
        this.username = endpoint.username;
        this.password = pulumi.secret(endpoint.password);
        this.pullSecretName = pullSecrets ? pullSecretName : undefined;

        if (pullSecrets) {
            const config = pulumi.secret(
                pulumi.all([endpoint.server, endpoint.username, endpoint.password]).apply(([s, u, p]) => dockerConfigJson(s, u, p)),
            );
            pullSecretNamespaces.forEach((namespace, i) => {
                new k8s.core.v1.Secret(
                    `${name}-pull-${typeof namespace === "string" ? namespace : i}`,
                    {
                        metadata: { name: pullSecretName, namespace, labels: { "app.kubernetes.io/part-of": "ds-platform" } },
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: { ".dockerconfigjson": config },
                    },
                    { parent: this },
                );
            });
        }

        this.registerOutputs({
            kind: this.kind,
            server: this.server,
            repository: this.repository,
            pushServer: this.pushServer,
            pushRepository: this.pushRepository,
            username: this.username,
            password: this.password,
            pullSecretName: this.pullSecretName,
            caCertPem: this.caCertPem,
            containerdHostsToml: this.containerdHostsToml,
        });
    }

    private inCluster(name: string, cfg: RegistryConfig, args: RegistryArgs) {
        if (!/^[a-z]([-a-z0-9]{0,40}[a-z0-9])?$/.test(name)) {
            throw new Error(`in-cluster registry name "${name}" must be a Kubernetes name (lower-case letters, digits, '-'; at most 42 characters)`);
        }
        const parent = { parent: this };
        const address = `localhost:${cfg.nodePort}`;
        const pushAddress = cfg.pushAddress ?? address;
        const username = cfg.username ?? DEFAULT_REGISTRY_USER;

        // TLS: a private CA, and a server certificate for in-cluster, node-local and push names.
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "ds-platform registry CA", organization: "ds-platform" },
                validityPeriodHours: 10 * 365 * 24,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            parent,
        );
        const serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
        const names = pulumi.output(args.namespace).apply((ns) => registryTlsNames(name, ns, [pushAddress]));
        const csr = new tls.CertRequest(
            `${name}-server-csr`,
            {
                privateKeyPem: serverKey.privateKeyPem,
                subject: { commonName: "localhost", organization: "ds-platform" },
                dnsNames: names.dnsNames,
                ipAddresses: names.ipAddresses,
            },
            parent,
        );
        // One year, renewed by the `pulumi up` that runs within 30 days of expiry.
        const cert = new tls.LocallySignedCert(
            `${name}-server-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 365 * 24,
                earlyRenewalHours: 30 * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            parent,
        );
        const tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { name: `${name}-tls`, namespace: args.namespace, labels: registryLabels(name) },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": pulumi.secret(serverKey.privateKeyPem) },
            },
            parent,
        );

        // htpasswd from the provider-computed bcrypt hash: stable across runs, so no diff on every up.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent);
        const htpasswd = pulumi.secret(password.bcryptHash.apply((hash) => htpasswdEntry(username, hash)));
        const htpasswdSecret = new k8s.core.v1.Secret(
            `${name}-htpasswd`,
            {
                metadata: { name: `${name}-htpasswd`, namespace: args.namespace, labels: registryLabels(name) },
                type: "Opaque",
                stringData: { htpasswd },
            },
            parent,
        );

        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            registryClaim({ name, namespace: args.namespace, storageSize: cfg.storageSize, storageClass: cfg.storageClass }),
            { ...parent, ...statefulOptions(args.protect) },
        );
        // A one-way digest reveals nothing of the credentials; kept plain so the pod spec stays readable in diffs.
        const configChecksum = pulumi.unsecret(
            pulumi.all([cert.certPem, htpasswd]).apply(([c, h]) => crypto.createHash("sha256").update(c).update(h).digest("hex")),
        );
        new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            registryDeployment({
                name,
                namespace: args.namespace,
                image: cfg.image,
                nodePort: cfg.nodePort,
                storageSize: cfg.storageSize,
                storageClass: cfg.storageClass,
                tlsSecretName: tlsSecret.metadata.name,
                htpasswdSecretName: htpasswdSecret.metadata.name,
                claimName: claim.metadata.name,
                configChecksum,
            }),
            parent,
        );
        new k8s.core.v1.Service(`${name}-service`, registryService({ name, namespace: args.namespace, nodePort: cfg.nodePort }), parent);

        const server = pulumi.output(address);
        return {
            server,
            pushServer: pulumi.output(pushAddress),
            repository: pulumi.output(`${address}/${cfg.repository}`),
            username: pulumi.output(username),
            password: pulumi.secret(password.result),
            caCertPem: ca.certPem,
        };
    }

    private ecr(name: string, cfg: RegistryConfig, args: RegistryArgs, tags: Record<string, string>) {
        // The repository must be in the platform's region, with its tags: never the ambient default provider.
        if (!this.getProvider("aws::")) {
            throw new Error("registry kind ecr needs the AWS provider in opts.providers");
        }
        const provider = { parent: this };
        const repo = new aws.ecr.Repository(
            `${name}-repository`,
            {
                name: cfg.repository,
                // Image tags never move; only the BuildKit cache tags are rewritten by every build.
                imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
                imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: `${BUILD_CACHE_TAG_PREFIX}*` }],
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", ...(cfg.kmsKeyArn ? { kmsKey: cfg.kmsKeyArn } : {}) }],
                forceDelete: false,
                tags,
            },
            { ...provider, ...statefulOptions(args.protect) },
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            {
                repository: repo.name,
                policy: ecrLifecyclePolicy({
                    untaggedExpiryDays: cfg.untaggedExpiryDays,
                    keepTaggedImages: cfg.keepTaggedImages,
                    tagPrefixes: IMAGE_TARGETS.map(imageTagPrefix),
                }),
            },
            provider,
        );
        const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, provider);
        const server = repo.repositoryUrl.apply((url) => url.split("/")[0]);
        return {
            server,
            pushServer: server,
            repository: repo.repositoryUrl,
            username: token.apply((t) => t.userName),
            password: pulumi.secret(token.apply((t) => t.password)),
        };
    }
}
