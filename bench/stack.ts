/**
 * Benchmark (npm run bench): how the program's cost grows with what creates resources.
 *
 * Two curves, each at 1x, 4x and 16x of a resource-creating input:
 *   gpu-pools  the prod stack (Pulumi.prod.yaml) with its gpuPools repeated N times: every copy is a
 *              managed node group with its launch template and autoscaler tags; each copy gets a
 *              unique name, the original pools' instance types, AMI and sizes, and one GPU profile
 *              so the pool is used. Everything else in the stack is as committed.
 *   teams      N DataSciencePlatform instances composed in one program (as examples/team-platform
 *              composes one), each the dev stack's platform (Pulumi.dev.yaml) in its own namespace
 *              with its own registry repository and NodePort, on one existing cluster through a
 *              shared Kubernetes provider.
 * Profiles alone are not scaled: they create no resources.
 *
 * For every scale: resource count, render time (median and min over BENCH_RUNS renders, scales
 * interleaved in alternating order so load noise spreads evenly), and memory (heap and RSS growth
 * of one render in a fresh process, after a warm-up render at the smallest scale). Render time runs
 * from calling the program to its last resource registration under the recording mocks of
 * test/helpers (the helpers' settle wait afterwards is not counted). Goal: 16x the resources in at
 * most 8x the time. Figures only; nothing here fails on the goal.
 *
 * Env: BENCH_RUNS (default 5), BENCH_SCALES (default 1,4,16), BENCH_CURVES (default gpu-pools,teams),
 * BENCH_MEMORY=0 skips the memory figures (they start one process per curve and scale).
 */
import { fork } from "child_process";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import * as vm from "vm";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataSciencePlatform } from "../components/platform";
import { stackProgram } from "../components/stack";
import { PROJECT, readStackConfig } from "../components/config/stackConfig";
import { settle, setupMocks } from "../test/helpers/mocks";
import { TEST_SECRETS, stackConfig } from "../test/helpers/render";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const SCALES = (process.env.BENCH_SCALES ?? "1,4,16").split(",").map(Number);
const CURVES = (process.env.BENCH_CURVES ?? "gpu-pools,teams").split(",");
const MEMORY = process.env.BENCH_MEMORY !== "0";
const GOAL_RESOURCES = 16;
const GOAL_TIME = 8;

v8.setFlagsFromString("--expose-gc");
const gc: () => void = vm.runInNewContext("gc");

interface Render {
    resources: number;
    /** From calling the program to its last resource registration. */
    ms: number;
}

/** Runs `program` under the recording mocks and times it up to its last resource registration. */
async function render(project: string, stack: string, config: Record<string, string>, secretKeys: string[], program: () => void): Promise<Render> {
    const recorder = setupMocks(project, stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    let last = 0n;
    const resources = recorder.resources;
    const push = resources.push;
    resources.push = function (...items) {
        last = process.hrtime.bigint();
        return push.apply(this, items);
    };
    const start = process.hrtime.bigint();
    program();
    await settle(recorder);
    return { resources: resources.length, ms: Number(last - start) / 1e6 };
}

// ---------------------------------------------------------------------------------------------
// gpu-pools: the prod stack with N times its GPU pools.
// ---------------------------------------------------------------------------------------------

/** The prod stack's config with its GPU pools repeated `n` times; copies are valid pools of their own. */
function scaledProdOverrides(n: number): Record<string, unknown> {
    const config = stackConfig("prod");
    const pools: any[] = JSON.parse(config[`${PROJECT}:gpuPools`] ?? "[]");
    const profiles: any[] = JSON.parse(config[`${PROJECT}:profiles`] ?? "[]");
    if (pools.length === 0) {
        throw new Error("the prod stack has no gpuPools to scale");
    }
    const copies = Array.from({ length: n - 1 }, (_, k) => k + 2).flatMap((copy) =>
        pools.map((pool) => ({ ...pool, name: `${pool.name.slice(0, 55)}-c${copy}` })),
    );
    const names = [...pools, ...copies].map((p) => p.name);
    if (new Set(names).size !== names.length) {
        throw new Error(`scaled GPU pool names are not unique: ${names.join(", ")}`);
    }
    // One GPU profile per added pool, so each pool is something users can land on.
    const gpuImage = profiles.some((p) => p.image === "gpu") ? { image: "gpu" } : {};
    const extraProfiles = copies.map((pool) => ({
        name: `gpu-${pool.name}`.slice(0, 63).replace(/-+$/, ""),
        displayName: `1 GPU on pool ${pool.name}`,
        cpu: { guarantee: 1, limit: 2 },
        memory: { guarantee: "4Gi", limit: "8Gi" },
        gpus: 1,
        gpuPool: pool.name,
        ...gpuImage,
    }));
    return { gpuPools: [...pools, ...copies], profiles: [...profiles, ...extraProfiles] };
}

async function renderGpuPools(n: number): Promise<Render> {
    const config = stackConfig("prod", scaledProdOverrides(n));
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(TEST_SECRETS.prod)) {
        config[`${PROJECT}:${k}`] = v;
        secretKeys.push(`${PROJECT}:${k}`);
    }
    return render(PROJECT, "prod", config, secretKeys, () => {
        stackProgram();
    });
}

// ---------------------------------------------------------------------------------------------
// teams: N platforms in one program, one namespace each, on one existing cluster.
// ---------------------------------------------------------------------------------------------

/** The dev stack's config and placeholder secrets, as `pulumi config` would hand them to a program. */
function devStackConfig(): { config: Record<string, string>; secretKeys: string[] } {
    const config = stackConfig("dev");
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(TEST_SECRETS.dev)) {
        config[`${PROJECT}:${k}`] = v;
        secretKeys.push(`${PROJECT}:${k}`);
    }
    return { config, secretKeys };
}

/** N team platforms, each the dev stack's platform in its own namespace with its own registry port. */
function teamsProgram(n: number): void {
    const { config, secrets } = readStackConfig();
    const provider = new k8s.Provider("shared-cluster", { context: config.cluster?.context, enableServerSideApply: true });
    for (let i = 1; i <= n; i++) {
        const team = `team-${String(i).padStart(2, "0")}`;
        new DataSciencePlatform(team, {
            ...config,
            cluster: { ...config.cluster, namespace: team },
            registry: { ...config.registry, repository: `${team}/notebook`, nodePort: 30499 + i },
            secrets,
            projectRoot: ROOT,
            kubernetesProvider: provider,
        });
    }
}

async function renderTeams(n: number): Promise<Render> {
    const { config, secretKeys } = devStackConfig();
    return render(PROJECT, "teams", config, secretKeys, () => teamsProgram(n));
}

// ---------------------------------------------------------------------------------------------
// Measurement and report.
// ---------------------------------------------------------------------------------------------

const CURVE_RENDERERS: Record<string, { input: (n: number) => string; render: (n: number) => Promise<Render> }> = {
    "gpu-pools": { input: (n) => `prod stack, ${(scaledProdOverrides(n).gpuPools as unknown[]).length} GPU pools`, render: renderGpuPools },
    teams: { input: (n) => `${n} dev-stack platform${n === 1 ? "" : "s"}, one namespace each`, render: renderTeams },
};

interface Memory {
    /** Heap used at its highest during the render, over the heap before it (garbage included). */
    peakHeapMb: number;
    /** Heap still used after a full GC with the render's results referenced, over the heap before it. */
    retainedHeapMb: number;
    /** RSS at its highest during the render, over the RSS before it. */
    peakRssMb: number;
}

/**
 * One render in this (fresh) process, with memory sampled every 2 ms. A warm-up render at the smallest
 * scale comes first, so lazily loaded modules (the providers' resource modules) are not counted.
 */
async function measureMemory(curve: string, n: number): Promise<Memory & { resources: number }> {
    const mb = (bytes: number) => bytes / 2 ** 20;
    await CURVE_RENDERERS[curve].render(SCALES[0]);
    gc();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    const sample = () => {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
    };
    const timer = setInterval(sample, 2);
    const result = await CURVE_RENDERERS[curve].render(n);
    clearInterval(timer);
    sample();
    gc();
    const after = process.memoryUsage();
    return {
        resources: result.resources,
        peakHeapMb: mb(peakHeap - before.heapUsed),
        retainedHeapMb: mb(after.heapUsed - before.heapUsed),
        peakRssMb: mb(peakRss - before.rss),
    };
}

/** Memory figures of one render, each in a fresh process so earlier renders do not blur them. */
function memoryInChild(curve: string, n: number): Promise<Memory> {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ["--memory", curve, String(n)], {
            cwd: ROOT,
            execArgv: ["-r", "ts-node/register/transpile-only"],
            stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        let result: Memory | undefined;
        child.on("message", (m) => (result = m as Memory));
        child.on("error", reject);
        child.on("exit", (code) => (result && code === 0 ? resolve(result) : reject(new Error(`memory run ${curve} x${n} exited with ${code}`))));
    });
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function runCurve(curve: string): Promise<void> {
    const { input, render: renderAt } = CURVE_RENDERERS[curve];
    // Warm-up: module loading and first-call compilation are not counted.
    await renderAt(SCALES[0]);
    const times = new Map<number, number[]>(SCALES.map((n) => [n, []]));
    const counts = new Map<number, Set<number>>(SCALES.map((n) => [n, new Set()]));
    for (let run = 0; run < RUNS; run++) {
        // 1,4,16 then 16,4,1: each scale sees early and late positions equally often.
        const order = run % 2 === 0 ? SCALES : [...SCALES].reverse();
        for (const n of order) {
            gc();
            const r = await renderAt(n);
            times.get(n)!.push(r.ms);
            counts.get(n)!.add(r.resources);
        }
    }
    const rows = [];
    for (const n of SCALES) {
        if (counts.get(n)!.size !== 1) {
            console.warn(`  warning: ${curve} x${n} rendered different resource counts: ${[...counts.get(n)!].join(", ")}`);
        }
        const memory = MEMORY ? await memoryInChild(curve, n) : undefined;
        rows.push({ n, resources: Math.max(...counts.get(n)!), median: median(times.get(n)!), min: Math.min(...times.get(n)!), memory });
    }

    console.log(`\n== ${curve}`);
    const header = ["scale", "input", "resources", "median ms", "min ms", "ms/resource", ...(MEMORY ? ["peak heap +MB", "retained heap +MB", "peak RSS +MB"] : [])];
    const lines = rows.map((r) => [
        `${r.n}x`,
        input(r.n),
        String(r.resources),
        r.median.toFixed(0),
        r.min.toFixed(0),
        (r.median / r.resources).toFixed(2),
        ...(r.memory ? [r.memory.peakHeapMb.toFixed(1), r.memory.retainedHeapMb.toFixed(1), r.memory.peakRssMb.toFixed(1)] : []),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    for (const l of [header, ...lines]) {
        console.log("  " + l.map((cell, i) => (i === 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (rows.length < 2) {
        return;
    }
    const resourceRatio = last.resources / first.resources;
    const timeRatio = last.median / first.median;
    const minRatio = last.min / first.min;
    console.log(
        `  ${last.n}x/${first.n}x: resources ${resourceRatio.toFixed(2)}x, time ${timeRatio.toFixed(2)}x (median; ${minRatio.toFixed(2)}x by min)` +
            (last.memory && first.memory ? `, retained heap ${(last.memory.retainedHeapMb / first.memory.retainedHeapMb).toFixed(2)}x` : ""),
    );
    // The goal is 16x the resources in at most 8x the time: time may grow at most half as fast as resources.
    const allowed = (resourceRatio * GOAL_TIME) / GOAL_RESOURCES;
    const met = timeRatio <= allowed;
    const scope =
        Math.abs(resourceRatio - GOAL_RESOURCES) < 1
            ? `${GOAL_RESOURCES}x the resources in at most ${GOAL_TIME}x the time`
            : `time growing at most half as fast as resources (${resourceRatio.toFixed(2)}x resources in at most ${allowed.toFixed(2)}x the time; ` +
              `this input cannot reach ${GOAL_RESOURCES}x the resources)`;
    console.log(`  goal: ${scope}: ${met ? "MET" : "NOT MET"} (time ${timeRatio.toFixed(2)}x)`);
}

async function main(): Promise<void> {
    const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
    console.log(
        `stack benchmark: ${RUNS} timed renders per scale (median, min), scales ${SCALES.join("x, ")}x, node ${process.version}, ` +
            `${os.cpus().length} CPUs, load average ${load}`,
    );
    for (const curve of CURVES) {
        if (!CURVE_RENDERERS[curve]) {
            throw new Error(`unknown curve ${curve}; allowed: ${Object.keys(CURVE_RENDERERS).join(", ")}`);
        }
        await runCurve(curve);
    }
    console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

if (process.argv[2] === "--memory") {
    measureMemory(process.argv[3], Number(process.argv[4]))
        .then((m) => process.send!(m, () => process.exit(0)))
        .catch((e) => {
            console.error(e);
            process.exit(1);
        });
} else {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
