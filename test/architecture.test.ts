/**
 * The layering of components/, read from the import and re-export statements of its files (type-only
 * ones included):
 *
 * - config/, shared/ and cluster/ are the bottom layer: they import nothing from the folders that
 *   build on them (hub, spark, model, aws, gpu, registry, iam) nor the platform.
 * - Only the stack program (stack.ts), the package's exports (index.ts) and the component other languages
 *   use (provider/platform.ts) import the platform.
 * - A pure module (one that declares no ComponentResource) imports no file that declares one, so the
 *   builders and the vocabulary they share load without any component.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_ROOT } from "./helpers/sharedData";

const COMPONENTS = path.join(PROJECT_ROOT, "components");
const LOWER_LAYERS = ["config", "shared", "cluster"];
const UPPER_LAYERS = ["hub", "spark", "model", "aws", "gpu", "registry", "iam"];
const TOP_FILES = ["platform.ts", "stack.ts", "index.ts", "provider/platform.ts", "provider/host.ts"];
/** Files allowed to import components although they declare none: the stack program, the barrel and the provider's host. */
const COMPOSERS = ["stack.ts", "index.ts", "provider/host.ts"];
/** The files that import the platform: the stack program, the barrel and the provider's Platform. */
const PLATFORM_IMPORTERS = ["stack.ts", "index.ts", "provider/platform.ts"];

interface SourceFile {
    /** Path relative to components/, with forward slashes. */
    rel: string;
    /** Relative paths (to components/) of the project files it imports or re-exports. */
    imports: string[];
    declaresComponent: boolean;
}

function listTs(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? listTs(full) : e.name.endsWith(".ts") ? [full] : [];
    });
}

function resolveImport(fromFile: string, specifier: string): string {
    const base = path.resolve(path.dirname(fromFile), specifier);
    const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
    if (!target) {
        throw new Error(`${path.relative(COMPONENTS, fromFile)}: cannot resolve "${specifier}"`);
    }
    return path.relative(COMPONENTS, target).split(path.sep).join("/");
}

function readSources(): SourceFile[] {
    return listTs(COMPONENTS)
        .map((file) => {
            const text = fs.readFileSync(file, "utf8");
            const imports = ts
                .preProcessFile(text, true, true)
                .importedFiles.map((f) => f.fileName)
                .filter((spec) => spec.startsWith("."))
                .map((spec) => resolveImport(file, spec));
            return {
                rel: path.relative(COMPONENTS, file).split(path.sep).join("/"),
                imports: [...new Set(imports)].sort(),
                declaresComponent: /\bextends\s+(pulumi\.)?ComponentResource\b/.test(text),
            };
        })
        .sort((a, b) => a.rel.localeCompare(b.rel));
}

const folderOf = (rel: string): string => (rel.includes("/") ? rel.split("/")[0] : rel);

describe("components/ layering", () => {
    const sources = readSources();
    const byPath = new Map(sources.map((s) => [s.rel, s]));

    it("reads the import statements of every module", () => {
        expect(sources.length).toBeGreaterThan(40);
        expect(byPath.get("hub/hubValues.ts")?.imports).toContain("gpu/placement.ts");
        expect(byPath.get("stack.ts")?.imports).toContain("platform.ts");
    });

    it("config, shared and cluster import nothing that builds on them", () => {
        const upward = sources
            .filter((s) => LOWER_LAYERS.includes(folderOf(s.rel)))
            .flatMap((s) => s.imports.filter((i) => UPPER_LAYERS.includes(folderOf(i)) || TOP_FILES.includes(i)).map((i) => `${s.rel} -> ${i}`));
        expect(upward).toEqual([]);
    });

    it("only stack.ts, index.ts and the provider's Platform import the platform", () => {
        const importers = sources.filter((s) => s.imports.includes("platform.ts")).map((s) => s.rel);
        expect(importers.sort()).toEqual([...PLATFORM_IMPORTERS].sort());
    });

    it("pure modules import no file that declares a ComponentResource", () => {
        const violations = sources
            .filter((s) => !s.declaresComponent && !COMPOSERS.includes(s.rel))
            .flatMap((s) => s.imports.filter((i) => byPath.get(i)?.declaresComponent).map((i) => `${s.rel} -> ${i}`));
        expect(violations).toEqual([]);
    });

    it("the GPU placement vocabulary lives in a pure module", () => {
        expect(byPath.get("gpu/placement.ts")?.declaresComponent).toBe(false);
        expect(byPath.get("gpu/gpuNodePool.ts")?.declaresComponent).toBe(true);
        const nodePoolImporters = sources.filter((s) => s.imports.includes("gpu/gpuNodePool.ts")).map((s) => s.rel);
        expect(nodePoolImporters.sort()).toEqual(["index.ts", "platform.ts"]);
    });
});
