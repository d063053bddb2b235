/**
 * The shape of z2jh's `singleuser.profileList` as KubeSpawner reads it. The z2jh schema leaves
 * profileList entries unchecked, and KubeSpawner silently sets unknown override keys as plain
 * attributes, so a misspelt key would do nothing. This checks the shape (keys and their types) of
 * rendered values; what the platform's profiles may say is decided by the config rules
 * (components/config/rules.ts), before anything is rendered.
 */
import * as pulumi from "@pulumi/pulumi";
import { isDigestReference } from "../image/imageReference";
import { didYouMean } from "../shared/suggest";

type Check = (value: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const BYTE_SPECIFICATION = /^[0-9]+(\.[0-9]+)?[KMGT]$/;

const string: Check = (v) => (typeof v === "string" ? undefined : "must be a string");
const nonEmptyString: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const boolean: Check = (v) => (typeof v === "boolean" ? undefined : "must be true or false");
const number: Check = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? undefined : "must be a non-negative number");
const integer: Check = (v) => (typeof v === "number" && Number.isInteger(v) ? undefined : "must be an integer");
const object: Check = (v) => (isObject(v) ? undefined : "must be a mapping");
const stringMap: Check = (v) =>
    isObject(v) && Object.values(v).every((x) => typeof x === "string") ? undefined : "must be a mapping of strings to strings";
const list: Check = (v) => (Array.isArray(v) ? undefined : "must be a list");
const listOrMapping: Check = (v) => (Array.isArray(v) || isObject(v) ? undefined : "must be a list or a mapping");
const stringOrList: Check = (v) => (typeof v === "string" || Array.isArray(v) ? undefined : "must be a string or a list");
const bytes: Check = (v) =>
    (typeof v === "number" && Number.isInteger(v) && v >= 0) || (typeof v === "string" && BYTE_SPECIFICATION.test(v))
        ? undefined
        : "must be bytes as an integer or a string with suffix K, M, G or T (such as 4G; Ki/Mi/Gi are not accepted)";
const image: Check = (v) =>
    typeof v === "string" && isDigestReference(v) ? undefined : "must be an image reference pinned by digest (<repository>@sha256:<64 hex digits>)";
const pullPolicy: Check = (v) => (["Always", "IfNotPresent", "Never"].includes(v as string) ? undefined : "must be one of: Always, IfNotPresent, Never");

/** `profileList` entry keys KubeSpawner reads, with their types. */
export const PROFILE_ENTRY_KEYS: Record<string, Check> = {
    display_name: nonEmptyString,
    slug: nonEmptyString,
    description: string,
    default: boolean,
    kubespawner_override: object,
    profile_options: object,
};

/**
 * KubeSpawner traits a profile may override, with their types: the ones the platform sets and the
 * closely related ones from kubespawner/spawner.py and JupyterHub's Spawner.
 */
export const KUBESPAWNER_OVERRIDE_KEYS: Record<string, Check> = {
    image: image,
    image_pull_policy: pullPolicy,
    image_pull_secrets: stringOrList,
    cpu_guarantee: number,
    cpu_limit: number,
    mem_guarantee: bytes,
    mem_limit: bytes,
    extra_resource_guarantees: stringMap,
    extra_resource_limits: stringMap,
    node_selector: stringMap,
    node_affinity_required: listOrMapping,
    node_affinity_preferred: listOrMapping,
    pod_affinity_required: listOrMapping,
    pod_affinity_preferred: listOrMapping,
    pod_anti_affinity_required: listOrMapping,
    pod_anti_affinity_preferred: listOrMapping,
    tolerations: listOrMapping,
    priority_class_name: string,
    scheduler_name: string,
    extra_labels: stringMap,
    extra_annotations: stringMap,
    environment: object,
    default_url: string,
    cmd: stringOrList,
    args: list,
    working_dir: string,
    start_timeout: integer,
    service_account: string,
    uid: integer,
    gid: integer,
    fs_gid: integer,
    supplemental_gids: list,
    allow_privilege_escalation: boolean,
    privileged: boolean,
    container_security_context: object,
    pod_security_context: object,
    volumes: listOrMapping,
    volume_mounts: listOrMapping,
    init_containers: listOrMapping,
    extra_containers: listOrMapping,
    extra_container_config: object,
    extra_pod_config: object,
    lifecycle_hooks: object,
    storage_capacity: string,
    storage_class: string,
};

function unknownKey(path: string, key: string, allowed: string[]): string {
    const hint = didYouMean(key, allowed);
    return `${path}.${key}: unknown key; ${hint ? `${hint} ` : ""}allowed: ${allowed.join(", ")}`;
}

function checkKeys(path: string, value: Record<string, unknown>, checks: Record<string, Check>): string[] {
    return Object.entries(value).flatMap(([key, v]) => {
        const check = checks[key];
        if (!check) {
            return [unknownKey(path, key, Object.keys(checks))];
        }
        // An Output is known only at deployment; its type is checked where it is produced.
        const problem = pulumi.Output.isInstance(v) ? undefined : check(v);
        return problem ? [`${path}.${key}: ${problem}`] : [];
    });
}

/**
 * Checks a `singleuser.profileList` against what KubeSpawner accepts: known entry keys and override
 * traits, and their types. Returns errors naming `singleuser.profileList[i].<key>`; empty when valid.
 */
export function validateProfileList(profileList: unknown): string[] {
    const root = "singleuser.profileList";
    if (!Array.isArray(profileList)) {
        return [`${root}: must be a list`];
    }
    const errors: string[] = [];
    profileList.forEach((entry, i) => {
        const at = `${root}[${i}]`;
        if (!isObject(entry)) {
            errors.push(`${at}: must be a mapping`);
            return;
        }
        errors.push(...checkKeys(at, entry, PROFILE_ENTRY_KEYS));
        if (entry.display_name === undefined) {
            errors.push(`${at}.display_name: is required`);
        }
        const override = entry.kubespawner_override;
        if (isObject(override)) {
            errors.push(...checkKeys(`${at}.kubespawner_override`, override, KUBESPAWNER_OVERRIDE_KEYS));
        }
    });
    return errors;
}
