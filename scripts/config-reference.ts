/** Writes the generated configuration reference into README.md between its markers. */
import * as fs from "fs";
import * as path from "path";
import { configReference } from "../components/config/configReference";

export const START = "<!-- config-reference:start -->";
export const END = "<!-- config-reference:end -->";

export function withReference(readme: string): string {
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    if (start < 0 || end < start) {
        throw new Error(`README.md lacks the ${START} ... ${END} markers`);
    }
    return `${readme.slice(0, start + START.length)}\n${configReference()}\n${readme.slice(end)}`;
}

if (require.main === module) {
    const root = path.join(__dirname, "..");
    const readme = path.join(root, "README.md");
    fs.writeFileSync(readme, withReference(fs.readFileSync(readme, "utf8")));
    console.log("README.md configuration reference updated");
}
