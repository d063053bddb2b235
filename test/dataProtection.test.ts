/**
 * Data survives mistakes: stateful resources are protected from `pulumi destroy` and replacement
 * (protect + retainOnDelete) by default in prod, configurable everywhere, and user homes and the hub
 * database sit on a storage class that retains volumes.
 */
import { unwrapSecrets } from "./helpers/mocks";
import { renderStack, RenderedStack, TEST_SECRETS } from "./helpers/render";

/** Resource types that hold data which a delete would lose. */
const STATEFUL = ["kubernetes:core/v1:PersistentVolumeClaim", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository", "aws:kms/key:Key"];

function stateful(rendered: RenderedStack) {
    return rendered.options.filter((o) => STATEFUL.includes(o.type));
}

test("prod protects every stateful resource it declares", async () => {
    const prod = await renderStack("prod", { secrets: TEST_SECRETS.prod });
    const found = stateful(prod);
    expect(found.map((o) => o.type)).toEqual(expect.arrayContaining(["aws:s3/bucket:Bucket", "aws:ecr/repository:Repository"]));
    expect(found.filter((o) => !o.protect || !o.retainOnDelete)).toEqual([]);
});

test("prod user homes and the hub database use a storage class that retains volumes", async () => {
    const prod = await renderStack("prod", { secrets: TEST_SECRETS.prod });
    const classes = prod.recorder.ofType("kubernetes:storage.k8s.io/v1:StorageClass").map((r) => unwrapSecrets(r.inputs));
    const values = unwrapSecrets(prod.recorder.ofType("kubernetes:helm.sh/v3:Release").find((r) => /jupyterhub/.test(String(r.inputs.chart)))!.inputs.values);
    const homeClass = values.singleuser.storage.dynamic.storageClass;
    expect(classes.find((c) => c.metadata.name === homeClass)?.reclaimPolicy).toBe("Retain");
    expect(values.hub.db.pvc.storageClassName).toBe(homeClass);
});

test("protection is configurable: the dev stack protects its volumes when protectData is on", async () => {
    const dev = await renderStack("dev", { secrets: TEST_SECRETS.dev });
    const devProtected = await renderStack("dev", { secrets: TEST_SECRETS.dev, overrides: { protectData: true } });
    expect(stateful(dev).length).toBeGreaterThan(0);
    expect(stateful(dev).every((o) => !o.protect && !o.retainOnDelete)).toBe(true);
    expect(stateful(devProtected).length).toBe(stateful(dev).length);
    expect(stateful(devProtected).filter((o) => !o.protect || !o.retainOnDelete)).toEqual([]);
});
