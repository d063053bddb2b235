/**
 * The cluster-wide half of per-user Spark isolation (see userIsolation.ts): the driver's ClusterRole,
 * which the hub binds for each user in that user's executor namespace only; the hub's right to create
 * those per-user objects; and the admission policies that make the API server refuse every pod in an
 * executor namespace that is not an executor as the platform defines it, and every write of the hub
 * outside the platform's namespaces.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    admissionPolicyNames,
    driverClusterRoleArgs,
    executorClaimPolicyArgs,
    executorPodPolicyArgs,
    executorPodValidations,
    hubClusterRoleArgs,
    hubBindingPolicyArgs,
    hubClusterRoleBindingArgs,
    hubScopePolicyArgs,
    policyBindingArgs,
} from "./userIsolation";

export interface SparkDriverAccessArgs {
    /** The platform namespace (hub and notebook pods); it names every cluster-wide object here. Required. */
    platformNamespace: string;
    /** Executor namespaces are `<prefix>-<user>`. Required. */
    executorNamespacePrefix: string;
    /** Whether drivers create on-demand local-dir claims for executors, and so need rights on claims. Default: false */
    onDemandPvc?: boolean;
    /** The images executor pods may run: the notebook image and its GPU target, by digest. Required. */
    images: pulumi.Input<string>[];
    /** UID and GID executor pods must run as. Required. */
    uid: number;
    gid: number;
}

/** The driver's ClusterRole, the hub's ClusterRole and binding, and the four admission policies with their bindings. */
export class SparkDriverAccess extends pulumi.ComponentResource {
    /** The ClusterRole the hub binds to each user's notebook ServiceAccount in that user's executor namespace. */
    public readonly driverClusterRoleName: pulumi.Output<string>;
    /** The admission policies, by what they admit. */
    public readonly policyNames: pulumi.Output<string>[];

    constructor(name: string, args: SparkDriverAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkDriverAccess", name, {}, opts);
        const ns = args.platformNamespace;
        const child = { parent: this };
        const driverRole = new k8s.rbac.v1.ClusterRole(`${name}-driver`, driverClusterRoleArgs(ns, args.onDemandPvc ?? false), child);
        const hubRole = new k8s.rbac.v1.ClusterRole(`${name}-hub`, hubClusterRoleArgs(ns), child);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-hub`, hubClusterRoleBindingArgs(ns), { ...child, dependsOn: [hubRole] });

        // The executor-pod policy lists the images, known once they are built and pushed.
        const podPolicy = executorPodPolicyArgs({ hubNamespace: ns, images: [], uid: args.uid, gid: args.gid });
        const podValidations = pulumi.all(args.images).apply((images) => executorPodValidations({ images, uid: args.uid, gid: args.gid }));
        const policies: Record<keyof ReturnType<typeof admissionPolicyNames>, k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs> = {
            executorPods: { ...podPolicy, spec: { ...podPolicy.spec, validations: podValidations } },
            executorClaims: executorClaimPolicyArgs(ns),
            hubScope: hubScopePolicyArgs(ns, args.executorNamespacePrefix),
            hubBindings: hubBindingPolicyArgs(ns),
        };
        const names = admissionPolicyNames(ns);
        this.policyNames = (Object.keys(policies) as (keyof typeof policies)[]).map((key) => {
            const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${key}`, policies[key], child);
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${key}`, policyBindingArgs(names[key]), { ...child, dependsOn: [policy] });
            return policy.metadata.name;
        });
        this.driverClusterRoleName = driverRole.metadata.name;
        this.registerOutputs({ driverClusterRoleName: this.driverClusterRoleName, policyNames: this.policyNames });
    }
}
