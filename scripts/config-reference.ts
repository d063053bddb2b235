/** Writes the generated configuration reference into README.md between its markers, and Pulumi.yaml's config block. */
import * as fs from "fs";
import * as path from "path";
import { configReference, projectConfigBlock } from "../components/configReference";

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

/** Pulumi.yaml with its trailing `config:` block replaced by the generated one. */
export function withProjectConfig(projectYaml: string): string {
    const at = projectYaml.search(/^config:$/m);
    if (at < 0) {
        throw new Error("Pulumi.yaml lacks its top-level config: block");
    }
    return projectYaml.slice(0, at) + projectConfigBlock();
}

if (require.main === module) {
    const root = path.join(__dirname, "..");
    const readme = path.join(root, "README.md");
    fs.writeFileSync(readme, withReference(fs.readFileSync(readme, "utf8")));
    const project = path.join(root, "Pulumi.yaml");
    fs.writeFileSync(project, withProjectConfig(fs.readFileSync(project, "utf8")));
    console.log("README.md configuration reference and Pulumi.yaml config descriptions updated");
}
