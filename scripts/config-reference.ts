/** Writes the generated reference tables into README.md between their markers: the configuration, and the cluster stack's outputs. */
import * as fs from "fs";
import * as path from "path";
import { configReference } from "../components/config/configReference";
import { CLUSTER_STACK_OUTPUTS } from "../components/cluster/clusterStack";

export const START = "<!-- config-reference:start -->";
export const END = "<!-- config-reference:end -->";
export const OUTPUTS_START = "<!-- cluster-stack-outputs:start -->";
export const OUTPUTS_END = "<!-- cluster-stack-outputs:end -->";

/** The cluster stack's outputs, from their one definition (components/cluster/clusterStack.ts). */
export function clusterStackOutputsTable(): string {
    const escape = (text: string) => text.replace(/\|/g, "\\|");
    return ["| Output | Holds |", "| --- | --- |", ...Object.entries(CLUSTER_STACK_OUTPUTS).map(([name, holds]) => `| \`${name}\` | ${escape(holds)} |`)].join("\n");
}

function between(readme: string, start: string, end: string, content: string): string {
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from) {
        throw new Error(`README.md lacks the ${start} ... ${end} markers`);
    }
    return `${readme.slice(0, from + start.length)}\n${content}\n${readme.slice(to)}`;
}

export function withReference(readme: string): string {
    return between(between(readme, START, END, configReference()), OUTPUTS_START, OUTPUTS_END, clusterStackOutputsTable());
}

if (require.main === module) {
    const root = path.join(__dirname, "..");
    const readme = path.join(root, "README.md");
    fs.writeFileSync(readme, withReference(fs.readFileSync(readme, "utf8")));
    console.log("README.md configuration reference and cluster stack outputs updated");
}
