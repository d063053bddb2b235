import * as pulumi from "@pulumi/pulumi";
import {
    DATA_PREFIX,
    DataBucket,
    SPARK_EVENT_LOG_PREFIX,
    bucketAccessPolicy,
    eventLogReadPolicy,
    generatedBucketName,
    irsaTrustPolicy,
    oidcIssuerHostPath,
    tlsOnlyBucketPolicy,
} from "../../components/aws/dataBucket";
import { registerMockOutputs, settle, setupMocks, valueOf } from "../helpers/mocks";

registerMockOutputs("aws:iam/role:Role", (a) => ({ arn: `arn:aws:iam::123456789012:role/${a.name}` }));
registerMockOutputs("aws:kms/key:Key", (a) => ({ arn: `arn:aws:kms:eu-west-1:123456789012:key/${a.name}` }));
registerMockOutputs("aws:s3/bucket:Bucket", (a) => ({ bucket: a.inputs.bucket ?? `${a.name}-x`, arn: `arn:aws:s3:::${a.inputs.bucket ?? `${a.name}-x`}` }));

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
const ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC";

describe("irsaTrustPolicy", () => {
    test("names exactly one service account and the STS audience", () => {
        const policy = irsaTrustPolicy(OIDC_ARN, ISSUER, { namespace: "ns", name: "sa" });
        expect(policy.Statement).toEqual([
            {
                Effect: "Allow",
                Principal: { Federated: OIDC_ARN },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ns:sa",
                        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                    },
                },
            },
        ]);
        expect(JSON.stringify(policy)).not.toMatch(/StringLike|\*/);
    });

    test("issuer with or without scheme gives the same condition keys", () => {
        expect(oidcIssuerHostPath(ISSUER)).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC");
        expect(oidcIssuerHostPath("oidc.eks.eu-west-1.amazonaws.com/id/ABC/")).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC");
    });
});

describe("generatedBucketName", () => {
    test("lower-case, S3-legal, at most 63 characters, ending in the account id", () => {
        expect(generatedBucketName("DS_Platform-prod-data", "123456789012")).toBe("ds-platform-prod-data-123456789012");
        const long = generatedBucketName(`${"x".repeat(80)}-data`, "123456789012");
        expect(long).toHaveLength(63);
        expect(long).toMatch(/^[a-z0-9][a-z0-9-]*-123456789012$/);
        expect(() => generatedBucketName("___", "1")).toThrow(/aws\.dataBucketName/);
    });
});

describe("bucket policies", () => {
    test("access covers the data and event-log prefixes and the bucket key, nothing else", () => {
        const p = bucketAccessPolicy("arn:aws:s3:::b", "arn:k");
        const resources = p.Statement.flatMap((s) => [s.Resource].flat());
        expect(resources.sort()).toEqual(["arn:aws:s3:::b", `arn:aws:s3:::b/${DATA_PREFIX}*`, `arn:aws:s3:::b/${SPARK_EVENT_LOG_PREFIX}*`, "arn:k"].sort());
        expect(JSON.stringify(p)).not.toContain('"s3:*"');
    });

    test("TLS-only denies insecure transport on the bucket and its objects", () => {
        expect(tlsOnlyBucketPolicy("arn:aws:s3:::b").Statement[0]).toEqual({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });
});

describe("DataBucket", () => {
    async function build(protect: boolean, history = false) {
        const recorder = setupMocks();
        const options = new Map<string, pulumi.ResourceOptions>();
        const bucket = new DataBucket(
            "d",
            {
                bucketName: protect ? "team-data" : undefined,
                protect,
                oidcProviderArn: OIDC_ARN,
                oidcIssuer: ISSUER,
                serviceAccounts: {
                    notebook: { namespace: "hub", name: "nb" },
                    executor: { namespace: "jobs", name: "ex" },
                    ...(history ? { history: { namespace: "hub", name: "spark-history" } } : {}),
                },
            },
            { transformations: [(t) => (options.set(t.name, t.opts), undefined)] },
        );
        await settle(recorder);
        return { recorder, bucket, options };
    }

    test("protected: encrypted with a rotating key, versioned, private, owner-enforced, TLS-only, retained", async () => {
        const { recorder, bucket, options } = await build(true);
        expect(recorder.one("aws:s3/bucket:Bucket").inputs).toMatchObject({ bucket: "team-data", forceDestroy: false });
        for (const stateful of ["d-bucket", "d-key"]) {
            expect(options.get(stateful)).toMatchObject({ protect: true, retainOnDelete: true });
        }
        expect(recorder.one("aws:kms/key:Key").inputs.enableKeyRotation).toBe(true);
        expect(recorder.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status).toBe("Enabled");
        expect(recorder.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0]).toEqual({
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/d-key" },
            bucketKeyEnabled: true,
        });
        expect(recorder.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(recorder.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule.objectOwnership).toBe("BucketOwnerEnforced");
        expect(JSON.parse(recorder.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy)).toEqual(tlsOnlyBucketPolicy("arn:aws:s3:::team-data"));
        expect(await valueOf(bucket.eventLogUri)).toBe(`s3a://team-data/${SPARK_EVENT_LOG_PREFIX}`);
    });

    test("one role per service account, each trusting only it, with bucket access", async () => {
        const { recorder, bucket } = await build(true);
        const roles = recorder.ofType("aws:iam/role:Role");
        expect(roles.map((r) => r.name).sort()).toEqual(["d-executor", "d-notebook"]);
        const sub = (name: string) =>
            JSON.parse(roles.find((r) => r.name === name)!.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"];
        expect(sub("d-notebook")).toBe("system:serviceaccount:hub:nb");
        expect(sub("d-executor")).toBe("system:serviceaccount:jobs:ex");
        const policies = recorder.ofType("aws:iam/rolePolicy:RolePolicy");
        expect(policies).toHaveLength(2);
        for (const p of policies) {
            expect(JSON.parse(p.inputs.policy)).toEqual(bucketAccessPolicy("arn:aws:s3:::team-data", "arn:aws:kms:eu-west-1:123456789012:key/d-key"));
        }
        expect(await valueOf(bucket.notebookRoleArn)).toBe("arn:aws:iam::123456789012:role/d-notebook");
        expect(await valueOf(bucket.executorRoleArn)).toBe("arn:aws:iam::123456789012:role/d-executor");
    });

    test("a read-only event-log role for the history server, and the spark-events/ directory marker", async () => {
        const { recorder, bucket } = await build(true, true);
        const roles = recorder.ofType("aws:iam/role:Role");
        expect(roles.map((r) => r.name).sort()).toEqual(["d-executor", "d-history", "d-notebook"]);
        const trust = JSON.parse(roles.find((r) => r.name === "d-history")!.inputs.assumeRolePolicy);
        expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"]).toBe("system:serviceaccount:hub:spark-history");
        const policy = JSON.parse(recorder.one("aws:iam/rolePolicy:RolePolicy", (n) => n === "d-history-bucket").inputs.policy);
        expect(policy).toEqual(eventLogReadPolicy("arn:aws:s3:::team-data", "arn:aws:kms:eu-west-1:123456789012:key/d-key"));
        const actions = policy.Statement.flatMap((s: any) => s.Action);
        expect(actions.filter((a: string) => /Put|Delete|GenerateDataKey/.test(a))).toEqual([]);
        expect(await valueOf(bucket.historyRoleArn!)).toBe("arn:aws:iam::123456789012:role/d-history");
        const marker = recorder.one("aws:s3/bucketObjectv2:BucketObjectv2");
        expect(marker.inputs).toMatchObject({ bucket: "team-data", key: SPARK_EVENT_LOG_PREFIX, content: "" });
    });

    test("unprotected: generated name, deletable, and every bucket setting names that bucket", async () => {
        const { recorder, options } = await build(false);
        expect(recorder.one("aws:s3/bucket:Bucket").inputs).toMatchObject({ forceDestroy: true, bucket: "ds-platform-test-data-123456789012" });
        const settings = recorder.resources.filter((r) => r.type.startsWith("aws:s3/") && r.type !== "aws:s3/bucket:Bucket");
        expect(settings).toHaveLength(6);
        expect(settings.every((r) => r.inputs.bucket === "ds-platform-test-data-123456789012")).toBe(true);
        expect(options.get("d-bucket")).toMatchObject({ protect: false, retainOnDelete: false });
    });
});
