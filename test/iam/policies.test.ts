import { irsaAnnotations, irsaTrustPolicy, managedPolicyArn, oidcIssuerHostPath, serviceTrustPolicy } from "../../components/iam/policies";

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

    test("matches the subject with StringLike when it names ServiceAccounts by pattern (one per user, in one namespace per user)", () => {
        const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";
        expect(irsaTrustPolicy(OIDC_ARN, ISSUER, { namespace: "ds-platform-u-*", name: "spark-executor" }).Statement[0].Condition).toEqual({
            StringLike: { [`${issuer}:sub`]: "system:serviceaccount:ds-platform-u-*:spark-executor" },
            // The audience stays an exact match.
            StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" },
        });
        expect(irsaTrustPolicy(OIDC_ARN, ISSUER, { namespace: "ds-platform", name: "notebook-*" }).Statement[0].Condition).toEqual({
            StringLike: { [`${issuer}:sub`]: "system:serviceaccount:ds-platform:notebook-*" },
            StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" },
        });
    });

    test("issuer with or without scheme gives the same condition keys", () => {
        expect(oidcIssuerHostPath(ISSUER)).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC");
        expect(oidcIssuerHostPath("oidc.eks.eu-west-1.amazonaws.com/id/ABC/")).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC");
    });
});

describe("service trust, managed policies, annotations", () => {
    test("an AWS service assumes a role with sts:AssumeRole only", () => {
        expect(serviceTrustPolicy("eks.amazonaws.com").Statement).toEqual([{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    });

    test("managed policy ARNs follow the partition", () => {
        expect(managedPolicyArn("aws-cn", "AmazonEKSClusterPolicy")).toBe("arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy");
    });

    test("the IRSA annotation is the one the EKS pod identity webhook reads", () => {
        expect(irsaAnnotations("arn:aws:iam::1:role/r")).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r" });
    });
});
