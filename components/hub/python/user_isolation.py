# ds-platform: per-user isolation of client-mode Spark, run by the hub (z2jh hub.extraConfig).
#
# Before a user's server starts, the hub applies that user's objects (rendered by the Pulumi program
# in components/spark/userIsolation.ts and passed as custom.dsPlatformUserIsolation): an executor
# namespace of the user's own with the `restricted` Pod Security level, a notebook ServiceAccount
# of the user's own, the driver's RoleBinding in that namespace only, the quota and the
# NetworkPolicies. The notebook pod then runs as that ServiceAccount, labelled with the user, and
# names the namespace in its environment (spark.kubernetes.namespace reads it). After the server
# stops, the hub deletes what Spark left in the namespace. Any failure fails the spawn: a notebook
# never starts with another identity.
#
# `c` and `get_config` are those of z2jh's jupyterhub_config.py, which runs this file.
from kubernetes_asyncio.client import RbacAuthorizationV1Api
from kubernetes_asyncio.client.rest import ApiException
from kubespawner.slugs import safe_slug

_DS_ISOLATION = get_config("custom.dsPlatformUserIsolation")  # noqa: F821


def _ds_user_slug(spawner):
    """The user's name as a Kubernetes name that fits `<prefix>-<user>` in 63 characters."""
    cfg = _DS_ISOLATION
    room = cfg["maxNamespaceLength"] - len(cfg["executorNamespacePrefix"]) - 1
    return safe_slug(spawner.user.name, max_length=room)


def _ds_render(obj, values):
    if isinstance(obj, str):
        for placeholder, value in values.items():
            obj = obj.replace(placeholder, value)
        return obj
    if isinstance(obj, list):
        return [_ds_render(item, values) for item in obj]
    if isinstance(obj, dict):
        return {_ds_render(k, values): _ds_render(v, values) for k, v in obj.items()}
    return obj


async def _ds_apply(api_client, path, manifest):
    """Server-side apply: creates the object or brings it to the manifest, whoever changed it."""
    name = manifest["metadata"]["name"]
    try:
        await api_client.call_api(
            f"{path}/{name}",
            "PATCH",
            query_params=[("fieldManager", _DS_ISOLATION["fieldManager"]), ("force", "true")],
            header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
            body=manifest,
            auth_settings=["BearerToken"],
            response_types_map={200: "object", 201: "object"},
            _return_http_data_only=True,
        )
    except ApiException as e:
        raise RuntimeError(f"ds-platform: could not apply {manifest['kind']} {name}: {e.status} {e.reason}: {e.body}") from e


def _ds_targets(spawner):
    slug = _ds_user_slug(spawner)
    namespace = f"{_DS_ISOLATION['executorNamespacePrefix']}-{slug}"
    return slug, namespace, {"$(USER_NAMESPACE)": namespace, "$(USER)": slug}


async def _ds_check_namespace(spawner, namespace, slug):
    """Refuses a namespace of that name that is not this platform's executor namespace of this user."""
    cfg = _DS_ISOLATION
    try:
        existing = await spawner.api.read_namespace(namespace)
    except ApiException as e:
        if e.status == 404:
            return
        raise
    labels = existing.metadata.labels or {}
    if labels.get(cfg["executorsOfLabel"]) != cfg["hubNamespace"] or labels.get(cfg["userLabel"]) != slug:
        raise RuntimeError(
            f"ds-platform: namespace {namespace} exists but is not the executor namespace of user {slug} "
            f"({cfg['executorsOfLabel']}={cfg['hubNamespace']}, {cfg['userLabel']}={slug}); "
            "rename or remove it, or set spark.namespace to another prefix"
        )


async def ds_platform_prepare_user(spawner):
    """pre_spawn_hook: the user's objects, applied before the pod is created."""
    cfg = _DS_ISOLATION
    slug, namespace, values = _ds_targets(spawner)
    await _ds_check_namespace(spawner, namespace, slug)
    api_client = spawner.api.api_client
    # The namespace is owned by the driver ClusterRole: destroying the platform deletes it.
    owner = await RbacAuthorizationV1Api(api_client).read_cluster_role(cfg["driverClusterRole"])
    owner_ref = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": owner.metadata.name, "uid": owner.metadata.uid}
    for item in cfg["objects"]:
        manifest = _ds_render(item["manifest"], values)
        if manifest["kind"] == "Namespace":
            manifest["metadata"]["ownerReferences"] = [owner_ref]
        await _ds_apply(api_client, _ds_render(item["path"], values), manifest)
    pull_secret = cfg.get("pullSecretName")
    if pull_secret:
        source = await spawner.api.read_namespaced_secret(pull_secret, cfg["hubNamespace"])
        await _ds_apply(
            api_client,
            f"/api/v1/namespaces/{namespace}/secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": pull_secret, "namespace": namespace},
                "type": source.type,
                "data": source.data,
            },
        )
    spawner.log.info(f"ds-platform: executor namespace {namespace} ready for {spawner.user.name}")


def ds_platform_user_pod(spawner, pod):
    """modify_pod_hook: the pod runs as the user's ServiceAccount, with the user's label and namespace."""
    cfg = _DS_ISOLATION
    slug, namespace, values = _ds_targets(spawner)
    pod.spec.service_account_name = _ds_render(cfg["notebookServiceAccount"], values)
    pod.spec.automount_service_account_token = True
    pod.metadata.labels = {**(pod.metadata.labels or {}), cfg["userLabel"]: slug}
    container = pod.spec.containers[0]
    env = [e for e in (container.env or []) if _ds_env_name(e) != cfg["executorNamespaceEnv"]]
    env.append({"name": cfg["executorNamespaceEnv"], "value": namespace})
    container.env = env
    return pod


def _ds_env_name(e):
    return e.get("name") if isinstance(e, dict) else getattr(e, "name", None)


async def ds_platform_clean_user(spawner):
    """post_stop_hook: deletes what Spark left in the user's executor namespace (executors of a killed driver)."""
    cfg = _DS_ISOLATION
    _, _, values = _ds_targets(spawner)
    for item in cfg["cleanup"]:
        path = _ds_render(item["path"], values)
        try:
            await spawner.api.api_client.call_api(
                path,
                "DELETE",
                query_params=[("labelSelector", item["labelSelector"])],
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                response_types_map={200: "object"},
                _return_http_data_only=True,
            )
        except ApiException as e:
            if e.status != 404:
                spawner.log.warning(f"ds-platform: could not clean {path} ({item['labelSelector']}): {e.status} {e.reason}")


def _ds_chain(previous, hook):
    """Runs a hook configured elsewhere (hub.extraConfig) before ours."""
    if previous is None:
        return hook

    async def chained(spawner, *args):
        from jupyterhub.utils import maybe_future

        result = await maybe_future(previous(spawner, *args))
        if args:
            args = (result if result is not None else args[0],)
        return await maybe_future(hook(spawner, *args))

    return chained


c.KubeSpawner.pre_spawn_hook = _ds_chain(c.KubeSpawner.get("pre_spawn_hook"), ds_platform_prepare_user)  # noqa: F821
c.KubeSpawner.modify_pod_hook = _ds_chain(c.KubeSpawner.get("modify_pod_hook"), ds_platform_user_pod)  # noqa: F821
c.KubeSpawner.post_stop_hook = _ds_chain(c.KubeSpawner.get("post_stop_hook"), ds_platform_clean_user)  # noqa: F821
