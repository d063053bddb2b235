import { NODE_PURPOSE_LABEL } from "../../components/cluster/nodePurpose";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsProviderArgs, costTags } from "../../components/aws/awsProvider";
import { ClusterAddons, STORAGE_CLASS_NAME } from "../../components/aws/clusterAddons";
import { DataBucket } from "../../components/aws/dataBucket";
import { CPU_NODE_LABELS, EBS_CSI_SERVICE_ACCOUNT, EksCluster, SYSTEM_NODE_LABELS, eksClusterName, kubeconfigFor, subnetCidrs } from "../../components/aws/eksCluster";
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT } from "../../components/aws/clusterAutoscaler";
import { PlatformConfig, parsePlatformConfig } from "../../components/config/config";
import { GPU_POOL_LABEL, GPU_TAINT, GpuNodePool, autoscalerDiscoveryTags, autoscalerNodeTemplateTags, gpuNodeTemplate, gpuPlacement, gpuToleration } from "../../components/gpu/gpuNodePool";
import { KUBERNETES_VERSIONS, clusterAutoscalerImage } from "../../components/cluster/kubernetesVersions";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { RecordedResource, ResourceRecorder, isSecret, registerMockOutputs, settle, setupMocks, valueOf } from "../helpers/mocks";

const ACCOUNT = "123456789012";
const ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF";

// What AWS would compute for the resources this component reads outputs of.
registerMockOutputs("aws:eks/cluster:Cluster", (a) => ({
    arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/${a.inputs.name}`,
    endpoint: `https://${a.inputs.name}.gr7.eu-west-1.eks.amazonaws.com`,
    certificateAuthority: { data: Buffer.from(`ca-of-${a.inputs.name}`).toString("base64") },
    identities: [{ oidcs: [{ issuer: ISSUER }] }],
}));
// Node groups, roles, the OIDC provider, keys, buckets and launch templates: see test/helpers/mocks.ts.

interface Program {
    recorder: ResourceRecorder;
    cluster: EksCluster;
    gpuPools: GpuNodePool[];
    addons: ClusterAddons;
    config: PlatformConfig;
    providerOf: Map<string, string | undefined>;
    calls: { token: string; provider?: string }[];
    options: Map<string, pulumi.ResourceOptions>;
}

function prodConfig(overrides: Record<string, unknown> = {}, aws: Record<string, unknown> = {}): PlatformConfig {
    return parsePlatformConfig(
        {
            cluster: { provider: "aws" },
            image: { gpu: true },
            gpuPools: [
                { name: "a10", instanceTypes: ["g5.xlarge"], amiType: "AL2023_x86_64_NVIDIA", maxSize: 3, gpusPerNode: 1 },
                { name: "quad", instanceTypes: ["g5.12xlarge"], amiType: "BOTTLEROCKET_x86_64_NVIDIA", maxSize: 2, gpusPerNode: 4, diskSizeGb: 200 },
            ],
            aws: { region: "eu-west-1", adminRoleArns: [`arn:aws:iam::${ACCOUNT}:role/platform-admin`], dataBucketName: "acme-ds-data", ...aws },
            tags: { owner: "data-team", costCenter: "cc-42" },
            ...overrides,
        },
        { hubPassword: true },
    );
}

async function run(config: PlatformConfig): Promise<Program> {
    const recorder = setupMocks();
    const base = recorder.mocks();
    const providerOf = new Map<string, string | undefined>();
    const calls: { token: string; provider?: string }[] = [];
    // Record which provider each resource and data-source call is bound to.
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                providerOf.set(`${a.type}::${a.name}`, a.provider);
                return base.newResource(a);
            },
            call: (a) => {
                calls.push({ token: a.token, provider: a.provider });
                return base.call(a);
            },
        },
        "ds-platform",
        "test",
        false,
    );
    const options = new Map<string, pulumi.ResourceOptions>();
    const transformations: pulumi.ResourceTransformation[] = [
        (t) => {
            options.set(`${t.type}::${t.name}`, t.opts);
            return undefined;
        },
    ];
    // Composed as the platform composes them: one tagged provider, the cluster, its node pools and add-ons, the bucket.
    const cfg = config.aws!;
    const awsProvider = new aws.Provider("prod-aws", awsProviderArgs(cfg.region, config.tags), { transformations });
    const cluster = new EksCluster("prod", { aws: cfg, protect: config.protectData }, { providers: [awsProvider], transformations });
    const gpuPools = config.gpuPools.map((pool) => new GpuNodePool(`prod-gpu-${pool.name}`, { pool, eks: cluster.core }, { providers: [awsProvider], transformations }));
    const addons = new ClusterAddons(
        "prod",
        {
            cluster: cluster.core,
            gpuPools: gpuPools.map((g) => ({ placement: g.placement, amiType: g.amiType })),
            autoscalerChart: cfg.autoscaler,
            devicePluginChart: cfg.devicePlugin,
            protect: config.protectData,
        },
        { providers: [awsProvider, cluster.provider], transformations },
    );
    new DataBucket("prod-data", { bucketName: cfg.dataBucketName, protect: config.protectData }, { providers: [awsProvider], transformations });
    await settle(recorder);
    return { recorder, cluster, gpuPools, addons, config, providerOf, calls, options };
}

const byName = (rs: RecordedResource[], part: string) => rs.filter((r) => r.name.includes(part));
const parsed = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

describe("EksCluster, its GPU pools and ClusterAddons on a prod-like config (one AL2023 and one Bottlerocket GPU pool)", () => {
    let p: Program;
    const clusterName = eksClusterName("ds-platform", "test");
    beforeAll(async () => {
        p = await run(prodConfig());
    });

    test("GPU node groups scale 0/0/max, carry the taint as NO_SCHEDULE and the pool label, and leave desiredSize to the autoscaler", () => {
        const groups = byName(p.recorder.ofType("aws:eks/nodeGroup:NodeGroup"), "-gpu-");
        expect(groups).toHaveLength(2);
        for (const pool of p.config.gpuPools) {
            const g = groups.find((r) => r.name === `prod-gpu-${pool.name}-ng`)!;
            expect(g.inputs.scalingConfig).toEqual({ minSize: 0, desiredSize: 0, maxSize: pool.maxSize });
            expect(g.inputs.taints).toEqual([{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }]);
            expect(g.inputs.labels).toEqual({ [GPU_POOL_LABEL]: pool.name, [NODE_PURPOSE_LABEL]: "user" });
            expect(g.inputs.amiType).toBe(pool.amiType);
            expect(g.inputs.instanceTypes).toEqual(pool.instanceTypes);
            expect(g.inputs.clusterName).toBe(clusterName);
            expect(p.options.get(`aws:eks/nodeGroup:NodeGroup::${g.name}`)?.ignoreChanges).toEqual(["scalingConfig.desiredSize"]);
        }
        expect(p.gpuPools.map((g) => g.placement)).toEqual(p.config.gpuPools.map(gpuPlacement));
    });

    test("each GPU group's ASG carries node-template tags of its placement and its catalogue size, plus the discovery tags", () => {
        const tags = p.recorder.ofType("aws:autoscaling/tag:Tag");
        for (const pool of p.config.gpuPools) {
            const placement = gpuPlacement(pool);
            const mine = byName(tags, `prod-gpu-${pool.name}-asg-`);
            const written = Object.fromEntries(mine.map((t) => [t.inputs.tag.key, t.inputs.tag.value]));
            expect(written).toEqual({ ...autoscalerNodeTemplateTags(placement, gpuNodeTemplate(pool)), ...autoscalerDiscoveryTags(clusterName) });
            // Spelled out: what the autoscaler will believe a new node offers.
            expect(written[`k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu`]).toBe(String(pool.gpusPerNode));
            expect(written[`k8s.io/cluster-autoscaler/node-template/taint/${GPU_TAINT.key}`]).toBe(`${GPU_TAINT.value}:${GPU_TAINT.effect}`);
            expect(written[`k8s.io/cluster-autoscaler/node-template/label/${GPU_POOL_LABEL}`]).toBe(pool.name);
            expect(written[`k8s.io/cluster-autoscaler/${clusterName}`]).toBe("owned");
            // Allocatable, not the instance's size: g5.xlarge 4 vCPUs / 16 GiB (58 pods), g5.12xlarge 48 vCPUs / 192 GiB (737 pods).
            const size = { a10: ["3920m", "15391Mi"], quad: ["47810m", "188146Mi"] }[pool.name]!;
            expect([written["k8s.io/cluster-autoscaler/node-template/resources/cpu"], written["k8s.io/cluster-autoscaler/node-template/resources/memory"]]).toEqual(size);
            for (const t of mine) {
                expect(t.inputs.tag.propagateAtLaunch).toBe(false);
                expect(t.inputs.autoscalingGroupName).toBe(`eks-prod-gpu-${pool.name}-ng-asg`);
            }
        }
    });

    test("the device plugin tolerates the GPU taint and targets only the AL2023 pool", () => {
        const release = p.recorder.one("kubernetes:helm.sh/v3:Release", (n) => n.includes("device-plugin"));
        expect(release.inputs.chart).toBe("nvidia-device-plugin");
        expect(release.inputs.version).toBe(p.config.aws!.devicePlugin.version);
        const values = release.inputs.values;
        expect(values.tolerations).toEqual([gpuToleration(gpuPlacement(p.config.gpuPools[0]))]);
        const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toEqual([{ matchExpressions: [{ key: GPU_POOL_LABEL, operator: "In", values: ["a10"] }] }]);
        expect(JSON.stringify(terms)).not.toContain("quad");
    });

    test("the data bucket is encrypted, versioned, private, TLS-only and retained when protected", () => {
        const bucket = p.recorder.one("aws:s3/bucket:Bucket");
        expect(bucket.inputs.bucket).toBe("acme-ds-data");
        expect(bucket.inputs.forceDestroy).toBe(false);
        const opts = p.options.get(`aws:s3/bucket:Bucket::${bucket.name}`)!;
        expect(opts.protect).toBe(true);
        expect(opts.retainOnDelete).toBe(true);
        expect(p.recorder.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
        const sse = p.recorder.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        const dataKey = p.recorder.one("aws:kms/key:Key", (n) => n.startsWith("prod-data"));
        expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "aws:kms", kmsMasterKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${dataKey.name}` });
        const pab = p.recorder.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
        expect([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets]).toEqual([true, true, true, true]);
        expect(p.recorder.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        const policy = JSON.parse(p.recorder.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
        expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    test("the EBS CSI driver's and the autoscaler's IRSA roles trust exactly their service accounts", async () => {
        const issuer = ISSUER.replace("https://", "");
        const oidcArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}`;
        const expectations: [string, { namespace: string; name: string }][] = [
            ["prod-ebs-csi-role", EBS_CSI_SERVICE_ACCOUNT],
            ["prod-autoscaler-role", CLUSTER_AUTOSCALER_SERVICE_ACCOUNT],
        ];
        for (const [roleName, sa] of expectations) {
            const trust = JSON.parse(p.recorder.one("aws:iam/role:Role", (n) => n === roleName).inputs.assumeRolePolicy);
            expect(trust.Statement).toHaveLength(1);
            expect(trust.Statement[0].Principal).toEqual({ Federated: oidcArn });
            expect(trust.Statement[0].Condition).toEqual({
                StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`, [`${issuer}:aud`]: "sts.amazonaws.com" },
            });
        }
        expect(await valueOf(p.addons.autoscalerRoleArn)).toBe(`arn:aws:iam::${ACCOUNT}:role/prod-autoscaler-role`);
        expect(await valueOf(p.cluster.core.oidcProvider.arn)).toBe(oidcArn);
        expect(await valueOf(p.cluster.oidcProviderArn)).toBe(oidcArn);
        expect(await valueOf(p.cluster.oidcProviderUrl)).toBe(issuer);
        expect(p.recorder.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs.clientIdLists).toEqual(["sts.amazonaws.com"]);
    });

    test("EKS encrypts secrets with a rotating KMS key, uses API access entries and logs the control plane", () => {
        const eks = p.recorder.one("aws:eks/cluster:Cluster");
        const key = p.recorder.one("aws:kms/key:Key", (n) => n === "prod-secrets-key");
        expect(key.inputs.enableKeyRotation).toBe(true);
        expect(p.options.get("aws:kms/key:Key::prod-secrets-key")).toMatchObject({ protect: true, retainOnDelete: true });
        expect(eks.inputs.encryptionConfig).toEqual({ resources: ["secrets"], provider: { keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/prod-secrets-key` } });
        expect(eks.inputs.version).toBe(p.config.aws!.kubernetesVersion);
        expect(eks.inputs.accessConfig.authenticationMode).toBe("API");
        expect(eks.inputs.vpcConfig).toMatchObject({ endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ["0.0.0.0/0"] });
        expect(eks.inputs.enabledClusterLogTypes).toEqual(expect.arrayContaining(["api", "audit", "authenticator"]));
        const entry = p.recorder.one("aws:eks/accessEntry:AccessEntry");
        expect(entry.inputs.principalArn).toBe(p.config.aws!.adminRoleArns[0]);
        const assoc = p.recorder.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        expect(assoc.inputs).toMatchObject({
            principalArn: p.config.aws!.adminRoleArns[0],
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            accessScope: { type: "cluster" },
        });
        const clusterPolicies = p.recorder.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn);
        expect(clusterPolicies).toEqual(
            expect.arrayContaining([
                "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            ]),
        );
    });

    test("every launch template requires IMDSv2 with hop limit 1 and an encrypted gp3 root volume", () => {
        const templates = p.recorder.ofType("aws:ec2/launchTemplate:LaunchTemplate");
        expect(templates).toHaveLength(4);
        for (const lt of templates) {
            expect(lt.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
            expect(lt.inputs.blockDeviceMappings).toHaveLength(1);
            expect(lt.inputs.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: "true", volumeType: "gp3" });
        }
        const quad = templates.find((t) => t.name === "prod-gpu-quad-lt")!;
        expect(quad.inputs.blockDeviceMappings[0]).toMatchObject({ deviceName: "/dev/xvdb", ebs: { volumeSize: 200 } });
        // Every node group launches from a template.
        for (const g of p.recorder.ofType("aws:eks/nodeGroup:NodeGroup")) {
            expect(g.inputs.launchTemplate.version).toBe("1");
        }
    });

    test("system and CPU groups are labelled and sized from config", () => {
        const system = p.recorder.one("aws:eks/nodeGroup:NodeGroup", (n) => n === "prod-system");
        const cpu = p.recorder.one("aws:eks/nodeGroup:NodeGroup", (n) => n === "prod-cpu");
        expect(system.inputs.labels).toEqual(SYSTEM_NODE_LABELS);
        expect(cpu.inputs.labels).toEqual(CPU_NODE_LABELS);
        // z2jh's node purposes: the hub and system pods on system nodes, notebooks and executors on the rest.
        expect(system.inputs.labels[NODE_PURPOSE_LABEL]).toBe("core");
        expect(cpu.inputs.labels[NODE_PURPOSE_LABEL]).toBe("user");
        expect(system.inputs.capacityType).toBe("ON_DEMAND");
        const s = p.config.aws!.systemNodes;
        expect(system.inputs.scalingConfig).toEqual({ minSize: s.minSize, desiredSize: s.desiredSize, maxSize: s.maxSize });
        expect(cpu.inputs.instanceTypes).toEqual([p.config.aws!.cpuNodes.instanceType]);
        expect(system.inputs.taints).toBeUndefined();
    });

    test("every AWS resource and data-source call uses the one tagged provider", () => {
        const providers = p.recorder.ofType("pulumi:providers:aws");
        expect(providers).toHaveLength(1);
        expect(providers[0].inputs.region).toBe("eu-west-1");
        expect(parsed(providers[0].inputs.defaultTags)).toEqual({
            tags: costTags({ project: "ds-platform", stack: "test", owner: "data-team", costCenter: "cc-42" }),
        });
        const awsResources = p.recorder.resources.filter((r) => r.type.startsWith("aws:"));
        expect(awsResources.length).toBeGreaterThan(40);
        const marker = `pulumi:providers:aws::${providers[0].name}::`;
        const unbound = awsResources.filter((r) => !(p.providerOf.get(`${r.type}::${r.name}`) ?? "").includes(marker));
        expect(unbound.map((r) => `${r.type} ${r.name}`)).toEqual([]);
        const awsCalls = p.calls.filter((c) => c.token.startsWith("aws:"));
        expect(awsCalls.length).toBeGreaterThan(0);
        expect(awsCalls.filter((c) => !(c.provider ?? "").includes(marker))).toEqual([]);
    });

    test("the kubeconfig is a secret that authenticates with aws eks get-token", async () => {
        expect(await isSecret(p.cluster.kubeconfig)).toBe(true);
        const kubeconfig = JSON.parse(await valueOf(p.cluster.kubeconfig));
        expect(kubeconfig.clusters[0].cluster.server).toBe(`https://${clusterName}.gr7.eu-west-1.eks.amazonaws.com`);
        expect(kubeconfig.users[0].user.exec.command).toBe("aws");
        expect(kubeconfig.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", clusterName, "--region", "eu-west-1", "--output", "json"]);
        const provider = p.recorder.one("pulumi:providers:kubernetes");
        // The provider receives the kubeconfig still wrapped as a secret.
        const wrapped = provider.inputs.kubeconfig;
        expect(wrapped[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
        expect(JSON.parse(wrapped.value)).toEqual(kubeconfig);
        expect(await valueOf(p.cluster.clusterName)).toBe(clusterName);
    });

    test("the default StorageClass is encrypted gp3 on the EBS CSI driver, retained, and every Kubernetes object is valid", () => {
        const sc = p.recorder.one("kubernetes:storage.k8s.io/v1:StorageClass");
        expect(sc.inputs.metadata.name).toBe(STORAGE_CLASS_NAME);
        expect(p.addons.storageClassName).toBe(STORAGE_CLASS_NAME);
        expect(sc.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
        expect(sc.inputs).toMatchObject({
            provisioner: "ebs.csi.aws.com",
            reclaimPolicy: "Retain",
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            parameters: { type: "gp3", encrypted: "true" },
        });
        const objects = p.recorder.resources.filter((r) => kubernetesGvk(r.type));
        expect(objects.length).toBeGreaterThan(0);
        for (const o of objects) {
            expect({ name: o.name, errors: validateKubernetesObject({ ...kubernetesGvk(o.type), ...o.inputs }) }).toEqual({ name: o.name, errors: [] });
        }
    });

    test("the cluster-autoscaler release discovers this cluster, runs on system nodes and uses its IRSA role", () => {
        const release = p.recorder.one("kubernetes:helm.sh/v3:Release", (n) => n.includes("autoscaler"));
        expect(release.inputs).toMatchObject({ chart: "cluster-autoscaler", version: p.config.aws!.autoscaler.version, namespace: "kube-system" });
        expect(release.inputs.repositoryOpts).toEqual({ repo: p.config.aws!.autoscaler.repository });
        const v = release.inputs.values;
        expect(v.autoDiscovery.clusterName).toBe(clusterName);
        expect(v.awsRegion).toBe("eu-west-1");
        expect(v.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe(`arn:aws:iam::${ACCOUNT}:role/prod-autoscaler-role`);
        expect(v.nodeSelector).toEqual(SYSTEM_NODE_LABELS);
        expect(v.image).toEqual(clusterAutoscalerImage(p.config.aws!.kubernetesVersion));
        const policy = JSON.parse(p.recorder.one("aws:iam/rolePolicy:RolePolicy", (n) => n === "prod-autoscaler-role-policy").inputs.policy);
        expect(policy.Statement[0].Condition.StringEquals).toEqual({ [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" });
    });

    test("the new VPC spreads tagged public and private subnets over the configured zones behind one NAT gateway", () => {
        const zones = p.config.aws!.vpc.availabilityZones;
        const subnets = p.recorder.ofType("aws:ec2/subnet:Subnet");
        expect(subnets).toHaveLength(2 * zones);
        const cidrs = subnetCidrs(p.config.aws!.vpc.cidr, zones);
        const pub = byName(subnets, "-public-");
        const priv = byName(subnets, "-private-");
        expect(pub.map((s) => s.inputs.cidrBlock)).toEqual(cidrs.public);
        expect(priv.map((s) => s.inputs.cidrBlock)).toEqual(cidrs.private);
        expect(pub.every((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1")).toBe(true);
        expect(priv.every((s) => s.inputs.tags["kubernetes.io/role/internal-elb"] === "1")).toBe(true);
        expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(zones);
        expect(p.recorder.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
        const groups = p.recorder.ofType("aws:eks/nodeGroup:NodeGroup");
        const privateIds = priv.map((s) => `${s.name}-id`);
        expect(groups.every((g) => JSON.stringify(g.inputs.subnetIds) === JSON.stringify(privateIds))).toBe(true);
    });

    test("the four managed add-ons are installed at the versions pinned for the cluster's minor, the EBS CSI driver with its IRSA role", () => {
        const addons = p.recorder.ofType("aws:eks/addon:Addon");
        expect(addons.map((a) => a.inputs.addonName).sort()).toEqual(["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
        expect(p.config.aws!.kubernetesVersion).toBe("1.33");
        expect(Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion]))).toEqual(KUBERNETES_VERSIONS["1.33"].eksAddons);
        expect(addons.find((a) => a.inputs.addonName === "kube-proxy")!.inputs.addonVersion).toMatch(/^v1\.33\./);
        const ebs = addons.find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
        expect(ebs.inputs.serviceAccountRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/prod-ebs-csi-role`);
    });
});

describe("EksCluster in an existing VPC, unprotected, with only Bottlerocket GPU pools", () => {
    let p: Program;
    beforeAll(async () => {
        p = await run(
            prodConfig(
                {
                    gpuPools: [{ name: "br", amiType: "BOTTLEROCKET_x86_64_NVIDIA" }],
                    protectData: false,
                    tags: { owner: "lab" },
                },
                { vpc: { existingVpcId: "vpc-0abc123", privateSubnetIds: ["subnet-0a", "subnet-0b"], publicSubnetIds: ["subnet-0c"] }, dataBucketName: undefined },
            ),
        );
    });

    test("no network is created; nodes use the given private subnets", async () => {
        expect(p.recorder.ofType("aws:ec2/vpc:Vpc")).toHaveLength(0);
        expect(p.recorder.ofType("aws:ec2/subnet:Subnet")).toHaveLength(0);
        expect(p.recorder.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(0);
        for (const g of p.recorder.ofType("aws:eks/nodeGroup:NodeGroup")) {
            expect(g.inputs.subnetIds).toEqual(["subnet-0a", "subnet-0b"]);
        }
        expect(p.recorder.one("aws:eks/cluster:Cluster").inputs.vpcConfig.subnetIds).toEqual(["subnet-0a", "subnet-0b", "subnet-0c"]);
        expect(await valueOf(p.cluster.vpcId)).toBe("vpc-0abc123");
    });

    test("no device plugin release when every pool ships its own", () => {
        const releases = p.recorder.ofType("kubernetes:helm.sh/v3:Release");
        expect(releases.map((r) => r.inputs.chart)).toEqual(["cluster-autoscaler"]);
    });

    test("unprotected data is deletable: bucket not retained, StorageClass deletes volumes", () => {
        const bucket = p.recorder.one("aws:s3/bucket:Bucket");
        expect(bucket.inputs.bucket).toBe("ds-platform-test-data-123456789012");
        expect(bucket.inputs.forceDestroy).toBe(true);
        const opts = p.options.get(`aws:s3/bucket:Bucket::${bucket.name}`)!;
        expect(opts.protect).toBe(false);
        expect(opts.retainOnDelete).toBe(false);
        expect(p.recorder.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs.reclaimPolicy).toBe("Delete");
    });

    test("the account lookup for the generated bucket name goes through the tagged provider too", () => {
        const marker = `pulumi:providers:aws::${p.recorder.one("pulumi:providers:aws").name}::`;
        const identity = p.calls.filter((c) => c.token === "aws:index/getCallerIdentity:getCallerIdentity");
        expect(identity).toHaveLength(1);
        expect(identity[0].provider).toContain(marker);
    });

    test("cost tags without a cost centre leave the key out", () => {
        expect(parsed(p.recorder.one("pulumi:providers:aws").inputs.defaultTags)).toEqual({ tags: { project: "ds-platform", stack: "test", owner: "lab" } });
    });
});

describe("pure helpers", () => {
    test("subnetCidrs splits a /16 over three zones without overlap", () => {
        expect(subnetCidrs("10.40.0.0/16", 3)).toEqual({
            private: ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"],
            public: ["10.40.128.0/22", "10.40.132.0/22", "10.40.136.0/22"],
        });
        expect(subnetCidrs("172.16.0.0/20", 2)).toEqual({ private: ["172.16.0.0/22", "172.16.4.0/22"], public: ["172.16.8.0/25", "172.16.8.128/25"] });
    });

    test("subnetCidrs refuses host bits and VPCs too small for the zones", () => {
        expect(() => subnetCidrs("10.40.1.0/16", 3)).toThrow(/aws\.vpc\.cidr 10\.40\.1\.0\/16 has host bits set; use 10\.40\.0\.0\/16/);
        expect(() => subnetCidrs("10.0.0.0/24", 6)).toThrow(/aws\.vpc\.cidr 10\.0\.0\.0\/24 is too small for 6 zones.*\/28/);
    });

    test("kubeconfigFor names the cluster everywhere and embeds no credential", () => {
        const k = JSON.parse(kubeconfigFor({ name: "c1", endpoint: "https://x", certificateAuthorityData: "Q0E=", region: "us-east-2" }));
        expect(k["current-context"]).toBe("c1");
        expect(k.users[0].user.exec.args).toContain("us-east-2");
        expect(Object.keys(k.users[0].user)).toEqual(["exec"]);
    });

    test("eksClusterName keeps EKS-legal characters", () => {
        expect(eksClusterName("ds-platform", "prod.eu")).toBe("ds-platform-prod-eu");
        expect(() => eksClusterName("_x", "y")).toThrow(/clusterName/);
    });
});
