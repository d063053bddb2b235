/** The package's public surface: the platform and every component, for reuse in other Pulumi programs. */
export { DataSciencePlatform, DataSciencePlatformArgs, PlatformSecrets } from "./platform";
export * from "./config/config";
export * from "./gpu/gpuNodePool";
export * from "./registry/registry";
export * from "./image/notebookImage";
export * from "./hub/jupyterHub";
export * from "./hub/hubValues";
export * from "./spark/sparkExecutors";
export * from "./spark/sparkDriverAccess";
export * from "./spark/sparkConfFiles";
export * from "./spark/sparkNetworkPolicies";
export * from "./spark/sparkHistoryServer";
export * from "./spark/sparkConf";
export * from "./model/modelService";
export * from "./aws/awsCluster";
export * from "./gpu/nvidiaDevicePlugin";
export * from "./aws/clusterAutoscaler";
export * from "./shared/helmChart";
