/** The items whose key was not seen before, in order: the first of each key is kept. */
export function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
    const seen = new Set<string>();
    return items.filter((item) => !seen.has(key(item)) && !!seen.add(key(item)));
}
