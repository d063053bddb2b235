/**
 * Reads this project's stack configuration (`ds-platform:*` keys) into the raw platform config and
 * its secrets. Unknown keys are reported like any other configuration error, with a suggestion.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigError, PlatformConfigInput, PlatformSecrets, SECRET_KEYS, unknownKey } from "./config";

export const PROJECT = "ds-platform";

export interface StackConfig {
    config: PlatformConfigInput;
    secrets: PlatformSecrets;
}

export function readStackConfig(): StackConfig {
    const known = new Set<string>([...CONFIG_KEYS, ...SECRET_KEYS]);
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${PROJECT}:`))
        .map((k) => k.slice(PROJECT.length + 1))
        .filter((k) => !known.has(k));
    if (unknown.length > 0) {
        throw new ConfigError(unknown.map((key) => unknownKey(`${PROJECT}:${key}`, key, [...known])));
    }
    const cfg = new pulumi.Config(PROJECT);
    const config: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        const text = cfg.get(key);
        if (text !== undefined) {
            config[key] = parseValue(key, text);
        }
    }
    const secrets: PlatformSecrets = {};
    for (const key of SECRET_KEYS) {
        const value = cfg.getSecret(key);
        if (value !== undefined) {
            secrets[key] = value;
        }
    }
    return { config: config as PlatformConfigInput, secrets };
}

/** Stack config values arrive as strings; structured ones are JSON, booleans and numbers are literals. */
function parseValue(key: string, text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
