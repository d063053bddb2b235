/**
 * Which nodes run which pods: the Zero to JupyterHub node-purpose convention, defined once.
 *
 * Nodes labelled `hub.jupyter.org/node-purpose=core` run the hub, the proxy, the user-scheduler, the
 * registry and the history server; nodes labelled `user` run notebooks, placeholders, pre-pullers
 * and Spark executors. Without it the user-scheduler packs notebooks onto the (fullest) system
 * nodes and the pre-pullers pull gigabytes of notebook image onto every node.
 */

import type * as k8s from "@pulumi/kubernetes";

/** The node label z2jh's `scheduling.{core,user}Pods.nodeAffinity.matchNodePurpose` matches. */
export const NODE_PURPOSE_LABEL = "hub.jupyter.org/node-purpose";

export type NodePurpose = "core" | "user";

/** require: only matching nodes; prefer: matching nodes first; ignore: any node. */
export type NodePurposeMatch = "require" | "prefer" | "ignore";

export const NODE_PURPOSE_MATCHES: readonly NodePurposeMatch[] = ["require", "prefer", "ignore"];

/** The labels a node of that purpose carries. */
export function nodePurposeLabels(purpose: NodePurpose): Record<string, string> {
    return { [NODE_PURPOSE_LABEL]: purpose };
}

// The Kubernetes input types, narrowed to plain values: the rules below read and extend them, and
// KubeSpawner takes them as plain JSON.

export interface NodeSelectorRequirement extends k8s.types.input.core.v1.NodeSelectorRequirement {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
}

export interface NodeSelectorTerm extends k8s.types.input.core.v1.NodeSelectorTerm {
    matchExpressions: NodeSelectorRequirement[];
}

export interface NodeSelector extends k8s.types.input.core.v1.NodeSelector {
    nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm extends k8s.types.input.core.v1.PreferredSchedulingTerm {
    weight: number;
    preference: NodeSelectorTerm;
}

/** A pod's node affinity, in the shape Kubernetes (and KubeSpawner, per part) takes. */
export interface NodeAffinity extends k8s.types.input.core.v1.NodeAffinity {
    requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

function purposeRequirement(purpose: NodePurpose): NodeSelectorRequirement {
    return { key: NODE_PURPOSE_LABEL, operator: "In", values: [purpose] };
}

/**
 * Adds the node-purpose rule to an affinity: with `require`, to every required term (terms are ORed,
 * so each must carry it); with `prefer`, as a preference of weight 100, as z2jh does for its pods.
 */
export function withNodePurpose(affinity: NodeAffinity, purpose: NodePurpose, match: NodePurposeMatch): NodeAffinity {
    const rule = purposeRequirement(purpose);
    switch (match) {
        case "ignore":
            return affinity;
        case "prefer":
            return {
                ...affinity,
                preferredDuringSchedulingIgnoredDuringExecution: [
                    ...(affinity.preferredDuringSchedulingIgnoredDuringExecution ?? []),
                    { weight: 100, preference: { matchExpressions: [rule] } },
                ],
            };
        case "require": {
            const terms = affinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [{ matchExpressions: [] }];
            return {
                ...affinity,
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: terms.map((t) => ({ matchExpressions: [...t.matchExpressions, rule] })),
                },
            };
        }
    }
}
