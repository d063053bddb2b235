/**
 * Schema of what runs on the platform and where: notebook profiles, GPU pools, model services,
 * Spark, and the AWS cluster with its cost tags.
 */
import { z } from "zod";
import { CATALOGUE_FILE, defaultGpusPerNode } from "../cluster/instanceTypes";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../cluster/kubernetesVersions";
import { chartSource, cidr, cpu, dnsLabel, memory, nonNegativeInt, port, positiveInt, sparkMemory } from "./values";

export const profileSchema = z.strictObject({
    name: dnsLabel.describe("Profile slug, unique"),
    displayName: z.string().min(1).describe("Name shown to users"),
    description: z.string().default("").describe("Description shown to users. Default: empty"),
    cpu: z
        .strictObject({ guarantee: cpu.describe("Requested cores"), limit: cpu.describe("Core limit") })
        .describe("CPU request and limit in cores"),
    memory: z
        .strictObject({ guarantee: memory.describe("Requested memory"), limit: memory.describe("Memory limit") })
        .describe("Memory request and limit"),
    gpus: nonNegativeInt.max(16).default(0).describe("nvidia.com/gpu count; above 0 the profile runs on a GPU pool. Default: 0"),
    gpuPool: dnsLabel.optional().describe("GPU pool for this profile. Default: the first GPU pool"),
    image: z.enum(["cpu", "gpu"]).default("cpu").describe("Image variant: cpu or gpu (needs image.gpu). Default: cpu"),
    default: z.boolean().default(false).describe("Preselected profile. Default: false (the first profile is preselected)"),
});

export const profilesSchema = z
    .array(profileSchema)
    .min(1)
    .default([
        {
            name: "small",
            displayName: "Small (1 CPU, 2 GiB)",
            description: "",
            cpu: { guarantee: 0.5, limit: 1 },
            memory: { guarantee: "1Gi", limit: "2Gi" },
            gpus: 0,
            image: "cpu",
            default: true,
        },
    ])
    .describe("Notebook server profiles users choose from. Default: one small CPU profile");

export const gpuPoolSchema = z.strictObject({
    name: dnsLabel.describe("Pool name; becomes the pool's node label value"),
    instanceTypes: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as g5.xlarge"))
        .min(1)
        .default(["g5.xlarge"])
        .describe("EC2 instance types (aws). Default: [g5.xlarge]"),
    amiType: z
        .enum(["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"])
        .default("AL2023_x86_64_NVIDIA")
        .describe("NVIDIA AMI (aws). Bottlerocket ships the device plugin. Default: AL2023_x86_64_NVIDIA"),
    maxSize: positiveInt.max(100).default(2).describe("Most nodes; the pool scales from and to 0. Default: 2"),
    gpusPerNode: positiveInt
        .max(16)
        .optional()
        .describe(`GPUs per node; on aws it must match the instance type catalogue (${CATALOGUE_FILE}). Default: the catalogue's GPU count of the first instance type, else 1`),
    diskSizeGb: positiveInt.min(20).default(100).describe("Root volume size in GiB (aws). Default: 100"),
}).transform((pool) => ({ ...pool, gpusPerNode: pool.gpusPerNode ?? defaultGpusPerNode(pool.instanceTypes) }));

export const gpuPoolsSchema = z
    .array(gpuPoolSchema)
    .default([])
    .describe("GPU node pools. On aws, managed node groups scaling from zero; on kubeconfig, existing nodes the admin labelled and tainted. Default: []");

/** Key prefix of the data bucket that model services read (their IRSA role allows nothing else). */
export const MODEL_PREFIX = "models/";
/** `pvc://<claim>/<path>` (a file on a volume) or `s3://<bucket>/<key>` (an object of the data bucket). */
const MODEL_ARTIFACT = /^(pvc:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/[^\s]*[^\s/]$/;

export const modelSchema = z.strictObject({
    name: dnsLabel.max(57).describe("Model service name, unique, at most 57 characters; its Deployment, Service and ServiceAccount are model-<name>"),
    artifact: z
        .string()
        .regex(MODEL_ARTIFACT, "pvc://<claim>/<path> (a file on a PersistentVolumeClaim of the namespace) or s3://<bucket>/<key> (aws: the data bucket)")
        .describe(
            "The fitted scikit-learn estimator, saved with joblib.dump (or pickle): pvc://<claim>/<path>, a file on a PersistentVolumeClaim of the platform namespace, mounted read-only; or s3://<bucket>/<key> on aws, an object of the data bucket under models/, read through the service's own IRSA role",
        ),
    replicas: positiveInt.max(100).default(1).describe("Replicas, and the autoscaler's minimum. Default: 1"),
    maxReplicas: positiveInt.max(100).optional().describe("The autoscaler's maximum (CPU utilisation). Default: 2 x replicas"),
    targetCpuUtilization: positiveInt.max(100).default(70).describe("Average CPU use, in percent of the request, the autoscaler keeps. Default: 70"),
    cpu: z
        .strictObject({ guarantee: cpu.describe("Requested cores"), limit: cpu.describe("Core limit") })
        .default({ guarantee: 0.25, limit: 1 })
        .describe("CPU request and limit of each replica, in cores. Default: 0.25 and 1"),
    memory: z
        .strictObject({ guarantee: memory.describe("Requested memory"), limit: memory.describe("Memory limit") })
        .default({ guarantee: "512Mi", limit: "1Gi" })
        .describe("Memory request and limit of each replica; the model is held in memory. Default: 512Mi and 1Gi"),
    gpus: nonNegativeInt.max(16).default(0).describe("nvidia.com/gpu per replica; above 0 the replicas run on a GPU pool. Default: 0"),
    gpuPool: dnsLabel.optional().describe("GPU pool of the replicas. Default: the first GPU pool"),
    image: z.enum(["cpu", "gpu"]).default("cpu").describe("Image variant: cpu or gpu (needs image.gpu). Default: cpu"),
    port: port.default(8080).describe("Port the server listens on, and the Service's port. Default: 8080"),
    allowFrom: z
        .record(z.string().min(1), z.string())
        .optional()
        .describe("Pod labels of the clients allowed to call the service (NetworkPolicy). Default: every pod of the platform namespace"),
    ingress: z
        .strictObject({
            host: z
                .string()
                .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, "a DNS host name such as iris.models.example.com")
                .describe("Public host name; the whole host serves the model"),
            ingressClassName: z.string().min(1).default("nginx").describe("IngressClass. Default: nginx"),
            clusterIssuer: z.string().min(1).default("letsencrypt").describe("cert-manager ClusterIssuer of the TLS certificate. Default: letsencrypt"),
            controllerNamespace: dnsLabel.default("ingress-nginx").describe("Namespace of the ingress controller, whose pods the NetworkPolicy admits. Default: ingress-nginx"),
        })
        .optional()
        .describe("Publish the model outside the cluster through an Ingress with TLS from cert-manager. Default: none (in-cluster only)"),
});

export const modelsSchema = z
    .array(modelSchema)
    .default([])
    .describe("Models served over HTTP by the notebook image (`entrypoint.sh serve`): POST /predict, GET /healthz. Default: []");

export const sparkSchema = z
    .strictObject({
        namespace: dnsLabel
            .max(46, "at most 46 characters, so that <namespace>-<user> leaves 16 for the user's name")
            .optional()
            .describe(
                "Prefix of the executor namespaces: each user's executors run in a namespace of their own, <namespace>-<user>, which the hub creates before that user's first server starts, with the `restricted` Pod Security level and an admission policy that admits only executor pods. There only that user's notebook ServiceAccount may manage pods. Owner references cannot cross namespaces, so executors are cleaned up by Spark (SparkContext.stop(), an exiting driver) and by the hub when the server stops. Default: <cluster.namespace>-u",
            ),
        executor: z
            .strictObject({
                cores: positiveInt.max(64).default(1).describe("spark.executor.cores. Default: 1"),
                coresLimit: cpu.optional().describe("CPU limit of an executor pod. Default: equal to cores"),
                memory: sparkMemory.default("2g").describe("spark.executor.memory. Default: 2g"),
                memoryOverhead: sparkMemory.default("512m").describe("spark.executor.memoryOverhead. Default: 512m"),
            })
            .prefault({}).describe("Executor pod size"),
        dynamicAllocation: z
            .strictObject({
                minExecutors: nonNegativeInt.default(0).describe("Default: 0"),
                maxExecutors: positiveInt.max(1000).default(4).describe("Most executors one notebook may start. Default: 4"),
                idleTimeoutSeconds: positiveInt.default(60).describe("Release executors idle this long. Default: 60"),
            })
            .prefault({}).describe("Executors scale with the work"),
        gpuExecutors: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Run executors on a GPU pool with spark.executor.resource.gpu.*. Default: false"),
                gpusPerExecutor: positiveInt.max(16).default(1).describe("Default: 1"),
                pools: z
                    .array(dnsLabel)
                    .min(1)
                    .optional()
                    .describe(
                        "GPU pools executors may land on. Default: every GPU pool",
                    ),
                maxExecutors: positiveInt
                    .max(1000)
                    .optional()
                    .describe(
                        "Most GPU executors one notebook may start (spark-gpu.conf); at most what the pools hold (sum of maxSize x executors per node). Default: dynamicAllocation.maxExecutors, capped at what the pools hold",
                    ),
            })
            .prefault({}).describe("Executors on a GPU pool"),
        driverPort: port.default(29413).describe("Fixed spark.driver.port in notebook pods. Default: 29413"),
        blockManagerPort: port
            .default(29433)
            .describe("Fixed block-manager port of drivers (spark.driver.blockManager.port) and executors (spark.blockManager.port). Default: 29433"),
        sessionsPerNotebook: positiveInt
            .max(16)
            .default(4)
            .describe("Spark sessions one notebook pod may run at once; each binds the next driver and block-manager port (spark.port.maxRetries = this - 1), and the NetworkPolicies open that many. Default: 4"),
        maxExecutorPods: nonNegativeInt
            .default(8)
            .describe(
                "Executor pods one user's notebooks may hold at once (a ResourceQuota in that user's executor namespace); the API server refuses more, and the driver logs the refusal. 0: no cap. Default: 8",
            ),
        maxExecutorGpus: nonNegativeInt
            .default(2)
            .describe("GPUs one user's executors may hold at once (requests.<gpu resource> in that user's quota), on every GPU resource of the GPU pools. Default: 2"),
        executorPublicEgress: z
            .boolean()
            .default(true)
            .describe("Executors may reach non-private IPv4 addresses (object stores, package mirrors), as notebook pods may by default; otherwise only the driver, other executors and DNS. Default: true"),
        onDemandPvc: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Give each executor an on-demand PVC as Spark local dir (shuffle/spill), owned by the driver pod. Default: false"),
                size: memory.default("50Gi").describe("Size of each executor's local-dir claim. Default: 50Gi"),
                storageClass: z.string().min(1).optional().describe("StorageClass of those claims. Default: the cluster default"),
            })
            .prefault({}).describe("Per-executor volumes for shuffle and spill"),
        historyServer: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Run a Spark history server over the event logs. Default: false"),
                logVolumeSize: memory.default("10Gi").describe("Event log volume size (file event-log directories). Default: 10Gi"),
                storageClass: z.string().min(1).optional().describe("StorageClass of the event log volume; must allow ReadWriteMany. Default: the cluster default"),
            })
            .prefault({}).describe("Spark history server"),
    })
    .prefault({});

const nodeGroupSchema = (defaults: { instanceType: string; min: number; desired: number; max: number }) =>
    z
        .strictObject({
            instanceType: z
                .string()
                .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as m6i.xlarge")
                .default(defaults.instanceType)
                .describe(`Default: ${defaults.instanceType}`),
            minSize: nonNegativeInt.default(defaults.min).describe(`Default: ${defaults.min}`),
            desiredSize: nonNegativeInt.default(defaults.desired).describe(`Default: ${defaults.desired}`),
            maxSize: positiveInt.default(defaults.max).describe(`Default: ${defaults.max}`),
        })
        .prefault({});

export const awsSchema = z.strictObject({
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/, "an AWS region such as eu-west-1").describe("AWS region. Required for provider aws"),
    kubernetesVersion: z
        .enum(SUPPORTED_KUBERNETES_VERSIONS)
        .default("1.33")
        .describe("EKS Kubernetes version; components/cluster/kubernetesVersions.ts pins the user-scheduler, cluster-autoscaler and EKS add-ons to it. Default: 1.33"),
    vpc: z
        .strictObject({
            existingVpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0abc123").optional().describe("Use this VPC instead of creating one"),
            privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id")).default([]).describe("Node subnets of the existing VPC"),
            publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id")).default([]).describe("Load-balancer subnets of the existing VPC"),
            cidr: cidr.default("10.40.0.0/16").describe("CIDR of a new VPC. Default: 10.40.0.0/16"),
            availabilityZones: positiveInt.min(2).max(6).default(3).describe("Zones to spread a new VPC over. Default: 3"),
        })
        .prefault({}).describe("The VPC: new, or an existing one by id"),
    endpoint: z
        .strictObject({
            publicAccess: z.boolean().default(true).describe("Public API endpoint. Default: true"),
            privateAccess: z.boolean().default(true).describe("Private API endpoint. Default: true"),
            publicAccessCidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Who may reach the public endpoint. Default: [0.0.0.0/0]"),
        })
        .prefault({}).describe("The EKS API endpoint"),
    adminRoleArns: z
        .array(z.string().regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/, "an IAM role ARN such as arn:aws:iam::123456789012:role/admin"))
        .default([])
        .describe("IAM roles granted cluster admin through access entries. Default: []"),
    systemNodes: nodeGroupSchema({ instanceType: "m6i.large", min: 2, desired: 2, max: 3 }).describe("On-demand group for system pods and the hub"),
    cpuNodes: nodeGroupSchema({ instanceType: "m6i.2xlarge", min: 0, desired: 1, max: 10 }).describe("Group for notebooks and executors"),
    autoscaler: chartSource({ repository: "https://kubernetes.github.io/autoscaler", version: "9.46.6" }).describe("The cluster-autoscaler chart"),
    devicePlugin: chartSource({ repository: "https://nvidia.github.io/k8s-device-plugin", version: "0.20.0" }).describe("The NVIDIA device plugin chart"),
    dataBucketName: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
        .optional()
        .describe("Name of the data and event-log bucket. Default: <project>-<stack>-data-<account id>"),
});

export const tagsSchema = z
    .strictObject({
        owner: z.string().min(1).default("platform-team").describe("Owner cost tag. Default: platform-team"),
        costCenter: z.string().min(1).optional().describe("Cost-centre tag. Default: none"),
    })
    .prefault({});

export type Profile = z.output<typeof profileSchema>;
export type GpuPoolConfig = z.output<typeof gpuPoolSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type SparkConfig = z.output<typeof sparkSchema>;
export type AwsConfig = z.output<typeof awsSchema>;
