/**
 * The platform's configuration: one schema that types, documents, defaults and validates every key.
 *
 * `parsePlatformConfig` turns raw stack config (or the args another program passes to
 * `DataSciencePlatform`) into a fully defaulted `PlatformConfig`, or throws a `ConfigError` that lists
 * every problem with its key path, the bad value and what is allowed. It runs every rule, the
 * cross-field ones included (rules.ts), before any resource is declared, so a bad stack never
 * half-deploys; the builders trust what it returns.
 *
 * The module set: values.ts (value types), schema.ts and workloadSchema.ts (the sections),
 * rules.ts (cross-field rules), errors.ts (problems and their wording), and this entry point.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { NodePurposeMatch } from "../cluster/nodePurpose";
import { addRuleIssues, ConfigError, ConfigProblem, configProblem, describeIssues, RuleProblem } from "./errors";
import { gpuExecutorCapacity, gpuExecutorPools, imageRules, platformRules, registryRules } from "./rules";
import { clusterSchema, ClusterConfig, hubSchema, ImageConfig, imageSchema, imagesSchema, RegistryConfig, registrySchema } from "./schema";
import { awsSchema, gpuPoolsSchema, modelsSchema, profilesSchema, sparkSchema, tagsSchema } from "./workloadSchema";

export * from "./errors";
export * from "./schema";
export * from "./workloadSchema";
export { gpuExecutorCapacity, gpuExecutorPools, hubRules, imageRules, platformRules, profileRules, registryRules, sparkRules } from "./rules";
export { memoryBytes } from "../shared/quantities";

const platformObject = z.strictObject({
        cluster: clusterSchema.describe("Target cluster"),
        registry: registrySchema.describe("Image registry"),
        image: imageSchema.describe("The notebook image"),
        hub: hubSchema.describe("JupyterHub"),
        profiles: profilesSchema,
        gpuPools: gpuPoolsSchema,
        models: modelsSchema,
        spark: sparkSchema.describe("Client-mode Spark from notebooks"),
        aws: awsSchema.optional().describe("AWS settings (provider aws)"),
        tags: tagsSchema.describe("Cost tags on every AWS resource"),
        images: imagesSchema.describe("Mirrors of the third-party images the platform runs, each pinned by digest. The registry server image is registry.image"),
        protectData: z
            .boolean()
            .optional()
            .describe("Protect stateful resources (volumes, bucket, registry storage) from deletion and replacement. Default: true on aws, false on kubeconfig"),
});


export const platformSchema = platformObject.superRefine((c, ctx) => addRuleIssues(ctx, platformRules(c)));

/** The raw, partial configuration a user writes (stack config or component args). */
export type PlatformConfigInput = z.input<typeof platformSchema>;
/** The fully defaulted, validated configuration. */
export type PlatformConfig = Omit<z.output<typeof platformSchema>, "cluster"> & {
    cluster: ClusterConfig & { matchNodePurpose: NodePurposeMatch };
    protectData: boolean;
};

/** Which secrets the stack provides; their values never pass through the config schema. */
export interface SecretPresence {
    hubPassword?: boolean;
    hubAdminPassword?: boolean;
    oauthClientSecret?: boolean;
    registryPassword?: boolean;
}

/**
 * Validates and defaults raw configuration. Throws `ConfigError` naming every bad key.
 * `secrets` says which secrets exist, so that e.g. OAuth without its client secret is caught here too.
 */
export function parsePlatformConfig(raw: unknown, secrets: SecretPresence = {}): PlatformConfig {
    const result = platformSchema.safeParse(raw ?? {});
    if (!result.success) {
        throw new ConfigError(describeIssues(result.error.issues, raw, platformSchema));
    }
    const config = result.data;
    const missing: ConfigProblem[] = [];
    const needSecret = (ok: boolean | undefined, key: string, why: string) => {
        if (!ok) {
            missing.push(configProblem(key, { problem: `secret is required ${why}`, fix: `set it with: pulumi config set --secret ${key} <value>` }));
        }
    };
    if (config.hub.auth.type === "shared-password") {
        needSecret(secrets.hubPassword, "hubPassword", "for hub.auth.type shared-password");
        if (config.hub.auth.admins.length > 0) {
            needSecret(secrets.hubAdminPassword, "hubAdminPassword", "for hub.auth.type shared-password with hub.auth.admins (at least 32 characters)");
        }
    } else {
        needSecret(secrets.oauthClientSecret, "oauthClientSecret", `for hub.auth.type ${config.hub.auth.type}`);
    }
    if (config.registry.kind === "external" && config.registry.username !== undefined) {
        needSecret(secrets.registryPassword, "registryPassword", "for registry.kind external with a username");
    }
    if (missing.length > 0) {
        throw new ConfigError(missing);
    }
    const aws = config.cluster.provider === "aws";
    const gx = config.spark.gpuExecutors;
    if (gx.enabled && gx.maxExecutors === undefined) {
        // Not more GPU executors than the pools can hold: the rest would stay Pending for ever.
        const capacity = gpuExecutorCapacity(gpuExecutorPools(config), gx.gpusPerExecutor);
        gx.maxExecutors = Math.min(config.spark.dynamicAllocation.maxExecutors, capacity);
    }
    return {
        ...config,
        cluster: { ...config.cluster, matchNodePurpose: config.cluster.matchNodePurpose ?? (aws ? "require" : "prefer") },
        protectData: config.protectData ?? aws,
    };
}

/** The project's stack-config keys, in the order they are documented. */
export const CONFIG_KEYS = ["cluster", "registry", "image", "hub", "profiles", "gpuPools", "models", "spark", "aws", "tags", "images", "protectData"] as const;
/** Secret stack-config keys, set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["hubPassword", "hubAdminPassword", "oauthClientSecret", "registryPassword"] as const;
/** Secrets the platform consumes; each is a Pulumi secret, never plain config. */
export interface PlatformSecrets {
    /** Users' shared password (hub.auth.type shared-password, at least 8 characters). Default: none (required for shared-password). */
    hubPassword?: pulumi.Input<string>;
    /** Admins' shared password (shared-password with hub.auth.admins, at least 32 characters). Default: none. */
    hubAdminPassword?: pulumi.Input<string>;
    /** OAuth client secret (hub.auth.type github or oidc). Default: none (required for OAuth). */
    oauthClientSecret?: pulumi.Input<string>;
    /** Password of an external registry (registry.kind external). Default: none. */
    registryPassword?: pulumi.Input<string>;
}

/** What each secret is for; the project file and the README are generated from these. */
export const SECRET_DESCRIPTIONS: Record<(typeof SECRET_KEYS)[number], string> = {
    hubPassword: "The users' shared password (hub.auth.type shared-password), at least 8 characters",
    hubAdminPassword: "The admins' shared password (hub.auth.type shared-password with hub.auth.admins), at least 32 characters",
    oauthClientSecret: "OAuth client secret (hub.auth.type github or oidc)",
    registryPassword: "Password of the external registry (registry.kind external with a username)",
};

/**
 * One section checked as parsePlatformConfig checks it, field rules (the schema) and cross-field rules
 * alike, for components declared with settings that did not come through the parse. Throws ConfigError.
 */
function assertSection<S extends z.ZodType>(key: string, schema: S, value: z.output<S>, rules: (v: z.output<S>) => RuleProblem[]): void {
    const section = z.strictObject({ [key]: schema }).superRefine((c, ctx) => addRuleIssues(ctx, rules(c[key] as z.output<S>)));
    const raw = { [key]: value };
    const result = section.safeParse(raw);
    if (!result.success) {
        throw new ConfigError(describeIssues(result.error.issues, raw, section));
    }
}

/** The registry section's rules, for a Registry declared with unchecked settings. */
export function assertRegistryConfig(registry: RegistryConfig): void {
    assertSection("registry", registrySchema, registry, registryRules);
}

/** The image section's rules, for a NotebookImage declared with unchecked settings. */
export function assertImageConfig(image: ImageConfig): void {
    assertSection("image", imageSchema, image, imageRules);
}
