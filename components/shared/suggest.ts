/** "Did you mean" for misspelt keys, wherever a key is checked against the allowed ones. */

/** Levenshtein distance, ignoring case: a key typed with the wrong case is still the closest. */
export function editDistance(a: string, b: string): number {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    const row = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= y.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] === y[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[y.length];
}

/** The allowed key closest to `key`, when close enough to be a slip rather than another word. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
    const best = allowed.map((a) => [a, editDistance(key, a)] as const).sort((p, q) => p[1] - q[1])[0];
    return best && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? best[0] : undefined;
}

/** `did you mean "<key>"?` for a close allowed key, else undefined. */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
    const best = closestKey(key, allowed);
    return best === undefined ? undefined : `did you mean "${best}"?`;
}
