/**
 * The RBAC of a rendered stack, as a matrix of questions (subject, verb, resource, namespace) and the
 * answers of the evaluator in rbac.ts, rendered as a markdown table for the README.
 *
 * The RBAC evaluated is what the Pulumi program declares (every Role, ClusterRole and binding it
 * renders) plus what the hub creates for each given user from `custom.dsPlatformUserIsolation` of the
 * hub's Helm values, with the hub's placeholder substitution. It does not include the RBAC inside
 * Helm charts (the z2jh chart's own hub Role in the platform namespace, for instance) nor the
 * cluster's default roles.
 */
import { unwrapSecrets } from "./mocks";
import { Rbac, RBAC_KINDS, RbacObject, RbacRequest, serviceAccountUser } from "./rbac";
import { RenderedStack } from "./render";
import { forUser, userTarget } from "./userObjects";

/** A request across all namespaces of a namespaced resource. */
export const ALL_NAMESPACES = "(all)";
/** A request on a cluster-scoped resource. */
export const CLUSTER_SCOPE = "(cluster)";

export interface RbacQuestion {
    /** A ServiceAccount, `<namespace>:<name>`. */
    serviceAccount: string;
    verb: string;
    /** `resource` or `resource.group`, with `/subresource` if any. */
    resource: string;
    /** The object's name, for requests on one named object. */
    name?: string;
    /** A namespace, ALL_NAMESPACES or CLUSTER_SCOPE. */
    namespace: string;
}

export interface RbacAnswer extends RbacQuestion {
    /** By stack: whether RBAC allows it, and through which bindings. */
    answers: Record<string, { allowed: boolean; via: string[] }>;
}

export interface StackRbac {
    namespace: string;
    executorNamespacePrefix: string;
    objects: RbacObject[];
    rbac: Rbac;
}

/** The hub's Helm values of a rendered stack (plain data). */
export function hubValuesOf(rendered: RenderedStack): any {
    const release = rendered.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && /jupyterhub/.test(String(r.inputs.chart)));
    if (!release) {
        throw new Error(`stack ${rendered.stack}: no JupyterHub release`);
    }
    return unwrapSecrets(release.inputs.values);
}

/** The RBAC of a rendered stack with the per-user objects of `users`. */
export function stackRbac(rendered: RenderedStack, users: string[]): StackRbac {
    const declared = rendered.resources
        .filter((r) => RBAC_KINDS.some((kind) => r.type === `kubernetes:rbac.authorization.k8s.io/v1:${kind}`))
        .map((r) => ({ ...unwrapSecrets<RbacObject>(r.inputs), kind: r.type.split(":").pop()! }));
    const hook = hubValuesOf(rendered).custom?.dsPlatformUserIsolation;
    if (!hook) {
        throw new Error(`stack ${rendered.stack}: the hub has no custom.dsPlatformUserIsolation`);
    }
    const perUser = users.flatMap((user) =>
        (hook.objects as { manifest: RbacObject }[]).map((o) => forUser(o.manifest, userTarget(hook.executorNamespacePrefix, user))).filter((o) => RBAC_KINDS.includes(o.kind)),
    );
    const objects = [...declared, ...perUser];
    return { namespace: hook.hubNamespace, executorNamespacePrefix: hook.executorNamespacePrefix, objects, rbac: new Rbac(objects) };
}

/** The request a question stands for. */
export function requestOf(q: RbacQuestion): RbacRequest {
    const [sa, subresource] = q.resource.split("/");
    const dot = sa.indexOf(".");
    const [ns, name] = q.serviceAccount.split(":");
    return {
        user: serviceAccountUser(ns, name),
        verb: q.verb,
        group: dot < 0 ? "" : sa.slice(dot + 1),
        resource: (dot < 0 ? sa : sa.slice(0, dot)) + (subresource ? `/${subresource}` : ""),
        name: q.name,
        namespace: q.namespace === ALL_NAMESPACES || q.namespace === CLUSTER_SCOPE ? undefined : q.namespace,
    };
}

/** Every question answered for every stack. */
export function rbacMatrix(stacks: Record<string, StackRbac>, questions: RbacQuestion[]): RbacAnswer[] {
    return questions.map((q) => ({ ...q, answers: Object.fromEntries(Object.entries(stacks).map(([stack, s]) => [stack, s.rbac.decide(requestOf(q))])) }));
}

/** The matrix as a markdown table: one row per question, one column per stack. */
export function rbacMatrixMarkdown(rows: RbacAnswer[]): string {
    const stacks = Object.keys(rows[0]?.answers ?? {});
    const header = ["Subject (ServiceAccount)", "Verb", "Resource", "Namespace", ...stacks];
    const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
    for (const r of rows) {
        const cells = [`\`${r.serviceAccount}\``, r.verb, `\`${r.resource}${r.name ? ` ${r.name}` : ""}\``, r.namespace, ...stacks.map((s) => (r.answers[s].allowed ? "allowed" : "denied"))];
        lines.push(`| ${cells.join(" | ")} |`);
    }
    return lines.join("\n");
}

export const README_MATRIX_BEGIN = "<!-- rbac-matrix:begin -->";
export const README_MATRIX_END = "<!-- rbac-matrix:end -->";

/** The text between the README's matrix markers, trimmed, or undefined when it has no markers. */
export function readmeMatrix(readme: string): string | undefined {
    const begin = readme.indexOf(README_MATRIX_BEGIN);
    const end = readme.indexOf(README_MATRIX_END);
    if (begin < 0 && end < 0) {
        return undefined;
    }
    if (begin < 0 || end < begin) {
        throw new Error(`README.md: ${README_MATRIX_BEGIN} and ${README_MATRIX_END} must both be there, in that order`);
    }
    return readme.slice(begin + README_MATRIX_BEGIN.length, end).trim();
}
