/**
 * Platform: the whole platform as one component for Pulumi programs in other languages (YAML, Python,
 * Go, .NET), served by the package's component provider (host.ts, provider/ at the package root).
 *
 * Pulumi's component provider derives the package schema from the TypeScript types of this file, and
 * it cannot describe the union types of `DataSciencePlatformArgs`. So the settings arrive here as one
 * untyped document, `config`, with the keys and values of the stack configuration (cluster, registry,
 * image, hub, profiles, ...), and are validated by the same schema (`parsePlatformConfig`, inside
 * `DataSciencePlatform`); the secrets are inputs of their own. Its public members are the outputs of
 * the schema: keep to Outputs there.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem, configProblem, formatPath, PlatformConfigInput, PlatformSecrets, SECRET_KEYS } from "../config/config";
import { DataSciencePlatform } from "../platform";

/** The arguments of a Platform. */
export interface PlatformArgs {
    /**
     * The platform's settings: a document with the stack configuration's keys (cluster, registry, image,
     * hub, profiles, gpuPools, models, spark, aws, tags, images, protectData) and values, validated as
     * the stack configuration is. Plain values only (no secrets, no other resources' outputs): the
     * secrets are the inputs below. Default: {} (every default of the configuration reference).
     */
    config?: any;
    /** The users' shared password (hub.auth.type shared-password), at least 8 characters. */
    hubPassword?: pulumi.Input<string>;
    /** The admins' shared password (shared-password with hub.auth.admins), at least 32 characters. */
    hubAdminPassword?: pulumi.Input<string>;
    /** OAuth client secret (hub.auth.type github or oidc). */
    oauthClientSecret?: pulumi.Input<string>;
    /** Password of the external registry (registry.kind external with a username). */
    registryPassword?: pulumi.Input<string>;
    /**
     * Directory the image build context (image.context) is relative to. Default: the ds-platform
     * package's own folder, which ships images/notebook.
     */
    projectRoot?: string;
}

const NOT_PLAIN = {
    problem: "is a secret or another resource's output; the config document must be plain data known before deployment",
    fix: `pass secrets as the component's own inputs (${SECRET_KEYS.join(", ")})`,
};

/** The path (stack-config form) of the first value in `value` that is not plain data: an Output or a resource. */
function firstNonPlain(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
    if (pulumi.Output.isInstance(value) || pulumi.Resource.isInstance(value)) {
        return path;
    }
    if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
            const found = firstNonPlain(item, [...path, i]);
            if (found) {
                return found;
            }
        }
    } else if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
            const found = firstNonPlain(item, [...path, key]);
            if (found) {
                return found;
            }
        }
    }
    return undefined;
}

/**
 * The config document as `DataSciencePlatform` takes it. The schema itself reports unknown keys and bad
 * values; what is caught here is what only a component's caller can get wrong: a secret written into the
 * document instead of its input, and values that are not plain data (a secret, or another resource's
 * output, which a program in another language may pass).
 */
function platformConfigDocument(config: unknown): PlatformConfigInput {
    if (config === undefined || config === null) {
        return {};
    }
    if (pulumi.Output.isInstance(config)) {
        throw new ConfigError([
            configProblem("config", NOT_PLAIN),
        ]);
    }
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new ConfigError([configProblem("config", { problem: "must be a mapping of stack-config keys (cluster, registry, image, hub, ...)" }, config)]);
    }
    const problems: ConfigProblem[] = SECRET_KEYS.filter((key) => key in config).map((key) =>
        configProblem(key, { problem: "is a secret, not a key of the config document", fix: `pass it as the component's ${key} input` }),
    );
    const nonPlain = firstNonPlain(config);
    if (nonPlain) {
        problems.push(
            configProblem(formatPath(nonPlain), NOT_PLAIN),
        );
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config as PlatformConfigInput;
}

/**
 * The data-science platform (registry, notebook image, JupyterHub, GPU pools, Spark) built from a
 * config document with the stack configuration's keys, and its secrets.
 */
export class Platform extends pulumi.ComponentResource {
    /** URL users open. */
    public readonly hubUrl: pulumi.Output<string>;
    /** Namespace of the hub and notebook pods. */
    public readonly namespace: pulumi.Output<string>;
    /** The notebook image by digest, as every consumer runs it. */
    public readonly imageRef: pulumi.Output<string>;
    /** Registry address (host[:port]). */
    public readonly registryUrl: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before declaring anything, as DataSciencePlatform does: a bad document never half-deploys.
        const config = platformConfigDocument(args?.config);
        const secrets: PlatformSecrets = {};
        for (const key of SECRET_KEYS) {
            const value = args?.[key];
            if (value !== undefined && value !== null) {
                secrets[key] = pulumi.secret(value);
            }
        }
        super("ds-platform:index:Platform", name, {}, opts);
        const platform = new DataSciencePlatform(name, { ...config, secrets, projectRoot: args?.projectRoot }, { parent: this });
        this.hubUrl = platform.hubUrl;
        this.namespace = platform.namespace;
        this.imageRef = platform.imageRef;
        this.registryUrl = platform.registryUrl;
        this.registerOutputs({ hubUrl: this.hubUrl, namespace: this.namespace, imageRef: this.imageRef, registryUrl: this.registryUrl });
    }
}
