/**
 * The platform's guardrails as CrossGuard policies. Each check is a plain function of a resource's
 * type and inputs, so it is unit-tested without the Pulumi CLI; `index.ts` packs them.
 */
import * as YAML from "yaml";
import { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { tabledUpstreamImages } from "../components/cluster/kubernetesVersions";

export const DIGEST_REFERENCE = /^[^\s@]+@sha256:[a-f0-9]{64}$/;

/** How secrets look in resource inputs: Pulumi's secret envelope. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): boolean {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function reveal(v: any): any {
    if (isSecretValue(v)) {
        return reveal(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(reveal);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

const WORKLOADS = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]);

/** The Kubernetes kind of a Pulumi type token, e.g. `kubernetes:apps/v1:Deployment` -> Deployment. */
export function kubernetesKind(type: string): string | undefined {
    return /^kubernetes:[a-z0-9.-]+\/[a-z0-9]+:([A-Za-z]+)$/.exec(type)?.[1];
}

/** The pod spec of a workload object (Pod, Deployment, CronJob, ...). */
export function podSpecOf(kind: string, obj: any): any | undefined {
    if (!WORKLOADS.has(kind)) {
        return undefined;
    }
    if (kind === "Pod") {
        return obj.spec;
    }
    if (kind === "CronJob") {
        return obj.spec?.jobTemplate?.spec?.template?.spec;
    }
    return obj.spec?.template?.spec;
}

/** Pod specs a resource runs: workloads, and executor pod templates shipped in ConfigMaps. */
export function podSpecsIn(type: string, props: any): { where: string; spec: any }[] {
    const kind = kubernetesKind(type);
    const obj = reveal(props);
    if (!kind) {
        return [];
    }
    const spec = podSpecOf(kind, obj);
    if (spec) {
        return [{ where: kind, spec }];
    }
    if (kind === "ConfigMap") {
        return Object.entries<string>(obj.data ?? {})
            .filter(([key]) => /pod-template.*\.ya?ml$/.test(key))
            .map(([key, text]) => ({ where: `ConfigMap data ${key}`, spec: YAML.parse(text)?.spec }))
            .filter((x) => x.spec);
    }
    return [];
}

function containersOf(spec: any): any[] {
    return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
}

/** Every image a resource runs or hands to a chart: pod containers, Helm values, Spark conf. */
export function imagesIn(type: string, props: any): { where: string; image: string }[] {
    const obj = reveal(props);
    const found = podSpecsIn(type, props).flatMap(({ where, spec }) => containersOf(spec).map((c) => ({ where: `${where} container ${c.name}`, image: String(c.image) })));
    if (type === "kubernetes:helm.sh/v3:Release") {
        found.push(...imagesInValues(obj.values ?? {}, "values"));
    }
    if (kubernetesKind(type) === "ConfigMap") {
        for (const [key, text] of Object.entries<string>(obj.data ?? {})) {
            for (const m of String(text).matchAll(/^(spark\.kubernetes\.(?:executor\.)?container\.image)\s+(\S+)$/gm)) {
                found.push({ where: `ConfigMap data ${key} ${m[1]}`, image: m[2] });
            }
        }
    }
    return found;
}

/** Images set in Helm values: `image: "<ref>"`, `image: {name, tag}`, lists of images (extraImages). */
function imagesInValues(v: any, path: string): { where: string; image: string }[] {
    if (Array.isArray(v)) {
        return v.flatMap((x, i) => imagesInValues(x, `${path}[${i}]`));
    }
    if (v === null || typeof v !== "object") {
        return [];
    }
    return Object.entries(v).flatMap(([k, x]: [string, any]) => {
        const at = `${path}.${k}`;
        if (/^image$/i.test(k) && typeof x === "string") {
            return [{ where: at, image: x }];
        }
        if (/^image$/i.test(k) && x && typeof x === "object" && typeof x.name === "string") {
            return [{ where: at, image: x.tag ? `${x.name}:${x.tag}` : x.name }];
        }
        if (k === "extraImages" && x && typeof x === "object") {
            return Object.entries<any>(x).map(([n, i]) => ({ where: `${at}.${n}`, image: i.tag ? `${i.name}:${i.tag}` : i.name }));
        }
        return imagesInValues(x, at);
    });
}

/** `name:tag@sha256:...` resolves by digest too: the tag is informational. */
export function isPinned(image: string): boolean {
    return DIGEST_REFERENCE.test(image.replace(/:[\w][\w.-]*@sha256:/, "@sha256:"));
}

export type Check = (type: string, props: any) => string[];

/** Image tags never move; only BuildKit's cache tags may be excluded (they are overwritten by design). */
function immutableTags(props: any): boolean {
    if (props.imageTagMutability === "IMMUTABLE") {
        return true;
    }
    const filters: any[] = props.imageTagMutabilityExclusionFilters ?? [];
    return props.imageTagMutability === "IMMUTABLE_WITH_EXCLUSION" && filters.length > 0 && filters.every((f) => /^buildcache-/.test(String(f.filter)));
}

/**
 * The exact upstream release tags of the Kubernetes version table (kube-scheduler and
 * cluster-autoscaler of each supported minor): registry.k8s.io never re-tags a release, and the
 * table is the one reviewed place they are set. Allowed until a mirror setting pins them by digest;
 * any other tag, of those images too, is still a violation.
 */
const TABLED_UPSTREAM_IMAGES = new Set(tabledUpstreamImages());

/** Named checks, each returning its violation messages for one resource. */
export const checks: Record<string, Check> = {
    "images-pinned-by-digest": (type, props) =>
        imagesIn(type, props)
            .filter((i) => (!isPinned(i.image) && !TABLED_UPSTREAM_IMAGES.has(i.image)) || /:latest(@|$)/.test(i.image))
            .map((i) => `${i.where}: image "${i.image}" is not pinned by digest (<repo>@sha256:<digest>)`),

    "containers-declare-resources": (type, props) =>
        podSpecsIn(type, props).flatMap(({ where, spec }) =>
            containersOf(spec)
                .filter((c) => ["requests", "limits"].some((k) => !c.resources?.[k]?.cpu || !c.resources?.[k]?.memory))
                .map((c) => `${where} container ${c.name}: declare resources.requests and resources.limits for cpu and memory`),
        ),

    "no-privileged-or-host-access": (type, props) =>
        podSpecsIn(type, props).flatMap(({ where, spec }) => [
            ...(spec.hostNetwork ? [`${where}: hostNetwork is not allowed`] : []),
            ...(spec.hostPID ? [`${where}: hostPID is not allowed`] : []),
            ...(spec.hostIPC ? [`${where}: hostIPC is not allowed`] : []),
            ...(spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => `${where}: hostPath volume ${v.name} is not allowed`),
            ...containersOf(spec)
                .filter((c) => c.securityContext?.privileged || c.securityContext?.allowPrivilegeEscalation === true)
                .map((c) => `${where} container ${c.name}: privileged containers and privilege escalation are not allowed`),
        ]),

    "notebooks-and-executors-run-as-non-root": (type, props) => {
        const obj = reveal(props);
        const out: string[] = [];
        if (type === "kubernetes:helm.sh/v3:Release" && obj.values?.singleuser) {
            const uid = obj.values.singleuser.uid;
            if (typeof uid !== "number" || uid === 0) {
                out.push(`values.singleuser.uid: notebooks must run as a non-root UID (got ${JSON.stringify(uid)})`);
            }
        }
        for (const { where, spec } of podSpecsIn(type, props)) {
            if (!where.startsWith("ConfigMap")) {
                continue;
            }
            const sc = spec.securityContext ?? {};
            if (sc.runAsNonRoot !== true || !sc.runAsUser) {
                out.push(`${where}: executor pods must set runAsNonRoot: true and a non-zero runAsUser`);
            }
        }
        return out;
    },

    "no-wildcard-rbac": (type, props) => {
        const kind = kubernetesKind(type);
        if (kind !== "ClusterRole" && kind !== "Role") {
            return [];
        }
        return (reveal(props).rules ?? []).flatMap((r: any, i: number) =>
            ["verbs", "resources", "apiGroups"]
                .filter((k) => (r[k] ?? []).includes("*"))
                .map((k) => `${kind} rules[${i}].${k}: wildcards are not allowed; list what is needed`),
        );
    },

    "kubernetes-secrets-from-pulumi-secrets": (type, props) => {
        if (kubernetesKind(type) !== "Secret") {
            return [];
        }
        return (["data", "stringData"] as const).flatMap((field) => {
            const v = props[field];
            if (v === undefined || isSecretValue(v)) {
                return [];
            }
            return Object.entries(v ?? {})
                .filter(([, x]) => !isSecretValue(x))
                .map(([k]) => `Secret ${field}.${k}: must come from a Pulumi secret, not a plain string`);
        });
    },

    "ecr-immutable-and-scanned": (type, props) => {
        if (type !== "aws:ecr/repository:Repository") {
            return [];
        }
        return [
            ...(!immutableTags(props) ? ["ECR repository: imageTagMutability must be IMMUTABLE (exclusions only for build-cache tags)"] : []),
            ...(props.imageScanningConfiguration?.scanOnPush !== true ? ["ECR repository: imageScanningConfiguration.scanOnPush must be true"] : []),
        ];
    },

    "s3-public-access-blocked": (type, props) =>
        type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
            ? ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => props[k] !== true).map((k) => `S3 public access block: ${k} must be true`)
            : [],

    "eks-secrets-encrypted": (type, props) =>
        type === "aws:eks/cluster:Cluster" && !(props.encryptionConfig?.resources ?? []).includes("secrets")
            ? ["EKS cluster: encryptionConfig must encrypt secrets with a KMS key"]
            : [],

    "imdsv2-required": (type, props) => {
        if (type !== "aws:ec2/launchTemplate:LaunchTemplate") {
            return [];
        }
        const m = props.metadataOptions ?? {};
        return [
            ...(m.httpTokens !== "required" ? ["launch template: metadataOptions.httpTokens must be required (IMDSv2)"] : []),
            ...(m.httpPutResponseHopLimit !== 1 ? ["launch template: metadataOptions.httpPutResponseHopLimit must be 1 so pods cannot reach node credentials"] : []),
        ];
    },

    "in-cluster-registry-tls-and-auth": (type, props) => {
        if (!["Deployment", "StatefulSet"].includes(kubernetesKind(type) ?? "")) {
            return [];
        }
        const spec = podSpecOf(kubernetesKind(type)!, reveal(props));
        return containersOf(spec)
            .filter((c) => /(^|\/)registry:|distribution/.test(String(c.image)))
            .flatMap((c) => {
                const env = Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? "(from source)"]));
                return [
                    ...(!env.REGISTRY_HTTP_TLS_CERTIFICATE || !env.REGISTRY_HTTP_TLS_KEY ? [`registry container ${c.name}: must serve TLS (REGISTRY_HTTP_TLS_CERTIFICATE, REGISTRY_HTTP_TLS_KEY)`] : []),
                    ...(env.REGISTRY_AUTH !== "htpasswd" && !env.REGISTRY_AUTH_HTPASSWD_PATH ? [`registry container ${c.name}: must require auth (REGISTRY_AUTH=htpasswd)`] : []),
                ];
            });
    },
};

/** A resource as stack policies see it; `propertyDependencies` name the resources an input came from. */
export interface StackResource {
    type: string;
    urn: string;
    props: any;
    propertyDependencies?: Record<string, { urn: string }[]>;
}

/** S3 buckets need encryption and a public access block; checked across the stack. */
export function s3StackViolations(resources: StackResource[]): string[] {
    const buckets = resources.filter((r) => r.type === "aws:s3/bucket:Bucket" || r.type === "aws:s3/bucketV2:BucketV2");
    const attachedTo = (pattern: RegExp, bucket: StackResource) =>
        resources.some(
            (r) =>
                pattern.test(r.type) &&
                ((r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn) || (bucket.props.bucket !== undefined && r.props.bucket === bucket.props.bucket)),
        );
    const blocks = (bucket: StackResource) =>
        resources.some(
            (r) =>
                r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" &&
                ((r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn) || (bucket.props.bucket !== undefined && r.props.bucket === bucket.props.bucket)),
        );
    return buckets.flatMap((b) => {
        const name = b.props.bucket ?? b.urn.split("::").pop();
        return [
            ...(!attachedTo(/^aws:s3\/bucketServerSideEncryptionConfiguration(V2)?:/, b) ? [`S3 bucket ${name}: needs server-side encryption`] : []),
            ...(!blocks(b) ? [`S3 bucket ${name}: needs a public access block`] : []),
        ];
    });
}

const DESCRIPTIONS: Record<string, string> = {
    "images-pinned-by-digest": "Every image the stack runs or hands to a chart is pinned by digest; no latest.",
    "containers-declare-resources": "Containers declare resource requests and limits.",
    "no-privileged-or-host-access": "No privileged containers, host paths, host network or host PID.",
    "notebooks-and-executors-run-as-non-root": "Notebook and Spark executor pods run as non-root.",
    "no-wildcard-rbac": "No Role or ClusterRole with wildcard verbs, resources or API groups.",
    "kubernetes-secrets-from-pulumi-secrets": "Kubernetes Secrets are built from Pulumi secrets, never plain strings.",
    "ecr-immutable-and-scanned": "ECR repositories have immutable tags and scan on push.",
    "s3-public-access-blocked": "S3 public access blocks block everything.",
    "eks-secrets-encrypted": "EKS clusters encrypt Kubernetes secrets with KMS.",
    "imdsv2-required": "Node launch templates require IMDSv2 with a hop limit of 1.",
    "in-cluster-registry-tls-and-auth": "The in-cluster registry serves TLS and requires auth.",
};

const MANDATORY: EnforcementLevel = "mandatory";

export const resourcePolicies: ResourceValidationPolicy[] = Object.entries(checks).map(([name, check]) => ({
    name,
    description: DESCRIPTIONS[name],
    enforcementLevel: MANDATORY,
    validateResource: (args, reportViolation) => {
        for (const message of check(args.type, args.props)) {
            reportViolation(message);
        }
    },
}));

export const stackPolicies: StackValidationPolicy[] = [
    {
        name: "s3-encrypted-and-private",
        description: "Every S3 bucket has server-side encryption and a public access block.",
        enforcementLevel: MANDATORY,
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map((r) => ({
                type: r.type,
                urn: r.urn,
                props: r.props,
                propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, deps]) => [k, deps.map((d) => ({ urn: d.urn }))])),
            }));
            for (const message of s3StackViolations(resources)) {
                reportViolation(message);
            }
        },
    },
];
