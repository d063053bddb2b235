/**
 * The SparkExecutors component under mocks: every object it declares, the driver's rights, the
 * generated configuration and the templates inside it.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { parsePlatformConfig, PlatformConfigInput } from "../../components/config/config";
import { avoidGpuNodesAffinity, gpuNodeAffinity, gpuPlacement, gpuToleration } from "../../components/gpu/gpuNodePool";
import { EXECUTORS_OF_LABEL, sparkDriverRoleRules, sparkPortRanges, SPARK_DRIVER_LABELS, USER_LABEL } from "../../components/spark/sparkConf";
import { EXECUTOR_SERVICE_ACCOUNT, SparkExecutors, SparkExecutorsArgs } from "../../components/spark/sparkExecutors";
import { admissionPolicyNames, UserIsolationHookConfig } from "../../components/spark/userIsolation";
import { fakeDigest, RecordedResource, ResourceRecorder, settle, setupMocks, valueOf } from "../helpers/mocks";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { parseSparkProperties } from "../helpers/sparkProperties";
import { forUser, userTarget } from "../helpers/userObjects";

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const GPU_IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("gpu")}`;
const PLACEMENT = gpuPlacement({ name: "g5", gpusPerNode: 4 });

interface Rendered {
    recorder: ResourceRecorder;
    component: SparkExecutors;
    files: Record<string, string>;
}

async function render(spark: PlatformConfigInput["spark"] = {}, extra: Partial<SparkExecutorsArgs> = {}, gpu = false): Promise<Rendered> {
    const recorder = setupMocks();
    const config = parsePlatformConfig(
        { spark, ...(gpu ? { gpuPools: [{ name: "g5", gpusPerNode: 4 }], image: { gpu: true } } : {}) },
        { hubPassword: true },
    );
    const component = new SparkExecutors("spark", {
        notebookNamespace: "ds",
        spark: config.spark,
        image: IMAGE,
        gpuImage: GPU_IMAGE,
        uid: 1000,
        gid: 100,
        protect: false,
        ...extra,
    });
    await settle(recorder);
    const configMap = recorder.one("kubernetes:core/v1:ConfigMap");
    return { recorder, component, files: configMap.inputs.data };
}

function k8sObjects(recorder: ResourceRecorder): { r: RecordedResource; obj: Record<string, unknown> }[] {
    return recorder.resources.flatMap((r) => {
        const gvk = kubernetesGvk(r.type);
        return gvk ? [{ r, obj: { ...gvk, ...r.inputs } }] : [];
    });
}

const conf = parseSparkProperties;
const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";

/** The per-user objects the hub gets from this component, as user `ana` gets them. */
async function anaObjects(component: SparkExecutors): Promise<any[]> {
    const hook: UserIsolationHookConfig = await valueOf(component.userIsolation);
    return hook.objects.map((o) => forUser(o.manifest, userTarget(hook.executorNamespacePrefix, "ana")));
}

describe("SparkExecutors with defaults", () => {
    let out: Rendered;
    beforeAll(async () => {
        out = await render();
    });

    it("declares only valid Kubernetes objects, the pod template included", () => {
        const objects = k8sObjects(out.recorder);
        expect(objects.length).toBeGreaterThanOrEqual(8);
        for (const { r, obj } of objects) {
            expect({ name: r.name, errors: validateKubernetesObject(obj) }).toEqual({ name: r.name, errors: [] });
        }
        expect(validateKubernetesObject(parse(out.files["executor-pod-template.yaml"]))).toEqual([]);
    });

    it("declares no Namespace, Role, RoleBinding, ServiceAccount, ResourceQuota or PriorityClass: each user's are the hub's", () => {
        for (const kind of ["Namespace", "Role", "RoleBinding", "ServiceAccount", "ResourceQuota", "PriorityClass"]) {
            expect({ kind, declared: out.recorder.resources.filter((r) => r.type.endsWith(`:${kind}`)).map((r) => r.name) }).toEqual({ kind, declared: [] });
        }
    });

    it("grants drivers exactly Spark's rules through a ClusterRole that is bound per user, in that user's namespace only", async () => {
        const role = out.recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-driver"));
        expect(role.inputs.rules).toEqual(sparkDriverRoleRules({ onDemandPvc: false }));
        expect(JSON.stringify(role.inputs.rules)).not.toContain("*");
        // Never bound cluster-wide: the only ClusterRoleBinding is the hub's, to the hub's own ClusterRole.
        const clusterBindings = out.recorder.ofType(`${RBAC}:ClusterRoleBinding`);
        expect(clusterBindings.map((b) => b.inputs.roleRef.name)).toEqual([out.recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-hub")).inputs.metadata.name]);
        const bindings = (await anaObjects(out.component)).filter((o) => o.kind === "RoleBinding");
        expect(bindings).toEqual([
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: "spark-driver", namespace: "ds-u-ana" },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.inputs.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: "notebook-ana", namespace: "ds" }],
            },
        ]);
    });

    it("gives each user's executors their own ServiceAccount without an API token, in the user's namespace", async () => {
        const accounts = (await anaObjects(out.component)).filter((o) => o.kind === "ServiceAccount");
        expect(accounts.map((a) => `${a.metadata.namespace}/${a.metadata.name}`).sort()).toEqual(["ds-u-ana/spark-executor", "ds/notebook-ana"]);
        expect(accounts.find((a) => a.metadata.name === EXECUTOR_SERVICE_ACCOUNT).automountServiceAccountToken).toBe(false);
    });

    it("writes spark-defaults.conf with the image digest and the client-mode driver settings", async () => {
        const c = conf(out.files["spark-defaults.conf"]);
        const { driverPort, blockManagerPort } = parsePlatformConfig({}, { hubPassword: true }).spark;
        expect(c).toMatchObject({
            "spark.master": "k8s://https://kubernetes.default.svc:443",
            "spark.submit.deployMode": "client",
            "spark.kubernetes.namespace": "${env:SPARK_EXECUTOR_NAMESPACE}",
            "spark.kubernetes.container.image": IMAGE,
            "spark.driver.host": "${env:POD_IP}",
            "spark.driver.bindAddress": "0.0.0.0",
            "spark.driver.port": String(driverPort),
            "spark.driver.blockManager.port": String(blockManagerPort),
            "spark.blockManager.port": String(blockManagerPort),
            "spark.kubernetes.executor.podTemplateFile": "/etc/spark/conf/executor-pod-template.yaml",
            "spark.executor.cores": "1",
            "spark.executor.memory": "2g",
            "spark.dynamicAllocation.enabled": "true",
            "spark.dynamicAllocation.shuffleTracking.enabled": "true",
            "spark.dynamicAllocation.maxExecutors": "4",
        });
        expect(c["spark.kubernetes.driver.pod.name"]).toBeUndefined();
        expect(await valueOf(out.component.sparkDefaults)).toBe(out.files["spark-defaults.conf"]);
        expect(Object.keys(out.files).sort()).toEqual(["executor-pod-template.yaml", "spark-defaults.conf"]);
    });

    it("puts the same image in the CPU template, which keeps executors off GPU nodes", () => {
        const pod = parse(out.files["executor-pod-template.yaml"]);
        expect(pod.spec.containers[0].image).toBe(IMAGE);
        expect(pod.spec.affinity.nodeAffinity).toEqual(avoidGpuNodesAffinity());
    });

    it("wires notebook pods: the per-user objects, ConfigMap, downward-API env and the labels the policies select", async () => {
        const w = out.component.wiring;
        expect(await valueOf(w.userIsolation)).toEqual(await valueOf(out.component.userIsolation));
        expect(w.confDir).toBe("/etc/spark/conf");
        expect(w.env).toEqual({
            POD_NAME: { valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            POD_IP: { valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        });
        expect(await valueOf(w.configMapName)).toBe(out.recorder.one("kubernetes:core/v1:ConfigMap").inputs.metadata.name);
        const policies = out.recorder.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies).toHaveLength(1);
        expect(policies[0].inputs.metadata.namespace).toBe("ds");
        expect(policies[0].inputs.spec.podSelector).toEqual({ matchLabels: w.podLabels });
        expect(w.podLabels).toEqual(SPARK_DRIVER_LABELS);
        // Each user's driver policy selects that user's notebook pods by the same labels plus the user's.
        const driverPolicy = (await anaObjects(out.component)).find((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "ds");
        expect(driverPolicy.spec.podSelector).toEqual({ matchLabels: { ...w.podLabels, [USER_LABEL]: "ana" } });
    });

    it("runs each user's executors in <platform namespace>-u-<user>, and names what IRSA trusts with wildcards", async () => {
        expect(out.component.executorNamespacePrefix).toBe("ds-u");
        expect(out.component.executorNamespace).toBe("ds-u-*");
        expect(out.component.notebookServiceAccountName).toBe("notebook-*");
        expect(out.component.executorServiceAccountName).toBe(EXECUTOR_SERVICE_ACCOUNT);
        const hook = await valueOf(out.component.userIsolation);
        expect(hook).toMatchObject({ hubNamespace: "ds", executorNamespacePrefix: "ds-u" });
        const namespace = (await anaObjects(out.component)).find((o) => o.kind === "Namespace");
        expect(namespace.metadata).toMatchObject({ name: "ds-u-ana", labels: { [EXECUTORS_OF_LABEL]: "ds", "pod-security.kubernetes.io/enforce": "restricted" } });
    });

    it("opens the configured ports in the NetworkPolicies", async () => {
        const ports = sparkPortRanges(parsePlatformConfig({}, { hubPassword: true }).spark);
        const egress = out.recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", (n) => n.endsWith("driver-egress"));
        expect(egress.inputs.spec.egress[0].ports).toEqual([{ protocol: "TCP", port: ports.blockManager.port, endPort: ports.blockManager.endPort }]);
        const driverPolicy = (await anaObjects(out.component)).find((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "ds");
        expect(driverPolicy.spec.ingress[0].ports).toEqual([
            { protocol: "TCP", port: ports.driver.port, endPort: ports.driver.endPort },
            { protocol: "TCP", port: ports.blockManager.port, endPort: ports.blockManager.endPort },
        ]);
    });

    it("caps each user at the default quota of 8 executor pods, and no GPUs without GPU executors", async () => {
        const quota = (await anaObjects(out.component)).find((o) => o.kind === "ResourceQuota");
        expect(quota.metadata.namespace).toBe("ds-u-ana");
        expect(quota.spec.hard).toEqual({ pods: "8" });
    });

    it("admits into executor namespaces only the notebook image, as the configured user", () => {
        const policy = out.recorder.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").find((p) => p.inputs.metadata.name === admissionPolicyNames("ds").executorPods)!;
        const text = JSON.stringify(policy.inputs.spec.validations);
        expect(text).toContain(`['${IMAGE}']`);
        expect(text).not.toContain(GPU_IMAGE);
        expect(text).toContain("runAsUser == 1000");
        expect(text).toContain("runAsGroup == 100");
    });

    it("declares no GPU files, history server or event-log volume unless configured", () => {
        for (const type of ["Deployment", "Service", "PersistentVolumeClaim"]) {
            expect(out.recorder.resources.filter((r) => r.type.endsWith(`:${type}`))).toEqual([]);
        }
        expect(out.component.eventLogVolume).toBeUndefined();
    });
});

describe("SparkExecutors options", () => {
    it("grants claim rights only with on-demand PVCs", async () => {
        const { recorder, files } = await render({ onDemandPvc: { enabled: true } });
        expect(recorder.one(`${RBAC}:ClusterRole`, (n) => n.endsWith("-driver")).inputs.rules).toEqual(sparkDriverRoleRules({ onDemandPvc: true }));
        expect(conf(files["spark-defaults.conf"])["spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.claimName"]).toBe("OnDemand");
    });

    it("adds GPU executors only when enabled and placed, with the placement's toleration, affinity and limit", async () => {
        const notPlaced = await render({ gpuExecutors: { enabled: true } }, {}, true);
        expect(Object.keys(notPlaced.files)).not.toContain("executor-pod-template-gpu.yaml");
        const notEnabled = await render({}, { gpuPlacements: [PLACEMENT] }, true);
        expect(Object.keys(notEnabled.files)).not.toContain("spark-gpu.conf");

        const { files, component, recorder } = await render({ gpuExecutors: { enabled: true, gpusPerExecutor: 1 }, maxExecutorGpus: 3 }, { gpuPlacements: [PLACEMENT] }, true);
        const pod = parse(files["executor-pod-template-gpu.yaml"]);
        expect(validateKubernetesObject(pod)).toEqual([]);
        expect(pod.spec.containers[0].image).toBe(GPU_IMAGE);
        expect(pod.spec.tolerations).toEqual([gpuToleration(PLACEMENT)]);
        expect(pod.spec.affinity.nodeAffinity).toEqual(gpuNodeAffinity(PLACEMENT));
        expect(pod.spec.containers[0].resources.limits[PLACEMENT.resourceName]).toBe("1");
        const gpuConf = conf(files["spark-gpu.conf"]);
        expect(gpuConf).toMatchObject({
            "spark.kubernetes.container.image": GPU_IMAGE,
            "spark.executor.resource.gpu.amount": "1",
            "spark.kubernetes.executor.podTemplateFile": "/etc/spark/conf/executor-pod-template-gpu.yaml",
            "spark.driver.host": "${env:POD_IP}",
        });
        expect(conf(files["spark-defaults.conf"])["spark.executor.resource.gpu.amount"]).toBeUndefined();
        // Each user's quota caps the placements' GPU resource; the executor-pod policy admits the gpu image.
        const quota = (await anaObjects(component)).find((o) => o.kind === "ResourceQuota");
        expect(quota.spec.hard).toEqual({ pods: "8", [`requests.${PLACEMENT.resourceName}`]: "3" });
        const policy = recorder.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").find((p) => p.inputs.metadata.name === admissionPolicyNames("ds").executorPods)!;
        expect(JSON.stringify(policy.inputs.spec.validations)).toContain(`['${IMAGE}', '${GPU_IMAGE}']`);
        const notPlacedQuota = (await anaObjects(notPlaced.component)).find((o) => o.kind === "ResourceQuota");
        expect(notPlacedQuota.spec.hard).toEqual({ pods: "8" });
    });

    it("caps each user's executor pods at spark.maxExecutorPods in the user's namespace, with no PriorityClass", async () => {
        const { recorder, files, component } = await render({ maxExecutorPods: 12 });
        const quotas = (await anaObjects(component)).filter((o) => o.kind === "ResourceQuota");
        expect(quotas).toHaveLength(1);
        expect(quotas[0]).toMatchObject({ metadata: { name: "spark-executors", namespace: "ds-u-ana" }, spec: { hard: { pods: "12" } } });
        expect(quotas[0].spec.scopeSelector).toBeUndefined();
        expect(parse(files["executor-pod-template.yaml"]).spec.priorityClassName).toBeUndefined();
        expect(recorder.resources.filter((r) => /:(ResourceQuota|PriorityClass)$/.test(r.type))).toEqual([]);
        const uncapped = await render({ maxExecutorPods: 0 });
        expect((await anaObjects(uncapped.component)).filter((o) => o.kind === "ResourceQuota")).toEqual([]);
    });

    it("takes spark.namespace as the prefix of each user's executor namespace, and creates none itself", async () => {
        const { recorder, files, component } = await render({}, { executorNamespace: "spark" });
        expect(recorder.ofType("kubernetes:core/v1:Namespace")).toEqual([]);
        expect(component.executorNamespacePrefix).toBe("spark");
        expect(component.executorNamespace).toBe("spark-*");
        const c = conf(files["spark-defaults.conf"]);
        expect(c["spark.kubernetes.namespace"]).toBe("${env:SPARK_EXECUTOR_NAMESPACE}");
        expect(c["spark.kubernetes.driver.pod.name"]).toBeUndefined();
        const objects = await anaObjects(component);
        expect(objects.find((o) => o.kind === "Namespace").metadata.name).toBe("spark-ana");
        expect(objects.find((o) => o.kind === "RoleBinding").metadata.namespace).toBe("spark-ana");
        // The hub may create only namespaces with that prefix.
        const hubScope = recorder.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").find((p) => p.inputs.metadata.name === admissionPolicyNames("ds").hubScope)!;
        expect(JSON.stringify(hubScope.inputs.spec.validations)).toContain("startsWith('spark-')");
        for (const { obj } of k8sObjects(recorder)) {
            expect(validateKubernetesObject(obj)).toEqual([]);
        }
    });

    it("names its cluster-wide objects after the platform namespace, which it needs when the notebook namespace is an Output", async () => {
        await expect(render({}, { notebookNamespace: pulumi.output("ds") })).rejects.toThrow(/platformNamespace: required when notebookNamespace is not a plain string/);
        const { recorder, component } = await render({}, { notebookNamespace: pulumi.output("ds"), platformNamespace: "team-a" });
        expect(recorder.ofType(`${RBAC}:ClusterRole`).map((r) => r.inputs.metadata.name).sort()).toEqual(["team-a-hub-user-namespaces", "team-a-spark-driver"]);
        expect(component.executorNamespacePrefix).toBe("team-a-u");
    });

    it("runs a history server over S3 event logs with the given identity", async () => {
        const annotations = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notebook" };
        const { recorder, files, component } = await render(
            { historyServer: { enabled: true } },
            { eventLog: { dir: "s3a://data-bucket/spark-events/", s3: true }, serviceAccountAnnotations: annotations },
        );
        const deployment = recorder.one("kubernetes:apps/v1:Deployment");
        const container = deployment.inputs.spec.template.spec.containers[0];
        expect(container.image).toBe(IMAGE);
        expect(container.args).toEqual(["spark-class", "org.apache.spark.deploy.history.HistoryServer"]);
        expect(container.env[0].value).toContain("-Dspark.history.fs.logDirectory=s3a://data-bucket/spark-events/");
        const historySa = recorder.ofType("kubernetes:core/v1:ServiceAccount").find((s) => s.inputs.metadata.name === "spark-history")!;
        expect(historySa.inputs.metadata.annotations).toEqual(annotations);
        expect(conf(files["spark-defaults.conf"])["spark.eventLog.dir"]).toBe("s3a://data-bucket/spark-events/");
        expect(await valueOf(component.historyServerUrl)).toMatch(/^http:\/\/.+\.ds\.svc:18080$/);
        expect(recorder.ofType("kubernetes:core/v1:PersistentVolumeClaim")).toEqual([]);
        for (const { obj } of k8sObjects(recorder)) {
            expect(validateKubernetesObject(obj)).toEqual([]);
        }
    });

    it("gives the history server its own identity and the S3A region when S3 is configured", async () => {
        const notebook = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notebook" };
        const history = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/history" };
        const { recorder, files, component } = await render(
            { historyServer: { enabled: true } },
            {
                eventLog: { dir: "s3a://data-bucket/spark-events/", s3: true },
                s3: { region: "eu-west-1" },
                serviceAccountAnnotations: notebook,
                historyServiceAccountAnnotations: history,
            },
        );
        const accounts = recorder.ofType("kubernetes:core/v1:ServiceAccount");
        expect(accounts.map((s) => s.inputs.metadata.name)).toEqual(["spark-history"]);
        expect(accounts[0].inputs.metadata.annotations).toEqual(history);
        // Each user's notebook ServiceAccount, created by the hub, carries the notebook role.
        const notebookSa = (await anaObjects(component)).find((o) => o.kind === "ServiceAccount" && o.metadata.name === "notebook-ana");
        expect(notebookSa.metadata.annotations).toEqual(notebook);
        const opts = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0].env[0].value.split(" ");
        expect(opts).toEqual(
            expect.arrayContaining([
                "-Dspark.hadoop.fs.s3a.aws.credentials.provider=software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider",
                "-Dspark.hadoop.fs.s3a.endpoint.region=eu-west-1",
            ]),
        );
        expect(conf(files["spark-defaults.conf"])["spark.hadoop.fs.s3a.endpoint.region"]).toBe("eu-west-1");
    });

    it("configures S3A in notebooks and executors without event logs", async () => {
        const { files } = await render({}, { s3: { region: "us-east-2" } });
        const c = conf(files["spark-defaults.conf"]);
        expect(c["spark.hadoop.fs.s3a.endpoint.region"]).toBe("us-east-2");
        expect(c["spark.hadoop.fs.s3a.aws.credentials.provider"]).toMatch(/WebIdentityTokenFileCredentialsProvider$/);
        expect(c["spark.eventLog.enabled"]).toBeUndefined();
    });

    it("keeps file event logs on a shared, protected volume that notebooks must mount", async () => {
        const { recorder, component } = await render({ historyServer: { enabled: true } }, { eventLog: { dir: "file:///var/spark-events" }, protect: true });
        const claim = recorder.one("kubernetes:core/v1:PersistentVolumeClaim");
        expect(claim.inputs.spec.accessModes).toEqual(["ReadWriteMany"]);
        expect(component.eventLogVolume?.mountPath).toBe("/var/spark-events");
        const spec = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        expect(spec.volumes[0].persistentVolumeClaim.claimName).toBe(await valueOf(component.eventLogVolume!.claimName));
        expect(spec.containers[0].volumeMounts[0]).toEqual({ name: "event-logs", mountPath: "/var/spark-events", readOnly: true });
    });

    it("refuses bad combinations with errors that name the key", async () => {
        await expect(render({ historyServer: { enabled: true } })).rejects.toThrow(/spark\.historyServer\.enabled: needs an event log location/);
        await expect(render({ driverPort: 30000, blockManagerPort: 30002 })).rejects.toThrow(/spark\.blockManagerPort: ports 30002-30005 overlap/);
        await expect(render({}, { eventLog: { dir: "/var/logs" } })).rejects.toThrow(/eventLog\.dir "\/var\/logs": allowed without eventLog\.s3 is file:/);
    });
});

describe("SparkExecutors composition", () => {
    const ROOT = "urn:pulumi:test::ds-platform::ds-platform:spark:SparkExecutors";

    /** Type, logical name, parent and aliases of every object, as declared. */
    async function declared(): Promise<{ type: string; name: string; parent?: string; aliases: string[] }[]> {
        const recorder = setupMocks();
        const config = parsePlatformConfig({ spark: { historyServer: { enabled: true }, maxExecutorPods: 8 } }, { hubPassword: true });
        const found: { type: string; name: string; parent?: pulumi.Resource; aliases: pulumi.Input<pulumi.URN | pulumi.Alias>[] }[] = [];
        new SparkExecutors(
            "spark",
            { notebookNamespace: "ds", spark: config.spark, image: IMAGE, uid: 1000, gid: 100, protect: false, eventLog: { dir: "file:/var/spark-events" } },
            {
                transformations: [
                    (a) => {
                        found.push({ type: a.type, name: a.name, parent: a.opts.parent, aliases: a.opts.aliases ?? [] });
                        return undefined;
                    },
                ],
            },
        );
        await settle(recorder);
        return Promise.all(
            found.map(async (r) => ({
                type: r.type,
                name: r.name,
                parent: r.parent ? await valueOf(r.parent.urn) : undefined,
                // Only aliases to a former name: the Kubernetes SDK adds its own to former API versions.
                aliases: await Promise.all(
                    r.aliases.filter((a): a is pulumi.Alias => typeof a === "object" && "name" in a).map((a) => valueOf(pulumi.createUrn(a.name!, r.type, a.parent as pulumi.Resource))),
                ),
            })),
        );
    }

    it("composes the parts as components of their own, each with its own type token", async () => {
        const parts = (await declared()).filter((r) => r.type.startsWith("ds-platform:spark:") && r.parent === `${ROOT}::spark`);
        expect(parts.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            "ds-platform:spark:SparkConfFiles spark-conf",
            "ds-platform:spark:SparkDriverAccess spark-access",
            "ds-platform:spark:SparkHistoryServer spark-history",
            "ds-platform:spark:SparkNetworkPolicies spark-network",
        ]);
    });

    it("aliases every moved object to the URN it had when SparkExecutors declared it, so deployed objects are updated in place", async () => {
        const moved = (await declared()).filter((r) => r.type.startsWith("kubernetes:") && r.parent !== `${ROOT}::spark`);
        const formerName = Object.fromEntries(moved.map((r) => [`${r.type} ${r.name}`, r.aliases]));
        const former = (type: string, name: string) => [`${ROOT}$${type}::${name}`];
        const admission = "kubernetes:admissionregistration.k8s.io/v1";
        expect(formerName).toEqual({
            "kubernetes:core/v1:ConfigMap spark-conf-configmap": former("kubernetes:core/v1:ConfigMap", "spark-conf"),
            "kubernetes:networking.k8s.io/v1:NetworkPolicy spark-network-driver-egress": former("kubernetes:networking.k8s.io/v1:NetworkPolicy", "spark-driver-egress"),
            "kubernetes:core/v1:ServiceAccount spark-history-sa": former("kubernetes:core/v1:ServiceAccount", "spark-history-sa"),
            "kubernetes:apps/v1:Deployment spark-history-deployment": former("kubernetes:apps/v1:Deployment", "spark-history"),
            "kubernetes:core/v1:Service spark-history-service": former("kubernetes:core/v1:Service", "spark-history"),
            // New with per-user isolation: nothing to alias.
            [`${RBAC}:ClusterRole spark-access-driver`]: [],
            [`${RBAC}:ClusterRole spark-access-hub`]: [],
            [`${RBAC}:ClusterRoleBinding spark-access-hub`]: [],
            [`${admission}:ValidatingAdmissionPolicy spark-access-executorPods`]: [],
            [`${admission}:ValidatingAdmissionPolicy spark-access-executorClaims`]: [],
            [`${admission}:ValidatingAdmissionPolicy spark-access-hubScope`]: [],
            [`${admission}:ValidatingAdmissionPolicy spark-access-hubBindings`]: [],
            [`${admission}:ValidatingAdmissionPolicyBinding spark-access-executorPods`]: [],
            [`${admission}:ValidatingAdmissionPolicyBinding spark-access-executorClaims`]: [],
            [`${admission}:ValidatingAdmissionPolicyBinding spark-access-hubScope`]: [],
            [`${admission}:ValidatingAdmissionPolicyBinding spark-access-hubBindings`]: [],
        });
    });

    it("keeps what the parts share directly under SparkExecutors, where it always was", async () => {
        const own = (await declared()).filter((r) => r.type.startsWith("kubernetes:") && r.parent === `${ROOT}::spark`);
        expect(own.map((r) => `${r.type} ${r.name} ${r.aliases.length}`).sort()).toEqual(["kubernetes:core/v1:PersistentVolumeClaim spark-event-logs 0"]);
    });

    it("exposes the parts' outputs", async () => {
        const { component } = await render({ historyServer: { enabled: true } }, { eventLog: { dir: "s3a://data-bucket/spark-events/", s3: true } });
        // The ClusterRole the hub binds per user is the one the access part declares.
        const binding = (await anaObjects(component)).find((o) => o.kind === "RoleBinding");
        expect(binding.roleRef.name).toBe(await valueOf(component.access.driverClusterRoleName));
        expect(await valueOf(component.history!.serviceAccountName)).toBe(component.historyServiceAccountName);
        expect(await valueOf(component.wiring.configMapName)).toBe(await valueOf(component.conf.configMapName));
    });
});
