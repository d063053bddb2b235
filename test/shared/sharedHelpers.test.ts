import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { memoryBytes, memoryMiB, parseMemoryQuantity, sparkSizeMiB } from "../../components/shared/quantities";
import { closestKey, didYouMean, editDistance } from "../../components/shared/suggest";
import { gpuPoolNameOf, gpuPoolOf } from "../../components/shared/gpuPool";
import { isImageReference } from "../../components/image/imageReference";
import { findPackageRoot, packageRoot, packagedNotebookContext } from "../../components/shared/packageRoot";

describe("quantities", () => {
    it("read Kubernetes binary quantities and Spark sizes", () => {
        expect(memoryBytes("1.5Gi")).toBe(1.5 * 2 ** 30);
        expect(memoryMiB("512Ki")).toBe(0.5);
        expect(parseMemoryQuantity("4Gi")).toEqual({ amount: "4", unit: "Gi" });
        expect(sparkSizeMiB("2g")).toBe(2048);
        expect(sparkSizeMiB("512k")).toBe(0.5);
    });

    it("refuse other forms, saying what is allowed", () => {
        expect(() => memoryBytes("4G")).toThrow(/allowed: a Kubernetes binary quantity such as 512Mi or 4Gi/);
        expect(() => memoryBytes("1.2.3Gi")).toThrow(/not a memory quantity/);
        expect(() => sparkSizeMiB("2GB")).toThrow(/allowed: a number with k, m, g or t/);
    });
});

describe("suggestions", () => {
    it("find the close key, whatever its case", () => {
        expect(editDistance("Profiles", "profiles")).toBe(0);
        expect(closestKey("profile", ["profiles", "gpuPools"])).toBe("profiles");
        expect(didYouMean("cpu_guarante", ["cpu_guarantee", "cpu_limit"])).toBe('did you mean "cpu_guarantee"?');
        expect(didYouMean("zzz", ["profiles"])).toBeUndefined();
    });
});

describe("GPU pool of a workload", () => {
    const pools = [{ name: "t4" }, { name: "a10" }];
    it("is the named pool, else the first", () => {
        expect(gpuPoolNameOf({ gpuPool: "a10" }, ["t4", "a10"])).toBe("a10");
        expect(gpuPoolNameOf({}, ["t4", "a10"])).toBe("t4");
        expect(gpuPoolNameOf({}, [])).toBeUndefined();
        expect(gpuPoolOf({}, pools)).toBe(pools[0]);
        expect(gpuPoolOf({ gpuPool: "h100" }, pools)).toBeUndefined();
    });
});

test("one image-reference grammar serves the schema too", () => {
    expect(isImageReference("registry.example.com:5000/team/image:1.0")).toBe(true);
    expect(isImageReference(`debian@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isImageReference("Team/Image")).toBe(false);
});

describe("package root", () => {
    it("is the folder of the package's package.json, from source as from the compiled bin/", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "pkg-root-"));
        try {
            const compiled = path.join(root, "bin", "components", "shared");
            fs.mkdirSync(compiled, { recursive: true });
            fs.writeFileSync(path.join(root, "package.json"), "{}");
            expect(findPackageRoot(compiled)).toBe(root);
            expect(findPackageRoot(root)).toBe(root);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
        expect(packageRoot()).toBe(path.resolve(__dirname, "..", ".."));
        expect(fs.existsSync(path.join(packagedNotebookContext(), "Dockerfile"))).toBe(true);
    });
});
