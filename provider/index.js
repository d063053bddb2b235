"use strict";
// The ds-platform component provider (components/provider/host.ts, compiled under ../bin): serves the
// Platform component on the port it prints, until the engine stops it. Started by
// pulumi-resource-ds-platform beside this file, or by a Node.js language host through PulumiPlugin.yaml.
require("../bin/components/provider/host")
    .serve()
    .catch((err) => {
        console.error(err && err.stack ? err.stack : String(err));
        process.exit(1);
    });
