/**
 * The Kubernetes version table: it and the config's supported versions are one list, every row pins
 * components of its own minor, the user-scheduler gets the RBAC its kube-scheduler needs, and the
 * rendered stacks run the scheduler, the autoscaler and the EKS add-ons of the stack's minor.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ClusterAddons } from "../../components/aws/clusterAddons";
import { EksCluster } from "../../components/aws/eksCluster";
import { ConfigError, parsePlatformConfig } from "../../components/config/config";
import {
    EKS_ADDONS,
    KUBERNETES_VERSIONS,
    SUPPORTED_KUBERNETES_VERSIONS,
    USER_SCHEDULER_LOCK,
    USER_SCHEDULER_SERVICE_ACCOUNT,
    clusterAutoscalerExtraRules,
    clusterKubernetesVersion,
    kubeSchedulerImage,
    tabledUpstreamImages,
    userSchedulerExtraRules,
    userSchedulerPin,
    versionPins,
} from "../../components/cluster/kubernetesVersions";
import { driverClusterRoleName, hubClusterRoleName } from "../../components/spark/userIsolation";
import { checks } from "../../policy/policies";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";
import { RecordedResource, settle, setupMocks, unwrapSecrets } from "../helpers/mocks";
import { RenderedStack, renderStack, TEST_SECRETS } from "../helpers/render";
import { PROJECT_ROOT } from "../helpers/sharedData";

const AWS_BASE = { cluster: { provider: "aws" }, aws: { region: "eu-west-1" }, registry: { kind: "ecr" } };
const SECRETS = { hubPassword: true, hubAdminPassword: true, oauthClientSecret: true };

function problemsOf(raw: unknown): { path: string; message: string }[] {
    try {
        parsePlatformConfig(raw, SECRETS);
    } catch (e) {
        if (e instanceof ConfigError) {
            return e.problems;
        }
        throw e;
    }
    return [];
}

const resources = (rs: RecordedResource[], part: string) => rs.filter((r) => r.type === `kubernetes:rbac.authorization.k8s.io/v1:${part}`);
const grants = (rules: { resources: string[] }[]) => rules.flatMap((r) => r.resources);

describe("the version table", () => {
    test("is exactly the list of supported versions: aws.kubernetesVersion and cluster.kubernetesVersion accept its minors and nothing else", () => {
        const minors = Object.keys(KUBERNETES_VERSIONS);
        expect(SUPPORTED_KUBERNETES_VERSIONS).toEqual(minors);
        for (const v of minors) {
            expect(parsePlatformConfig({ ...AWS_BASE, aws: { region: "eu-west-1", kubernetesVersion: v } }, SECRETS).aws!.kubernetesVersion).toBe(v);
            expect(parsePlatformConfig({ cluster: { kubernetesVersion: v } }, SECRETS).cluster.kubernetesVersion).toBe(v);
        }
        const allowed = `must be one of: ${minors.join(", ")}`;
        for (const v of ["1.30", "1.36", "1.3"]) {
            expect(problemsOf({ ...AWS_BASE, aws: { region: "eu-west-1", kubernetesVersion: v } })).toEqual([
                expect.objectContaining({ path: "aws.kubernetesVersion", message: allowed }),
            ]);
            expect(problemsOf({ cluster: { kubernetesVersion: v } })).toEqual([expect.objectContaining({ path: "cluster.kubernetesVersion", message: allowed })]);
        }
    });

    test("covers consecutive minors, and the EKS default is one of them", () => {
        const minors = SUPPORTED_KUBERNETES_VERSIONS.map((v) => Number(v.split(".")[1]));
        expect(minors).toEqual(minors.map((_, i) => minors[0] + i));
        expect(parsePlatformConfig(AWS_BASE, SECRETS).aws!.kubernetesVersion).toBe("1.33");
    });

    test.each(SUPPORTED_KUBERNETES_VERSIONS)("row %s pins the scheduler, the autoscaler and kube-proxy of its own minor, and every add-on", (v) => {
        const pins = versionPins(v);
        const minor = v.replace(".", "\\.");
        expect(pins.kubeScheduler).toMatch(new RegExp(`^v${minor}\\.\\d+$`));
        expect(pins.clusterAutoscaler).toMatch(new RegExp(`^v${minor}\\.\\d+$`));
        expect(pins.eksAddons["kube-proxy"]).toMatch(new RegExp(`^v${minor}\\.\\d+-eksbuild\\.\\d+$`));
        expect(Object.keys(pins.eksAddons).sort()).toEqual([...EKS_ADDONS].sort());
        for (const version of Object.values(pins.eksAddons)) {
            expect(version).toMatch(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
        }
    });

    test("an unknown minor is refused with the supported ones", () => {
        expect(() => versionPins("1.29")).toThrow(/Kubernetes 1\.29 is not in the version table \(components\/cluster\/kubernetesVersions\.ts\); supported: 1\.31, 1\.32, 1\.33, 1\.34, 1\.35/);
    });
});

describe("RBAC beyond the charts' ClusterRoles", () => {
    test("each minor adds to the previous one's: leases and leasecandidates from 1.31, volumeattachments from 1.32, DRA from 1.34", () => {
        expect(grants(userSchedulerExtraRules("1.31"))).toEqual(["leases", "leasecandidates"]);
        expect(grants(userSchedulerExtraRules("1.32"))).toEqual(["leases", "leasecandidates", "volumeattachments"]);
        expect(userSchedulerExtraRules("1.33")).toEqual(userSchedulerExtraRules("1.32"));
        expect(grants(userSchedulerExtraRules("1.34"))).toEqual([
            "leases",
            "leasecandidates",
            "volumeattachments",
            "deviceclasses",
            "resourceclaims",
            "resourceclaims/status",
            "pods/finalizers",
            "resourceslices",
        ]);
        expect(userSchedulerExtraRules("1.35")).toEqual(userSchedulerExtraRules("1.34"));
        // The lease rule names only the user-scheduler's own lock, as the chart's does.
        expect(userSchedulerExtraRules("1.31")[0]).toEqual({ apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [USER_SCHEDULER_LOCK], verbs: ["get", "list", "update", "watch"] });
        // No wildcard anywhere.
        for (const v of SUPPORTED_KUBERNETES_VERSIONS) {
            for (const r of [...userSchedulerExtraRules(v), ...clusterAutoscalerExtraRules(v)]) {
                expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain("*");
            }
        }
    });

    test("cluster-autoscaler needs DRA read access only from 1.35", () => {
        expect(SUPPORTED_KUBERNETES_VERSIONS.filter((v) => clusterAutoscalerExtraRules(v).length > 0)).toEqual(["1.35"]);
    });

    test("the user-scheduler pin follows the cluster: aws.kubernetesVersion on aws, cluster.kubernetesVersion on kubeconfig, else the chart's", () => {
        expect(clusterKubernetesVersion(parsePlatformConfig({ ...AWS_BASE, aws: { region: "eu-west-1", kubernetesVersion: "1.34" } }, SECRETS))).toBe("1.34");
        expect(clusterKubernetesVersion(parsePlatformConfig({ cluster: { kubernetesVersion: "1.32" } }, SECRETS))).toBe("1.32");
        expect(clusterKubernetesVersion(parsePlatformConfig({}, SECRETS))).toBeUndefined();
        expect(userSchedulerPin(undefined)).toBeUndefined();
        expect(userSchedulerPin("1.34")).toEqual({ kubernetesVersion: "1.34", image: { repository: "registry.k8s.io/kube-scheduler", tag: "v1.34.9" }, extraRules: userSchedulerExtraRules("1.34") });
    });

    test("cluster.kubernetesVersion is refused on aws, where the version is aws.kubernetesVersion", () => {
        expect(problemsOf({ ...AWS_BASE, cluster: { provider: "aws", kubernetesVersion: "1.33" } })).toEqual([
            expect.objectContaining({ path: "cluster.kubernetesVersion", message: expect.stringContaining("on aws the cluster's version is aws.kubernetesVersion") }),
        ]);
    });
});

describe("the digest policy", () => {
    const values = (tag: string) => ({ values: { scheduling: { userScheduler: { image: { name: "registry.k8s.io/kube-scheduler", tag } } } } });
    const check = (props: object) => checks["images-pinned-by-digest"]("kubernetes:helm.sh/v3:Release", props);

    test("allows the table's exact upstream release tags and nothing else", () => {
        expect(tabledUpstreamImages()).toContain("registry.k8s.io/kube-scheduler:v1.33.13");
        expect(check(values(kubeSchedulerImage("1.33").tag))).toEqual([]);
        expect(check(values("v1.33.12"))).toEqual([expect.stringContaining('image "registry.k8s.io/kube-scheduler:v1.33.12" is not pinned by digest')]);
        expect(check(values("latest"))).toHaveLength(1);
    });
});

describe("the rendered prod stack runs what its Kubernetes minor needs", () => {
    let rendered: RenderedStack;
    let minor: string;
    beforeAll(async () => {
        rendered = await renderStack("prod", { secrets: TEST_SECRETS.prod });
        const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8"));
        minor = String(doc.config["ds-platform:aws"].kubernetesVersion);
    });

    test("the EKS cluster and every add-on are at the stack's minor", () => {
        expect(rendered.resources.find((r) => r.type === "aws:eks/cluster:Cluster")!.inputs.version).toBe(minor);
        const addons = rendered.resources.filter((r) => r.type === "aws:eks/addon:Addon");
        expect(Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion]))).toEqual(versionPins(minor).eksAddons);
        expect(addons.find((a) => a.inputs.addonName === "kube-proxy")!.inputs.addonVersion.startsWith(`v${minor}.`)).toBe(true);
    });

    test("cluster-autoscaler runs the release of the stack's minor", () => {
        const release = rendered.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "cluster-autoscaler")!;
        expect(release.inputs.values.image).toEqual({ repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: versionPins(minor).clusterAutoscaler });
        expect(release.inputs.values.image.tag.startsWith(`v${minor}.`)).toBe(true);
    });

    test("the user-scheduler runs kube-scheduler of the stack's minor, with the RBAC that minor needs bound to its service account", () => {
        const hub = rendered.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)))!;
        const scheduling = unwrapSecrets(hub.inputs.values).scheduling;
        expect(scheduling.userScheduler).toMatchObject({ enabled: true, image: { name: "registry.k8s.io/kube-scheduler", tag: versionPins(minor).kubeScheduler } });
        expect(scheduling.userScheduler.image.tag.startsWith(`v${minor}.`)).toBe(true);

        const role = resources(rendered.resources, "ClusterRole").find((r) => r.name.endsWith("-user-scheduler"))!;
        expect(role.inputs.rules).toEqual(userSchedulerExtraRules(minor));
        expect(grants(role.inputs.rules)).toContain("volumeattachments");
        const binding = resources(rendered.resources, "ClusterRoleBinding").find((r) => r.name.endsWith("-user-scheduler"))!;
        expect(binding.inputs.roleRef.name).toBe(role.inputs.metadata.name);
        expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: USER_SCHEDULER_SERVICE_ACCOUNT, namespace: "ds-platform" }]);
        for (const o of [role, binding]) {
            expect(validateKubernetesObject({ ...kubernetesGvk(o.type), ...unwrapSecrets(o.inputs) })).toEqual([]);
        }
    });
});

describe("an AWS cluster on Kubernetes 1.35", () => {
    test("EKS, the add-ons and the autoscaler (with the DRA access it needs) all follow the minor", async () => {
        const recorder = setupMocks();
        const config = parsePlatformConfig({ ...AWS_BASE, aws: { region: "eu-west-1", kubernetesVersion: "1.35" } }, SECRETS);
        const cluster = new EksCluster("c", { aws: config.aws!, protect: false });
        const aws = config.aws!;
        new ClusterAddons("c", { cluster: cluster.core, gpuPools: [], autoscalerChart: aws.autoscaler, devicePluginChart: aws.devicePlugin, protect: false }, { providers: [cluster.provider] });
        await settle(recorder);
        expect(recorder.one("aws:eks/cluster:Cluster").inputs.version).toBe("1.35");
        const addons = recorder.ofType("aws:eks/addon:Addon");
        expect(Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion]))).toEqual(KUBERNETES_VERSIONS["1.35"].eksAddons);
        const release = recorder.one("kubernetes:helm.sh/v3:Release", (n) => n.includes("autoscaler"));
        expect(release.inputs.values.image).toEqual({ repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.35.2" });
        const role = recorder.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        expect(grants(role.inputs.rules)).toEqual(["resourceslices", "deviceclasses", "resourceclaims"]);
    });
});

describe("a kubeconfig cluster of a given minor", () => {
    test("its user-scheduler gets that minor's kube-scheduler and RBAC; the dev stack without the key keeps the chart's", async () => {
        const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")).config;
        const hub = { ...doc["ds-platform:hub"], scheduling: { ...doc["ds-platform:hub"].scheduling, userScheduler: true } };
        const cluster = { ...doc["ds-platform:cluster"], kubernetesVersion: "1.35" };
        const rendered = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { hub, cluster } });
        const release = rendered.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)))!;
        expect(unwrapSecrets(release.inputs.values).scheduling.userScheduler.image).toEqual({ name: "registry.k8s.io/kube-scheduler", tag: "v1.35.6" });
        const role = resources(rendered.resources, "ClusterRole").find((r) => r.name.endsWith("-user-scheduler"))!;
        expect(grants(role.inputs.rules)).toEqual(expect.arrayContaining(["resourceslices", "resourceclaims", "deviceclasses", "volumeattachments"]));

        expect(doc["ds-platform:cluster"].kubernetesVersion).toBeUndefined();
        const plain = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { hub } });
        const plainRelease = plain.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)))!;
        expect(unwrapSecrets(plainRelease.inputs.values).scheduling.userScheduler).toEqual({ enabled: true });
        // No RBAC beyond the chart's for the user-scheduler: the only ClusterRoles are Spark's (the driver's, bound per user, and the hub's).
        expect(resources(plain.resources, "ClusterRole").map((r) => r.inputs.metadata.name).sort()).toEqual([driverClusterRoleName("ds-platform"), hubClusterRoleName("ds-platform")].sort());
        expect(resources(plain.resources, "ClusterRoleBinding").map((r) => r.inputs.roleRef.name)).toEqual([hubClusterRoleName("ds-platform")]);
    });
});
