/**
 * The policy pack, without the CLI: every policy runs over every resource of the rendered dev and
 * prod stacks (no violations), and over a crafted violating resource (exactly the expected one).
 */
import { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "../policy/policies";
import { RecordedResource } from "./helpers/mocks";
import { renderStack, TEST_SECRETS } from "./helpers/render";

const DIGEST = "a".repeat(64);
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

function args(type: string, props: Record<string, any>, name = "crafted"): ResourceValidationArgs {
    return {
        type,
        props,
        urn: `urn:pulumi:test::ds-platform::${type}::${name}`,
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => ({}) as any,
    } as unknown as ResourceValidationArgs;
}

function violations(policyName: string, a: ResourceValidationArgs): string[] {
    const policy = resourcePolicies.find((p) => p.name === policyName);
    if (!policy) {
        throw new Error(`no policy ${policyName}`);
    }
    const found: string[] = [];
    const validate = policy.validateResource as (a: ResourceValidationArgs, report: (m: string) => void) => void;
    validate(a, (m) => found.push(m));
    return found;
}

function allViolations(resources: RecordedResource[]): string[] {
    const out: string[] = [];
    for (const r of resources) {
        for (const p of resourcePolicies) {
            const validate = p.validateResource as (a: ResourceValidationArgs, report: (m: string) => void) => void;
            validate(args(r.type, r.inputs, r.name), (m) => out.push(`${p.name} ${r.type} ${r.name}: ${m}`));
        }
    }
    // The engine tells stack policies which resource an input came from; under mocks an input that
    // refers to another resource carries that resource's mock id, "<name>-id".
    const byId = new Map(resources.map((r) => [`${r.name}-id`, r]));
    const stackResources = resources.map((r) => ({
        type: r.type,
        props: r.inputs,
        urn: r.urn,
        name: r.name,
        propertyDependencies: Object.fromEntries(
            Object.entries(r.inputs)
                .filter(([, v]) => typeof v === "string" && byId.has(v))
                .map(([k, v]) => [k, [{ urn: byId.get(v as string)!.urn }]]),
        ),
    }));
    for (const p of stackPolicies) {
        p.validateStack(
            { resources: stackResources } as unknown as StackValidationArgs,
            (m: string) => out.push(`${p.name}: ${m}`),
        );
    }
    return out;
}

const pod = (spec: any) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { selector: {}, template: { spec } } });
const goodContainer = {
    name: "c",
    image: `registry.example.com/x@sha256:${DIGEST}`,
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false },
};

describe.each(["dev", "prod"])("the %s stack", (stack) => {
    it("violates no policy", async () => {
        const rendered = await renderStack(stack, { secrets: TEST_SECRETS[stack] });
        expect(rendered.resources.length).toBeGreaterThan(10);
        expect(allViolations(rendered.resources)).toEqual([]);
    });
});

describe("each policy rejects a crafted violation, and only that", () => {
    const cases: [string, string, Record<string, any>, string[]][] = [
        ["images-pinned-by-digest", "kubernetes:apps/v1:Deployment", pod({ containers: [{ ...goodContainer, image: "busybox:latest" }] }), ['Deployment container c: image "busybox:latest" is not pinned by digest (<repo>@sha256:<digest>)']],
        ["images-pinned-by-digest", "kubernetes:helm.sh/v3:Release", { values: { singleuser: { uid: 1000, image: { name: "quay.io/x/y", tag: "1.0" } } } }, ['values.singleuser.image: image "quay.io/x/y:1.0" is not pinned by digest (<repo>@sha256:<digest>)']],
        ["images-pinned-by-digest", "kubernetes:core/v1:ConfigMap", { data: { "spark-defaults.conf": "spark.kubernetes.container.image repo/nb:latest\n" } }, ['ConfigMap data spark-defaults.conf spark.kubernetes.container.image: image "repo/nb:latest" is not pinned by digest (<repo>@sha256:<digest>)']],
        ["containers-declare-resources", "kubernetes:apps/v1:Deployment", pod({ containers: [{ ...goodContainer, resources: { requests: { cpu: "1", memory: "1Gi" } } }] }), ["Deployment container c: declare resources.requests and resources.limits for cpu and memory"]],
        ["no-privileged-or-host-access", "kubernetes:apps/v1:Deployment", pod({ hostNetwork: true, containers: [goodContainer] }), ["Deployment: hostNetwork is not allowed"]],
        ["no-privileged-or-host-access", "kubernetes:apps/v1:Deployment", pod({ containers: [{ ...goodContainer, securityContext: { privileged: true } }] }), ["Deployment container c: privileged containers and privilege escalation are not allowed"]],
        ["no-privileged-or-host-access", "kubernetes:apps/v1:Deployment", pod({ volumes: [{ name: "h", hostPath: { path: "/" } }], containers: [goodContainer] }), ["Deployment: hostPath volume h is not allowed"]],
        ["notebooks-and-executors-run-as-non-root", "kubernetes:helm.sh/v3:Release", { values: { singleuser: { uid: 0 } } }, ["values.singleuser.uid: notebooks must run as a non-root UID (got 0)"]],
        ["notebooks-and-executors-run-as-non-root", "kubernetes:core/v1:ConfigMap", { data: { "executor-pod-template.yaml": "apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n" } }, ["ConfigMap data executor-pod-template.yaml: executor pods must set runAsNonRoot: true and a non-zero runAsUser"]],
        ["no-wildcard-rbac", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }] }, ["ClusterRole rules[0].verbs: wildcards are not allowed; list what is needed"]],
        ["kubernetes-secrets-from-pulumi-secrets", "kubernetes:core/v1:Secret", { stringData: { password: "hunter2", token: secret("t") } }, ["Secret stringData.password: must come from a Pulumi secret, not a plain string"]],
        ["ecr-immutable-and-scanned", "aws:ecr/repository:Repository", { imageTagMutability: "MUTABLE", imageScanningConfiguration: { scanOnPush: true } }, ["ECR repository: imageTagMutability must be IMMUTABLE (exclusions only for build-cache tags)"]],
        ["s3-public-access-blocked", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true, restrictPublicBuckets: true }, ["S3 public access block: blockPublicPolicy must be true"]],
        ["eks-secrets-encrypted", "aws:eks/cluster:Cluster", { name: "c" }, ["EKS cluster: encryptionConfig must encrypt secrets with a KMS key"]],
        ["imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } }, ["launch template: metadataOptions.httpTokens must be required (IMDSv2)"]],
        ["imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } }, ["launch template: metadataOptions.httpPutResponseHopLimit must be 1 so pods cannot reach node credentials"]],
        ["in-cluster-registry-tls-and-auth", "kubernetes:apps/v1:Deployment", pod({ containers: [{ ...goodContainer, name: "registry", image: `registry:2@sha256:${DIGEST}`, env: [{ name: "REGISTRY_HTTP_TLS_CERTIFICATE", value: "/c" }, { name: "REGISTRY_HTTP_TLS_KEY", value: "/k" }] }] }), ["registry container registry: must require auth (REGISTRY_AUTH=htpasswd)"]],
    ];

    it.each(cases)("%s on %s", (policy, type, props, expected) => {
        expect(violations(policy, args(type, props))).toEqual(expected);
        // No other policy objects to the crafted resource, so each violation is attributable.
        const others = resourcePolicies.filter((p) => p.name !== policy).flatMap((p) => violations(p.name, args(type, props)));
        expect(others).toEqual([]);
    });

    it("covers every resource policy", () => {
        expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(resourcePolicies.map((p) => p.name)));
    });

    it("s3-encrypted-and-private flags a bucket without encryption or public access block", () => {
        const found: string[] = [];
        stackPolicies[0].validateStack({ resources: [{ type: "aws:s3/bucket:Bucket", urn: "urn:pulumi:test::ds-platform::aws:s3/bucket:Bucket::data", props: { bucket: "data" } }] } as unknown as StackValidationArgs, (m: string) => found.push(m));
        expect(found).toEqual(["S3 bucket data: needs server-side encryption", "S3 bucket data: needs a public access block"]);
    });
});
