/**
 * Launch template settings shared by every EKS node group (system, CPU and GPU pools). Pure.
 */
import type * as aws from "@pulumi/aws";

/** Root volume device of an EKS AMI type: Bottlerocket keeps images and containers on its second volume. */
export function rootDeviceName(amiType: string): string {
    return amiType.startsWith("BOTTLEROCKET") ? "/dev/xvdb" : "/dev/xvda";
}

/**
 * Launch template settings for every EKS node: IMDSv2 only with a hop limit of 1, so pods (one hop
 * further away) cannot read the node role's credentials, and an encrypted gp3 root volume.
 */
export function eksLaunchTemplateArgs(settings: { amiType: string; diskSizeGb: number; description: string }): aws.ec2.LaunchTemplateArgs {
    return {
        description: settings.description,
        updateDefaultVersion: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
            {
                deviceName: rootDeviceName(settings.amiType),
                ebs: { volumeSize: settings.diskSizeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ],
    };
}
