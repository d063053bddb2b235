/**
 * Benchmark: renders the prod stack under mocks and prints its resource count and wall time, then
 * the same with ten times the users' profiles, and the ratio, to show how the program's cost grows.
 * Figures only; nothing here fails on a target.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { renderStack, TEST_SECRETS } from "../test/helpers/render";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function measure(label: string, overrides: Record<string, unknown>): Promise<{ ms: number; resources: number }> {
    // One warm-up render so module loading is not counted.
    await renderStack("prod", { secrets: TEST_SECRETS.prod, overrides });
    const times: number[] = [];
    let resources = 0;
    for (let i = 0; i < RUNS; i++) {
        const start = process.hrtime.bigint();
        const rendered = await renderStack("prod", { secrets: TEST_SECRETS.prod, overrides });
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        resources = rendered.resources.length;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(`${label}: ${resources} resources, median ${median.toFixed(1)} ms over ${RUNS} renders (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)})`);
    return { ms: median, resources };
}

async function main(): Promise<void> {
    const prod = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8")).config;
    const profiles: any[] = prod["ds-platform:profiles"];
    const tenfold = Array.from({ length: 10 }, (_, copy) =>
        profiles.map((p) => ({ ...p, name: `${p.name}-${copy}`, displayName: `${p.displayName} #${copy}`, default: copy === 0 && p.default })),
    ).flat();

    const base = await measure(`prod (${profiles.length} profiles)`, {});
    const big = await measure(`prod (${tenfold.length} profiles)`, { profiles: tenfold });
    console.log(`ratio (10x profiles / 1x): time ${(big.ms / base.ms).toFixed(2)}x, resources ${(big.resources / base.resources).toFixed(2)}x`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
