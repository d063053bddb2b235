import * as pulumi from "@pulumi/pulumi";
import {
    DATA_PREFIX,
    DataBucket,
    SPARK_EVENT_LOG_PREFIX,
    bucketAccessPolicy,
    eventLogReadPolicy,
    generatedBucketName,
    tlsOnlyBucketPolicy,
} from "../../components/aws/dataBucket";
import { registerMockOutputs, settle, setupMocks, valueOf } from "../helpers/mocks";

registerMockOutputs("aws:kms/key:Key", (a) => ({ arn: `arn:aws:kms:eu-west-1:123456789012:key/${a.name}` }));
registerMockOutputs("aws:s3/bucket:Bucket", (a) => ({ bucket: a.inputs.bucket ?? `${a.name}-x`, arn: `arn:aws:s3:::${a.inputs.bucket ?? `${a.name}-x`}` }));

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
    async function build(protect: boolean) {
        const recorder = setupMocks();
        const options = new Map<string, pulumi.ResourceOptions>();
        const bucket = new DataBucket(
            "d",
            {
                bucketName: protect ? "team-data" : undefined,
                protect,
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

    test("hands out the policies of its users' roles: read-write for Spark, read-only event logs for a history server", async () => {
        const { recorder, bucket } = await build(true);
        // The bucket knows nothing of who uses it: no role is declared here.
        expect(recorder.ofType("aws:iam/role:Role")).toEqual([]);
        const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/d-key";
        expect(await valueOf(bucket.keyArn)).toBe(keyArn);
        expect(await valueOf(bucket.accessPolicy)).toEqual(bucketAccessPolicy("arn:aws:s3:::team-data", keyArn));
        const read = await valueOf(bucket.eventLogReadPolicy);
        expect(read).toEqual(eventLogReadPolicy("arn:aws:s3:::team-data", keyArn));
        const actions = read.Statement.flatMap((s: any) => s.Action);
        expect(actions.filter((a: string) => /Put|Delete|GenerateDataKey/.test(a))).toEqual([]);
    });

    test("the spark-events/ directory marker", async () => {
        const { recorder } = await build(true);
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
