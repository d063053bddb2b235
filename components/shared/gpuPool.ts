/**
 * Which GPU pool a GPU workload (a notebook profile, a model service) runs on: the pool it names,
 * else the first configured pool. The config rules, the node-fit checks and the builders all place
 * workloads through this one function, so they never disagree about the default.
 */
export function gpuPoolNameOf(workload: { gpuPool?: string }, poolNames: readonly string[]): string | undefined {
    return workload.gpuPool ?? poolNames[0];
}

/** The pool `gpuPoolNameOf` picks, from pools that carry their name. */
export function gpuPoolOf<P extends { name: string }>(workload: { gpuPool?: string }, pools: readonly P[]): P | undefined {
    const name = gpuPoolNameOf(workload, pools.map((p) => p.name));
    return pools.find((p) => p.name === name);
}
