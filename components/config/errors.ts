/**
 * Configuration errors. Every problem, whether the schema or a cross-field rule found it, is the same
 * structure: the key path, what is wrong, what is allowed and how to fix it. It is worded here and
 * nowhere else.
 */
import { z } from "zod";
import { didYouMean } from "../shared/suggest";

/** What is wrong with one key. */
export interface ProblemDetail {
    /** What is wrong, phrased to follow the key: "must not exceed cpu.limit (1)", "names no GPU pool". */
    problem: string;
    /** What is allowed instead, such as a list of names. */
    allowed?: string;
    /** How to fix it, or which key was probably meant. */
    fix?: string;
}

/** A problem a rule found, at a key path such as `["profiles", 1, "gpus"]`. */
export interface RuleProblem extends ProblemDetail {
    path: (string | number)[];
}

/** A configuration problem: `path` in stack-config form such as `hub.auth.type` or `profiles[1].gpus`. */
export interface ConfigProblem extends ProblemDetail {
    path: string;
    /** The offending value, when it is a plain value worth quoting. */
    value?: unknown;
    /** The detail as one line: problem, fix and what is allowed. */
    message: string;
}

/** One line for a problem: `<problem>; <fix>; allowed: <allowed>`. */
function formatDetail(d: ProblemDetail): string {
    return [d.problem, d.fix, d.allowed === undefined ? undefined : `allowed: ${d.allowed}`]
        .filter((part): part is string => !!part)
        .reduce((line, part) => `${line}${line.endsWith("?") ? " " : "; "}${part}`);
}

export function configProblem(path: PropertyKey[] | string, detail: ProblemDetail, value?: unknown): ConfigProblem {
    const { problem, allowed, fix } = detail;
    return { path: typeof path === "string" ? path : formatPath(path), value, problem, allowed, fix, message: formatDetail(detail) };
}

/** Thrown for invalid configuration, before any resource is declared. */
export class ConfigError extends Error {
    constructor(public readonly problems: ConfigProblem[]) {
        super(
            `Invalid ds-platform configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.path || "(root)"}: ${p.message}${p.value === undefined ? "" : ` (got ${show(p.value)})`}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Throws a `ConfigError` for rule problems, if there are any; `root` supplies the offending values. */
export function assertNoProblems(problems: RuleProblem[], root?: unknown): void {
    if (problems.length > 0) {
        throw new ConfigError(problems.map((p) => configProblem(p.path, p, plainValueAt(root, p.path))));
    }
}

/** An unknown key among allowed ones, with a suggestion when one is close. */
export function unknownKey(path: PropertyKey[] | string, key: string, allowed: readonly string[]): ConfigProblem {
    return configProblem(path, { problem: "unknown key", fix: didYouMean(key, allowed), allowed: allowed.join(", ") });
}

function show(value: unknown): string {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatPath(path: PropertyKey[]): string {
    return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
    return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
}

/** The value at `path` unless it is an object: sections are not worth quoting. */
function plainValueAt(root: unknown, path: PropertyKey[]): unknown {
    const value = valueAt(root, path);
    return typeof value === "object" ? undefined : value;
}

// ---------------------------------------------------------------------------------------------
// Schema issues
// ---------------------------------------------------------------------------------------------

/** Marks a custom issue as a cross-field rule, carrying its detail; other custom issues are value refinements. */
interface RuleIssueParams {
    rule: ProblemDetail;
}

/** Adds rule problems to a refinement context, keeping their structure for `describeIssues`. */
export function addRuleIssues(ctx: z.RefinementCtx, problems: RuleProblem[]): void {
    for (const { path, ...rule } of problems) {
        const params: RuleIssueParams = { rule };
        ctx.addIssue({ code: "custom", path, message: rule.problem, params });
    }
}

/** The keys a strict object schema at `path` allows, walking through defaults, optionals and arrays. */
function allowedKeysAt(root: z.core.$ZodType, path: PropertyKey[]): string[] {
    let schema: z.core.$ZodType | undefined = root;
    for (const key of [...path, null]) {
        for (;;) {
            const def: any = schema?._zod.def;
            if (!def) {
                return [];
            }
            if (def.innerType) {
                schema = def.innerType;
            } else if (def.type === "pipe") {
                schema = def.in;
            } else {
                break;
            }
        }
        const def: any = schema!._zod.def;
        if (key === null) {
            return def.type === "object" ? Object.keys(def.shape) : [];
        }
        schema = def.type === "object" ? def.shape[key as string] : def.type === "array" ? def.element : undefined;
    }
    return [];
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, schema: z.core.$ZodType): ConfigProblem[] {
    const path = issue.path;
    const at = (detail: ProblemDetail, value: unknown = valueAt(raw, path)) => [configProblem(path, detail, value)];
    switch (issue.code) {
        case "unrecognized_keys": {
            const allowed = allowedKeysAt(schema, path);
            return issue.keys.map((key) => unknownKey([...path, key], key, allowed));
        }
        case "invalid_type": {
            const value = valueAt(raw, path);
            const problem = value === undefined ? `is required (${issue.expected})` : `must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`;
            return at({ problem }, value);
        }
        case "invalid_value":
            return at({ problem: `must be one of: ${issue.values.map((v) => String(v)).join(", ")}` });
        case "too_small":
        case "too_big": {
            const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
            const word = issue.code === "too_small" ? (issue.inclusive ? "at least" : "greater than") : issue.inclusive ? "at most" : "less than";
            const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
            return at({ problem: `must ${unit ? "have" : "be"} ${word} ${bound}${unit}` });
        }
        case "not_multiple_of":
            return at({ problem: `must be a multiple of ${String(issue.divisor)}` });
        case "invalid_format":
            // Every format check in the schema carries the description of what it allows.
            return at({ problem: `must be ${issue.message}` });
        case "custom": {
            const rule = (issue.params as RuleIssueParams | undefined)?.rule;
            const value = valueAt(raw, path);
            // A rule describes a conflict between keys; a refinement's message describes the allowed value.
            return at(rule ?? { problem: `must be ${issue.message}` }, typeof value === "object" ? undefined : value);
        }
        default:
            return at({ problem: `is invalid (${issue.message})` });
    }
}

/** The problems of a failed parse, one per issue (an unknown-keys issue gives one per key). */
export function describeIssues(issues: z.core.$ZodIssue[], raw: unknown, schema: z.core.$ZodType): ConfigProblem[] {
    return issues.flatMap((i) => describeIssue(i, raw, schema));
}
