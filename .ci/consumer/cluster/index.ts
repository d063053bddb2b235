/**
 * A cluster stack for a cluster that nothing in Pulumi creates, as a program outside the repository
 * writes it with the installed package: it declares no resource and exports the cluster's kubeconfig
 * (a secret) and facts under the names team stacks read (`clusterFromStack`).
 *
 * Config (project ds-platform-consumer-cluster): kubeconfig (secret, required; set it with
 * `pulumi config set --secret kubeconfig < <file>`), kubernetesVersion, matchNodePurpose, gpuPools
 * (JSON, [{name, gpusPerNode, maxSize}]), homeStorageClass, registryUrl.
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterStackOutputs, parseClusterFacts } from "ds-platform";

const config = new pulumi.Config();

export = clusterStackOutputs({
    kubeconfig: config.requireSecret("kubeconfig"),
    ...parseClusterFacts({
        kubernetesVersion: config.get("kubernetesVersion"),
        matchNodePurpose: config.get("matchNodePurpose"),
        gpuPools: config.getObject("gpuPools"),
        homeStorageClass: config.get("homeStorageClass"),
        registryUrl: config.get("registryUrl"),
    }),
});
