/**
 * ServiceAccountRole: an IAM role that exactly one Kubernetes ServiceAccount may assume through the
 * cluster's OIDC provider (IRSA), with its inline and AWS managed policies. Every pod-facing role of
 * the platform is one: the EBS CSI driver, cluster-autoscaler, notebooks, Spark executors, the
 * history server and model services.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, irsaAnnotations, irsaTrustPolicy } from "./policies";

/** The cluster's IAM OIDC provider, as IRSA trust policies name it. */
export interface OidcProvider {
    /** ARN of the IAM OIDC provider. */
    arn: pulumi.Input<string>;
    /** The issuer, with or without https://. */
    url: pulumi.Input<string>;
}

export interface ServiceAccountRoleArgs {
    /** The cluster's IAM OIDC provider. Required. */
    oidcProvider: OidcProvider;
    /** The one ServiceAccount allowed to assume the role; its namespace may be known only at deployment. Required. */
    serviceAccount: { namespace: pulumi.Input<string>; name: pulumi.Input<string> };
    /** Description of the role. Default: none */
    description?: pulumi.Input<string>;
    /** Inline policies by key; each is the RolePolicy `${name}-<key>`. Default: none */
    inlinePolicies?: Record<string, pulumi.Input<PolicyDocument>>;
    /** AWS managed policy ARNs by key; each is attached as the RolePolicyAttachment `${name}-<key>`. Default: none */
    managedPolicyArns?: Record<string, pulumi.Input<string>>;
    /**
     * Where the role and its policies were declared before this component owned them: their parent then
     * (a resource or its URN) and, by key, the former names of policies whose logical name changed. They
     * are aliased there, so a stack that has them keeps them instead of replacing them. Default: none (a new role)
     */
    formerly?: { parent: pulumi.Resource | pulumi.Input<string>; policyNames?: Record<string, string> };
}

/** The child names of a ServiceAccountRole: the role carries the component's own name, each policy `${name}-<key>`. */
export function serviceAccountRoleChildNames(name: string, args: Pick<ServiceAccountRoleArgs, "inlinePolicies" | "managedPolicyArns">) {
    return {
        role: name,
        inlinePolicies: Object.keys(args.inlinePolicies ?? {}).map((key) => ({ key, name: `${name}-${key}` })),
        managedPolicies: Object.keys(args.managedPolicyArns ?? {}).map((key) => ({ key, name: `${name}-${key}` })),
    };
}

/**
 * An IRSA role and its policies. The role carries the component's name (it is what the component
 * is), so roles keep their logical, and so their physical, names wherever they are declared. AWS
 * resources take the provider from `opts.providers`.
 */
export class ServiceAccountRole extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;
    /** The annotation that gives the ServiceAccount's pods this role. */
    public readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ServiceAccountRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:iam:ServiceAccountRole", name, {}, opts);
        const names = serviceAccountRoleChildNames(name, args);
        const formerly = args.formerly;
        const aliasesOf = (childName: string, formerName = childName): pulumi.ResourceOptions =>
            formerly ? { aliases: [{ name: formerName, parent: formerly.parent }] } : {};

        const role = new aws.iam.Role(
            names.role,
            {
                description: args.description,
                assumeRolePolicy: pulumi
                    .all([args.oidcProvider.arn, args.oidcProvider.url, args.serviceAccount.namespace, args.serviceAccount.name])
                    .apply(([arn, url, namespace, saName]) => JSON.stringify(irsaTrustPolicy(arn, url, { namespace, name: saName }))),
            },
            { parent: this, ...aliasesOf(names.role) },
        );
        for (const { key, name: child } of names.inlinePolicies) {
            new aws.iam.RolePolicy(
                child,
                { role: role.id, policy: pulumi.output(args.inlinePolicies![key]).apply((p) => JSON.stringify(p)) },
                { parent: this, ...aliasesOf(child, formerly?.policyNames?.[key]) },
            );
        }
        for (const { key, name: child } of names.managedPolicies) {
            new aws.iam.RolePolicyAttachment(
                child,
                { role: role.name, policyArn: args.managedPolicyArns![key] },
                { parent: this, ...aliasesOf(child, formerly?.policyNames?.[key]) },
            );
        }

        this.roleArn = role.arn;
        this.roleName = role.name;
        this.serviceAccountAnnotations = role.arn.apply(irsaAnnotations);
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, serviceAccountAnnotations: this.serviceAccountAnnotations });
    }
}
