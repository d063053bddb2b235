/** Port of the in-cluster registry (CNCF Distribution's default): its container, Service and the notebooks' egress rule. */
export const REGISTRY_PORT = 5000;
