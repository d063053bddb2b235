/**
 * The per-user objects as the hub applies them: components/hub/python/user_isolation.py replaces
 * `$(USER_NAMESPACE)` and then `$(USER)` in every string (keys included) of each template before it
 * applies it. This is the same substitution, so tests see the objects one user actually gets.
 */
import { USER_NAMESPACE_PLACEHOLDER, USER_PLACEHOLDER } from "../../components/spark/userIsolation";

export interface UserTarget {
    /** The user's name as a Kubernetes name (KubeSpawner's safe slug). */
    user: string;
    /** The user's executor namespace, `<prefix>-<user>`. */
    namespace: string;
}

/** The executor namespace of `user` under `prefix`, as the hub names it. */
export function userTarget(prefix: string, user: string): UserTarget {
    return { user, namespace: `${prefix}-${user}` };
}

/** A template with the placeholders replaced, in the hub's order. */
export function forUser<T>(template: T, target: UserTarget): T {
    const values: [string, string][] = [
        [USER_NAMESPACE_PLACEHOLDER, target.namespace],
        [USER_PLACEHOLDER, target.user],
    ];
    const render = (v: unknown): unknown => {
        if (typeof v === "string") {
            return values.reduce((s, [placeholder, value]) => s.split(placeholder).join(value), v);
        }
        if (Array.isArray(v)) {
            return v.map(render);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [render(k) as string, render(x)]));
        }
        return v;
    };
    return render(template) as T;
}

/** Every string (keys included) anywhere in a value. */
export function allStrings(v: unknown): string[] {
    if (typeof v === "string") {
        return [v];
    }
    if (Array.isArray(v)) {
        return v.flatMap(allStrings);
    }
    if (v !== null && typeof v === "object") {
        return Object.entries(v).flatMap(([k, x]) => [k, ...allStrings(x)]);
    }
    return [];
}
