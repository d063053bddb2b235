/**
 * Pulumi mocks that record every resource the program declares, with its inputs, so tests can
 * inspect the whole program. Outputs default to the inputs; `registerMockOutputs` lets a test give a
 * resource type the outputs its provider would compute (an image digest, a generated password).
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    urn: string;
    /** The explicit provider's reference (`<urn>::<id>`), when the resource was given one. */
    provider?: string;
}

type OutputFn = (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;
const outputFns = new Map<string, OutputFn>();

/** Gives resources of `type` computed outputs, merged over their inputs. */
export function registerMockOutputs(type: string, fn: OutputFn): void {
    outputFns.set(type, fn);
}

/** A stable fake hex digest derived from text, so results depend on the inputs rather than being fixed. */
export function fakeDigest(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}

registerMockOutputs("random:index/randomPassword:RandomPassword", (a) => {
    const result = `pw-${fakeDigest(a.name).slice(0, 24)}`;
    return { result, bcryptHash: `$2a$10$${fakeDigest(result).slice(0, 53)}` };
});
registerMockOutputs("random:index/randomBytes:RandomBytes", (a) => {
    const hex = fakeDigest(a.name).slice(0, (a.inputs.length ?? 32) * 2);
    return { hex, base64: Buffer.from(hex, "hex").toString("base64") };
});
registerMockOutputs("tls:index/privateKey:PrivateKey", (a) => ({
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${fakeDigest(a.name)}\n-----END PRIVATE KEY-----\n`,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${fakeDigest(a.name)}\n-----END PUBLIC KEY-----\n`,
}));
registerMockOutputs("tls:index/selfSignedCert:SelfSignedCert", (a) => ({ certPem: `-----BEGIN CERTIFICATE-----\n${fakeDigest(a.name)}\n-----END CERTIFICATE-----\n` }));
registerMockOutputs("tls:index/locallySignedCert:LocallySignedCert", (a) => ({ certPem: `-----BEGIN CERTIFICATE-----\n${fakeDigest(a.name)}\n-----END CERTIFICATE-----\n` }));
registerMockOutputs("tls:index/certRequest:CertRequest", (a) => ({ certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${fakeDigest(a.name)}\n-----END CERTIFICATE REQUEST-----\n` }));
registerMockOutputs("docker-build:index:Image", (a) => {
    // The digest depends on everything that would change the build, as a registry's would.
    const digest = `sha256:${fakeDigest(JSON.stringify(a.inputs))}`;
    const tag: string = (a.inputs.tags ?? [])[0] ?? "";
    const repository = tag.replace(/:[^:/]+$/, "");
    return { digest, ref: `${repository}@${digest}` };
});

// What AWS computes for resources whose outputs the program reads (ARNs, endpoints, the OIDC issuer).
const ACCOUNT = "123456789012";
registerMockOutputs("aws:eks/cluster:Cluster", (a) => ({
    arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/${a.inputs.name}`,
    endpoint: `https://${fakeDigest(String(a.inputs.name)).slice(0, 32).toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
    certificateAuthority: { data: Buffer.from(`ca-of-${a.inputs.name}`).toString("base64") },
    identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${fakeDigest(String(a.inputs.name)).slice(0, 32).toUpperCase()}` }] }],
}));
registerMockOutputs("aws:eks/nodeGroup:NodeGroup", (a) => ({ resources: [{ autoscalingGroups: [{ name: `eks-${a.name}-asg` }] }] }));
registerMockOutputs("aws:iam/role:Role", (a) => ({ arn: `arn:aws:iam::${ACCOUNT}:role/${a.name}` }));
registerMockOutputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider", (a) => ({
    arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(a.inputs.url).replace(/^https:\/\//, "")}`,
}));
registerMockOutputs("aws:kms/key:Key", (a) => ({ arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${a.name}` }));
registerMockOutputs("aws:s3/bucket:Bucket", (a) => {
    const bucket = a.inputs.bucket ?? `${a.name}-generated`;
    return { bucket, arn: `arn:aws:s3:::${bucket}` };
});
registerMockOutputs("aws:ec2/launchTemplate:LaunchTemplate", () => ({ latestVersion: 1 }));
registerMockOutputs("aws:ecr/repository:Repository", (a) => ({
    registryId: ACCOUNT,
    repositoryUrl: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${a.inputs.name}`,
}));

export class ResourceRecorder {
    readonly resources: RecordedResource[] = [];

    mocks(): pulumi.runtime.Mocks {
        return {
            newResource: (args) => {
                const extra = outputFns.get(args.type)?.(args) ?? {};
                this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, urn: `${args.type}::${args.name}`, provider: args.provider });
                return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
            },
            call: (args) => {
                if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
                    return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "test" };
                }
                if (args.token === "aws:index/getPartition:getPartition") {
                    return { partition: "aws", dnsSuffix: "amazonaws.com" };
                }
                if (args.token === "aws:index/getRegion:getRegion") {
                    return { name: "eu-west-1", region: "eu-west-1" };
                }
                if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
                    // The registry's answer for a tag: a digest derived from the reference asked for.
                    return { ...args.inputs, sha256Digest: `sha256:${fakeDigest(`registry ${args.inputs.name}`)}` };
                }
                if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones") {
                    return { names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"] };
                }
                return args.inputs;
            },
        };
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    one(type: string, nameFilter?: (name: string) => boolean): RecordedResource {
        const found = this.ofType(type).filter((r) => !nameFilter || nameFilter(r.name));
        if (found.length !== 1) {
            throw new Error(`expected exactly one ${type}${nameFilter ? " (filtered)" : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0];
    }
}

/** Installs recording mocks for one program run. */
export function setupMocks(project = "ds-platform", stack = "test", recorder = new ResourceRecorder()): ResourceRecorder {
    pulumi.runtime.setMocks(recorder.mocks(), project, stack, false);
    return recorder;
}

/** Resolves an Output's value under mocks. */
export function valueOf<T>(output: pulumi.Input<T> | undefined): Promise<T> {
    return new Promise((resolve) => pulumi.output(output as pulumi.Input<T>).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecret(output: pulumi.Input<unknown>): Promise<boolean> {
    return pulumi.isSecret(pulumi.output(output));
}

/** Waits until the program has stopped declaring resources (registrations inside applies included). */
export async function settle(recorder: ResourceRecorder): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((r) => setTimeout(r, 5));
        stable = recorder.resources.length === last ? stable + 1 : 0;
        last = recorder.resources.length;
    }
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretWrapper(v: any): boolean {
    return v !== null && typeof v === "object" && v[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Resource inputs with secret wrappers removed (the values a provider would receive). */
export function unwrapSecrets<T = any>(v: any): T {
    if (isSecretWrapper(v)) {
        return unwrapSecrets(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets) as any;
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)])) as any;
    }
    return v;
}

/** Every string in resource inputs that is NOT inside a Pulumi secret, with its path. */
export function plainStrings(v: any, path = ""): { path: string; value: string }[] {
    if (isSecretWrapper(v)) {
        return [];
    }
    if (typeof v === "string") {
        return [{ path, value: v }];
    }
    if (Array.isArray(v)) {
        return v.flatMap((x, i) => plainStrings(x, `${path}[${i}]`));
    }
    if (v !== null && typeof v === "object") {
        return Object.entries(v).flatMap(([k, x]) => plainStrings(x, path ? `${path}.${k}` : k));
    }
    return [];
}
