/**
 * Where the ds-platform package itself lies: the folder of its package.json, which also holds the
 * notebook image's build context (images/notebook). Found from this module's own location, so it is
 * the same folder whether the package runs from source (components/shared, under ts-node or jest)
 * or compiled (bin/components/shared, installed under another program's node_modules).
 */
import * as fs from "fs";
import * as path from "path";

/** The nearest folder at or above `start` that holds a package.json. */
export function findPackageRoot(start: string): string {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no package.json at or above ${start}`);
        }
    }
}

/** The ds-platform package's folder (neither components/ nor bin/ holds a package.json). */
export function packageRoot(): string {
    return findPackageRoot(__dirname);
}

/** The notebook image's build context that ships with the package. */
export function packagedNotebookContext(): string {
    return path.join(packageRoot(), "images", "notebook");
}
