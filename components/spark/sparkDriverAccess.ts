/**
 * The identities of client-mode Spark and the driver's rights: notebook pods (the drivers) run as the
 * notebook ServiceAccount, which may manage executor pods in the executor namespace and nothing else;
 * executor pods run as a ServiceAccount with no rights and no API token.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, FormerParent } from "./formerParent";
import { EXECUTOR_SERVICE_ACCOUNT, NOTEBOOK_SERVICE_ACCOUNT, sparkDriverRoleRules } from "./sparkConf";

/** Name of the driver's Role and RoleBinding; fixed so operators can find them. */
export const SPARK_DRIVER_ROLE = "spark-driver";

export interface SparkDriverAccessArgs {
    /** Namespace of the notebook (driver) pods, where the notebook ServiceAccount lives. Required. */
    notebookNamespace: pulumi.Input<string>;
    /** Namespace of executor pods, where the executor ServiceAccount and the driver's Role live. Default: notebookNamespace */
    executorNamespace?: pulumi.Input<string>;
    /** Whether drivers create on-demand local-dir claims for executors, and so need rights on claims. Default: false */
    onDemandPvc?: boolean;
    /** Pull secret of the image, listed on both ServiceAccounts. Default: none */
    imagePullSecretName?: pulumi.Input<string>;
    /** Annotations of the notebook ServiceAccount (e.g. the notebook IRSA role ARN). Default: none */
    notebookServiceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Annotations of the executor ServiceAccount (e.g. its own IRSA role ARN). Default: none */
    executorServiceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Where these objects were declared before this component existed; each gets an alias there. Default: none */
    formerParent?: FormerParent;
}

function pullSecrets(name: pulumi.Input<string> | undefined): k8s.types.input.core.v1.LocalObjectReference[] | undefined {
    return name ? [{ name }] : undefined;
}

/** The notebook pods' ServiceAccount: the driver's identity towards the API server. */
export function notebookServiceAccountArgs(a: SparkDriverAccessArgs): k8s.core.v1.ServiceAccountArgs {
    return {
        metadata: { name: NOTEBOOK_SERVICE_ACCOUNT, namespace: a.notebookNamespace, annotations: a.notebookServiceAccountAnnotations },
        imagePullSecrets: pullSecrets(a.imagePullSecretName),
    };
}

/** The executor pods' ServiceAccount. */
export function executorServiceAccountArgs(a: SparkDriverAccessArgs): k8s.core.v1.ServiceAccountArgs {
    return {
        // No RBAC and no API token: executors only talk to the driver, each other and data stores.
        metadata: { name: EXECUTOR_SERVICE_ACCOUNT, namespace: a.executorNamespace ?? a.notebookNamespace, annotations: a.executorServiceAccountAnnotations },
        automountServiceAccountToken: false,
        imagePullSecrets: pullSecrets(a.imagePullSecretName),
    };
}

/** The driver's Role in the executor namespace: exactly what Spark's scheduler backend does (`sparkDriverRoleRules`). */
export function driverRoleArgs(a: SparkDriverAccessArgs): k8s.rbac.v1.RoleArgs {
    return {
        metadata: { name: SPARK_DRIVER_ROLE, namespace: a.executorNamespace ?? a.notebookNamespace },
        rules: sparkDriverRoleRules({ onDemandPvc: a.onDemandPvc ?? false }),
    };
}

/** Grants `roleName` to the notebook ServiceAccount `serviceAccountName`; the names come from the objects, so the binding follows them. */
export function driverRoleBindingArgs(a: SparkDriverAccessArgs, roleName: pulumi.Input<string>, serviceAccountName: pulumi.Input<string>): k8s.rbac.v1.RoleBindingArgs {
    return {
        metadata: { name: SPARK_DRIVER_ROLE, namespace: a.executorNamespace ?? a.notebookNamespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
        subjects: [{ kind: "ServiceAccount", name: serviceAccountName, namespace: a.notebookNamespace }],
    };
}

/** The notebook and executor ServiceAccounts and the driver's Role and RoleBinding; nothing cluster-wide. */
export class SparkDriverAccess extends pulumi.ComponentResource {
    /** ServiceAccount of notebook pods (in the notebook namespace). */
    public readonly notebookServiceAccountName: pulumi.Output<string>;
    /** ServiceAccount of executor pods (in the executor namespace). */
    public readonly executorServiceAccountName: pulumi.Output<string>;
    /** The driver's Role (in the executor namespace). */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: SparkDriverAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ds-platform:spark:SparkDriverAccess", name, {}, opts);
        const former = args.formerParent;
        const notebookSa = new k8s.core.v1.ServiceAccount(`${name}-notebook-sa`, notebookServiceAccountArgs(args), childOptions(this, former, "notebook-sa"));
        const executorSa = new k8s.core.v1.ServiceAccount(`${name}-executor-sa`, executorServiceAccountArgs(args), childOptions(this, former, "executor-sa"));
        const role = new k8s.rbac.v1.Role(`${name}-role`, driverRoleArgs(args), childOptions(this, former, "driver"));
        new k8s.rbac.v1.RoleBinding(`${name}-binding`, driverRoleBindingArgs(args, role.metadata.name, notebookSa.metadata.name), childOptions(this, former, "driver"));

        this.notebookServiceAccountName = notebookSa.metadata.name;
        this.executorServiceAccountName = executorSa.metadata.name;
        this.roleName = role.metadata.name;
        this.registerOutputs({
            notebookServiceAccountName: this.notebookServiceAccountName,
            executorServiceAccountName: this.executorServiceAccountName,
            roleName: this.roleName,
        });
    }
}
