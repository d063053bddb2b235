/**
 * The AWS provider every AWS resource of a platform uses: the configured region, and the cost tags
 * as default tags, so no resource can miss them. Components take it through `opts.providers`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The cost tags every AWS resource carries, through the provider's default tags. */
export function costTags(t: { project: string; stack: string; owner: string; costCenter?: string }): Record<string, string> {
    return { project: t.project, stack: t.stack, owner: t.owner, ...(t.costCenter ? { costCenter: t.costCenter } : {}) };
}

/** The provider's settings for a region and the cost tags of this project and stack. */
export function awsProviderArgs(region: string, tags: { owner: string; costCenter?: string }): aws.ProviderArgs {
    return {
        region: region as aws.Region,
        defaultTags: { tags: costTags({ project: pulumi.getProject(), stack: pulumi.getStack(), ...tags }) },
    };
}
