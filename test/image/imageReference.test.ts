import {
    digestReference,
    formatImageReference,
    isDigest,
    isDigestReference,
    parseImageReference,
    repositoryOf,
    taggedReference,
} from "../../components/image/imageReference";
import { fakeDigest } from "../helpers/mocks";

const digest = `sha256:${fakeDigest("image")}`;

describe("parseImageReference", () => {
    it.each([
        ["registry:2.8.3", { registry: undefined, path: "registry", tag: "2.8.3", digest: undefined }],
        ["localhost:30500/ds-platform/notebook", { registry: "localhost:30500", path: "ds-platform/notebook", tag: undefined, digest: undefined }],
        ["localhost/notebook:cpu-1", { registry: "localhost", path: "notebook", tag: "cpu-1", digest: undefined }],
        ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/notebook:cpu", { registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", path: "team/notebook", tag: "cpu" }],
        ["jupyter/base-notebook", { registry: undefined, path: "jupyter/base-notebook" }],
        [`127.0.0.1:5000/a/b:t@${digest}`, { registry: "127.0.0.1:5000", path: "a/b", tag: "t", digest }],
    ])("parses %s", (text, expected) => {
        expect(parseImageReference(text)).toMatchObject(expected);
    });

    it.each(["", "Upper/Case", "repo:bad tag", "repo@sha256:abc", "repo@md5:" + "a".repeat(32), "host:port/x", "a//b", "-leading"])(
        "rejects %j with the value and the expected form",
        (text) => {
            expect(() => parseImageReference(text)).toThrow(new RegExp(`invalid image reference "${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}".*expected \\[registry`));
        },
    );

    it("round-trips through formatImageReference", () => {
        for (const text of ["registry:2", "localhost:30500/ds/nb", `localhost:30500/ds/nb@${digest}`, `r.example.com/x:y@${digest}`]) {
            expect(formatImageReference(parseImageReference(text))).toBe(text);
        }
    });
});

describe("digest references", () => {
    it("recognises only sha256:<64 hex> digests", () => {
        expect(isDigest(digest)).toBe(true);
        expect(isDigest(digest.toUpperCase())).toBe(false);
        expect(isDigest(digest.slice(0, -1))).toBe(false);
    });

    it("isDigestReference is true only for a valid reference with a digest", () => {
        expect(isDigestReference(`localhost:30500/ds/nb@${digest}`)).toBe(true);
        expect(isDigestReference(`localhost:30500/ds/nb:cpu@${digest}`)).toBe(true);
        expect(isDigestReference("localhost:30500/ds/nb:cpu")).toBe(false);
        expect(isDigestReference("not a reference")).toBe(false);
    });

    it("digestReference builds <repository>@<digest> and refuses tags or bad digests", () => {
        expect(digestReference("localhost:30500/ds-platform/notebook", digest)).toBe(`localhost:30500/ds-platform/notebook@${digest}`);
        expect(() => digestReference("localhost:30500/ds:cpu", digest)).toThrow(/must not carry a tag or digest/);
        expect(() => digestReference("localhost:30500/ds", "sha256:1234")).toThrow(/not sha256:<64/);
        expect(() => digestReference("localhost:30500/ds", "")).toThrow(/not sha256:<64/);
    });

    it("repositoryOf strips tag and digest; taggedReference validates the tag", () => {
        expect(repositoryOf(`localhost:30500/ds/nb:cpu@${digest}`)).toBe("localhost:30500/ds/nb");
        expect(taggedReference("localhost:30500/ds/nb", "cpu-abc")).toBe("localhost:30500/ds/nb:cpu-abc");
        expect(() => taggedReference("localhost:30500/ds/nb", "-bad")).toThrow(/tag "-bad"/);
        expect(() => taggedReference("localhost:30500/ds/nb:x", "cpu")).toThrow(/must not carry a tag/);
    });
});
