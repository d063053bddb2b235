/**
 * Both committed stacks, rendered whole under mocks from their Pulumi.<stack>.yaml: every Kubernetes
 * object is checked strictly against the Kubernetes v1.35 spec, every Helm values set against its
 * chart, every image the stack runs is the built image by digest, and no secret leaks into plain inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { kubernetesGvk, validateKubernetesObject } from "./helpers/kubeSchema";
import { isSecret, plainStrings, unwrapSecrets, valueOf } from "./helpers/mocks";
import { committedStacks, renderStack, RenderedStack, stackConfig, TEST_SECRETS } from "./helpers/render";
import { validateZ2jhValues } from "./helpers/z2jhSchema";
import { restrictedViolations } from "./helpers/podSecurity";
import { containerImages } from "./helpers/manifests";

const DIGEST_REF = /^[^\s@]+@sha256:[a-f0-9]{64}$/;

describe.each(committedStacks())("stack %s", (stack) => {
    let rendered: RenderedStack;

    beforeAll(async () => {
        rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] ?? {} });
    });

    it("declares the platform", () => {
        expect(rendered.resources.length).toBeGreaterThan(10);
        expect(rendered.resources.filter((r) => r.type === "ds-platform:index:DataSciencePlatform")).toHaveLength(1);
    });

    it("declares only Kubernetes objects that pass strict validation against the v1.35 spec", () => {
        const objects = rendered.resources.filter((r) => kubernetesGvk(r.type));
        expect(objects.length).toBeGreaterThan(5);
        const problems = objects.flatMap((r) => {
            const obj = unwrapSecrets(r.inputs);
            const gvk = kubernetesGvk(r.type)!;
            expect(obj.apiVersion).toBe(gvk.apiVersion);
            expect(obj.kind).toBe(gvk.kind);
            return validateKubernetesObject(obj).map((e) => `${r.type} ${r.name}: ${e}`);
        });
        expect(problems).toEqual([]);
    });

    it("declares only pods that pass the Pod Security level their namespace enforces, where that is restricted", () => {
        const enforced = new Map(
            rendered.resources
                .filter((r) => r.type === "kubernetes:core/v1:Namespace")
                .map((r) => [r.inputs.metadata.name, r.inputs.metadata.labels?.["pod-security.kubernetes.io/enforce"]] as const),
        );
        expect(enforced.get("ds-platform")).toBeDefined();
        const workloads = rendered.resources
            .filter((r) => kubernetesGvk(r.type))
            .map((r) => ({ r, obj: unwrapSecrets(r.inputs) }))
            .filter(({ r, obj }) => obj.spec?.template?.spec && enforced.get(obj.metadata?.namespace) === "restricted" && /^kubernetes:(apps|batch)\//.test(r.type));
        for (const { r, obj } of workloads) {
            expect({ workload: r.name, problems: restrictedViolations(obj.spec.template.spec) }).toEqual({ workload: r.name, problems: [] });
        }
    });

    it("hands JupyterHub values that pass the z2jh 4.4.0 schema and profile checks", () => {
        const hub = rendered.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)));
        expect(hub).toHaveLength(1);
        expect(hub[0].inputs.version).toBe("4.4.0");
        expect(validateZ2jhValues(unwrapSecrets(hub[0].inputs.values))).toEqual([]);
    });

    it("runs the built image by digest everywhere: notebooks, profiles, Spark executors", async () => {
        const imageRef = await valueOf(rendered.outputs.imageRef);
        expect(imageRef).toMatch(DIGEST_REF);
        const images = rendered.resources.filter((r) => kubernetesGvk(r.type)).flatMap((r) => containerImages(unwrapSecrets(r.inputs)));
        for (const image of images) {
            expect(image).toMatch(DIGEST_REF);
        }
        const values = unwrapSecrets(rendered.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)))!.inputs.values);
        const singleuser = values.singleuser.image;
        expect(`${singleuser.name}${singleuser.tag ? `:${singleuser.tag}` : ""}`.replace(/:([^:@/]+)@/, "@")).toContain(imageRef.split("@")[1]);
        const sparkConf = rendered.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && unwrapSecrets(r.inputs).data?.["spark-defaults.conf"]);
        expect(sparkConf).toBeDefined();
        expect(unwrapSecrets(sparkConf!.inputs).data["spark-defaults.conf"]).toMatch(new RegExp(`spark\\.kubernetes\\.container\\.image\\s+${imageRef.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    });

    it("keeps secrets secret: no secret value appears in any plain resource input", async () => {
        const secretValues = Object.values(TEST_SECRETS[stack] ?? {});
        expect(secretValues.length).toBeGreaterThan(0);
        const generated = rendered.resources
            .filter((r) => r.type.startsWith("random:"))
            .map((r) => r.name);
        expect(generated.length).toBeGreaterThan(0);
        const leaks = rendered.resources.flatMap((r) =>
            plainStrings(r.inputs)
                .filter((s) => secretValues.some((v) => s.value.includes(v)))
                .map((s) => `${r.type} ${r.name} ${s.path}`),
        );
        expect(leaks).toEqual([]);
    });

    it("exports the hub URL, the image reference and the registry", async () => {
        expect(await valueOf(rendered.outputs.hubUrl)).toMatch(/^https?:\/\//);
        expect(await valueOf(rendered.outputs.registryUrl)).toMatch(/^[a-z0-9.-]+(:[0-9]+)?/);
        expect(await valueOf(rendered.outputs.namespace)).toBe("ds-platform");
        if (rendered.outputs.kubeconfig) {
            expect(await isSecret(rendered.outputs.kubeconfig as pulumi.Output<string>)).toBe(true);
        }
    });

    it("exports every configured model's Service URL, and the public URL of those behind an Ingress", async () => {
        const models: { name: string; port?: number; ingress?: { host: string } }[] = YAML.parse(stackConfig(stack)["ds-platform:models"] ?? "[]");
        expect(models.length).toBeGreaterThan(0);
        expect(Object.keys(rendered.outputs.modelUrls).sort()).toEqual(models.map((m) => m.name).sort());
        for (const model of models) {
            const service = rendered.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.name.endsWith(`-model-${model.name}-service`))!;
            const port = service.inputs.spec.ports[0].port;
            expect(await valueOf(rendered.outputs.modelUrls[model.name])).toBe(`http://${service.inputs.metadata.name}.${service.inputs.metadata.namespace}.svc:${port}`);
            expect(rendered.outputs.modelPublicUrls[model.name]).toBe(model.ingress ? `https://${model.ingress.host}/` : undefined);
        }
    });
});

test("the committed stacks are dev and prod", () => {
    expect(committedStacks()).toEqual(["dev", "prod"]);
});
