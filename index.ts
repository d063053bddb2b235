import { stackProgram } from "./components/stack";

const outputs = stackProgram();

export const hubUrl = outputs.hubUrl;
export const imageRef = outputs.imageRef;
export const gpuImageRef = outputs.gpuImageRef;
export const registryUrl = outputs.registryUrl;
export const namespace = outputs.namespace;
/** Only on AWS; a secret. */
export const kubeconfig = outputs.kubeconfig;
// The cluster's facts for team stacks (StackReference names: components/cluster/clusterStack.ts).
/** Kubernetes minor version of the cluster, when known. */
export const kubernetesVersion = outputs.kubernetesVersion;
/** How the nodes carry the node-purpose labels (require, prefer, ignore). */
export const matchNodePurpose = outputs.matchNodePurpose;
/** The GPU pools: [{name, gpusPerNode, maxSize}]. */
export const gpuPools = outputs.gpuPools;
/** StorageClass of users' homes, when the stack names one. */
export const homeStorageClass = outputs.homeStorageClass;
/** Only for the in-cluster registry: the CA the nodes' container runtime must trust. */
export const registryCaCert = outputs.registryCaCert;
/** Only for the in-cluster registry: containerd's hosts.toml for it. */
export const registryHostsToml = outputs.registryHostsToml;
/** Each model's in-cluster URL (http://<service>.<namespace>.svc:<port>), by model name. */
export const modelUrls = outputs.modelUrls;
/** The public URL of each model served through an Ingress, by model name. */
export const modelPublicUrls = outputs.modelPublicUrls;
