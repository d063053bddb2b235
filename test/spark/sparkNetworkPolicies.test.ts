/**
 * SparkNetworkPolicies: the three policies between drivers and executors, named spark-<role>.
 */
import { parsePlatformConfig } from "../../components/config/config";
import { driverIngressPolicy, sparkPortRanges } from "../../components/spark/sparkConf";
import { SparkNetworkPolicies, sparkNetworkPolicyArgs, SPARK_NETWORK_POLICY_ROLES } from "../../components/spark/sparkNetworkPolicies";
import { settle, setupMocks, valueOf } from "../helpers/mocks";
import { validateKubernetesObject } from "../helpers/kubeSchema";

const spark = parsePlatformConfig({}, { hubPassword: true }).spark;

describe("sparkNetworkPolicyArgs", () => {
    it("names each policy spark-<role> and keeps the rules of the sparkConf builders", () => {
        const policies = sparkNetworkPolicyArgs({ notebookNamespace: "ds", spark });
        expect(Object.keys(policies)).toEqual([...SPARK_NETWORK_POLICY_ROLES]);
        for (const role of SPARK_NETWORK_POLICY_ROLES) {
            const p = policies[role];
            expect(p.metadata).toMatchObject({ name: `spark-${role}`, namespace: "ds" });
            expect(validateKubernetesObject({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", ...p })).toEqual([]);
        }
        const ports = sparkPortRanges(spark);
        expect(policies["driver-ingress"].spec).toEqual(driverIngressPolicy({ notebookNamespace: "ds", executorNamespace: "ds", sharedNamespace: true, ports }).spec);
    });

    it("selects peers in the other namespace when executors have their own", () => {
        const policies = sparkNetworkPolicyArgs({ notebookNamespace: "ds", executorNamespace: "spark", spark }) as any;
        expect(policies.executors.metadata.namespace).toBe("spark");
        expect(policies["driver-ingress"].spec.ingress[0].from[0].namespaceSelector).toEqual({ matchLabels: { "kubernetes.io/metadata.name": "spark" } });
    });
});

describe("SparkNetworkPolicies", () => {
    it("declares one NetworkPolicy per role as children and outputs their names", async () => {
        const recorder = setupMocks();
        const network = new SparkNetworkPolicies("spark-network", { notebookNamespace: "ds", spark });
        await settle(recorder);
        expect(recorder.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.name).sort()).toEqual(
            ["spark-network-driver-egress", "spark-network-driver-ingress", "spark-network-executors"],
        );
        expect(await valueOf(network.policyNames.executors)).toBe("spark-executors");
    });
});
