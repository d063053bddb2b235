/**
 * Memory sizes as the platform's configuration writes them: Kubernetes binary quantities (`512Mi`,
 * `4Gi`) and Spark sizes (`512m`, `4g`). Every reader of either goes through here, so the schema,
 * the node-fit checks and the builders agree on what a size means.
 */

/** A Kubernetes memory quantity with a binary unit; the schema allows no other form. */
export const MEMORY_QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti)$/;
/** A Spark size: a whole number with a binary unit letter, as spark.executor.memory takes it. */
export const SPARK_SIZE = /^([0-9]+)([kmgt])$/;

const BINARY_POWER = { Ki: 1, Mi: 2, Gi: 3, Ti: 4 } as const;
const SPARK_POWER = { k: 1, m: 2, g: 3, t: 4 } as const;

/** A binary quantity split into its number (as written) and unit. */
export interface MemoryQuantity {
    amount: string;
    unit: keyof typeof BINARY_POWER;
}

export function isMemoryQuantity(quantity: string): boolean {
    return MEMORY_QUANTITY.test(quantity);
}

/** Splits `4Gi` into `4` and `Gi`; throws, saying what is allowed, on anything else. */
export function parseMemoryQuantity(quantity: string): MemoryQuantity {
    const m = MEMORY_QUANTITY.exec(quantity);
    if (!m) {
        throw new Error(`"${quantity}" is not a memory quantity; allowed: a Kubernetes binary quantity such as 512Mi or 4Gi`);
    }
    return { amount: m[1], unit: m[2] as MemoryQuantity["unit"] };
}

/** Bytes in a binary quantity such as `4Gi`. */
export function memoryBytes(quantity: string): number {
    const { amount, unit } = parseMemoryQuantity(quantity);
    return Number(amount) * 1024 ** BINARY_POWER[unit];
}

/** MiB in a binary quantity such as `4Gi` (fractional below 1Mi). */
export function memoryMiB(quantity: string): number {
    return memoryBytes(quantity) / 2 ** 20;
}

export function isSparkSize(size: string): boolean {
    return SPARK_SIZE.test(size);
}

/** MiB in a Spark size such as `512m` or `4g` (binary units, as Spark reads them; fractional below 1m). */
export function sparkSizeMiB(size: string): number {
    const m = SPARK_SIZE.exec(size);
    if (!m) {
        throw new Error(`not a Spark memory size: ${size} (allowed: a number with k, m, g or t, such as 512m)`);
    }
    return Number(m[1]) * 1024 ** (SPARK_POWER[m[2] as keyof typeof SPARK_POWER] - 2);
}
