/**
 * The pure manifest builders return Kubernetes input types, which allow Outputs and Promises at every
 * level; what they build holds plain values only. Tests read those values field by field as JSON.
 */
export function readable<A extends unknown[]>(build: (...args: A) => object | undefined): (...args: A) => any {
    return build;
}
