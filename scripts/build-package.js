// Builds what the package ships (npm run build; npm pack and npm publish run it as `prepack`):
// bin/components/ with the compiled JavaScript and the declarations of components/ (tsconfig.build.json),
// and beside them every file components/ reads at run time relative to its modules (the hub's
// Python hooks). bin/ is emptied first, so nothing left from an earlier build is packed.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "bin");
fs.rmSync(out, { recursive: true, force: true });

const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const run = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (run.status !== 0) {
    process.exit(run.status ?? 1);
}

// Run-time assets: every file under components/ that is not TypeScript, at the same relative path.
const assets = [];
function copyAssets(rel) {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const child = path.join(rel, entry.name);
        if (entry.isDirectory()) {
            if (entry.name !== "__pycache__") {
                copyAssets(child);
            }
        } else if (entry.isFile() && !entry.name.endsWith(".ts") && !entry.name.endsWith(".pyc")) {
            fs.mkdirSync(path.join(out, rel), { recursive: true });
            fs.copyFileSync(path.join(root, child), path.join(out, child));
            assets.push(child);
        }
    }
}
copyAssets("components");
const count = (dir, suffix) =>
    fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(suffix)).length;
console.log(
    `build-package: bin/components: ${count(path.join(out, "components"), ".js")} modules, ` +
        `${count(path.join(out, "components"), ".d.ts")} declarations, assets: ${assets.join(", ") || "none"}`,
);
