/**
 * The prod cluster on AWS: VPC, EKS with encrypted secrets and API access entries, system, CPU and
 * GPU managed node groups (GPU pools scale from zero), add-ons, a retained gp3 StorageClass,
 * cluster-autoscaler, the NVIDIA device plugin, and the data bucket with IRSA roles.
 *
 * Plain @pulumi/aws resources rather than @pulumi/eks: every setting (IMDSv2, taints, ASG tags,
 * access entries) is visible here and predictable under test mocks.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { AwsConfig, GpuPoolConfig, ImagesConfig } from "../config/config";
import { DataBucket, PolicyDocument, ServiceAccountRef, irsaTrustPolicy, oidcIssuerHostPath } from "./dataBucket";
import { GpuNodePool, eksLaunchTemplateArgs } from "../gpu/gpuNodePool";
import { EKS_ADDONS, versionPins } from "../cluster/kubernetesVersions";
import { nodePurposeLabels } from "../cluster/nodePurpose";
import { NvidiaDevicePlugin } from "../gpu/nvidiaDevicePlugin";

/** Label naming the role of a non-GPU node group. */
export const NODE_ROLE_LABEL = "ds-platform.io/node-role";
/** Labels of the on-demand system group (hub, autoscaler, add-ons). */
export const SYSTEM_NODE_LABELS: Record<string, string> = { [NODE_ROLE_LABEL]: "system", ...nodePurposeLabels("core") };
/** Labels of the CPU group (notebooks, executors). */
export const CPU_NODE_LABELS: Record<string, string> = { [NODE_ROLE_LABEL]: "cpu", ...nodePurposeLabels("user") };
/** The default StorageClass the platform creates; user homes use it. */
export const STORAGE_CLASS_NAME = "ds-platform-gp3";
/** The EBS CSI controller's service account, trusted by its IRSA role. */
export const EBS_CSI_SERVICE_ACCOUNT: ServiceAccountRef = { namespace: "kube-system", name: "ebs-csi-controller-sa" };
/** Root volume sizes of the non-GPU groups: system pods are small; notebook images are several GiB. */
const SYSTEM_DISK_GB = 50;
const CPU_DISK_GB = 100;
const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
const CONTROL_PLANE_LOG_RETENTION_DAYS = 30;

/** The cost tags every AWS resource carries, through the provider's default tags. */
export function costTags(t: { project: string; stack: string; owner: string; costCenter?: string }): Record<string, string> {
    return { project: t.project, stack: t.stack, owner: t.owner, ...(t.costCenter ? { costCenter: t.costCenter } : {}) };
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

/** A trust policy letting an AWS service assume a role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] };
}

/** What the EKS control plane needs of the secrets key (envelope encryption through grants). */
export function secretsKeyPolicy(keyArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn }],
    };
}

/** ARN of an AWS managed IAM policy in a partition. */
export function managedPolicyArn(partition: string, policy: string): string {
    return `arn:${partition}:iam::aws:policy/${policy}`;
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

/** The default StorageClass: encrypted gp3, bound where the pod lands, expandable, retained when data is protected. */
export function storageClassManifest(protect: boolean) {
    return {
        apiVersion: "storage.k8s.io/v1" as const,
        kind: "StorageClass" as const,
        metadata: { name: STORAGE_CLASS_NAME, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
        reclaimPolicy: protect ? "Retain" : "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    };
}

export interface AwsClusterArgs {
    /** AWS settings (config `aws`). Required. */
    aws: AwsConfig;
    /** GPU pools, each a managed node group scaling from zero. Required (may be empty). */
    gpuPools: GpuPoolConfig[];
    /** Cost tags (config `tags`); project and stack are added. Required. */
    tags: { owner: string; costCenter?: string };
    /** Protect and retain the data bucket and user volumes (config `protectData`). Required. */
    protect: boolean;
    /** The Spark service accounts granted bucket access through IRSA (history: event logs, read-only). Required (history: optional) */
    serviceAccounts: { notebook: ServiceAccountRef; executor: ServiceAccountRef; history?: ServiceAccountRef };
    /** EKS cluster name. Default: `<project>-<stack>`. */
    clusterName?: string;
    /** Mirrors of the add-on images, pinned by digest (config `images`). Default: the charts' and the version table's */
    images?: Pick<ImagesConfig, "clusterAutoscaler" | "devicePlugin">;
}

interface Network {
    vpcId: pulumi.Output<string>;
    privateSubnetIds: pulumi.Input<string>[];
    publicSubnetIds: pulumi.Input<string>[];
}

/** An EKS cluster with everything the platform needs of AWS. */
export class AwsCluster extends pulumi.ComponentResource {
    /** The AWS provider (region, cost tags) all AWS resources of the platform use. */
    public readonly awsProvider: aws.Provider;
    /** Kubernetes provider for the new cluster. */
    public readonly provider: k8s.Provider;
    /** kubeconfig of the cluster (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The OIDC issuer without scheme, as IAM condition keys use it. */
    public readonly oidcProviderUrl: pulumi.Output<string>;
    /** The default StorageClass (encrypted gp3). */
    public readonly storageClassName: string;
    /** One per configured GPU pool; their placements steer GPU pods. */
    public readonly gpuPools: GpuNodePool[];
    public readonly dataBucketName: pulumi.Output<string>;
    /** `s3a://` URI of the Spark event-log prefix. */
    public readonly eventLogUri: pulumi.Output<string>;
    public readonly notebookRoleArn: pulumi.Output<string>;
    public readonly executorRoleArn: pulumi.Output<string>;
    /** Read-only event-log role of the history server's service account, when one was given. */
    public readonly historyRoleArn?: pulumi.Output<string>;

    constructor(name: string, args: AwsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:aws:AwsCluster", name, {}, opts);
        const cfg = args.aws;
        const clusterName = args.clusterName ?? eksClusterName(pulumi.getProject(), pulumi.getStack());

        this.awsProvider = new aws.Provider(
            `${name}-aws`,
            {
                region: cfg.region as aws.Region,
                defaultTags: { tags: costTags({ project: pulumi.getProject(), stack: pulumi.getStack(), ...args.tags }) },
            },
            { parent: this },
        );
        const awsOpts = { parent: this, provider: this.awsProvider };
        const partition = aws.getPartitionOutput({}, awsOpts).partition;
        const policyArn = (policy: string) => partition.apply((p) => managedPolicyArn(p, policy));

        const network = cfg.vpc.existingVpcId ? this.existingNetwork(cfg) : this.newNetwork(name, cfg, clusterName, awsOpts);

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
        this.gpuPools = args.gpuPools.map(
            (pool) =>
                new GpuNodePool(
                    `${name}-gpu-${pool.name}`,
                    { pool, eks: { clusterName, dependsOn: [cluster, ...nodeRoleReady], nodeRoleArn: nodeRole.arn, subnetIds: network.privateSubnetIds } },
                    { parent: this, providers: [this.awsProvider] },
                ),
        );

        // Add-ons, at the versions the version table pins for this minor (unpinned, EKS picks its default of
        // the day and never moves it). CoreDNS and the EBS CSI controller are Deployments: they need nodes.
        const pins = versionPins(cfg.kubernetesVersion);
        const ebsCsiRole = new aws.iam.Role(
            `${name}-ebs-csi-role`,
            {
                assumeRolePolicy: pulumi
                    .all([oidcProvider.arn, oidcIssuer])
                    .apply(([arn, iss]) => JSON.stringify(irsaTrustPolicy(arn, iss, EBS_CSI_SERVICE_ACCOUNT))),
            },
            awsOpts,
        );
        const ebsCsiPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-ebs-csi-policy`,
            { role: ebsCsiRole.name, policyArn: policyArn("service-role/AmazonEBSCSIDriverPolicy") },
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
                        serviceAccountRoleArn: addon === "aws-ebs-csi-driver" ? ebsCsiRole.arn : undefined,
                    },
                    { ...awsOpts, dependsOn: needsNodes ? [systemNodes, ebsCsiPolicy] : [] },
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
        const k8sOpts = { parent: this, provider: this.provider };

        const storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, storageClassManifest(args.protect), {
            ...k8sOpts,
            dependsOn: [addons["aws-ebs-csi-driver"]],
        });
        this.storageClassName = STORAGE_CLASS_NAME;

        const bothProviders = { parent: this, providers: [this.awsProvider, this.provider] };
        new ClusterAutoscaler(
            `${name}-autoscaler`,
            {
                clusterName,
                region: cfg.region,
                oidcProviderArn: oidcProvider.arn,
                oidcIssuer,
                chart: cfg.autoscaler,
                nodeSelector: SYSTEM_NODE_LABELS,
                kubernetesVersion: cfg.kubernetesVersion,
                image: args.images?.clusterAutoscaler,
            },
            bothProviders,
        );
        new NvidiaDevicePlugin(
            `${name}-device-plugin`,
            { pools: this.gpuPools.map((p) => ({ placement: p.placement, amiType: p.amiType })), chart: cfg.devicePlugin, image: args.images?.devicePlugin },
            bothProviders,
        );

        const bucket = new DataBucket(
            `${name}-data`,
            { bucketName: cfg.dataBucketName, protect: args.protect, oidcProviderArn: oidcProvider.arn, oidcIssuer, serviceAccounts: args.serviceAccounts },
            { parent: this, providers: [this.awsProvider] },
        );

        this.clusterName = cluster.name;
        this.vpcId = network.vpcId;
        this.oidcProviderArn = oidcProvider.arn;
        this.oidcProviderUrl = oidcIssuer;
        this.dataBucketName = bucket.bucketName;
        this.eventLogUri = bucket.eventLogUri;
        this.notebookRoleArn = bucket.notebookRoleArn;
        this.executorRoleArn = bucket.executorRoleArn;
        this.historyRoleArn = bucket.historyRoleArn;
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            clusterName: this.clusterName,
            vpcId: this.vpcId,
            oidcProviderArn: this.oidcProviderArn,
            oidcProviderUrl: this.oidcProviderUrl,
            storageClassName: this.storageClassName,
            storageClass: storageClass.metadata.name,
            gpuPlacements: this.gpuPools.map((p) => p.placement),
            dataBucketName: this.dataBucketName,
            eventLogUri: this.eventLogUri,
            notebookRoleArn: this.notebookRoleArn,
            executorRoleArn: this.executorRoleArn,
            historyRoleArn: this.historyRoleArn,
        });
    }

    private existingNetwork(cfg: AwsConfig): Network {
        return {
            vpcId: pulumi.output(cfg.vpc.existingVpcId!),
            privateSubnetIds: cfg.vpc.privateSubnetIds,
            publicSubnetIds: cfg.vpc.publicSubnetIds,
        };
    }

    /** Public subnets for load balancers, private subnets for nodes behind one NAT gateway (one, for cost). */
    private newNetwork(name: string, cfg: AwsConfig, clusterName: string, awsOpts: pulumi.CustomResourceOptions): Network {
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
}
