/**
 * Client-mode Spark from notebook pods: the notebook pod is the driver and starts executor pods of
 * the same image through the Kubernetes API.
 */
import * as pulumi from "@pulumi/pulumi";

/** What the JupyterHub component needs so that every notebook pod can drive Spark executors. */
export interface NotebookSparkWiring {
    /** ServiceAccount notebook pods run as (it may create executor pods). */
    serviceAccountName: string;
    /** ConfigMap holding spark-defaults.conf and the executor pod template. */
    configMapName: pulumi.Input<string>;
    /** Where that ConfigMap is mounted in notebook pods (SPARK_CONF_DIR). */
    confDir: string;
    /** Extra environment for notebook pods, in z2jh singleuser.extraEnv form (name -> string or {valueFrom}). */
    env: Record<string, string | { valueFrom: Record<string, unknown> }>;
    /** Labels to put on notebook pods (the Spark NetworkPolicies select them). */
    podLabels: Record<string, string>;
}
