/**
 * ModelService: a scikit-learn model published as an HTTP API by the platform's own image, run in
 * its `serve` mode (images/notebook/serve.py: GET /healthz, POST /predict). The image is the one
 * notebooks and Spark executors run, by digest.
 *
 * Per model: a ServiceAccount (on AWS with the IRSA role of a read-only role on the data bucket's
 * models/ prefix), a Deployment of non-root, read-only, capability-less replicas with probes on
 * /healthz, a Service, a HorizontalPodAutoscaler on CPU, a PodDisruptionBudget, NetworkPolicies
 * (in: the serving port from allowed pods only; out: DNS, and S3 when the artifact is there) and
 * optionally an Ingress with TLS from cert-manager. The manifests come from pure builders below.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_PREFIX, ModelConfig } from "../config/config";
import { PolicyDocument } from "../iam/policies";
import { OidcProvider, ServiceAccountRole } from "../iam/serviceAccountRole";
import { avoidGpuNodesAffinity, gpuNodeAffinity, GpuPlacement, gpuToleration } from "../gpu/placement";
import { NodePurposeMatch, withNodePurpose } from "../cluster/nodePurpose";
import { PRIVATE_IPV4 } from "../shared/network";

/** Where a pvc:// artifact's claim is mounted (read-only) in the server container. */
export const MODEL_VOLUME_MOUNT = "/models";
/** Label every model pod carries; its value is the model name. */
export const MODEL_LABEL = "ds-platform.io/model";
/** Labels of the JupyterHub notebook pods, whose egress the chart restricts; they are the usual clients. */
export const NOTEBOOK_POD_LABELS: Readonly<Record<string, string>> = { app: "jupyterhub", component: "singleuser-server" };

/** Where the model file is: a file on a claim of the namespace, or an object in S3. */
export type ModelArtifact = { kind: "pvc"; claim: string; path: string } | { kind: "s3"; bucket: string; key: string; uri: string };

/** Parses `pvc://<claim>/<path>` or `s3://<bucket>/<key>` (the config schema has checked the form). */
export function parseModelArtifact(artifact: string): ModelArtifact {
    const m = /^(pvc|s3):\/\/([^/]+)\/(.+)$/.exec(artifact);
    if (!m) {
        throw new Error(`model artifact ${JSON.stringify(artifact)}: allowed are pvc://<claim>/<path> and s3://<bucket>/<key>`);
    }
    return m[1] === "pvc" ? { kind: "pvc", claim: m[2], path: m[3] } : { kind: "s3", bucket: m[2], key: m[3], uri: artifact };
}

/** The name of every namespaced object of a model: model-<name>. */
export function modelResourceName(model: Pick<ModelConfig, "name">): string {
    return `model-${model.name}`;
}

export function modelLabels(model: Pick<ModelConfig, "name">): Record<string, string> {
    return {
        "app.kubernetes.io/name": "model-server",
        "app.kubernetes.io/instance": modelResourceName(model),
        "app.kubernetes.io/part-of": "ds-platform",
        [MODEL_LABEL]: model.name,
    };
}

function selectorLabels(model: Pick<ModelConfig, "name">): Record<string, string> {
    return { [MODEL_LABEL]: model.name };
}

/** What the builders of the model's smaller objects need. */
export interface ModelObjectOptions {
    model: ModelConfig;
    namespace: pulumi.Input<string>;
}

/** What the Deployment builder needs, all plain values. */
export interface ModelManifestOptions {
    model: ModelConfig;
    namespace: string;
    /** The notebook image (cpu or gpu target) by digest. */
    image: string;
    uid: number;
    gid: number;
    /** The GPU pool of a model with gpus > 0. */
    gpuPlacement?: GpuPlacement;
    matchNodePurpose: NodePurposeMatch;
    imagePullSecretName?: string;
    /** AWS region of the data bucket, for s3:// artifacts. */
    awsRegion?: string;
}

function container(o: ModelManifestOptions): k8s.types.input.core.v1.Container {
    const { model } = o;
    const artifact = parseModelArtifact(model.artifact);
    const gpu = model.gpus > 0 ? o.gpuPlacement : undefined;
    const requests: Record<string, string> = { cpu: String(model.cpu.guarantee), memory: model.memory.guarantee };
    const limits: Record<string, string> = { cpu: String(model.cpu.limit), memory: model.memory.limit };
    if (gpu) {
        requests[gpu.resourceName] = String(model.gpus);
        limits[gpu.resourceName] = String(model.gpus);
    }
    const env = [
        { name: "MODEL_NAME", value: model.name },
        { name: "MODEL_ARTIFACT", value: artifact.kind === "pvc" ? `${MODEL_VOLUME_MOUNT}/${artifact.path}` : artifact.uri },
        { name: "MODEL_HOST", value: "0.0.0.0" },
        { name: "MODEL_PORT", value: String(model.port) },
        ...(artifact.kind === "s3" && o.awsRegion ? [{ name: "AWS_REGION", value: o.awsRegion }] : []),
    ];
    const probe = (periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path: "/healthz", port: "http" },
        periodSeconds,
        timeoutSeconds: 2,
        failureThreshold,
    });
    return {
        name: "server",
        image: o.image,
        args: ["serve"],
        env,
        ports: [{ name: "http", containerPort: model.port, protocol: "TCP" }],
        // The model loads before the port opens: a large artifact (or one from S3) gets up to 3 minutes.
        startupProbe: probe(2, 90),
        readinessProbe: probe(5, 2),
        livenessProbe: probe(10, 3),
        resources: { requests, limits },
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
        volumeMounts: [
            { name: "tmp", mountPath: "/tmp" },
            ...(artifact.kind === "pvc" ? [{ name: "model", mountPath: MODEL_VOLUME_MOUNT, readOnly: true }] : []),
        ],
    };
}

/**
 * Models are trained on the platform after it is deployed, so `pulumi up` must not wait for an
 * artifact that is not there yet: not for the Deployment's rollout, nor for the Service's or the
 * Ingress' endpoints, which come only with a ready replica. Their status shows the rollout instead.
 */
export const NO_AWAIT: Readonly<Record<string, string>> = { "pulumi.com/skipAwait": "true" };

/** The model's Deployment, with metadata and spec plain objects: the component passes them on part by part. */
export interface ModelDeploymentManifest extends k8s.types.input.apps.v1.Deployment {
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    spec: k8s.types.input.apps.v1.DeploymentSpec;
}

/** The Deployment: replicas of the image's `serve` mode, on user nodes (or the model's GPU pool). */
export function modelDeployment(o: ModelManifestOptions): ModelDeploymentManifest {
    const { model } = o;
    const artifact = parseModelArtifact(model.artifact);
    const gpu = model.gpus > 0 ? o.gpuPlacement : undefined;
    if (model.gpus > 0 && !gpu) {
        throw new Error(`model ${model.name}: asks for ${model.gpus} GPU(s) but no GPU placement was given`);
    }
    const labels = modelLabels(model);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
            name: modelResourceName(model),
            namespace: o.namespace,
            labels,
            annotations: { ...NO_AWAIT },
        },
        spec: {
            replicas: model.replicas,
            selector: { matchLabels: selectorLabels(model) },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
                metadata: { labels },
                spec: {
                    serviceAccountName: modelResourceName(model),
                    // No Kubernetes API access; IRSA's web identity token is a projected volume of its own.
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    terminationGracePeriodSeconds: 30,
                    ...(o.imagePullSecretName ? { imagePullSecrets: [{ name: o.imagePullSecretName }] } : {}),
                    securityContext: {
                        runAsUser: o.uid,
                        runAsGroup: o.gid,
                        runAsNonRoot: true,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    affinity: { nodeAffinity: withNodePurpose(gpu ? gpuNodeAffinity(gpu) : avoidGpuNodesAffinity(), "user", o.matchNodePurpose) },
                    ...(gpu ? { tolerations: [gpuToleration(gpu)] } : {}),
                    topologySpreadConstraints: [
                        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels(model) } },
                    ],
                    containers: [container(o)],
                    volumes: [
                        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                        ...(artifact.kind === "pvc" ? [{ name: "model", persistentVolumeClaim: { claimName: artifact.claim, readOnly: true } }] : []),
                    ],
                },
            },
        },
    };
}

export function modelService(o: ModelObjectOptions): k8s.core.v1.ServiceArgs {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: modelResourceName(o.model), namespace: o.namespace, labels: modelLabels(o.model), annotations: { ...NO_AWAIT } },
        spec: { type: "ClusterIP", selector: selectorLabels(o.model), ports: [{ name: "http", port: o.model.port, targetPort: "http", protocol: "TCP" }] },
    };
}

/** The autoscaler's bounds: replicas to maxReplicas (default twice replicas). */
export function modelReplicaRange(model: Pick<ModelConfig, "replicas" | "maxReplicas">): { min: number; max: number } {
    return { min: model.replicas, max: model.maxReplicas ?? model.replicas * 2 };
}

export function modelAutoscaler(o: ModelObjectOptions): k8s.autoscaling.v2.HorizontalPodAutoscalerArgs {
    const { min, max } = modelReplicaRange(o.model);
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: modelResourceName(o.model), namespace: o.namespace, labels: modelLabels(o.model) },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: modelResourceName(o.model) },
            minReplicas: min,
            maxReplicas: max,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: o.model.targetCpuUtilization } } }],
        },
    };
}

/** At most one replica down at a time for voluntary disruptions (drains), so node upgrades still proceed. */
export function modelDisruptionBudget(o: ModelObjectOptions): k8s.policy.v1.PodDisruptionBudgetArgs {
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: modelResourceName(o.model), namespace: o.namespace, labels: modelLabels(o.model) },
        spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(o.model) }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    };
}

/**
 * The replicas' NetworkPolicy. In: the serving port only, from the allowed pods of the namespace
 * (`allowFrom`, default all) and, with an Ingress, from the ingress controller's namespace. Out: DNS,
 * and for s3:// artifacts HTTPS to public addresses (S3 and STS for the web identity); nothing else.
 */
export function modelNetworkPolicy(o: ModelObjectOptions): k8s.networking.v1.NetworkPolicyArgs {
    const { model } = o;
    const from: k8s.types.input.networking.v1.NetworkPolicyPeer[] = [{ podSelector: model.allowFrom ? { matchLabels: { ...model.allowFrom } } : {} }];
    if (model.ingress) {
        from.push({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": model.ingress.controllerNamespace } } });
    }
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [{ ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }];
    if (parseModelArtifact(model.artifact).kind === "s3") {
        egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_IPV4 } }], ports: [{ protocol: "TCP", port: 443 }] });
    }
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: modelResourceName(model), namespace: o.namespace, labels: modelLabels(model) },
        spec: {
            podSelector: { matchLabels: selectorLabels(model) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from, ports: [{ protocol: "TCP", port: model.port }] }],
            egress,
        },
    };
}

/**
 * Notebook pods' way out to the model: the z2jh chart limits their egress (no private addresses),
 * and NetworkPolicies add up, so this opens the serving port of the model's pods to them. It selects
 * only notebook pods, which have egress policies already; it never isolates other pods.
 */
export function notebookToModelPolicy(o: ModelObjectOptions): k8s.networking.v1.NetworkPolicyArgs {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `${modelResourceName(o.model)}-clients`, namespace: o.namespace, labels: modelLabels(o.model) },
        spec: {
            podSelector: { matchLabels: { ...NOTEBOOK_POD_LABELS } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ podSelector: { matchLabels: selectorLabels(o.model) } }], ports: [{ protocol: "TCP", port: o.model.port }] }],
        },
    };
}

/** The Ingress of a model with `ingress`: its whole host, TLS from cert-manager. */
export function modelIngress(o: ModelObjectOptions): k8s.networking.v1.IngressArgs | undefined {
    const { model } = o;
    if (!model.ingress) {
        return undefined;
    }
    const name = modelResourceName(model);
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name, namespace: o.namespace, labels: modelLabels(model), annotations: { "cert-manager.io/cluster-issuer": model.ingress.clusterIssuer, ...NO_AWAIT } },
        spec: {
            ingressClassName: model.ingress.ingressClassName,
            tls: [{ hosts: [model.ingress.host], secretName: `${name}-tls` }],
            rules: [
                {
                    host: model.ingress.host,
                    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { name: "http" } } } }] },
                },
            ],
        },
    };
}

/** Read-only access to the models/ prefix of the data bucket, decrypting through S3 with the bucket's key only. */
export function modelReadPolicy(bucketName: string, region: string): PolicyDocument {
    const bucketArn = `arn:aws:s3:::${bucketName}`;
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadModels", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/${MODEL_PREFIX}*` },
            {
                // The bucket's KMS key, used only by S3 on this bucket's behalf (S3 bucket keys put the bucket ARN in the context).
                Sid: "DecryptThroughS3",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: "*",
                Condition: {
                    StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
                    StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] },
                },
            },
        ],
    };
}

/** What AWS offers the model's service account: the cluster's OIDC provider and the data bucket. */
export interface ModelAwsAccess {
    /** The cluster's IAM OIDC provider (`EksCluster.core.oidcProvider`). Required. */
    oidcProvider: OidcProvider;
    /** The data bucket; s3:// artifacts must name it. Required. */
    bucketName: pulumi.Input<string>;
    /** Region of the bucket (AWS_REGION in the pods). Required. */
    region: string;
}

export interface ModelServiceArgs {
    /** The model's settings (config `models[]`, defaulted). Required. */
    model: ModelConfig;
    /** Namespace of the service (the platform namespace, where pvc:// claims live). Required. */
    namespace: pulumi.Input<string>;
    /** The notebook image's cpu target by digest, as notebooks and executors run it. Required. */
    image: pulumi.Input<string>;
    /** The gpu target by digest, for models with image: gpu. Default: image */
    gpuImage?: pulumi.Input<string>;
    /** The image's non-root UID. Required. */
    uid: number;
    /** The image's GID. Required. */
    gid: number;
    /** Placement of the model's GPU pool (models with gpus > 0). Default: none */
    gpuPlacement?: GpuPlacement;
    /** How replicas (user pods) use the node-purpose labels. Default: ignore */
    matchNodePurpose?: NodePurposeMatch;
    /** Pull secret of the registry. Default: none */
    imagePullSecretName?: pulumi.Input<string>;
    /** AWS: an IRSA role reading the data bucket's models/ prefix for the service account; pass the AWS provider in `opts.providers`. Default: none (kubeconfig clusters) */
    aws?: ModelAwsAccess;
}

/** One model served over HTTP from the platform image. */
export class ModelService extends pulumi.ComponentResource {
    /** In-cluster URL of the API: http://model-<name>.<namespace>.svc:<port>. */
    public readonly url: pulumi.Output<string>;
    /** Public URL, when the model has an Ingress. */
    public readonly publicUrl?: string;
    /** The IRSA role of the service account (AWS with an s3:// artifact). */
    public readonly roleArn?: pulumi.Output<string>;

    constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:model:ModelService", name, {}, opts);
        const { model } = args;
        const child = { parent: this };
        const artifact = parseModelArtifact(model.artifact);
        if (model.gpus > 0 && !args.gpuPlacement) {
            throw new Error(`models: ${model.name} asks for ${model.gpus} GPU(s) but no GPU placement was given`);
        }
        if (artifact.kind === "s3" && !args.aws) {
            throw new Error(`models: ${model.name}: the s3:// artifact needs AWS access (the aws argument: OIDC provider and data bucket)`);
        }

        // The IRSA role: trusted by exactly this model's ServiceAccount, reading only models/ of the data bucket.
        const namespace = pulumi.output(args.namespace);
        let annotations: pulumi.Output<Record<string, string>> | undefined;
        if (artifact.kind === "s3" && args.aws) {
            const a = args.aws;
            const checkBucket = (b: string): string => {
                if (b !== artifact.bucket) {
                    throw new Error(`models: ${model.name}: artifact ${artifact.uri} is not in the data bucket ${b}; model services may read only s3://${b}/${MODEL_PREFIX}...`);
                }
                return b;
            };
            if (typeof a.bucketName === "string") {
                checkBucket(a.bucketName);
            }
            // A generated bucket name is known only at deployment, where a mismatch fails the update.
            const bucket = pulumi.output(a.bucketName).apply(checkBucket);
            const role = new ServiceAccountRole(
                `${name}-role`,
                {
                    oidcProvider: a.oidcProvider,
                    serviceAccount: { namespace, name: modelResourceName(model) },
                    description: pulumi.interpolate`Read-only model access for ${namespace}/${modelResourceName(model)}`,
                    inlinePolicies: { read: bucket.apply((b) => modelReadPolicy(b, a.region)) },
                    // The role and its policy were this component's own children.
                    formerly: { parent: this, policyNames: { read: `${name}-read` } },
                },
                child,
            );
            this.roleArn = role.roleArn;
            annotations = role.serviceAccountAnnotations;
        }

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: modelResourceName(model), namespace: args.namespace, labels: modelLabels(model), annotations },
                automountServiceAccountToken: false,
                ...(args.imagePullSecretName ? { imagePullSecrets: [{ name: args.imagePullSecretName }] } : {}),
            },
            child,
        );
        const image = model.image === "gpu" ? (args.gpuImage ?? args.image) : args.image;
        const deployment = pulumi
            .all([namespace, image, args.imagePullSecretName])
            .apply(([ns, img, pullSecret]) =>
                modelDeployment({
                    model,
                    namespace: ns,
                    image: img,
                    uid: args.uid,
                    gid: args.gid,
                    gpuPlacement: args.gpuPlacement,
                    matchNodePurpose: args.matchNodePurpose ?? "ignore",
                    imagePullSecretName: pullSecret,
                    awsRegion: args.aws?.region,
                }),
            );
        const spec: ModelObjectOptions = { model, namespace: args.namespace };
        const deploy = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            { metadata: deployment.metadata, spec: deployment.spec },
            // The autoscaler owns the replica count once the Deployment exists.
            { parent: this, dependsOn: [serviceAccount], ignoreChanges: ["spec.replicas"] },
        );
        const service = new k8s.core.v1.Service(`${name}-service`, modelService(spec), child);
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, modelAutoscaler(spec) as k8s.autoscaling.v2.HorizontalPodAutoscalerArgs, { parent: this, dependsOn: [deploy] });
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, modelDisruptionBudget(spec), child);
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, modelNetworkPolicy(spec), child);
        new k8s.networking.v1.NetworkPolicy(`${name}-clients`, notebookToModelPolicy(spec), child);
        const ingress = modelIngress(spec);
        if (ingress) {
            new k8s.networking.v1.Ingress(`${name}-ingress`, ingress, { parent: this, dependsOn: [service] });
            this.publicUrl = `https://${model.ingress!.host}/`;
        }
        this.url = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc:${model.port}`;
        this.registerOutputs({ url: this.url, publicUrl: this.publicUrl, roleArn: this.roleArn });
    }
}
