/**
 * The security contexts and Pod Security Admission labels of the platform's user workloads, defined
 * once: notebook pods, Spark executors and the namespaces that hold them follow the Kubernetes
 * `restricted` Pod Security Standard.
 */
import type * as k8s from "@pulumi/kubernetes";

/** The pod-level part of the `restricted` standard: non-root and the runtime's default seccomp profile. */
export const RESTRICTED_POD_SECURITY_CONTEXT = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
} as const satisfies k8s.types.input.core.v1.PodSecurityContext;

/** The container-level part of the `restricted` standard: no privilege escalation, every capability dropped. */
export const RESTRICTED_CONTAINER_SECURITY_CONTEXT = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
} as const satisfies k8s.types.input.core.v1.SecurityContext;

/** A Pod Security Standard level (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Pod Security Admission labels of a namespace: pods below `enforce` are refused by the API server;
 * `warn` and `audit` report pods below the stricter level without refusing them.
 */
export function podSecurityLabels(enforce: PodSecurityLevel, warn: PodSecurityLevel = enforce): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": warn,
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": warn,
        "pod-security.kubernetes.io/audit-version": "latest",
    };
}
