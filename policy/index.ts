/**
 * The ds-platform policy pack: `pulumi preview --policy-pack policy`. Every policy is mandatory;
 * the checks themselves live in policies.ts, where they are unit-tested without the CLI.
 */
import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./policies";

new PolicyPack("ds-platform", {
    enforcementLevel: "mandatory",
    policies: [...resourcePolicies, ...stackPolicies],
});
