/**
 * Aliases for Kubernetes objects that moved into a component of their own. A Pulumi URN names the
 * parent chain and the logical name, so moving an object changes its URN; without an alias, the next
 * update would delete the deployed object and create a new one (a new ConfigMap, RBAC briefly gone,
 * a restarted history server) instead of updating it in place.
 */
import * as pulumi from "@pulumi/pulumi";

/** The component that declared a group of objects before they had a component of their own. */
export interface FormerParent {
    /** That component. */
    parent: pulumi.Resource;
    /** Its name: the objects were named `${name}-<role>` under it. */
    name: string;
}

/** The alias to an object's former logical name `${former.name}-${role}` under `former.parent`; none without a former parent. */
export function formerAliases(former: FormerParent | undefined, role: string): pulumi.Alias[] {
    return former ? [{ name: `${former.name}-${role}`, parent: former.parent }] : [];
}

/** Resource options of a child of `parent`, with the alias to where it was declared before (if anywhere). */
export function childOptions(parent: pulumi.Resource, former: FormerParent | undefined, role: string): pulumi.CustomResourceOptions {
    const aliases = formerAliases(former, role);
    return aliases.length > 0 ? { parent, aliases } : { parent };
}
