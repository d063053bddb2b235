/**
 * The package's component provider: serves `Platform` to Pulumi programs in other languages under the
 * package name ds-platform (resource type ds-platform:index:Platform).
 *
 * It runs from provider/ at the package root (provider/index.js): the engine executes
 * provider/pulumi-resource-ds-platform when a program names that folder as a plugin path, and a Node.js
 * language host that can run plugins starts it through provider/PulumiPlugin.yaml. Pulumi's analyzer
 * derives the schema from the TypeScript declarations provider/index.ts re-exports (bin/ of the packed
 * package), with provider/tsconfig.json; provider/package.json gives the schema its description.
 */
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider, ComponentProviderOptions, componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { packageRoot } from "../shared/packageRoot";
import { Platform } from "./platform";

/** The Pulumi package name: the first part of every type token the provider serves. */
export const PROVIDER_NAME = "ds-platform";

/** provider/ at the package root: the plugin directory, and the analyzer's project. */
export function providerDirectory(): string {
    return path.join(packageRoot(), "provider");
}

/** The provider's options: its name, its folder, its components. */
export function providerOptions(): ComponentProviderOptions & { version: string } {
    const dirname = providerDirectory();
    // The plugin reports the package's version.
    const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string };
    return { name: PROVIDER_NAME, dirname, components: [Platform], version };
}

/** The package schema the provider serves, as JSON text (the analyzer reads the declarations under bin/: build first). */
export function providerSchema(): Promise<string> {
    return new ComponentProvider(providerOptions()).getSchema();
}

/** Serves the provider on the gRPC port the engine reads from stdout; resolves when the engine stops it. */
export function serve(): Promise<void> {
    return componentProviderHost(providerOptions());
}
