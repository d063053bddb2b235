/** Helm charts as the platform pins them: from a repository (HTTP or OCI) or a local path. */
import * as k8s from "@pulumi/kubernetes";

/** Where a chart comes from, as configured (`hub.chart`, `aws.autoscaler`, `aws.devicePlugin`). */
export interface ChartSource {
    repository: string;
    version: string;
}

/** The Release fields that locate a chart: a repository (HTTP or OCI) or a local path. */
export function chartReference(source: ChartSource, chart: string): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> {
    if (source.repository.startsWith("oci://")) {
        return { chart: `${source.repository.replace(/\/$/, "")}/${chart}`, version: source.version };
    }
    if (/^https?:\/\//.test(source.repository)) {
        return { chart, version: source.version, repositoryOpts: { repo: source.repository } };
    }
    return { chart: source.repository, version: source.version };
}
