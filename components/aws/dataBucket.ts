/**
 * The platform's S3 bucket for data and Spark event logs, and the policies of the roles that reach
 * it. The roles themselves (IRSA, one per ServiceAccount) are the platform's: the bucket knows
 * nothing of who uses it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument } from "../iam/policies";

/** Key prefix for datasets and notebook output. */
export const DATA_PREFIX = "data/";
/** Key prefix for Spark event logs (spark.eventLog.dir, read by a history server). */
export const SPARK_EVENT_LOG_PREFIX = "spark-events/";

/**
 * A generated bucket name: readable, and unique across AWS because it carries the account id.
 * S3 allows lower-case letters, digits, '-' and '.', 3 to 63 characters.
 */
export function generatedBucketName(prefix: string, accountId: string): string {
    const suffix = `-${accountId}`;
    const base = prefix
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+/, "")
        .slice(0, 63 - suffix.length)
        .replace(/-+$/, "");
    if (base.length === 0) {
        throw new Error(`cannot derive an S3 bucket name from "${prefix}"; set aws.dataBucketName`);
    }
    return `${base}${suffix}`;
}

/** Read and write under the data and event-log prefixes, list the bucket, and use its key. */
export function bucketAccessPolicy(bucketArn: string, keyArn: string): PolicyDocument {
    const prefixes = [DATA_PREFIX, SPARK_EVENT_LOG_PREFIX];
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
            {
                Sid: "ReadWriteObjects",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: prefixes.map((p) => `${bucketArn}/${p}*`),
            },
            { Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn },
        ],
    };
}

/** Read-only access to the Spark event logs (for a history server): list them and read them. */
export function eventLogReadPolicy(bucketArn: string, keyArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListEventLogs",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [SPARK_EVENT_LOG_PREFIX, `${SPARK_EVENT_LOG_PREFIX}*`] } },
            },
            { Sid: "ReadEventLogs", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/${SPARK_EVENT_LOG_PREFIX}*` },
            { Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn },
        ],
    };
}

/** Bucket policy refusing every request that is not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

export interface DataBucketArgs {
    /** Bucket name. Default: `<project>-<stack>-data-<account id>`. */
    bucketName?: string;
    /** Protect the bucket and its key from deletion, and keep them if the stack is destroyed. Required. */
    protect: boolean;
}

/**
 * An encrypted, versioned, private bucket with TLS-only access, and the policies its users' roles
 * take. AWS children take the provider given in `opts.providers` (the platform's tagged provider).
 */
export class DataBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** The bucket's KMS key. */
    public readonly keyArn: pulumi.Output<string>;
    /** `s3a://<bucket>/spark-events/`, for spark.eventLog.dir. */
    public readonly eventLogUri: pulumi.Output<string>;
    /** Read and write under data/ and spark-events/ (notebooks, executors). */
    public readonly accessPolicy: pulumi.Output<PolicyDocument>;
    /** Read the event logs only (a history server). */
    public readonly eventLogReadPolicy: pulumi.Output<PolicyDocument>;

    constructor(name: string, args: DataBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:aws:DataBucket", name, {}, opts);
        const stateful = { parent: this, protect: args.protect, retainOnDelete: args.protect };

        const key = new aws.kms.Key(
            `${name}-key`,
            { description: "Encryption of the platform data bucket", enableKeyRotation: true, deletionWindowInDays: 30 },
            stateful,
        );
        const bucketName =
            args.bucketName ??
            aws
                .getCallerIdentityOutput({}, { parent: this })
                .accountId.apply((account) => generatedBucketName(`${pulumi.getProject()}-${pulumi.getStack()}-data`, account));
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, forceDestroy: !args.protect }, stateful);
        new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } }, { parent: this });
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucket.bucket,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
            },
            { parent: this },
        );
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: bucket.bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            { parent: this },
        );
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
        new aws.s3.BucketPolicy(
            `${name}-tls-only`,
            { bucket: bucket.bucket, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
            // S3 rejects policy changes while the public access block is being applied.
            { parent: this, dependsOn: [publicAccess] },
        );

        // Spark requires spark.eventLog.dir to exist (drivers and the history server fail without it);
        // S3A takes an empty object whose key ends in "/" for a directory.
        new aws.s3.BucketObjectv2(
            `${name}-event-log-dir`,
            { bucket: bucket.bucket, key: SPARK_EVENT_LOG_PREFIX, content: "", contentType: "application/x-directory" },
            { parent: this, dependsOn: [publicAccess] },
        );

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.keyArn = key.arn;
        this.eventLogUri = pulumi.interpolate`s3a://${bucket.bucket}/${SPARK_EVENT_LOG_PREFIX}`;
        this.accessPolicy = pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => bucketAccessPolicy(b, k));
        this.eventLogReadPolicy = pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => eventLogReadPolicy(b, k));
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            keyArn: this.keyArn,
            eventLogUri: this.eventLogUri,
            accessPolicy: this.accessPolicy,
            eventLogReadPolicy: this.eventLogReadPolicy,
        });
    }
}
