/**
 * SparkNetworkPolicies: the platform-wide policy of Spark drivers, named spark-<role>. The per-user
 * policies (a user's executors and that user's drivers) are the hub's (userIsolation.test.ts).
 */
import { parsePlatformConfig } from "../../components/config/config";
import { driverEgressPolicy, EXECUTORS_OF_LABEL, sparkPortRanges } from "../../components/spark/sparkConf";
import { SparkNetworkPolicies, sparkNetworkPolicyArgs, SPARK_NETWORK_POLICY_ROLES } from "../../components/spark/sparkNetworkPolicies";
import { settle, setupMocks, valueOf } from "../helpers/mocks";
import { validateKubernetesObject } from "../helpers/kubeSchema";

const spark = parsePlatformConfig({}, { hubPassword: true }).spark;

describe("sparkNetworkPolicyArgs", () => {
    it("names each policy spark-<role> and keeps the rules of the sparkConf builder", () => {
        expect([...SPARK_NETWORK_POLICY_ROLES]).toEqual(["driver-egress"]);
        const policies = sparkNetworkPolicyArgs({ notebookNamespace: "ds", spark });
        expect(Object.keys(policies)).toEqual([...SPARK_NETWORK_POLICY_ROLES]);
        for (const role of SPARK_NETWORK_POLICY_ROLES) {
            const p = policies[role];
            expect(p.metadata).toMatchObject({ name: `spark-${role}`, namespace: "ds" });
            expect(validateKubernetesObject({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", ...p })).toEqual([]);
        }
        const ports = sparkPortRanges(spark);
        expect(policies["driver-egress"].spec).toEqual(driverEgressPolicy({ notebookNamespace: "ds", platformNamespace: "ds", ports }).spec);
    });

    it("reaches the executor namespaces labelled with the platform namespace, which defaults to the notebook namespace", () => {
        const selector = (args: Parameters<typeof sparkNetworkPolicyArgs>[0]) => (sparkNetworkPolicyArgs(args)["driver-egress"].spec as any).egress[0].to[0].namespaceSelector;
        expect(selector({ notebookNamespace: "ds", spark })).toEqual({ matchLabels: { [EXECUTORS_OF_LABEL]: "ds" } });
        expect(selector({ notebookNamespace: "ds", platformNamespace: "platform", spark })).toEqual({ matchLabels: { [EXECUTORS_OF_LABEL]: "platform" } });
    });
});

describe("SparkNetworkPolicies", () => {
    it("declares one NetworkPolicy per role as children and outputs their names", async () => {
        const recorder = setupMocks();
        const network = new SparkNetworkPolicies("spark-network", { notebookNamespace: "ds", spark });
        await settle(recorder);
        expect(recorder.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.name)).toEqual(["spark-network-driver-egress"]);
        expect(await valueOf(network.policyNames["driver-egress"])).toBe("spark-driver-egress");
    });
});
