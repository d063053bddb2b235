#!/usr/bin/python3
"""Two-way sync of traefik's acme.json with a key of a Kubernetes Secret.

Our stand-in for z2jh's acme-secret-sync.py (image
quay.io/jupyterhub/k8s-secret-sync), with the same command line, so the
chart's autohttps pod (templates/proxy/autohttps/deployment.yaml) runs it
unchanged:

    load       [--namespace NS] SECRET KEY PATH
        init container "load-acme": writes the Secret's KEY to PATH (mode 0600)
        once, so traefik starts with the certificates it got before. A missing
        Secret or key writes nothing (a first start).
    watch-save [--namespace NS] [--label K=V ...] SECRET KEY PATH
        sidecar "secret-sync": every 30 s, if PATH holds at least one
        certificate, stores its content in the Secret's KEY (creating the
        Secret with the labels if needed; patching only when it changed).
        A file without certificates is never saved, so a temporary state
        cannot replace good certificates.

The namespace defaults to the pod's own (the service account's namespace
file). Only the Python standard library: the in-cluster API server
(KUBERNETES_SERVICE_HOST/PORT), the service account's token (re-read for each
request, as bound tokens rotate) and its ca.crt. Proxy variables are ignored:
the chart gives the init container traefik's extraEnv, which may carry an
HTTPS_PROXY meant for the ACME server.
"""

import argparse
import base64
import json
import logging
import os
import signal
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Api:
    """The few Secret calls this needs, against the in-cluster API server."""

    def __init__(self, namespace):
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        port = os.environ.get("KUBERNETES_SERVICE_PORT")
        if not host or not port:
            raise SystemExit(
                "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a cluster"
            )
        if ":" in host:
            host = f"[{host}]"
        self.base = f"https://{host}:{port}/api/v1/namespaces/{urllib.parse.quote(namespace, safe='')}/secrets"
        context = ssl.create_default_context(cafile=os.path.join(SERVICE_ACCOUNT, "ca.crt"))
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )

    def request(self, method, path="", body=None, content_type="application/json"):
        with open(os.path.join(SERVICE_ACCOUNT, "token")) as f:
            token = f.read().strip()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                text = json.loads(text).get("message", text)
            except (ValueError, AttributeError):
                pass
            raise ApiError(e.code, text) from None

    def read(self, name):
        """The Secret, or None if it does not exist."""
        try:
            return self.request("GET", "/" + urllib.parse.quote(name, safe=""))
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def create(self, name, labels, data):
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "labels": labels},
            "data": data,
        }
        return self.request("POST", body=body)

    def patch_data(self, name, data):
        # A JSON merge patch touches only these keys.
        return self.request(
            "PATCH",
            "/" + urllib.parse.quote(name, safe=""),
            body={"data": data},
            content_type="application/merge-patch+json",
        )


def load(api, args):
    secret = api.read(args.secret_name)
    if secret is None:
        logging.info(f"Secret {args.secret_name} does not exist: nothing to load")
        return
    encoded = (secret.get("data") or {}).get(args.key)
    value = base64.standard_b64decode(encoded) if encoded else b""
    if not value:
        logging.info(f"Secret {args.secret_name} has no value for key {args.key}: nothing to load")
        return
    fd = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(value)
    logging.info(f"Loaded key {args.key} of secret {args.secret_name} into {args.path} ({len(value)} bytes)")


def has_certificate(content):
    """Whether traefik's acme.json holds a certificate for any resolver."""
    doc = json.loads(content)
    if not isinstance(doc, dict):
        return False
    return any(isinstance(r, dict) and r.get("Certificates") for r in doc.values())


def save(api, args, labels, content):
    encoded = base64.standard_b64encode(content).decode()
    secret = api.read(args.secret_name)
    if secret is None:
        api.create(args.secret_name, labels, {args.key: encoded})
        logging.info(f"Created secret {args.secret_name} with key {args.key}")
    elif (secret.get("data") or {}).get(args.key) != encoded:
        api.patch_data(args.secret_name, {args.key: encoded})
        logging.info(f"Updated secret {args.secret_name} with new value for key {args.key}")


def check(api, args, labels):
    """One round of watch-save."""
    try:
        with open(args.path, "rb") as f:
            content = f.read()
    except FileNotFoundError:
        logging.warning(f"Watched file {args.path} not found")
        return
    except OSError as e:
        logging.error(f"Could not read watched file {args.path}: {e}")
        return
    if not content:
        logging.info(f"Watched file {args.path} is currently empty")
        return
    try:
        certified = has_certificate(content)
    except ValueError as e:
        # traefik may be halfway through writing it: try again next round.
        logging.warning(f"Watched file {args.path} is not valid JSON: {e}")
        return
    if not certified:
        logging.info(f"No certificate detected in {args.path}")
        return
    try:
        save(api, args, labels, content)
    except (ApiError, OSError, ValueError) as e:
        logging.error(f"Could not save {args.path} to secret {args.secret_name}: {e}")


def watch_save(api, args):
    labels = {}
    for label in args.label or []:
        key, sep, value = label.partition("=")
        if not sep or not key:
            raise SystemExit(f"--label {label!r}: expected KEY=VALUE")
        labels[key] = value
    while True:
        check(api, args, labels)
        time.sleep(args.interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--namespace", help="namespace of the Secret (default: the pod's)")
    parser.add_argument("action", choices=["load", "watch-save"])
    parser.add_argument("secret_name", help="name of the Secret; watch-save creates it if needed")
    parser.add_argument("key", help="key in the Secret's data")
    parser.add_argument("path", help="the file to sync")
    parser.add_argument(
        "--label", action="append", help="KEY=VALUE label for a Secret that watch-save creates (repeatable)"
    )
    parser.add_argument(
        "--interval", type=float, default=30, help="watch-save: seconds between two checks (default: 30)"
    )
    args = parser.parse_args()

    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)
    logging.info(" ".join(sys.argv))
    # Stop at once on the kubelet's SIGTERM, whatever runs as PID 1.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

    if not args.namespace:
        try:
            with open(os.path.join(SERVICE_ACCOUNT, "namespace")) as f:
                args.namespace = f.read().strip()
        except FileNotFoundError:
            logging.error("Can not determine a namespace, must be explicitly set with --namespace")
            sys.exit(1)

    api = Api(args.namespace)
    if args.action == "load":
        try:
            load(api, args)
        except (ApiError, OSError, ValueError) as e:
            logging.error(f"Could not load secret {args.secret_name}: {e}")
            sys.exit(1)
    else:
        watch_save(api, args)


if __name__ == "__main__":
    main()
