/**
 * The pure manifest builders return Kubernetes input types, which allow Outputs and Promises at every
 * level; what they build holds plain values only. Tests read those values field by field as JSON.
 */
export function readable<A extends unknown[]>(build: (...args: A) => object | undefined): (...args: A) => any {
    return build;
}

/** Every container image in a Kubernetes object (pods, pod templates, nested templates). */
export function containerImages(obj: any): string[] {
    if (Array.isArray(obj)) {
        return obj.flatMap(containerImages);
    }
    if (obj === null || typeof obj !== "object") {
        return [];
    }
    const own = ["containers", "initContainers", "ephemeralContainers"].flatMap((k) => (Array.isArray(obj[k]) ? obj[k].map((c: any) => c.image) : []));
    return [...own, ...Object.values(obj).flatMap(containerImages)];
}
