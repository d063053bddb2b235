/**
 * Renders a whole stack under Pulumi mocks from its committed `Pulumi.<stack>.yaml`: the real
 * program (`stackProgram`) runs, and every declared resource is returned with its inputs.
 * Secrets are never committed; `secrets` supplies what `pulumi config set --secret` would.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { StackOutputs, stackProgram } from "../../components/stack";
import { PROJECT } from "../../components/config/stackConfig";
import { PROJECT_ROOT } from "./sharedData";
import { RecordedResource, ResourceRecorder, settle, setupMocks } from "./mocks";

/** Resource options as the program declared them, for data-protection checks and the golden renderings. */
export interface DeclaredOptions {
    type: string;
    name: string;
    protect: boolean;
    retainOnDelete: boolean;
    /** `<type>::<name>` of the declared parent; undefined for the platform itself. */
    parent?: string;
    /** Every other option the program passed, resources named `<type>::<name>` (see `describeOptions`). */
    declared: Record<string, unknown>;
    /** The aliases as declared (resources and Outputs unresolved), to compute the URNs they stand for. */
    aliases: pulumi.ResourceOptions["aliases"];
}

/** `<type>::<name>` of resources seen by the transformation, to name parents and providers. */
type ResourceLabels = Map<pulumi.Resource, string>;

/** An option value with resources replaced by their labels, Outputs by a placeholder, functions dropped. */
function describeOption(value: unknown, labels: ResourceLabels): unknown {
    if (value === undefined || typeof value === "function") {
        return undefined;
    }
    if (pulumi.Resource.isInstance(value)) {
        return labels.get(value) ?? "<resource declared outside the program>";
    }
    if (pulumi.Output.isInstance(value)) {
        return "<output>";
    }
    if (Array.isArray(value)) {
        return value.map((v) => describeOption(v, labels));
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value)
            .map(([k, v]) => [k, describeOption(v, labels)] as const)
            .filter(([, v]) => v !== undefined);
        return Object.fromEntries(entries);
    }
    return value;
}

/** The options a resource was declared with, except the parent (recorded on its own) and the test's own transformations. */
function describeOptions(opts: pulumi.ResourceOptions, labels: ResourceLabels): Record<string, unknown> {
    const rest: Record<string, unknown> = { ...opts };
    for (const key of ["parent", "transformations", "transforms"]) {
        delete rest[key];
    }
    return describeOption(rest, labels) as Record<string, unknown>;
}

export interface RenderedStack {
    stack: string;
    options: DeclaredOptions[];
    resources: RecordedResource[];
    recorder: ResourceRecorder;
    outputs: StackOutputs;
    /** `<type>::<name>` of a resource the program declared. */
    labelOf: (resource: pulumi.Resource) => string | undefined;
}

/** Stack config as `pulumi config` would hand it to the program: every value a string. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const values: Record<string, unknown> = { ...(doc.config ?? {}) };
    for (const [k, v] of Object.entries(overrides)) {
        values[k.includes(":") ? k : `${PROJECT}:${k}`] = v;
    }
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Runs the program for `stack` with recording mocks. `secrets` are set as secret config keys. */
export async function renderStack(
    stack: string,
    options: { secrets?: Record<string, string>; overrides?: Record<string, unknown>; recorder?: ResourceRecorder } = {},
): Promise<RenderedStack> {
    // A caller's own recorder still holds what was declared when the program throws.
    const recorder = setupMocks(PROJECT, stack, options.recorder);
    const config = stackConfig(stack, options.overrides);
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(options.secrets ?? {})) {
        config[`${PROJECT}:${k}`] = v;
        secretKeys.push(`${PROJECT}:${k}`);
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    const declared: DeclaredOptions[] = [];
    const labels: ResourceLabels = new Map();
    const outputs = stackProgram({
        transformations: [
            (args) => {
                labels.set(args.resource, `${args.type}::${args.name}`);
                declared.push({
                    type: args.type,
                    name: args.name,
                    protect: !!args.opts.protect,
                    retainOnDelete: !!args.opts.retainOnDelete,
                    parent: args.opts.parent ? labels.get(args.opts.parent) ?? "<resource declared outside the program>" : undefined,
                    declared: describeOptions(args.opts, labels),
                    aliases: args.opts.aliases,
                });
                return undefined;
            },
        ],
    });
    await settle(recorder);
    return { stack, options: declared, resources: recorder.resources, recorder, outputs, labelOf: (r) => labels.get(r) };
}

/** Placeholder secrets for rendering: what a user sets with `pulumi config set --secret`. */
export const TEST_SECRETS: Record<string, Record<string, string>> = {
    dev: { hubPassword: "dev-login-password-for-tests", hubAdminPassword: "dev-admin-password-for-tests-32-characters" },
    prod: { oauthClientSecret: "github-client-secret-for-tests" },
};

/** The committed stacks. */
export function committedStacks(): string[] {
    return fs
        .readdirSync(PROJECT_ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}
