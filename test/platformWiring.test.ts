/**
 * Wiring across components, on the committed stacks with overrides: what one component produces is
 * what another consumes (event-log volume, node purpose, GPU executor pools).
 */
import { parse } from "yaml";
import { NODE_PURPOSE_LABEL } from "../components/cluster/nodePurpose";
import { fakeDigest, unwrapSecrets } from "./helpers/mocks";
import { renderStack, RenderedStack, TEST_SECRETS } from "./helpers/render";
import { validateZ2jhValues } from "./helpers/z2jhSchema";
import { parseSparkProperties } from "./helpers/sparkProperties";

function hubValues(r: RenderedStack): any {
    const [release] = r.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(x.inputs.chart)));
    return unwrapSecrets(release.inputs.values);
}

function sparkFiles(r: RenderedStack): Record<string, string> {
    const map = r.resources.find((x) => x.type === "kubernetes:core/v1:ConfigMap" && x.inputs.data?.["spark-defaults.conf"]);
    return unwrapSecrets(map!.inputs.data);
}

const conf = parseSparkProperties;

describe("Spark event logs with the history server on", () => {
    let r: RenderedStack;
    beforeAll(async () => {
        r = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { spark: { historyServer: { enabled: true } } } });
    });

    it("notebook pods (the drivers) mount the event-log claim where spark.eventLog.dir points", () => {
        const dir = conf(sparkFiles(r)["spark-defaults.conf"])["spark.eventLog.dir"];
        expect(dir).toMatch(/^file:\//);
        const path = dir.replace(/^file:(\/\/)?/, "");
        const claim = r.resources.find((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim" && x.inputs.metadata?.name === "spark-event-logs");
        expect(claim).toBeDefined();
        const storage = hubValues(r).singleuser.storage;
        const volume = storage.extraVolumes.find((v: any) => v.persistentVolumeClaim?.claimName === "spark-event-logs");
        expect(volume).toBeDefined();
        const mount = storage.extraVolumeMounts.find((m: any) => m.name === volume.name);
        expect(mount).toEqual({ name: volume.name, mountPath: path });
        expect(mount.readOnly).toBeUndefined();
    });

    it("the history server reads the same directory from the same claim", () => {
        const deployment = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment" && x.inputs.metadata?.name === "spark-history");
        const spec = unwrapSecrets<any>(deployment!.inputs).spec.template.spec;
        const dir = conf(sparkFiles(r)["spark-defaults.conf"])["spark.eventLog.dir"];
        expect(spec.containers[0].env.find((e: any) => e.name === "SPARK_HISTORY_OPTS").value).toContain(`-Dspark.history.fs.logDirectory=${dir}`);
        expect(spec.volumes[0].persistentVolumeClaim.claimName).toBe("spark-event-logs");
        expect(spec.containers[0].volumeMounts[0].mountPath).toBe(dir.replace(/^file:(\/\/)?/, ""));
    });

    it("without the history server, no event log is configured and nothing is mounted", async () => {
        const plain = await renderStack("dev", { secrets: TEST_SECRETS.dev });
        expect(conf(sparkFiles(plain)["spark-defaults.conf"])["spark.eventLog.enabled"]).toBeUndefined();
        expect(JSON.stringify(hubValues(plain).singleuser.storage)).not.toContain("spark-event-logs");
    });
});

describe("node purpose on the prod stack", () => {
    let r: RenderedStack;
    beforeAll(async () => {
        r = await renderStack("prod", { secrets: TEST_SECRETS.prod });
    });

    it("requires core nodes for hub pods and user nodes for user pods", () => {
        const scheduling = hubValues(r).scheduling;
        expect(scheduling.corePods).toEqual({ nodeAffinity: { matchNodePurpose: "require" } });
        expect(scheduling.userPods).toEqual({ nodeAffinity: { matchNodePurpose: "require" } });
        for (const entry of hubValues(r).singleuser.profileList) {
            for (const term of entry.kubespawner_override.node_affinity_required) {
                expect(term.matchExpressions).toContainEqual({ key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] });
            }
        }
    });

    it("executor templates require user nodes; the GPU executors may use every admitted pool, up to what they hold", () => {
        const files = sparkFiles(r);
        for (const file of ["executor-pod-template.yaml", "executor-pod-template-gpu.yaml"]) {
            const terms = parse(files[file]).spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
            for (const term of terms) {
                expect(term.matchExpressions).toContainEqual({ key: NODE_PURPOSE_LABEL, operator: "In", values: ["user"] });
            }
        }
        const gpuTerms = parse(files["executor-pod-template-gpu.yaml"]).spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(gpuTerms.map((t: any) => t.matchExpressions[0].values[0])).toEqual(["g5", "g6-multi"]);
        // g5: 4 nodes x 1 GPU, g6-multi: 2 nodes x 4 GPUs; one GPU per executor.
        expect(conf(files["spark-gpu.conf"])["spark.dynamicAllocation.maxExecutors"]).toBe("12");
        expect(conf(files["spark-defaults.conf"])["spark.dynamicAllocation.maxExecutors"]).toBe("20");
    });
});

describe("mirrored third-party images", () => {
    const mirror = (name: string) => `mirror.example.com/${name}@sha256:${fakeDigest(name)}`;
    const images = {
        hub: mirror("k8s-hub"),
        proxy: mirror("configurable-http-proxy"),
        userScheduler: mirror("kube-scheduler"),
        pause: mirror("pause"),
        networkTools: mirror("k8s-network-tools"),
        secretSync: mirror("k8s-secret-sync"),
        traefik: mirror("traefik"),
        devicePlugin: mirror("k8s-device-plugin"),
        clusterAutoscaler: mirror("cluster-autoscaler"),
    };

    it("the hub chart runs every mirror by digest, and its values still pass the z2jh schema", async () => {
        const r = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { images } });
        const values = hubValues(r);
        expect(validateZ2jhValues(values)).toEqual([]);
        const join = (i: { name: string; tag: string }) => `${i.name}:${i.tag}`;
        expect(join(values.hub.image)).toBe(images.hub);
        expect(join(values.proxy.chp.image)).toBe(images.proxy);
        expect(join(values.proxy.traefik.image)).toBe(images.traefik);
        expect(join(values.proxy.secretSync.image)).toBe(images.secretSync);
        expect(join(values.scheduling.userScheduler.image)).toBe(images.userScheduler);
        expect(join(values.scheduling.userPlaceholder.image)).toBe(images.pause);
        expect(join(values.prePuller.pause.image)).toBe(images.pause);
        // The platform's pre-puller idles on the same pause mirror.
        const prePuller = r.recorder.one("kubernetes:apps/v1:DaemonSet");
        expect(prePuller.inputs.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([images.pause]);
        expect(join(values.singleuser.networkTools.image)).toBe(images.networkTools);
    });

    it("the AWS add-on charts run the autoscaler and device plugin mirrors", async () => {
        const r = await renderStack("prod", { secrets: TEST_SECRETS.prod, overrides: { images } });
        const release = (chart: string) => unwrapSecrets<any>(r.resources.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.chart === chart)!.inputs.values);
        const join = (i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`;
        expect(join(release("cluster-autoscaler").image)).toBe(images.clusterAutoscaler);
        expect(join(release("nvidia-device-plugin").image)).toBe(images.devicePlugin);
    });

    it("refuses a mirror that is not pinned by digest, naming the key", async () => {
        await expect(renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { images: { hub: "mirror.example.com/k8s-hub:4.4.0" } } })).rejects.toThrow(
            /images\.hub: must be an image reference pinned by digest/,
        );
    });
});

describe("S3 on the prod stack (data bucket, IRSA)", () => {
    let r: RenderedStack;
    beforeAll(async () => {
        r = await renderStack("prod", { secrets: TEST_SECRETS.prod });
    });

    it("notebooks and executors reach S3 through S3A with their web identity, in the bucket's region", () => {
        const c = conf(sparkFiles(r)["spark-defaults.conf"]);
        expect(c["spark.hadoop.fs.s3a.aws.credentials.provider"]).toBe("software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider");
        expect(c["spark.hadoop.fs.s3a.endpoint.region"]).toBe("eu-west-1");
        expect(conf(sparkFiles(r)["spark-gpu.conf"])["spark.hadoop.fs.s3a.endpoint.region"]).toBe("eu-west-1");
    });

    it("event logs go to the bucket's spark-events/ prefix, and no event-log claim is created or mounted", () => {
        const bucket = r.resources.find((x) => x.type === "aws:s3/bucket:Bucket")!;
        const dir = conf(sparkFiles(r)["spark-defaults.conf"])["spark.eventLog.dir"];
        expect(dir).toBe(`s3a://${unwrapSecrets<any>(bucket.inputs).bucket}/spark-events/`);
        expect(r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim" && x.inputs.metadata?.name === "spark-event-logs")).toEqual([]);
        expect(JSON.stringify(hubValues(r).singleuser.storage ?? {})).not.toContain("spark-event-logs");
        const marker = r.resources.find((x) => x.type === "aws:s3/bucketObjectv2:BucketObjectv2");
        expect(marker?.inputs.key).toBe("spark-events/");
    });

    it("the history server reads them with its own read-only role, trusted by its ServiceAccount only", () => {
        const deployment = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment" && x.inputs.metadata?.name === "spark-history")!;
        const spec = unwrapSecrets<any>(deployment.inputs).spec.template.spec;
        const dir = conf(sparkFiles(r)["spark-defaults.conf"])["spark.eventLog.dir"];
        const opts = spec.containers[0].env.find((e: any) => e.name === "SPARK_HISTORY_OPTS").value;
        expect(opts).toContain(`-Dspark.history.fs.logDirectory=${dir}`);
        expect(opts).toContain("-Dspark.hadoop.fs.s3a.endpoint.region=eu-west-1");
        expect(spec.volumes).toBeUndefined();
        const sa = r.resources.find((x) => x.type === "kubernetes:core/v1:ServiceAccount" && x.inputs.metadata?.name === spec.serviceAccountName)!;
        const roleArn: string = unwrapSecrets<any>(sa.inputs).metadata.annotations["eks.amazonaws.com/role-arn"];
        const role = r.resources.find((x) => x.type === "aws:iam/role:Role" && roleArn.endsWith(`/${x.name}`))!;
        expect(role).toBeDefined();
        const trust = JSON.parse(unwrapSecrets<any>(role.inputs).assumeRolePolicy);
        expect(Object.entries(trust.Statement[0].Condition.StringEquals).find(([k]) => k.endsWith(":sub"))![1]).toBe("system:serviceaccount:ds-platform:spark-history");
        const policy = r.resources.find((x) => x.type === "aws:iam/rolePolicy:RolePolicy" && x.name === `${role.name}-bucket`)!;
        const actions = JSON.parse(unwrapSecrets<any>(policy.inputs).policy).Statement.flatMap((s: any) => s.Action);
        expect(actions).toContain("s3:GetObject");
        expect(actions.filter((a: string) => /Put|Delete/.test(a))).toEqual([]);
    });
});

describe("two platforms in one cluster", () => {
    it("name their hub releases after their namespaces, so z2jh's cluster-wide objects do not collide", async () => {
        const releases = await Promise.all(
            ["team-a", "team-b"].map(async (namespace) => {
                const r = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { cluster: { provider: "kubeconfig", namespace } } });
                return r.resources.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(x.inputs.chart)))!.inputs.name;
            }),
        );
        expect(releases).toEqual(["jupyterhub-team-a", "jupyterhub-team-b"]);
    });
});
