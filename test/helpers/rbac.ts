/**
 * A small evaluator of Kubernetes RBAC (rbac.authorization.k8s.io/v1), written from the API's
 * documented semantics to answer "may this subject do this?" over a set of Roles, ClusterRoles and
 * their bindings, without a cluster:
 *
 * - a ClusterRoleBinding grants its ClusterRole's rules in every namespace and on cluster-scoped
 *   resources; a RoleBinding grants its Role's or ClusterRole's rules in its own namespace only;
 * - a rule matches when the verb, API group and resource (`resource/subresource`) are listed or `*`,
 *   and, if it lists resourceNames, the request names one of them (so never a create or a list);
 * - ServiceAccounts authenticate as `system:serviceaccount:<ns>:<name>` in the groups
 *   `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`.
 *
 * Only RBAC is evaluated: admission (ValidatingAdmissionPolicies, Pod Security) may still refuse what
 * RBAC allows, and the cluster's own default roles (system:basic-user, system:discovery, ...) are not
 * part of the input. Aggregated ClusterRoles are refused rather than misread.
 */

export interface RbacRule {
    apiGroups?: string[];
    resources?: string[];
    verbs: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
}

export interface RbacSubject {
    kind: string;
    name: string;
    namespace?: string;
}

export interface RbacObject {
    kind: string;
    metadata: { name: string; namespace?: string };
    rules?: RbacRule[];
    aggregationRule?: unknown;
    roleRef?: { kind: string; name: string };
    subjects?: RbacSubject[];
}

export const RBAC_KINDS = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/** One API request, as the authorizer sees it. */
export interface RbacRequest {
    /** User name, e.g. `system:serviceaccount:ds-platform:hub`. */
    user: string;
    /** Groups besides those a ServiceAccount user name implies. */
    groups?: string[];
    verb: string;
    /** API group; "" is the core group. */
    group: string;
    /** Plural resource, with `/subresource` if any (`pods/exec`). */
    resource: string;
    /** The object's name, when the request names one (get, update, patch, delete, bind). */
    name?: string;
    /** The request's namespace; undefined for cluster-scoped resources and requests across all namespaces. */
    namespace?: string;
}

export interface RbacDecision {
    allowed: boolean;
    /** The bindings that allow it, as `<kind> <namespace>/<name> -> <role kind> <role name>`. */
    via: string[];
}

/** `system:serviceaccount:<ns>:<name>` */
export function serviceAccountUser(namespace: string, name: string): string {
    return `system:serviceaccount:${namespace}:${name}`;
}

function groupsOf(request: RbacRequest): string[] {
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(request.user);
    const implied = sa ? ["system:serviceaccounts", `system:serviceaccounts:${sa[1]}`] : [];
    return [...implied, "system:authenticated", ...(request.groups ?? [])];
}

function subjectMatches(s: RbacSubject, request: RbacRequest): boolean {
    switch (s.kind) {
        case "ServiceAccount":
            return s.namespace !== undefined && request.user === serviceAccountUser(s.namespace, s.name);
        case "User":
            return request.user === s.name;
        case "Group":
            return groupsOf(request).includes(s.name);
        default:
            return false;
    }
}

function resourceMatches(ruleResource: string, requested: string): boolean {
    if (ruleResource === "*" || ruleResource === requested) {
        return true;
    }
    const [, sub] = requested.split("/");
    return sub !== undefined && ruleResource === `*/${sub}`;
}

/** Whether one rule allows the request (namespace aside). */
export function ruleAllows(rule: RbacRule, request: RbacRequest): boolean {
    const has = (list: string[] | undefined, value: string) => (list ?? []).includes("*") || (list ?? []).includes(value);
    if (!has(rule.verbs, request.verb) || !has(rule.apiGroups, request.group)) {
        return false;
    }
    if (!(rule.resources ?? []).some((r) => resourceMatches(r, request.resource))) {
        return false;
    }
    if (rule.resourceNames && rule.resourceNames.length > 0) {
        return request.name !== undefined && rule.resourceNames.includes(request.name);
    }
    return true;
}

export class Rbac {
    private readonly roles = new Map<string, RbacObject>();
    private readonly clusterRoles = new Map<string, RbacObject>();
    private readonly bindings: RbacObject[] = [];

    constructor(objects: RbacObject[]) {
        for (const o of objects) {
            switch (o.kind) {
                case "Role":
                    this.roles.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
                    break;
                case "ClusterRole":
                    if (o.aggregationRule) {
                        throw new Error(`ClusterRole ${o.metadata.name}: aggregated ClusterRoles are not evaluated`);
                    }
                    this.clusterRoles.set(o.metadata.name, o);
                    break;
                case "RoleBinding":
                case "ClusterRoleBinding":
                    this.bindings.push(o);
                    break;
                default:
                    throw new Error(`not an RBAC object: ${o.kind} ${o.metadata.name}`);
            }
        }
    }

    /** The rules a binding grants (none when its role does not exist, as in the API server). */
    private rulesOf(binding: RbacObject): RbacRule[] {
        const ref = binding.roleRef!;
        const role = ref.kind === "ClusterRole" ? this.clusterRoles.get(ref.name) : binding.kind === "RoleBinding" ? this.roles.get(`${binding.metadata.namespace}/${ref.name}`) : undefined;
        return role?.rules ?? [];
    }

    decide(request: RbacRequest): RbacDecision {
        const via = this.bindings
            .filter((b) => b.kind === "ClusterRoleBinding" || (request.namespace !== undefined && b.metadata.namespace === request.namespace))
            .filter((b) => (b.subjects ?? []).some((s) => subjectMatches(s, request)))
            .filter((b) => this.rulesOf(b).some((rule) => ruleAllows(rule, request)))
            .map((b) => `${b.kind} ${b.metadata.namespace ? `${b.metadata.namespace}/` : ""}${b.metadata.name} -> ${b.roleRef!.kind} ${b.roleRef!.name}`);
        return { allowed: via.length > 0, via };
    }
}
