/**
 * ModelService under mocks, and its pure manifest builders: valid Kubernetes objects, the platform
 * image by digest in the image's `serve` mode, probes, the autoscaler and the disruption budget,
 * the network policies, GPU placement, and the IRSA role of s3:// artifacts.
 */
import { parsePlatformConfig, PlatformConfigInput, ModelConfig } from "../../components/config/config";
import { avoidGpuNodesAffinity, GPU_POOL_LABEL, gpuPlacement } from "../../components/gpu/gpuNodePool";
import { NODE_PURPOSE_LABEL } from "../../components/cluster/nodePurpose";
import {
    MODEL_LABEL,
    modelDeployment,
    modelNetworkPolicy as typedModelNetworkPolicy,
    modelReadPolicy,
    ModelService,
    ModelServiceArgs,
    NOTEBOOK_POD_LABELS,
    parseModelArtifact,
} from "../../components/model/modelService";
import { fakeDigest, ResourceRecorder, settle, setupMocks, unwrapSecrets, valueOf } from "../helpers/mocks";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { readable } from "../helpers/manifests";

const modelNetworkPolicy = readable(typedModelNetworkPolicy);

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const DIGEST_REF = /^[^\s@]+@sha256:[a-f0-9]{64}$/;
const G5 = gpuPlacement({ name: "g5", gpusPerNode: 1 });

/** One model, defaulted by the real schema (a kubeconfig stack unless `extra` says otherwise). */
function modelConfig(model: Record<string, unknown>, extra: PlatformConfigInput = {}): ModelConfig {
    const config = parsePlatformConfig({ models: [{ name: "iris", artifact: "pvc://models/iris/model.joblib", ...model }] as any, ...extra }, { hubPassword: true, oauthClientSecret: true });
    return config.models[0];
}

async function render(model: ModelConfig, extra: Partial<ModelServiceArgs> = {}): Promise<{ recorder: ResourceRecorder; component: ModelService }> {
    const recorder = setupMocks();
    const component = new ModelService("iris", { model, namespace: "ds", image: IMAGE, gpuImage: GPU_IMAGE, uid: 1000, gid: 100, ...extra });
    await settle(recorder);
    return { recorder, component };
}

function k8sObjects(recorder: ResourceRecorder): { name: string; type: string; obj: Record<string, any> }[] {
    return recorder.resources.flatMap((r) => {
        const gvk = kubernetesGvk(r.type);
        return gvk ? [{ name: r.name, type: r.type, obj: { ...gvk, ...unwrapSecrets(r.inputs) } }] : [];
    });
}

describe("ModelService on a kubeconfig cluster (pvc:// artifact)", () => {
    let recorder: ResourceRecorder;
    let component: ModelService;
    const model = modelConfig({ replicas: 2, cpu: { guarantee: 0.5, limit: 1 }, memory: { guarantee: "256Mi", limit: "512Mi" } });
    beforeAll(async () => {
        ({ recorder, component } = await render(model, { matchNodePurpose: "require", imagePullSecretName: "registry-pull" }));
    });

    it("declares only objects valid against the Kubernetes v1.35 spec, children named <name>-<role>", () => {
        const objects = k8sObjects(recorder);
        expect(objects.map((o) => o.type).sort()).toEqual(
            [
                "kubernetes:apps/v1:Deployment",
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                "kubernetes:core/v1:Service",
                "kubernetes:core/v1:ServiceAccount",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "kubernetes:policy/v1:PodDisruptionBudget",
            ].sort(),
        );
        for (const { name, obj } of objects) {
            expect(name).toMatch(/^iris-[a-z]+$/);
            expect({ name, errors: validateKubernetesObject(obj) }).toEqual({ name, errors: [] });
        }
        expect(recorder.one("ds-platform:model:ModelService").name).toBe("iris");
        expect(recorder.resources.some((r) => r.type.startsWith("aws:"))).toBe(false);
    });

    it("runs the platform image by digest in its serve mode, as the image's non-root user, locked down", () => {
        const d = recorder.one("kubernetes:apps/v1:Deployment").inputs;
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        expect(c.image).toBe(IMAGE);
        expect(c.image).toMatch(DIGEST_REF);
        expect(c.args).toEqual(["serve"]);
        expect(pod.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 100, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.serviceAccountName).toBe("model-iris");
        expect(pod.imagePullSecrets).toEqual([{ name: "registry-pull" }]);
        expect(c.resources).toEqual({ requests: { cpu: "0.5", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    });

    it("mounts the artifact's claim read-only and points MODEL_ARTIFACT at the file", () => {
        const pod = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        expect(env).toMatchObject({ MODEL_NAME: "iris", MODEL_ARTIFACT: "/models/iris/model.joblib", MODEL_PORT: "8080", MODEL_HOST: "0.0.0.0" });
        expect(env.AWS_REGION).toBeUndefined();
        expect(pod.volumes).toContainEqual({ name: "model", persistentVolumeClaim: { claimName: "models", readOnly: true } });
        expect(pod.containers[0].volumeMounts).toContainEqual({ name: "model", mountPath: "/models", readOnly: true });
    });

    it("probes /healthz: startup (loading), readiness and liveness", () => {
        const c = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0];
        for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
            expect(probe.httpGet).toEqual({ path: "/healthz", port: "http" });
        }
        expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
        expect(c.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    });

    it("runs on user nodes and keeps off GPU nodes", () => {
        const affinity = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.affinity.nodeAffinity;
        const terms = affinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toHaveLength(1);
        expect(terms[0].matchExpressions).toEqual([
            ...avoidGpuNodesAffinity().requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchExpressions,
            { key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] },
        ]);
        expect(recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.tolerations).toBeUndefined();
    });

    it("scales on CPU between replicas and twice that, and lets drains take one replica at a time", () => {
        const hpa = recorder.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs;
        expect(hpa.spec).toEqual({
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "model-iris" },
            minReplicas: 2,
            maxReplicas: 4,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        });
        const pdb = recorder.one("kubernetes:policy/v1:PodDisruptionBudget").inputs;
        expect(pdb.spec.maxUnavailable).toBe(1);
        expect(pdb.spec.selector).toEqual({ matchLabels: { [MODEL_LABEL]: "iris" } });
        const d = recorder.one("kubernetes:apps/v1:Deployment").inputs;
        expect(d.spec.replicas).toBe(2);
        expect(d.spec.selector).toEqual(pdb.spec.selector);
    });

    it("admits only the serving port from the namespace's pods, and lets out only DNS", () => {
        const policy = recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", (n) => n === "iris-netpol").inputs;
        expect(policy.spec.podSelector).toEqual({ matchLabels: { [MODEL_LABEL]: "iris" } });
        expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }]);
        expect(policy.spec.egress).toEqual([{ ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }]);
        const clients = recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", (n) => n === "iris-clients").inputs;
        expect(clients.spec.podSelector).toEqual({ matchLabels: { ...NOTEBOOK_POD_LABELS } });
        expect(clients.spec.policyTypes).toEqual(["Egress"]);
        expect(clients.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { [MODEL_LABEL]: "iris" } } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
    });

    it("serves a ClusterIP Service and reports its in-cluster URL", async () => {
        const svc = recorder.one("kubernetes:core/v1:Service").inputs;
        expect(svc.spec).toEqual({ type: "ClusterIP", selector: { [MODEL_LABEL]: "iris" }, ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }] });
        expect(await valueOf(component.url)).toBe("http://model-iris.ds.svc:8080");
    });

    it("lets pulumi up finish before a replica is ready: the Deployment and the Service skip Pulumi's await", () => {
        // The artifact is saved from a notebook once the platform runs; until then no replica is ready.
        for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"]) {
            expect([type, recorder.one(type).inputs.metadata.annotations]).toEqual([type, expect.objectContaining({ "pulumi.com/skipAwait": "true" })]);
        }
    });
});

describe("ModelService options", () => {
    it("admits a configured client selector and the ingress controller, and publishes an Ingress with TLS", async () => {
        const model = modelConfig({ allowFrom: { team: "fraud" }, port: 9000, ingress: { host: "iris.models.example.com" } });
        const { recorder, component } = await render(model);
        const policy = recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", (n) => n === "iris-netpol").inputs;
        expect(policy.spec.ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: { team: "fraud" } } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                ports: [{ protocol: "TCP", port: 9000 }],
            },
        ]);
        const ingress = recorder.one("kubernetes:networking.k8s.io/v1:Ingress").inputs;
        expect(validateKubernetesObject({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", ...ingress })).toEqual([]);
        expect(ingress.spec.tls).toEqual([{ hosts: ["iris.models.example.com"], secretName: "model-iris-tls" }]);
        expect(ingress.metadata.annotations).toEqual({ "cert-manager.io/cluster-issuer": "letsencrypt", "pulumi.com/skipAwait": "true" });
        expect(ingress.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: "model-iris", port: { name: "http" } } });
        expect(component.publicUrl).toBe("https://iris.models.example.com/");
    });

    it("places GPU models on their pool: toleration, pool affinity, GPU request and limit, the gpu image", async () => {
        const model = modelConfig({ gpus: 1, gpuPool: "g5", image: "gpu" }, { gpuPools: [{ name: "g5", gpusPerNode: 1 }], image: { gpu: true } });
        const { recorder } = await render(model, { gpuPlacement: G5, matchNodePurpose: "prefer" });
        const d = recorder.one("kubernetes:apps/v1:Deployment");
        expect(validateKubernetesObject({ apiVersion: "apps/v1", kind: "Deployment", ...d.inputs })).toEqual([]);
        const pod = d.inputs.spec.template.spec;
        expect(pod.containers[0].image).toBe(GPU_IMAGE);
        expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
        expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
            { matchExpressions: [{ key: GPU_POOL_LABEL, operator: "In", values: ["g5"] }] },
        ]);
        expect(pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions).toEqual([
            { key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] },
        ]);
        expect(pod.containers[0].resources.limits["nvidia.com/gpu"]).toBe("1");
        expect(pod.containers[0].resources.requests["nvidia.com/gpu"]).toBe("1");
    });

    it("refuses a GPU model without a placement", () => {
        const model = modelConfig({ gpus: 1 }, { gpuPools: [{ name: "g5", gpusPerNode: 1 }] });
        expect(() => modelDeployment({ model, namespace: "ds", image: IMAGE, uid: 1000, gid: 100, matchNodePurpose: "ignore" })).toThrow(/no GPU placement/);
    });

    it("reads s3:// artifacts through an IRSA role trusted by the model's ServiceAccount only, and opens HTTPS egress", async () => {
        const model = modelConfig(
            { artifact: "s3://team-data/models/iris/model.joblib" },
            { cluster: { provider: "aws" }, aws: { region: "eu-west-1", dataBucketName: "team-data" }, registry: { kind: "ecr" } },
        );
        const aws = {
            oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC", url: "oidc.eks.eu-west-1.amazonaws.com/id/ABC" },
            bucketName: "team-data",
            region: "eu-west-1",
        };
        const { recorder, component } = await render(model, { aws });
        const role = recorder.one("aws:iam/role:Role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"]).toBe("system:serviceaccount:ds:model-iris");
        const policy = JSON.parse(recorder.one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
        expect(policy).toEqual(modelReadPolicy("team-data", "eu-west-1"));
        expect(policy.Statement[0]).toEqual({ Sid: "ReadModels", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::team-data/models/*" });
        const sa = recorder.one("kubernetes:core/v1:ServiceAccount").inputs;
        expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(await valueOf(component.roleArn!));
        const pod = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        expect(env).toMatchObject({ MODEL_ARTIFACT: "s3://team-data/models/iris/model.joblib", AWS_REGION: "eu-west-1" });
        expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }]);
        const netpol = modelNetworkPolicy({ model, namespace: "ds" });
        expect(netpol.spec.egress[1]).toEqual({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: expect.arrayContaining(["10.0.0.0/8", "169.254.0.0/16"]) } }], ports: [{ protocol: "TCP", port: 443 }] });
    });

    it("refuses an s3:// artifact outside the data bucket", () => {
        const model = modelConfig({ artifact: "s3://elsewhere/models/iris.joblib" }, { cluster: { provider: "aws" }, aws: { region: "eu-west-1" }, registry: { kind: "ecr" } });
        const aws = { oidcProvider: { arn: "arn:aws:iam::1:oidc-provider/x", url: "x" }, bucketName: "team-data", region: "eu-west-1" };
        setupMocks();
        expect(() => new ModelService("iris", { model, namespace: "ds", image: IMAGE, uid: 1000, gid: 100, aws })).toThrow(/not in the data bucket team-data/);
    });

    it("parses artifact locations", () => {
        expect(parseModelArtifact("pvc://claim-admin/models/a.joblib")).toEqual({ kind: "pvc", claim: "claim-admin", path: "models/a.joblib" });
        expect(parseModelArtifact("s3://b/models/a.joblib")).toEqual({ kind: "s3", bucket: "b", key: "models/a.joblib", uri: "s3://b/models/a.joblib" });
        expect(() => parseModelArtifact("/models/a")).toThrow(/allowed are/);
    });
});
