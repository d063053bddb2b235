/**
 * IAM policy documents the platform writes: trust policies (AWS services, and Kubernetes
 * ServiceAccounts through the cluster's OIDC provider, "IRSA"), and the ServiceAccount annotation
 * that hands a role to pods. Pure functions; the roles themselves are in serviceAccountRole.ts and
 * the components that own them.
 */

/** An IAM policy document. */
export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Record<string, unknown>[];
}

/** A Kubernetes service account, by namespace and name. */
export interface ServiceAccountRef {
    namespace: string;
    name: string;
}

/** The annotation the EKS pod identity webhook reads: pods of the annotated ServiceAccount get that role's credentials. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/** The ServiceAccount annotations that give its pods a role. */
export function irsaAnnotations(roleArn: string): Record<string, string> {
    return { [IRSA_ROLE_ANNOTATION]: roleArn };
}

/** The issuer as IAM condition keys spell it: host and path, without the scheme. */
export function oidcIssuerHostPath(issuerUrl: string): string {
    return issuerUrl.replace(/^https:\/\//, "").replace(/\/$/, "");
}

/**
 * Trust policy letting exactly one Kubernetes service account assume a role through the cluster's
 * OIDC provider: `sub` names the account, `aud` is the STS audience the EKS pod identity webhook asks for.
 */
export function irsaTrustPolicy(oidcProviderArn: string, oidcIssuer: string, serviceAccount: ServiceAccountRef): PolicyDocument {
    const issuer = oidcIssuerHostPath(oidcIssuer);
    const subject = `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`;
    // A `*` in the namespace or name (one ServiceAccount per user, in one namespace per user) is a StringLike match.
    const match = subject.includes("*") ? { StringLike: { [`${issuer}:sub`]: subject } } : { StringEquals: { [`${issuer}:sub`]: subject } };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    ...match,
                    StringEquals: { ...("StringEquals" in match ? match.StringEquals : {}), [`${issuer}:aud`]: "sts.amazonaws.com" },
                },
            },
        ],
    };
}

/** A trust policy letting an AWS service assume a role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] };
}

/** ARN of an AWS managed IAM policy in a partition. */
export function managedPolicyArn(partition: string, policy: string): string {
    return `arn:${partition}:iam::aws:policy/${policy}`;
}
