/**
 * The `restricted` Pod Security Standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
 * as Pod Security Admission enforces it at `latest`), checked on a pod spec: what the API server
 * would refuse in a namespace labelled `pod-security.kubernetes.io/enforce: restricted`.
 * Written from the standard, not from the platform's builders, so that it can disagree with them.
 */

/** Volume types the restricted level allows. */
const RESTRICTED_VOLUME_TYPES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
/** Capabilities the baseline level lets containers add. */
const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

/** What keeps a pod spec below `restricted`, one line per problem (empty when it passes). */
export function restrictedViolations(spec: any): string[] {
    const problems: string[] = [];
    const pod = spec.securityContext ?? {};
    const containers: { kind: string; c: any }[] = [
        ...(spec.initContainers ?? []).map((c: any) => ({ kind: "initContainer", c })),
        ...(spec.containers ?? []).map((c: any) => ({ kind: "container", c })),
        ...(spec.ephemeralContainers ?? []).map((c: any) => ({ kind: "ephemeralContainer", c })),
    ];
    if (containers.length === 0) {
        problems.push("no containers");
    }
    for (const host of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (spec[host]) {
            problems.push(`${host} is true`);
        }
    }
    for (const v of spec.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== "name");
        if (!type || !RESTRICTED_VOLUME_TYPES.includes(type)) {
            problems.push(`volume ${v.name} is of type ${type}`);
        }
    }
    const podSeccomp = pod.seccompProfile?.type;
    if (podSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(podSeccomp)) {
        problems.push(`pod seccompProfile ${podSeccomp}`);
    }
    if (pod.runAsUser === 0) {
        problems.push("pod runAsUser is 0");
    }
    for (const { kind, c } of containers) {
        const sc = c.securityContext ?? {};
        const where = `${kind} ${c.name}`;
        if (sc.privileged) {
            problems.push(`${where}: privileged`);
        }
        if (sc.allowPrivilegeEscalation !== false) {
            problems.push(`${where}: allowPrivilegeEscalation is not false`);
        }
        if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) {
            problems.push(`${where}: runAsNonRoot is not true (pod or container)`);
        }
        if (sc.runAsUser === 0) {
            problems.push(`${where}: runAsUser is 0`);
        }
        const seccomp = sc.seccompProfile?.type ?? podSeccomp;
        if (!["RuntimeDefault", "Localhost"].includes(seccomp)) {
            problems.push(`${where}: seccompProfile is ${seccomp ?? "unset"} (pod or container)`);
        }
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) {
            problems.push(`${where}: capabilities do not drop ALL`);
        }
        for (const cap of sc.capabilities?.add ?? []) {
            if (cap !== "NET_BIND_SERVICE") {
                problems.push(`${where}: adds capability ${cap}`);
            }
            if (!BASELINE_CAPABILITIES.includes(cap)) {
                problems.push(`${where}: adds capability ${cap} beyond baseline`);
            }
        }
        for (const p of c.ports ?? []) {
            if (p.hostPort) {
                problems.push(`${where}: hostPort ${p.hostPort}`);
            }
        }
    }
    return problems;
}
