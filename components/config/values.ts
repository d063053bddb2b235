/**
 * Reusable value types of the configuration schema. Each carries the human description of what it
 * allows; error messages quote these descriptions, so a user sees "a Kubernetes memory quantity such
 * as 4Gi", not a regular expression.
 */
import { z } from "zod";
import { isDigestReference, isImageReference } from "../image/imageReference";
import { MEMORY_QUANTITY, SPARK_SIZE } from "../shared/quantities";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;

function isCidr(value: string): boolean {
    const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(value);
    return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

export const dnsLabel = z
    .string()
    .max(63)
    .regex(DNS_LABEL, "a Kubernetes name: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters");
export const memory = z.string().regex(MEMORY_QUANTITY, "a Kubernetes memory quantity with a binary unit, such as 512Mi or 4Gi");
export const sparkMemory = z.string().regex(SPARK_SIZE, "a Spark memory size such as 512m or 4g");
// A refinement rather than .positive(), so that the error quotes what is allowed.
export const cpu = z.number().refine((v) => v > 0, "a positive number of CPU cores, such as 0.5 or 2");
export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();
export const cidr = z.string().refine(isCidr, "an IPv4 CIDR block such as 10.0.0.0/16");
export const imageReference = z.string().refine(isImageReference, "an image reference such as registry.example.com/team/image:1.0 or ...@sha256:<64 hex digits>");
export const pinnedImage = imageReference.refine(isDigestReference, "an image reference pinned by digest (...@sha256:<64 hex digits>)");
export const chartVersion = z.string().regex(SEMVER, "an exact chart version such as 4.4.0 (ranges are not allowed: everything is pinned)");
export const url = z.url("an absolute URL such as https://example.com/path");
export const port = z.number().int().min(1024).max(65535);
export const userList = z.array(z.string().min(1)).default([]);

/** Where a Helm chart comes from: a repository (HTTP or `oci://`) or a local chart directory/archive. */
export const chartSource = (defaults: { repository: string; version: string }) =>
    z
        .strictObject({
            repository: z
                .string()
                .min(1)
                .default(defaults.repository)
                .describe(`Chart repository URL (https:// or oci://), or a local chart path. Default: ${defaults.repository}`),
            version: chartVersion.default(defaults.version).describe(`Chart version, pinned. Default: ${defaults.version}`),
        })
        .prefault({});
