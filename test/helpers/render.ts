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
import { PROJECT } from "../../components/stackConfig";
import { PROJECT_ROOT } from "./sharedData";
import { RecordedResource, ResourceRecorder, settle, setupMocks } from "./mocks";

/** Resource options as the program declared them, for data-protection checks. */
export interface DeclaredOptions {
    type: string;
    name: string;
    protect: boolean;
    retainOnDelete: boolean;
}

export interface RenderedStack {
    stack: string;
    options: DeclaredOptions[];
    resources: RecordedResource[];
    recorder: ResourceRecorder;
    outputs: StackOutputs;
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
export async function renderStack(stack: string, options: { secrets?: Record<string, string>; overrides?: Record<string, unknown> } = {}): Promise<RenderedStack> {
    const recorder = setupMocks(PROJECT, stack);
    const config = stackConfig(stack, options.overrides);
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(options.secrets ?? {})) {
        config[`${PROJECT}:${k}`] = v;
        secretKeys.push(`${PROJECT}:${k}`);
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    const declared: DeclaredOptions[] = [];
    const outputs = stackProgram({
        transformations: [
            (args) => {
                declared.push({ type: args.type, name: args.name, protect: !!args.opts.protect, retainOnDelete: !!args.opts.retainOnDelete });
                return undefined;
            },
        ],
    });
    await settle(recorder);
    return { stack, options: declared, resources: recorder.resources, recorder, outputs };
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
