/**
 * What Pulumi's component analyzer reads to derive the ds-platform package schema: the TypeScript
 * declarations of the components the provider serves (it reads types, not JavaScript). index.js is what
 * runs. Both name the compiled package beside this folder (../bin), which the packed package holds and
 * `npm run build` writes.
 */
export { Platform, PlatformArgs } from "../bin/components/provider/platform";
