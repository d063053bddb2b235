/** The README's configuration reference is generated from the schema and must be current. */
import * as fs from "fs";
import * as path from "path";
import { configReference } from "../components/configReference";
import { CONFIG_KEYS, SECRET_KEYS } from "../components/config";
import { withProjectConfig, withReference } from "../scripts/config-reference";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

test("README.md carries the current configuration reference (run `npm run docs`)", () => {
    expect(withReference(readme)).toBe(readme);
});

test("the reference documents every stack key and every secret", () => {
    const table = configReference();
    for (const key of [...CONFIG_KEYS, ...SECRET_KEYS]) {
        expect(table).toContain(`| \`${key}\` |`);
    }
    // Every leaf row has a description.
    const rows = table.split("\n").slice(2);
    expect(rows.filter((r) => /\|\s*\|$/.test(r))).toEqual([]);
});

test("Pulumi.yaml's config descriptions are the generated ones (run `npm run docs`)", () => {
    const project = fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8");
    expect(withProjectConfig(project)).toBe(project);
});

test("Pulumi.yaml declares every config key with a description", () => {
    const project = fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8");
    for (const key of [...CONFIG_KEYS, ...SECRET_KEYS]) {
        expect(project).toMatch(new RegExp(`ds-platform:${key}:\\n\\s+description: .+`));
    }
});
