/**
 * The configuration reference, generated from the config schema itself so the documentation can't
 * drift from what the program accepts. `npm run docs` writes it into README.md; a test checks it.
 */
import { z } from "zod";
import { platformSchema, SECRET_DESCRIPTIONS, SECRET_KEYS } from "./config";

interface JsonSchema {
    type?: string | string[];
    enum?: unknown[];
    properties?: Record<string, JsonSchema>;
    items?: JsonSchema;
    required?: string[];
    description?: string;
    default?: unknown;
    anyOf?: JsonSchema[];
}

function typeOf(s: JsonSchema): string {
    if (s.enum) {
        return s.enum.map((v) => String(v)).join(" \\| ");
    }
    if (s.anyOf) {
        return s.anyOf.map(typeOf).join(" \\| ");
    }
    if (s.type === "array") {
        return `list of ${s.items ? (s.items.properties ? "objects" : typeOf(s.items)) : "values"}`;
    }
    return Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
}

function rows(s: JsonSchema, path: string, required: boolean): string[] {
    const own = path ? [`| \`${path}\` | ${typeOf(s)} | ${(s.description ?? "").replace(/\|/g, "\\|")}${required && !("default" in s) ? " Required." : ""} |`] : [];
    const props = s.properties ?? (s.type === "array" ? s.items?.properties : undefined);
    const req = new Set(s.required ?? (s.type === "array" ? s.items?.required : undefined) ?? []);
    const prefix = s.type === "array" ? `${path}[]` : path;
    const children = props ? Object.entries(props).flatMap(([k, v]) => rows(v, prefix ? `${prefix}.${k}` : k, req.has(k))) : [];
    // Sections are headed by their own row; leaves carry the detail.
    return [...own, ...children];
}

/** Markdown table of every stack-config key: `ds-platform:<section>` with nested paths. */
export function configReference(): string {
    const schema = z.toJSONSchema(platformSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    const lines = ["| Key | Type | Description |", "| --- | --- | --- |", ...rows(schema, "", false)];
    for (const key of SECRET_KEYS) {
        lines.push(`| \`${key}\` | secret string | ${SECRET_DESCRIPTIONS[key]}. Set with \`pulumi config set --secret ${key} <value>\`. |`);
    }
    return lines.join("\n");
}

