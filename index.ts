import { stackProgram } from "./components/stack";

const outputs = stackProgram();

export const hubUrl = outputs.hubUrl;
export const imageRef = outputs.imageRef;
export const gpuImageRef = outputs.gpuImageRef;
export const registryUrl = outputs.registryUrl;
export const namespace = outputs.namespace;
/** Only on AWS; a secret. */
export const kubeconfig = outputs.kubeconfig;
/** Only for the in-cluster registry: the CA the nodes' container runtime must trust. */
export const registryCaCert = outputs.registryCaCert;
/** Only for the in-cluster registry: containerd's hosts.toml for it. */
export const registryHostsToml = outputs.registryHostsToml;
/** Each model's in-cluster URL (http://<service>.<namespace>.svc:<port>), by model name. */
export const modelUrls = outputs.modelUrls;
/** The public URL of each model served through an Ingress, by model name. */
export const modelPublicUrls = outputs.modelPublicUrls;
