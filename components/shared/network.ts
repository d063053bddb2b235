/**
 * Address ranges the platform's NetworkPolicies share.
 */

/**
 * Private and link-local IPv4 ranges, excluded from public egress (Spark executors, model services),
 * cloud metadata (169.254.169.254) included.
 */
export const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];
