/**
 * SparkHistoryServer: its ServiceAccount, Deployment and Service, built by pure functions.
 */
import { HISTORY_SERVICE_ACCOUNT, S3_WEB_IDENTITY_PROVIDER } from "../../components/spark/sparkConf";
import { historyDeploymentArgs, historyServerOpts, historyServiceAccountArgs, SparkHistoryServer, SPARK_HISTORY_LABELS } from "../../components/spark/sparkHistoryServer";
import { fakeDigest, settle, setupMocks, valueOf } from "../helpers/mocks";
import { kubernetesGvk, validateKubernetesObject } from "../helpers/kubeSchema";

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;
const BASE = { namespace: "ds", image: IMAGE, uid: 1000, gid: 100 };

describe("history server builders", () => {
    it("pass the log directory and port, and the S3A settings only for S3 event logs", () => {
        expect(historyServerOpts("file:/var/spark-events", false, { region: "eu-west-1" })).toBe("-Dspark.history.fs.logDirectory=file:/var/spark-events -Dspark.history.ui.port=18080");
        const s3 = historyServerOpts("s3a://bucket/spark-events/", true, { region: "eu-west-1" }).split(" ");
        expect(s3).toEqual(
            expect.arrayContaining([`-Dspark.hadoop.fs.s3a.aws.credentials.provider=${S3_WEB_IDENTITY_PROVIDER}`, "-Dspark.hadoop.fs.s3a.endpoint.region=eu-west-1"]),
        );
    });

    it("mount a file event-log claim read-only, and nothing for S3", () => {
        const file = historyDeploymentArgs({ ...BASE, eventLogDir: "file:/logs", eventLogVolume: { claimName: "spark-event-logs", mountPath: "/logs" } }, "sa") as any;
        expect(file.spec.template.spec.volumes).toEqual([{ name: "event-logs", persistentVolumeClaim: { claimName: "spark-event-logs", readOnly: true } }]);
        expect(file.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: "event-logs", mountPath: "/logs", readOnly: true }]);
        const s3 = historyDeploymentArgs({ ...BASE, eventLogDir: "s3a://bucket/logs/", eventLogS3: true }, "sa") as any;
        expect(s3.spec.template.spec.volumes).toBeUndefined();
        expect(s3.spec.template.spec.serviceAccountName).toBe("sa");
        expect(historyServiceAccountArgs(BASE)).toMatchObject({ automountServiceAccountToken: false, metadata: { name: HISTORY_SERVICE_ACCOUNT } });
    });
});

describe("SparkHistoryServer", () => {
    it("declares valid objects as children and outputs its account and in-cluster URL", async () => {
        const recorder = setupMocks();
        const history = new SparkHistoryServer("spark-history", { ...BASE, eventLogDir: "s3a://bucket/logs/", eventLogS3: true, s3: { region: "eu-west-1" } });
        await settle(recorder);
        const objects = recorder.resources.filter((r) => kubernetesGvk(r.type));
        expect(objects.map((r) => r.name).sort()).toEqual(["spark-history-deployment", "spark-history-sa", "spark-history-service"]);
        for (const r of objects) {
            expect({ name: r.name, errors: validateKubernetesObject({ ...kubernetesGvk(r.type), ...r.inputs }) }).toEqual({ name: r.name, errors: [] });
        }
        expect(recorder.one("kubernetes:core/v1:Service").inputs.spec.selector).toEqual(SPARK_HISTORY_LABELS);
        expect(await valueOf(history.serviceAccountName)).toBe(HISTORY_SERVICE_ACCOUNT);
        expect(await valueOf(history.url)).toBe("http://spark-history.ds.svc:18080");
    });
});
