/** The package's public surface: the platform and every component, for reuse in other Pulumi programs. */
export { DataSciencePlatform, DataSciencePlatformArgs, PlatformSecrets } from "./platform";
export * from "./config";
export * from "./gpuNodePool";
export * from "./registry";
export * from "./notebookImage";
export * from "./jupyterHub";
export * from "./hubValues";
export * from "./sparkExecutors";
export * from "./sparkConf";
export * from "./modelService";
export * from "./awsCluster";
export * from "./nvidiaDevicePlugin";
export * from "./clusterAutoscaler";
export * from "./helmChart";
