/** The reference-data validators themselves: strict, and loud when the data is missing. */
import { execFileSync } from "child_process";
import * as path from "path";
import { validateKubernetesObject, kubernetesGvk } from "./helpers/kubeSchema";
import { SCHEMAS_ENV } from "./helpers/sharedData";

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x", resources: { limits: { cpu: 1, memory: "1Gi" } } }] } };

test("a valid object passes; quantities may be numbers or strings", () => {
    expect(validateKubernetesObject(pod)).toEqual([]);
});

test("unknown fields are errors, as with kubectl --validate=strict", () => {
    const bad = { ...pod, spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0], imagePullPolicyy: "Always" }] } };
    expect(validateKubernetesObject(bad)).toEqual(['/spec/containers/0: unknown field "imagePullPolicyy"']);
});

test("wrong types and unknown kinds are errors", () => {
    expect(validateKubernetesObject({ ...pod, spec: { containers: "none" } })).toEqual(["/spec/containers: must be array"]);
    expect(validateKubernetesObject({ apiVersion: "example.com/v1", kind: "Widget" })).toEqual(["example.com/v1/Widget is not in the Kubernetes v1.35 spec"]);
});

test("Pulumi type tokens map to apiVersion and kind", () => {
    expect(kubernetesGvk("kubernetes:apps/v1:Deployment")).toEqual({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(kubernetesGvk("kubernetes:core/v1:Secret")).toEqual({ apiVersion: "v1", kind: "Secret" });
    expect(kubernetesGvk("kubernetes:helm.sh/v3:Release")).toBeUndefined();
});

test(`a missing reference folder fails with a message naming ${SCHEMAS_ENV}, never a skip`, () => {
    const script = `require(${JSON.stringify(path.join(__dirname, "helpers", "sharedData.ts"))}).loadShared("kubernetes/v1.35.0-swagger.json")`;
    let output = "";
    try {
        execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
            env: { ...process.env, [SCHEMAS_ENV]: "/nonexistent-reference-schemas" },
            stdio: "pipe",
        });
    } catch (e) {
        output = String((e as { stderr: Buffer }).stderr);
    }
    expect(output).toContain("Reference schemas not found at /nonexistent-reference-schemas");
    expect(output).toContain(SCHEMAS_ENV);
});
