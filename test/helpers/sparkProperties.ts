/** Reads a Spark properties file as the platform renders it ("key value" lines, "#" comments). */
export function parseSparkProperties(text: string): Record<string, string> {
    return Object.fromEntries(
        text
            .split("\n")
            .filter((l) => l && !l.startsWith("#"))
            .map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)]),
    );
}
