/** The stack program: read and validate this stack's config, build the platform, name its outputs. */
import * as pulumi from "@pulumi/pulumi";
import { DataSciencePlatform } from "./platform";
import { readStackConfig } from "./config/stackConfig";
import { ClusterStackExports, clusterStackOutputs } from "./cluster/clusterStack";

/**
 * The stack's outputs. Those of `ClusterStackExports` (kubeconfig, kubernetesVersion, matchNodePurpose,
 * gpuPools, homeStorageClass, registryUrl) are what team stacks read through a StackReference
 * (`clusterFromStack`), under the names of `CLUSTER_STACK_OUTPUTS`.
 */
export interface StackOutputs extends ClusterStackExports {
    hubUrl: pulumi.Output<string>;
    imageRef: pulumi.Output<string>;
    gpuImageRef?: pulumi.Output<string>;
    registryUrl: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    /** Only on AWS (the stack created the cluster); a secret. */
    kubeconfig?: pulumi.Output<string>;
    /** CA certificate the nodes must trust to pull from the in-cluster registry. */
    registryCaCert?: pulumi.Output<string>;
    /** containerd hosts.toml for the in-cluster registry, installed beside that CA on every node. */
    registryHostsToml?: pulumi.Output<string>;
    /** Each served model's in-cluster URL (its Service), by model name. */
    modelUrls: Record<string, pulumi.Output<string>>;
    /** The public URL of each model served through an Ingress, by model name. */
    modelPublicUrls: Record<string, string>;
}

/** `opts` lets a caller (tests, an automation program) add resource options such as transformations. */
export function stackProgram(opts?: pulumi.ComponentResourceOptions): StackOutputs {
    const { config, secrets } = readStackConfig();
    const platform = new DataSciencePlatform(pulumi.getStack(), { ...config, secrets }, opts);
    return {
        ...clusterStackOutputs(platform.clusterFacts),
        hubUrl: platform.hubUrl,
        imageRef: platform.imageRef,
        gpuImageRef: platform.gpuImageRef,
        registryUrl: platform.registryUrl,
        namespace: platform.namespace,
        registryCaCert: platform.registry.caCertPem,
        registryHostsToml: platform.registry.containerdHostsToml,
        modelUrls: Object.fromEntries(Object.entries(platform.models).map(([model, service]) => [model, service.url])),
        modelPublicUrls: Object.fromEntries(
            Object.entries(platform.models).flatMap(([model, service]) => (service.publicUrl ? [[model, service.publicUrl]] : [])),
        ),
    };
}
