/** The example program runs under mocks: another program can build the platform from the package. */
import * as pulumi from "@pulumi/pulumi";
import { settle, setupMocks, unwrapSecrets, valueOf } from "../../test/helpers/mocks";
import { validateKubernetesObject, kubernetesGvk } from "../../test/helpers/kubeSchema";
import { teamPlatform } from "./program";

test("team-platform declares a complete platform in its own namespaces", async () => {
    const recorder = setupMocks("team-platform", "dev");
    pulumi.runtime.setAllConfig(
        { "team-platform:hubPassword": "team-a-password", "team-platform:hubAdminPassword": "team-a-admin-password-of-32-chars!" },
        ["team-platform:hubPassword", "team-platform:hubAdminPassword"],
    );
    const outputs = teamPlatform();
    await settle(recorder);

    expect(await valueOf(outputs.imageRef)).toMatch(/^localhost:30501\/team-a\/notebook@sha256:[a-f0-9]{64}$/);
    expect(outputs.executorNamespacePrefix).toBe("team-a-u");
    const namespaces = recorder.ofType("kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name).sort();
    expect(namespaces).toEqual(["team-a"]);
    const k8sObjects = recorder.resources.filter((r) => kubernetesGvk(r.type));
    expect(k8sObjects.flatMap((r) => validateKubernetesObject(unwrapSecrets(r.inputs)))).toEqual([]);
    // Cluster-scoped objects are named after the platform namespace, so two platforms share a cluster without clashing.
    const clusterScoped = k8sObjects.filter((r) => r.inputs.metadata.namespace === undefined && !r.type.endsWith(":Namespace"));
    expect(clusterScoped.length).toBeGreaterThan(0);
    for (const r of clusterScoped) {
        expect({ type: r.type, name: r.inputs.metadata.name }).toEqual({ type: r.type, name: expect.stringMatching(/^team-a-/) });
    }
    const image = recorder.one("docker-build:index:Image");
    expect(image.inputs.buildArgs).toMatchObject({ NB_UID: "2000", NB_GID: "2000" });
});
