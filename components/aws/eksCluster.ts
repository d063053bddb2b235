/**
 * EksCluster: the prod cluster on AWS. A VPC (or an existing one), EKS with envelope-encrypted
 * secrets, API access entries and control-plane logs, the IAM OIDC provider, the node role, the
 * on-demand system and CPU managed node groups, the EKS managed add-ons at the versions pinned for
 * the cluster's minor (the EBS CSI driver with its IRSA role), and a Kubernetes provider that waits
 * for nodes. It hands node pools and add-ons one `core` bundle, as pulumi-eks hands its CoreData to
 * node groups; GPU pools (gpu/gpuNodePool.ts) and ClusterAddons (clusterAddons.ts) take it.
 *
 * Plain @pulumi/aws resources rather than @pulumi/eks: every setting (IMDSv2, taints, ASG tags,
 * access entries) is visible here and predictable under test mocks.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsConfig } from "../config/config";
import { EKS_ADDONS, KubernetesVersion, versionPins } from "../cluster/kubernetesVersions";
import { nodePurposeLabels } from "../cluster/nodePurpose";
import { eksLaunchTemplateArgs } from "../gpu/launchTemplate";
import { PolicyDocument, ServiceAccountRef, managedPolicyArn, oidcIssuerHostPath, serviceTrustPolicy } from "../iam/policies";
import { ServiceAccountRole } from "../iam/serviceAccountRole";

/** Label naming the role of a non-GPU node group. */
export const NODE_ROLE_LABEL = "ds-platform.io/node-role";
/** Labels of the on-demand system group (hub, autoscaler, add-ons). */
export const SYSTEM_NODE_LABELS: Record<string, string> = { [NODE_ROLE_LABEL]: "system", ...nodePurposeLabels("core") };
/** Labels of the CPU group (notebooks, executors). */
export const CPU_NODE_LABELS: Record<string, string> = { [NODE_ROLE_LABEL]: "cpu", ...nodePurposeLabels("user") };
/** The EBS CSI controller's service account, trusted by its IRSA role. */
export const EBS_CSI_SERVICE_ACCOUNT: ServiceAccountRef = { namespace: "kube-system", name: "ebs-csi-controller-sa" };
/** Root volume sizes of the non-GPU groups: system pods are small; notebook images are several GiB. */
const SYSTEM_DISK_GB = 50;
const CPU_DISK_GB = 100;
const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
const CONTROL_PLANE_LOG_RETENTION_DAYS = 30;

/**
 * The type of the one component that used to hold the whole AWS side (cluster, add-ons, GPU pools,
 * data bucket). Its resources keep their names; aliases to it keep an existing stack's resources.
 */
export const FORMER_AWS_CLUSTER_TYPE = "ds-platform:aws:AwsCluster";

/** The URN the former AWS component had, given the name and parent it was declared with. */
export function formerAwsClusterUrn(name: string, parent?: pulumi.Resource): pulumi.Output<string> {
    return pulumi.createUrn(name, FORMER_AWS_CLUSTER_TYPE, parent);
}

/** The EKS cluster name of a stack; EKS allows letters, digits, '-' and '_', at most 100 characters. */
export function eksClusterName(project: string, stack: string): string {
    const name = `${project}-${stack}`.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 100);
    if (!/^[A-Za-z0-9]/.test(name)) {
        throw new Error(`cannot derive an EKS cluster name from project "${project}" and stack "${stack}"; pass clusterName`);
    }
    return name;
}

function ipToNumber(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function numberToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Subnet CIDRs of a new VPC. The first half of the VPC holds one private (node) subnet per zone,
 * large because the VPC CNI gives every pod a VPC address; the second half starts with one public
 * (load balancer) subnet per zone, an eighth of a private subnet's size.
 */
export function subnetCidrs(vpcCidr: string, zones: number): { private: string[]; public: string[] } {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(vpcCidr);
    if (!m) {
        throw new Error(`aws.vpc.cidr must be an IPv4 CIDR block such as 10.40.0.0/16 (got ${vpcCidr})`);
    }
    if (!Number.isInteger(zones) || zones < 1) {
        throw new Error(`aws.vpc.availabilityZones must be a positive whole number (got ${zones})`);
    }
    const prefix = Number(m[2]);
    const base = ipToNumber(m[1]);
    const vpcSize = 2 ** (32 - prefix);
    if (base % vpcSize !== 0) {
        throw new Error(`aws.vpc.cidr ${vpcCidr} has host bits set; use ${numberToIp(base - (base % vpcSize))}/${prefix}`);
    }
    const privatePrefix = prefix + 1 + Math.ceil(Math.log2(zones));
    const publicPrefix = privatePrefix + 3;
    if (publicPrefix > 28) {
        throw new Error(
            `aws.vpc.cidr ${vpcCidr} is too small for ${zones} zones: public subnets would be /${publicPrefix}, AWS allows at most /28; use a /${prefix - (publicPrefix - 28)} or larger`,
        );
    }
    const indexes = Array.from({ length: zones }, (_, i) => i);
    return {
        private: indexes.map((i) => `${numberToIp(base + i * 2 ** (32 - privatePrefix))}/${privatePrefix}`),
        public: indexes.map((i) => `${numberToIp(base + vpcSize / 2 + i * 2 ** (32 - publicPrefix))}/${publicPrefix}`),
    };
}

/** What the EKS control plane needs of the secrets key (envelope encryption through grants). */
export function secretsKeyPolicy(keyArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn }],
    };
}

/** A kubeconfig (as JSON) that authenticates through `aws eks get-token`, so it holds no long-lived credential. */
export function kubeconfigFor(cluster: { name: string; endpoint: string; certificateAuthorityData: string; region: string }): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: { server: cluster.endpoint, "certificate-authority-data": cluster.certificateAuthorityData } }],
        contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
        "current-context": cluster.name,
        users: [
            {
                name: cluster.name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region, "--output", "json"],
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}

interface Network {
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Input<string>[];
    publicSubnetIds: pulumi.Input<string>[];
}

function existingNetwork(cfg: AwsConfig): Network {
    return {
        vpcId: pulumi.output(cfg.vpc.existingVpcId!),
        privateSubnetIds: cfg.vpc.privateSubnetIds,
        publicSubnetIds: cfg.vpc.publicSubnetIds,
    };
}


/** What node pools and cluster add-ons need of an EKS cluster. */
export interface EksCore {
    /** EKS cluster name, known before deployment (the autoscaler's ASG tags spell it). */
    clusterName: string;
    /** AWS region of the cluster. */
    region: string;
    /** The cluster's Kubernetes minor. */
    kubernetesVersion: KubernetesVersion;
    /** The EKS cluster. */
    cluster: aws.eks.Cluster;
    vpcId: pulumi.Output<string>;
    /** Subnets of the nodes. */
    privateSubnetIds: pulumi.Input<string>[];
    /** The security group EKS created for the control plane and managed nodes. */
    clusterSecurityGroupId: pulumi.Output<string>;
    /** The cluster's IAM OIDC provider (IRSA); `url` is the issuer without scheme. */
    oidcProvider: { arn: pulumi.Output<string>; url: pulumi.Output<string> };
    /** ARN of the role every managed node group's nodes run as. */
    nodeRoleArn: pulumi.Output<string>;
    /** What a node group waits for: the cluster, and the node role's policies (nodes cannot join without them). */
    nodeGroupDependencies: pulumi.Resource[];
    /** Labels of the system nodes, where cluster add-ons run. */
    systemNodeLabels: Record<string, string>;
    /** The EBS CSI driver add-on, which volumes (and so StorageClasses) need. */
    ebsCsiDriver: aws.eks.Addon;
    /** Kubernetes provider for the cluster; it waits for the system nodes and CoreDNS. */
    provider: k8s.Provider;
}

export interface EksClusterArgs {
    /** AWS settings (config `aws`): region, Kubernetes minor, VPC, endpoint, system and CPU groups, admins. Required. */
    aws: AwsConfig;
    /** Protect and retain the secrets encryption key (config `protectData`). Required. */
    protect: boolean;
    /** EKS cluster name. Default: `<project>-<stack>`. */
    clusterName?: string;
}

/**
 * An EKS cluster and what every node and add-on builds on. AWS resources take the provider given in
 * `opts.providers` (the platform's tagged provider).
 */
export class EksCluster extends pulumi.ComponentResource {
    /** What node pools and add-ons take. */
    public readonly core: EksCore;
    /** Kubernetes provider for the new cluster. */
    public readonly provider: k8s.Provider;
    /** kubeconfig of the cluster (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The OIDC issuer without scheme, as IAM condition keys use it. */
    public readonly oidcProviderUrl: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // A stack deployed before the cluster was split from its add-ons, node pools and bucket holds these
        // resources under the former type, with this name and parent: the alias keeps them.
        super("ds-platform:aws:EksCluster", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: FORMER_AWS_CLUSTER_TYPE }] });
        const cfg = args.aws;
        const clusterName = args.clusterName ?? eksClusterName(pulumi.getProject(), pulumi.getStack());
        const awsOpts = { parent: this };
        const partition = aws.getPartitionOutput({}, awsOpts).partition;
        const policyArn = (policy: string) => partition.apply((p) => managedPolicyArn(p, policy));

        const network = cfg.vpc.existingVpcId ? existingNetwork(cfg) : newNetwork(name, cfg, clusterName, awsOpts);
        // Control plane: secrets envelope-encrypted with a rotating key, logs kept for a bounded time.
        const secretsKey = new aws.kms.Key(
            `${name}-secrets-key`,
            { description: `EKS secrets encryption for ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30 },
            // Without the key the cluster's secrets are unreadable: it is as stateful as the data.
            { ...awsOpts, protect: args.protect, retainOnDelete: args.protect },
        );
        const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("eks.amazonaws.com")) }, awsOpts);
        const clusterRoleReady = [
            new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, { role: clusterRole.name, policyArn: policyArn("AmazonEKSClusterPolicy") }, awsOpts),
            new aws.iam.RolePolicy(
                `${name}-cluster-secrets-key`,
                { role: clusterRole.id, policy: secretsKey.arn.apply((arn) => JSON.stringify(secretsKeyPolicy(arn))) },
                awsOpts,
            ),
            new aws.cloudwatch.LogGroup(
                `${name}-control-plane-logs`,
                { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: CONTROL_PLANE_LOG_RETENTION_DAYS },
                awsOpts,
            ),
        ];
        const cluster = new aws.eks.Cluster(
            `${name}-eks`,
            {
                name: clusterName,
                version: cfg.kubernetesVersion,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: [...network.privateSubnetIds, ...network.publicSubnetIds],
                    endpointPublicAccess: cfg.endpoint.publicAccess,
                    endpointPrivateAccess: cfg.endpoint.privateAccess,
                    publicAccessCidrs: cfg.endpoint.publicAccess ? cfg.endpoint.publicAccessCidrs : undefined,
                },
                encryptionConfig: { resources: ["secrets"], provider: { keyArn: secretsKey.arn } },
                // Access entries only; the identity running the deployment stays admin so it can apply Kubernetes objects.
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
                enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
            },
            { ...awsOpts, dependsOn: clusterRoleReady },
        );
        cfg.adminRoleArns.forEach((principalArn, i) => {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName: cluster.name, principalArn, type: "STANDARD" }, awsOpts);
            new aws.eks.AccessPolicyAssociation(
                `${name}-admin-${i}-policy`,
                {
                    clusterName: cluster.name,
                    principalArn,
                    policyArn: partition.apply((p) => `arn:${p}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`),
                    accessScope: { type: "cluster" },
                },
                { ...awsOpts, dependsOn: [entry] },
            );
        });

        // IRSA. IAM validates EKS issuers against its own trusted CAs, so no thumbprint is pinned.
        const issuer = cluster.identities.apply((ids) => {
            const url = ids?.[0]?.oidcs?.[0]?.issuer;
            if (!url) {
                throw new Error(`EKS cluster ${clusterName} reports no OIDC issuer`);
            }
            return url;
        });
        const oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuer, clientIdLists: ["sts.amazonaws.com"] }, awsOpts);
        const oidcIssuer = issuer.apply(oidcIssuerHostPath);

        // Nodes: one role for every group; its policies must exist before a node tries to join.
        const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com")) }, awsOpts);
        const nodeRoleReady = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"].map(
            (policy) => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: policyArn(policy) }, awsOpts),
        );
        const nodeGroup = (role: string, group: AwsConfig["systemNodes"], labels: Record<string, string>, diskSizeGb: number) => {
            const amiType = "AL2023_x86_64_STANDARD";
            const lt = new aws.ec2.LaunchTemplate(
                `${name}-${role}-lt`,
                eksLaunchTemplateArgs({ amiType, diskSizeGb, description: `${clusterName} ${role} nodes` }),
                awsOpts,
            );
            return new aws.eks.NodeGroup(
                `${name}-${role}`,
                {
                    clusterName: cluster.name,
                    nodeRoleArn: nodeRole.arn,
                    subnetIds: network.privateSubnetIds,
                    amiType,
                    capacityType: "ON_DEMAND",
                    instanceTypes: [group.instanceType],
                    launchTemplate: { id: lt.id, version: pulumi.interpolate`${lt.latestVersion}` },
                    scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
                    updateConfig: { maxUnavailable: 1 },
                    labels,
                },
                // cluster-autoscaler owns the desired size once the group exists.
                { ...awsOpts, dependsOn: [cluster, ...nodeRoleReady], ignoreChanges: ["scalingConfig.desiredSize"] },
            );
        };
        const systemNodes = nodeGroup("system", cfg.systemNodes, SYSTEM_NODE_LABELS, SYSTEM_DISK_GB);
        nodeGroup("cpu", cfg.cpuNodes, CPU_NODE_LABELS, CPU_DISK_GB);

        // Add-ons, at the versions the version table pins for this minor (unpinned, EKS picks its default of
        // the day and never moves it). CoreDNS and the EBS CSI controller are Deployments: they need nodes.
        const pins = versionPins(cfg.kubernetesVersion);
        const formerSelf = formerAwsClusterUrn(name, opts?.parent);
        const ebsCsiRole = new ServiceAccountRole(
            `${name}-ebs-csi-role`,
            {
                oidcProvider: { arn: oidcProvider.arn, url: oidcIssuer },
                serviceAccount: EBS_CSI_SERVICE_ACCOUNT,
                managedPolicyArns: { policy: policyArn("service-role/AmazonEBSCSIDriverPolicy") },
                // The role and its attachment were children of the former AWS component.
                formerly: { parent: formerSelf, policyNames: { policy: `${name}-ebs-csi-policy` } },
            },
            awsOpts,
        );
        const addons = Object.fromEntries(
            EKS_ADDONS.map((addon) => {
                const needsNodes = addon === "coredns" || addon === "aws-ebs-csi-driver";
                const resource = new aws.eks.Addon(
                    `${name}-${addon}`,
                    {
                        clusterName: cluster.name,
                        addonName: addon,
                        addonVersion: pins.eksAddons[addon],
                        // EKS installs self-managed copies of the networking add-ons at creation; take them over.
                        resolveConflictsOnCreate: "OVERWRITE",
                        resolveConflictsOnUpdate: "OVERWRITE",
                        serviceAccountRoleArn: addon === "aws-ebs-csi-driver" ? ebsCsiRole.roleArn : undefined,
                    },
                    { ...awsOpts, dependsOn: needsNodes ? [systemNodes, ebsCsiRole] : [] },
                );
                return [addon, resource];
            }),
        );

        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) =>
                kubeconfigFor({ name: n, endpoint, certificateAuthorityData: ca.data ?? "", region: cfg.region }),
            ),
        );
        // Kubernetes objects wait for nodes to run on.
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [systemNodes, addons["coredns"]] },
        );

        this.clusterName = cluster.name;
        this.vpcId = network.vpcId;
        this.oidcProviderArn = oidcProvider.arn;
        this.oidcProviderUrl = oidcIssuer;
        this.core = {
            clusterName,
            region: cfg.region,
            kubernetesVersion: cfg.kubernetesVersion,
            cluster,
            vpcId: network.vpcId,
            privateSubnetIds: network.privateSubnetIds,
            clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
            oidcProvider: { arn: oidcProvider.arn, url: oidcIssuer },
            nodeRoleArn: nodeRole.arn,
            nodeGroupDependencies: [cluster, ...nodeRoleReady],
            systemNodeLabels: SYSTEM_NODE_LABELS,
            ebsCsiDriver: addons["aws-ebs-csi-driver"],
            provider: this.provider,
        };
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            clusterName: this.clusterName,
            vpcId: this.vpcId,
            oidcProviderArn: this.oidcProviderArn,
            oidcProviderUrl: this.oidcProviderUrl,
        });
    }
}

/** Public subnets for load balancers, private subnets for nodes behind one NAT gateway (one, for cost). */
function newNetwork(name: string, cfg: AwsConfig, clusterName: string, awsOpts: pulumi.CustomResourceOptions): Network {
    const zones = cfg.vpc.availabilityZones;
    const cidrs = subnetCidrs(cfg.vpc.cidr, zones);
    const zoneNames = aws.getAvailabilityZonesOutput({ state: "available" }, awsOpts).names.apply((names) => {
        if (names.length < zones) {
            throw new Error(`aws.vpc.availabilityZones is ${zones} but region ${cfg.region} offers ${names.length}: ${names.join(", ")}`);
        }
        return names.slice(0, zones);
    });
    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        { cidrBlock: cfg.vpc.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: clusterName } },
        awsOpts,
    );
    const clusterTag = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
    const subnets = (kind: "public" | "private") =>
        cidrs[kind].map(
            (cidrBlock, i) =>
                new aws.ec2.Subnet(
                    `${name}-${kind}-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock,
                        availabilityZone: zoneNames.apply((n) => n[i]),
                        mapPublicIpOnLaunch: false,
                        tags: {
                            Name: `${clusterName}-${kind}-${i}`,
                            ...clusterTag,
                            [kind === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]: "1",
                        },
                    },
                    awsOpts,
                ),
        );
    const publicSubnets = subnets("public");
    const privateSubnets = subnets("private");

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: clusterName } }, awsOpts);
    const publicRoutes = new aws.ec2.RouteTable(
        `${name}-public-rt`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { Name: `${clusterName}-public` } },
        awsOpts,
    );
    const natIp = new aws.ec2.Eip(`${name}-nat-ip`, { domain: "vpc", tags: { Name: `${clusterName}-nat` } }, { ...awsOpts, dependsOn: [igw] });
    const nat = new aws.ec2.NatGateway(
        `${name}-nat`,
        { allocationId: natIp.id, subnetId: publicSubnets[0].id, tags: { Name: clusterName } },
        { ...awsOpts, dependsOn: [igw] },
    );
    const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-rt`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { Name: `${clusterName}-private` } },
        awsOpts,
    );
    publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i}-rta`, { subnetId: s.id, routeTableId: publicRoutes.id }, awsOpts));
    privateSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${i}-rta`, { subnetId: s.id, routeTableId: privateRoutes.id }, awsOpts));

    return { vpcId: vpc.id, privateSubnetIds: privateSubnets.map((s) => s.id), publicSubnetIds: publicSubnets.map((s) => s.id) };
}
