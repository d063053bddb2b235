/**
 * Another Pulumi program building on ds-platform: team A gets its own platform in its own namespace,
 * with its own profiles, on an existing cluster. It imports the package as any program does, after
 * `npm install ds-platform @pulumi/pulumi`; in this repository the type-check and the unit tests map
 * "ds-platform" to components/ (tsconfig.json paths, jest moduleNameMapper), and
 * .ci/consumer-test.sh checks it against the packed package.
 */
import * as pulumi from "@pulumi/pulumi";
import { DataSciencePlatform } from "ds-platform";

export function teamPlatform(): { hubUrl: pulumi.Output<string>; imageRef: pulumi.Output<string>; executorNamespacePrefix: string } {
    const config = new pulumi.Config();
    const platform = new DataSciencePlatform("team-a", {
        cluster: { provider: "kubeconfig", context: config.get("context"), namespace: "team-a" },
        registry: { kind: "in-cluster", repository: "team-a/notebook", nodePort: 30501 },
        image: { uid: 2000, gid: 2000 },
        hub: { auth: { type: "shared-password", admins: ["alice"], allowedUsers: ["bob", "carol"] } },
        profiles: [
            { name: "analyst", displayName: "Analyst (2 CPU, 8 GiB)", cpu: { guarantee: 1, limit: 2 }, memory: { guarantee: "4Gi", limit: "8Gi" }, default: true },
        ],
        spark: { dynamicAllocation: { maxExecutors: 8 } },
        secrets: { hubPassword: config.requireSecret("hubPassword"), hubAdminPassword: config.requireSecret("hubAdminPassword") },
        // No projectRoot: the image is built from the images/notebook that ships in the package.
    });
    return { hubUrl: platform.hubUrl, imageRef: platform.imageRef, executorNamespacePrefix: platform.spark.executorNamespacePrefix };
}
