/**
 * A model published from a notebook and served by the platform, for real, as a data scientist does
 * it: train a scikit-learn model in a notebook kernel and save it to the home volume (phase
 * "train"); the run then lists it under `models` (artifact pvc://<home claim>/models/...) and runs
 * `pulumi up`; phase "serve" checks the ModelService: its pods run the notebook image by digest,
 * and a notebook calls the URL the stack exports, through the model's Service, and gets exactly the
 * predictions the notebook computed in-process; malformed input gets a 4xx that names the problem.
 *
 * E2E_MODEL_PHASE=train|serve; E2E_MODEL_STATE is the JSON file the phases share (rows, predictions,
 * claim); E2E_MODEL_URLS is `pulumi stack output modelUrls --json` (serve phase).
 */
import * as fs from "fs";
import { HOME_MOUNT_PATH } from "../../components/hub/hubValues";
import { e2eEnv, figure, seconds } from "./helpers/env";
import { Kernel, RESULT_MARKER } from "./helpers/kernel";
import { Kubectl } from "./helpers/kube";
import { Servers } from "./helpers/servers";

const env = e2eEnv();
const kube = new Kubectl(env.kubectl, env.namespace);
const servers = new Servers(env, kube);
const USER = process.env.E2E_MODEL_USER || "e2e-model";
const MODEL = process.env.E2E_MODEL_NAME || "iris";
const phase = process.env.E2E_MODEL_PHASE;
const stateFile = process.env.E2E_MODEL_STATE ?? "";

interface TrainState {
    claim: string;
    path: string;
    rows: number[][];
    predictions: number[];
}

const PRELUDE = `
import json, os, urllib.error, urllib.request
def e2e_out(obj):
    print(${JSON.stringify(RESULT_MARKER)} + json.dumps(obj), flush=True)
`;

const kernels: Kernel[] = [];
async function kernel(): Promise<Kernel> {
    const k = await Kernel.start(servers.forward, USER, await servers.token(USER));
    kernels.push(k);
    return k;
}

afterAll(async () => {
    for (const k of kernels) {
        await k.shutdown().catch(() => undefined);
    }
    await servers.close();
}, 120_000);

if (phase === "train") describe("a model trained in a notebook", () => {
    test("is fitted in the kernel and saved to the user's home volume", async () => {
        const started = await servers.start(USER, undefined);
        // The claim mounted at the home directory (the pod has others, such as Spark's event logs).
        const notebook = started.pod.spec.containers.find((c: any) => c.name === "notebook");
        const homeVolume = notebook.volumeMounts.find((m: any) => m.mountPath === HOME_MOUNT_PATH)?.name;
        const home = started.pod.spec.volumes.find((v: any) => v.name === homeVolume)?.persistentVolumeClaim?.claimName;
        expect(home).toBeDefined();
        const k = await kernel();
        const r = await k.json(
            `${PRELUDE}
import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=1000).fit(X, y)
os.makedirs(os.path.expanduser("~/models"), exist_ok=True)
joblib.dump(model, os.path.expanduser("~/models/${MODEL}.joblib"))
rows = X[::10].tolist()
e2e_out({"rows": rows, "predictions": [int(p) for p in model.predict(rows)], "home": os.path.expanduser("~")})
`,
            180,
        );
        expect(r.home).toBe(HOME_MOUNT_PATH);
        expect(r.rows.length).toBe(15);
        // Three classes: the rows cover all of them, so a constant answer cannot pass the serve phase.
        expect(new Set(r.predictions).size).toBe(3);
        const state: TrainState = { claim: home, path: `models/${MODEL}.joblib`, rows: r.rows, predictions: r.predictions };
        fs.writeFileSync(stateFile, JSON.stringify(state));
        console.log(`${USER}: saved ${r.home}/${state.path} on claim ${home}`);
    });
});

if (phase === "serve") describe("the model served by the stack", () => {
    const state = (): TrainState => JSON.parse(fs.readFileSync(stateFile, "utf8"));
    const url = (): string => JSON.parse(process.env.E2E_MODEL_URLS ?? "{}")[MODEL];
    let k: Kernel;

    test("its Deployment rolls out, running the notebook image by digest from the home claim", async () => {
        const t0 = Date.now();
        await kube.run(["rollout", "status", `deployment/model-${MODEL}`, "--timeout=240s"]);
        figure("model_rollout_seconds", seconds(t0));
        const pods = (await kube.json<{ items: any[] }>(["get", "pods", "--selector", `app.kubernetes.io/instance=model-${MODEL}`])).items.filter((p) => p.status.phase === "Running");
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) {
            const c = pod.spec.containers[0];
            expect(c.image).toBe(env.image);
            expect(pod.status.containerStatuses[0].imageID.endsWith(env.image.slice(env.image.indexOf("@") + 1))).toBe(true);
            expect(pod.spec.securityContext.runAsUser).toBe(env.uid);
            expect(pod.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim).toEqual({ claimName: state().claim, readOnly: true });
        }
    });

    test("a notebook calls the exported URL through the Service and gets the in-process predictions", async () => {
        expect(url()).toBe(`http://model-${MODEL}.${env.namespace}.svc:8080`);
        await servers.start(USER, undefined);
        k = await kernel();
        const r = await k.json(
            `${PRELUDE}
import time
def call(path, body=None):
    req = urllib.request.Request(${JSON.stringify(url())} + path, data=None if body is None else body.encode(), method="GET" if body is None else "POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as f:
            return f.status, json.load(f)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
health = call("/healthz")
t0 = time.time()
status, body = call("/predict", json.dumps({"instances": ${JSON.stringify(state().rows)}}))
e2e_out({"health": health, "status": status, "body": body, "seconds": time.time() - t0})
`,
            60,
        );
        figure("model_predict_seconds", r.seconds);
        expect(r.health).toEqual([200, expect.objectContaining({ status: "ok", model: MODEL })]);
        expect(r.status).toBe(200);
        expect(r.body.predictions).toEqual(state().predictions);
    });

    test("malformed input gets a 4xx that names the problem, never a 500", async () => {
        const cases: [string, number, RegExp][] = [
            ["not json", 400, /not valid JSON/],
            [JSON.stringify({ rows: [[1, 2, 3, 4]] }), 400, /missing key "instances"/],
            [JSON.stringify({ instances: [[1, 2, 3]] }), 422, /instances\[0\] has 3 features; the model takes 4/],
            [JSON.stringify({ instances: [[1, 2, "x", 4]] }), 422, /instances\[0\]\[2\] must be a number/],
        ];
        const r: [number, { error: string }][] = await k.json(
            `${PRELUDE}
out = []
for body in ${JSON.stringify(cases.map((c) => c[0]))}:
    req = urllib.request.Request(${JSON.stringify(url())} + "/predict", data=body.encode(), method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as f:
            out.append([f.status, json.load(f)])
    except urllib.error.HTTPError as e:
        out.append([e.code, json.load(e)])
e2e_out(out)
`,
            60,
        );
        cases.forEach(([, status, message], i) => {
            expect([i, r[i][0]]).toEqual([i, status]);
            expect(r[i][1].error).toMatch(message);
        });
    });
});

if (phase !== "train" && phase !== "serve") {
    test("E2E_MODEL_PHASE is train or serve", () => {
        expect(phase).toMatch(/^(train|serve)$/);
    });
}
