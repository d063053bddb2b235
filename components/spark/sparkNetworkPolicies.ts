/**
 * The NetworkPolicies between notebook (driver) pods and executor pods: drivers accept executors on
 * the driver and block-manager ports, may reach executors and the API server; executors talk to
 * drivers, each other, DNS and, if allowed, public addresses. The rules are built in sparkConf.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SparkConfig } from "../config/config";
import { childOptions, FormerParent } from "./formerParent";
import { driverEgressPolicy, driverIngressPolicy, executorPolicy, sparkPortRanges } from "./sparkConf";

/** The policies, by the role that ends their resource names; each object is named `spark-<role>`. */
export const SPARK_NETWORK_POLICY_ROLES = ["driver-ingress", "driver-egress", "executors"] as const;
export type SparkNetworkPolicyRole = (typeof SPARK_NETWORK_POLICY_ROLES)[number];

export interface SparkNetworkPoliciesArgs {
    /** Namespace of the notebook (driver) pods. Required. */
    notebookNamespace: pulumi.Input<string>;
    /** A separate namespace executor pods run in (not created here). Default: none: executors run in notebookNamespace */
    executorNamespace?: pulumi.Input<string>;
    /** The ports (driverPort, blockManagerPort, sessionsPerNotebook) and executorPublicEgress of the platform's Spark settings. Required. */
    spark: Pick<SparkConfig, "driverPort" | "blockManagerPort" | "sessionsPerNotebook" | "executorPublicEgress">;
    /** Where these objects were declared before this component existed; each gets an alias there. Default: none */
    formerParent?: FormerParent;
}

/** The three NetworkPolicies, by role. */
export function sparkNetworkPolicyArgs(a: SparkNetworkPoliciesArgs): Record<SparkNetworkPolicyRole, k8s.networking.v1.NetworkPolicyArgs> {
    const net = {
        notebookNamespace: a.notebookNamespace,
        executorNamespace: a.executorNamespace ?? a.notebookNamespace,
        sharedNamespace: a.executorNamespace === undefined,
        ports: sparkPortRanges(a.spark),
    };
    const policies = {
        "driver-ingress": driverIngressPolicy(net),
        "driver-egress": driverEgressPolicy(net),
        executors: executorPolicy({ ...net, publicEgress: a.spark.executorPublicEgress }),
    };
    const args = (role: SparkNetworkPolicyRole): k8s.networking.v1.NetworkPolicyArgs => ({
        metadata: { ...policies[role].metadata, name: `spark-${role}` },
        spec: policies[role].spec,
    });
    return { "driver-ingress": args("driver-ingress"), "driver-egress": args("driver-egress"), executors: args("executors") };
}

/** The NetworkPolicies of client-mode Spark, in the notebook and executor namespaces. */
export class SparkNetworkPolicies extends pulumi.ComponentResource {
    /** Names of the policies, by role. */
    public readonly policyNames: Record<SparkNetworkPolicyRole, pulumi.Output<string>>;

    constructor(name: string, args: SparkNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkNetworkPolicies", name, {}, opts);
        const all = sparkNetworkPolicyArgs(args);
        const declare = (role: SparkNetworkPolicyRole) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${role}`, all[role], childOptions(this, args.formerParent, role)).metadata.name;
        this.policyNames = { "driver-ingress": declare("driver-ingress"), "driver-egress": declare("driver-egress"), executors: declare("executors") };
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
