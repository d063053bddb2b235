/**
 * The platform's wiring of config `models`: one ModelService per model, each running the platform's
 * image by digest.
 */
import { DataSciencePlatform } from "../components/platform";
import { MODEL_LABEL } from "../components/model/modelService";
import { fakeDigest, settle, setupMocks, valueOf } from "./helpers/mocks";

const IMAGE = `registry.example.com/ds-platform/notebook@sha256:${fakeDigest("cpu")}`;

describe("DataSciencePlatform with models", () => {
    it("declares one ModelService per model, running the platform's image by digest", async () => {
        const recorder = setupMocks();
        const platform = new DataSciencePlatform("p", {
            models: [
                { name: "iris", artifact: "pvc://models/iris.joblib" },
                { name: "churn", artifact: "pvc://models/churn.joblib", replicas: 2 },
            ],
            image: { prebuilt: { cpu: IMAGE } },
            secrets: { hubPassword: "a-password-for-tests" },
        });
        await settle(recorder);
        expect(recorder.ofType("ds-platform:model:ModelService").map((r) => r.name).sort()).toEqual(["p-model-churn", "p-model-iris"]);
        expect(Object.keys(platform.models).sort()).toEqual(["churn", "iris"]);
        const imageRef = await valueOf(platform.imageRef);
        const images = recorder.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.labels?.[MODEL_LABEL]).map((d) => d.inputs.spec.template.spec.containers[0].image);
        expect(images).toEqual([imageRef, imageRef]);
    });
});
