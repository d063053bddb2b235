/**
 * The platform-wide NetworkPolicy of Spark drivers: notebook pods may reach executors' block managers in
 * this platform's executor namespaces, and the API server. The per-user policies (a user's executors
 * and that user's drivers accept each other, and nobody else) are created by the hub with each
 * user's executor namespace (userIsolation.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SparkConfig } from "../config/config";
import { childOptions, FormerParent } from "./formerParent";
import { driverEgressPolicy, NetworkPolicyManifest, sparkPortRanges } from "./sparkConf";

/** The policies, by the role that ends their resource names; each object is named `spark-<role>`. */
export const SPARK_NETWORK_POLICY_ROLES = ["driver-egress"] as const;
export type SparkNetworkPolicyRole = (typeof SPARK_NETWORK_POLICY_ROLES)[number];

export interface SparkNetworkPoliciesArgs {
    /** Namespace of the notebook (driver) pods. Required. */
    notebookNamespace: pulumi.Input<string>;
    /** The platform namespace, whose executor namespaces carry its name in their label. Default: notebookNamespace */
    platformNamespace?: pulumi.Input<string>;
    /** The ports (driverPort, blockManagerPort, sessionsPerNotebook) of the platform's Spark settings. Required. */
    spark: Pick<SparkConfig, "driverPort" | "blockManagerPort" | "sessionsPerNotebook">;
    /** Where these objects were declared before this component existed; each gets an alias there. Default: none */
    formerParent?: FormerParent;
}

/** The platform-wide NetworkPolicies, by role. */
export function sparkNetworkPolicyArgs(a: SparkNetworkPoliciesArgs): Record<SparkNetworkPolicyRole, k8s.networking.v1.NetworkPolicyArgs> {
    const policies: Record<SparkNetworkPolicyRole, NetworkPolicyManifest> = {
        "driver-egress": driverEgressPolicy({
            notebookNamespace: a.notebookNamespace,
            platformNamespace: a.platformNamespace ?? a.notebookNamespace,
            ports: sparkPortRanges(a.spark),
        }),
    };
    const args = (role: SparkNetworkPolicyRole): k8s.networking.v1.NetworkPolicyArgs => ({
        metadata: { ...policies[role].metadata, name: `spark-${role}` },
        spec: policies[role].spec,
    });
    return { "driver-egress": args("driver-egress") };
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
        this.policyNames = { "driver-egress": declare("driver-egress") };
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
