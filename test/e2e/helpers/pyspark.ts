/**
 * Python cells the Spark suites run in notebook kernels, as a user's notebook would. Each returns
 * its facts as one JSON line (Kernel.json). The prelude defines the helpers the cells share; Spark
 * sessions come from SparkSession.builder.getOrCreate() with the mounted conf, plus at most an app
 * name and settings a user may set in a notebook.
 */
import { EXECUTOR_NAMESPACE_ENV } from "../../../components/spark/sparkConf";
import { RESULT_MARKER } from "./kernel";
import { PYTHON_PROBE } from "./net";

export const PRELUDE = `
import gc, json, os, socket, threading, time, urllib.request
${PYTHON_PROBE}
def e2e_out(obj):
    print(${JSON.stringify(RESULT_MARKER)} + json.dumps(obj), flush=True)

def e2e_registered(sc):
    """Executors registered with the driver (its scheduler backend's view)."""
    return sc._jsc.sc().getExecutorIds().size()

def e2e_executors(sc, all=False):
    """The driver's REST API (the Spark UI in the notebook pod): executors with their resources."""
    path = "allexecutors" if all else "executors"
    url = sc.uiWebUrl + "/api/v1/applications/" + sc.applicationId + "/" + path
    # The UI answers from the driver's JVM, which a busy 2-core node can hold for seconds while
    # executors start: a bounded wait, retried once.
    for attempt in (1, 2):
        try:
            with urllib.request.urlopen(url, timeout=30) as f:
                return [e for e in json.load(f) if e["id"] != "driver"]
        except TimeoutError:
            if attempt == 2:
                raise

def e2e_driver(sc):
    """The session's driver. namespace is the conf's text (Spark substitutes \${env:...} only where it
    reads the setting): the namespace it creates executors in is executor_namespace, the pod's
    ${EXECUTOR_NAMESPACE_ENV}. pod_name and pod_ip are the downward API's (Spark is not told its pod)."""
    env = sc._jsc.sc().env()
    addr = env.rpcEnv().address()
    return {"app": sc.applicationId, "host": addr.host(), "driver_port": addr.port(),
            "bm_port": env.blockManager().blockManagerId().port(), "ui": sc.uiWebUrl,
            "master": sc.master, "deploy_mode": sc.getConf().get("spark.submit.deployMode"),
            "namespace": sc.getConf().get("spark.kubernetes.namespace"),
            "executor_namespace": os.environ.get(${JSON.stringify(EXECUTOR_NAMESPACE_ENV)}),
            "image": sc.getConf().get("spark.kubernetes.container.image"),
            "pod_name": os.environ.get("POD_NAME"), "pod_ip": os.environ.get("POD_IP")}
`;

/**
 * getOrCreate(), then a first small job (no shuffle) started at once: measures getOrCreate and the
 * time until the first executor registers, both from before getOrCreate.
 */
export function startSession(opts: { appName: string; conf?: Record<string, string>; gpuConf?: string; limitSeconds: number }): string {
    const extra = Object.entries(opts.conf ?? {})
        .map(([k, v]) => `.config(${JSON.stringify(k)}, ${JSON.stringify(v)})`)
        .join("");
    const gpu = opts.gpuConf ? `os.environ["PYSPARK_SUBMIT_ARGS"] = "--properties-file ${opts.gpuConf} pyspark-shell"\n` : "";
    return `${PRELUDE}
${gpu}t0 = time.time()
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName(${JSON.stringify(opts.appName)})${extra}.getOrCreate()
sc = spark.sparkContext
t_session = time.time() - t0
first_job = {}
def _first_job():
    first_job["sum"] = sc.parallelize(range(100), 2).map(lambda x: x * 2).sum()
_t = threading.Thread(target=_first_job)
_t.start()
t_first = None
while time.time() - t0 < ${opts.limitSeconds}:
    if e2e_registered(sc) > 0:
        t_first = time.time() - t0
        break
    time.sleep(0.2)
_t.join(max(1, ${opts.limitSeconds} - (time.time() - t0)))
e2e_out(dict(e2e_driver(sc), session_seconds=t_session, first_executor_seconds=t_first, sum=first_job.get("sum"),
             executors=[e["id"] for e in e2e_executors(sc)]))
`;
}

/**
 * Load without a shuffle: `tasks` tasks of `sleep` seconds, started once no executor is left (so the
 * growth is seen from zero). Follows the registered executors while the job runs (peak, and when it
 * was reached), then how long until all are released.
 */
export function loadAndRelease(opts: { tasks: number; sleep: number; jobLimit: number; releaseLimit: number }): string {
    return `
t_idle = time.time()
while e2e_registered(sc) > 0 and time.time() - t_idle < ${opts.releaseLimit}:
    time.sleep(0.5)
at_start = e2e_registered(sc)
load = {}
def _load():
    t = time.time()
    load["values"] = sc.parallelize(range(${opts.tasks}), ${opts.tasks}).map(lambda x: (time.sleep(${opts.sleep}), x)[1]).collect()
    load["seconds"] = time.time() - t
_t = threading.Thread(target=_load)
t0 = time.time()
_t.start()
peak, t_peak, series = 0, None, []
while _t.is_alive() and time.time() - t0 < ${opts.jobLimit}:
    n = e2e_registered(sc)
    if n > peak:
        peak, t_peak = n, time.time() - t0
    series.append(n)
    time.sleep(0.25)
_t.join(5)
t_done = time.time()
released = None
while time.time() - t_done < ${opts.releaseLimit}:
    if e2e_registered(sc) == 0:
        released = time.time() - t_done
        break
    time.sleep(0.5)
e2e_out({"at_start": at_start, "peak": peak, "peak_seconds": t_peak, "job_seconds": load.get("seconds"), "values": load.get("values"),
         "released_after_seconds": released, "left": e2e_registered(sc)})
`;
}

/**
 * A shuffle with a known result: `rows` numbers keyed by x % 10, counted per key through
 * aggregateByKey over `partitions` map tasks (each sleeping a little so that every executor gets
 * some) into 4 reduce partitions. Each key also reports which executors (pod host names) wrote its
 * map output and which one reduced it: two writers mean the reducer fetched shuffle blocks from
 * another executor's block manager.
 */
export function shuffleJob(opts: { rows: number; partitions: number; mapSleep: number }): string {
    return `
def _tag(it):
    import socket, time
    time.sleep(${opts.mapSleep})
    h = socket.gethostname()
    for x in it:
        yield (x % 10, h)
def _reduced(it):
    import socket
    h = socket.gethostname()
    return [(k, c, sorted(ws), h) for k, (c, ws) in it]
t0 = time.time()
shuffled = (sc.parallelize(range(${opts.rows}), ${opts.partitions})
            .mapPartitions(_tag)
            .aggregateByKey((0, frozenset()), lambda a, w: (a[0] + 1, a[1] | {w}), lambda a, b: (a[0] + b[0], a[1] | b[1]), 4)
            .mapPartitions(_reduced))
rows = shuffled.collect()
e2e_out({"seconds": time.time() - t0, "rows": rows, "registered": e2e_registered(sc)})
`;
}
