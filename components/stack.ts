/** The stack program: read and validate this stack's config, build the platform, name its outputs. */
import * as pulumi from "@pulumi/pulumi";
import { DataSciencePlatform } from "./platform";
import { readStackConfig } from "./config/stackConfig";

export interface StackOutputs {
    hubUrl: pulumi.Output<string>;
    imageRef: pulumi.Output<string>;
    gpuImageRef?: pulumi.Output<string>;
    registryUrl: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    kubeconfig?: pulumi.Output<string>;
    /** CA certificate the nodes must trust to pull from the in-cluster registry. */
    registryCaCert?: pulumi.Output<string>;
    /** containerd hosts.toml for the in-cluster registry, installed beside that CA on every node. */
    registryHostsToml?: pulumi.Output<string>;
}

/** `opts` lets a caller (tests, an automation program) add resource options such as transformations. */
export function stackProgram(opts?: pulumi.ComponentResourceOptions): StackOutputs {
    const { config, secrets } = readStackConfig();
    const platform = new DataSciencePlatform(pulumi.getStack(), { ...config, secrets }, opts);
    return {
        hubUrl: platform.hubUrl,
        imageRef: platform.imageRef,
        gpuImageRef: platform.gpuImageRef,
        registryUrl: platform.registryUrl,
        namespace: platform.namespace,
        kubeconfig: platform.kubeconfig ? pulumi.secret(platform.kubeconfig) : undefined,
        registryCaCert: platform.registry.caCertPem,
        registryHostsToml: platform.registry.containerdHostsToml,
    };
}
