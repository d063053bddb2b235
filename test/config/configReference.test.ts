/** The README's configuration reference is generated from the schema and must be current. */
import * as fs from "fs";
import * as path from "path";
import { configReference } from "../../components/config/configReference";
import { CONFIG_KEYS, SECRET_KEYS } from "../../components/config/config";
import { parse } from "yaml";
import { withReference } from "../../scripts/config-reference";

const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

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

test("Pulumi.yaml declares no config keys: the CLI would require every key declared without a default", () => {
    // A declared key without a default makes `pulumi up` stop with "missing configuration values",
    // and a default would shadow the schema's own (defaults live in one place: components/config/config.ts).
    // The keys are documented by the generated reference in README.md instead.
    const project = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8"));
    expect(project.name).toBe("ds-platform");
    expect(project.config).toBeUndefined();
});
