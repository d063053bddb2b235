"""Serve a scikit-learn model over HTTP: the image's `serve` mode (entrypoint.sh serve).

    entrypoint.sh serve [--artifact PATH_OR_S3_URI] [--host HOST] [--port PORT]

The artifact is a joblib (or plain pickle) file of a fitted estimator with `predict`, read from a
path (a mounted volume) or from `s3://bucket/key`. S3 is read with pyarrow's S3 filesystem, whose
AWS SDK credential chain takes the web identity that IRSA injects (AWS_ROLE_ARN,
AWS_WEB_IDENTITY_TOKEN_FILE); AWS_REGION names the bucket's region. The model is loaded before the
port is bound, so a pod is never ready without its model.

Endpoints:
    GET  /healthz   200 {"status": "ok", "model": NAME} once the model is loaded
    POST /predict   {"instances": [[x1, x2, ...], ...]} -> {"predictions": [...]}

Malformed requests get a 4xx with {"error": MESSAGE} naming the problem; a stack trace never
leaves the process. Settings from the environment (flags win): MODEL_ARTIFACT, MODEL_NAME,
MODEL_HOST (default 0.0.0.0), MODEL_PORT (8080), MODEL_MAX_BODY_BYTES (8 MiB),
MODEL_MAX_INSTANCES (10000).

Only load artifacts you trust: unpickling runs code from the file.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import os
import sys
from typing import Any, Awaitable, Callable

log = logging.getLogger("ds-platform.serve")

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class RequestError(Exception):
    """A problem with the request, answered with `status` and `message`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def read_artifact(location: str) -> bytes:
    """The artifact's bytes, from a local path or an s3://bucket/key URI."""
    if location.startswith("s3://"):
        from pyarrow import fs

        bucket_key = location[len("s3://"):]
        if "/" not in bucket_key or bucket_key.endswith("/"):
            raise ValueError(f"artifact {location!r}: expected s3://bucket/key")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        s3 = fs.S3FileSystem(region=region) if region else fs.S3FileSystem()
        with s3.open_input_stream(bucket_key) as stream:
            return stream.readall()
    if "://" in location:
        raise ValueError(f"artifact {location!r}: allowed are a file path or s3://bucket/key")
    with open(location, "rb") as f:
        return f.read()


def load_model(location: str) -> Any:
    import joblib

    model = joblib.load(io.BytesIO(read_artifact(location)))
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"artifact {location!r} holds a {type(model).__name__}, which has no predict method")
    return model


# ---------------------------------------------------------------------------------------------
# Request checking
# ---------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> float:
    raise RequestError(400, f"body is not valid JSON: {name} is not a JSON number")


def parse_instances(body: bytes, n_features: int | None, max_instances: int) -> list[list[float]]:
    """The rows of a predict request, or a RequestError naming what is wrong."""
    if not body:
        raise RequestError(400, 'empty body; send JSON such as {"instances": [[1.0, 2.0], ...]}')
    try:
        doc = json.loads(body, parse_constant=_reject_constant)
    except RequestError:
        raise
    except UnicodeDecodeError:
        raise RequestError(400, "body is not valid JSON: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise RequestError(400, f"body is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(doc, dict):
        raise RequestError(400, f'body must be a JSON object with key "instances", got a JSON {_json_type(doc)}')
    if "instances" not in doc:
        raise RequestError(400, f'missing key "instances"; got keys: {", ".join(sorted(doc)) or "(none)"}')
    unknown = sorted(set(doc) - {"instances"})
    if unknown:
        raise RequestError(400, f'unknown keys: {", ".join(unknown)}; allowed: instances')
    rows = doc["instances"]
    if not isinstance(rows, list):
        raise RequestError(422, f'"instances" must be a list of rows (lists of numbers), got a JSON {_json_type(rows)}')
    if not rows:
        raise RequestError(422, '"instances" is empty; send at least one row')
    if len(rows) > max_instances:
        raise RequestError(413, f'"instances" has {len(rows)} rows; at most {max_instances} per request')
    width = n_features
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise RequestError(422, f"instances[{i}] must be a list of numbers (one row of features), got a JSON {_json_type(row)}")
        if width is None:
            width = len(row)
        if len(row) != width:
            expected = f"the model takes {n_features} features" if n_features is not None else f"instances[0] has {width}"
            raise RequestError(422, f"instances[{i}] has {len(row)} features; {expected}")
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise RequestError(422, f"instances[{i}][{j}] must be a number, got a JSON {_json_type(value)} ({_short(value)})")
            if isinstance(value, float) and not math.isfinite(value):
                raise RequestError(422, f"instances[{i}][{j}] must be a finite number")
    if width == 0:
        raise RequestError(422, "instances have no features")
    return rows


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_json_value(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values (floats keep their exact value: repr round-trips)."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


# ---------------------------------------------------------------------------------------------
# The ASGI application
# ---------------------------------------------------------------------------------------------


class ModelApp:
    """A raw ASGI callable: /healthz and /predict, nothing else."""

    def __init__(self, model: Any, name: str, max_body_bytes: int, max_instances: int):
        import numpy

        self.numpy = numpy
        self.model = model
        self.name = name
        self.max_body_bytes = max_body_bytes
        self.max_instances = max_instances
        n = getattr(model, "n_features_in_", None)
        self.n_features = int(n) if n is not None else None

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, payload = await self._route(scope, receive)
        except RequestError as e:
            status, payload = e.status, {"error": e.message}
        except Exception:  # never a stack trace to the client; the log keeps it
            log.exception("prediction failed")
            status, payload = 500, {"error": "prediction failed; see the server log"}
        body = json.dumps(payload, allow_nan=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 405:
            headers.append((b"allow", b"POST" if scope["path"] == "/predict" else b"GET"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: dict, receive: Receive) -> tuple[int, dict]:
        path, method = scope["path"], scope["method"]
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                raise RequestError(405, f"{method} is not allowed on /healthz; use GET")
            return 200, {"status": "ok", "model": self.name}
        if path == "/predict":
            if method != "POST":
                raise RequestError(405, f"{method} is not allowed on /predict; use POST with a JSON body")
            rows = parse_instances(await self._body(scope, receive), self.n_features, self.max_instances)
            try:
                predictions = self.model.predict(self.numpy.asarray(rows, dtype=self.numpy.float64))
            except (ValueError, TypeError) as e:
                # The estimator refused the input (e.g. a pipeline step's own checks): a client error.
                raise RequestError(422, f"the model rejected the instances: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
            return 200, {"predictions": to_json_value(predictions)}
        raise RequestError(404, f"no such path {path}; endpoints: GET /healthz, POST /predict")

    async def _body(self, scope: dict, receive: Receive) -> bytes:
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise RequestError(413, f"body of {int(declared)} bytes exceeds the limit of {self.max_body_bytes}")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestError(400, "client disconnected before sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise RequestError(413, f"body exceeds the limit of {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="entrypoint.sh serve", description="Serve a scikit-learn model over HTTP.")
    parser.add_argument("--artifact", default=env.get("MODEL_ARTIFACT"), help="model file path or s3://bucket/key (env MODEL_ARTIFACT)")
    parser.add_argument("--name", default=env.get("MODEL_NAME", "model"), help="model name reported by /healthz (env MODEL_NAME)")
    parser.add_argument("--host", default=env.get("MODEL_HOST", "0.0.0.0"), help="address to bind (env MODEL_HOST; default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=int(env.get("MODEL_PORT", "8080")), help="port (env MODEL_PORT; default 8080)")
    parser.add_argument("--max-body-bytes", type=int, default=int(env.get("MODEL_MAX_BODY_BYTES", str(8 * 2**20))))
    parser.add_argument("--max-instances", type=int, default=int(env.get("MODEL_MAX_INSTANCES", "10000")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.artifact:
        parser.error("no model artifact: set MODEL_ARTIFACT or pass --artifact")
    try:
        model = load_model(args.artifact)
    except Exception as e:  # a clear one-line reason; the pod restarts and the event says why
        log.error("cannot load model %r from %s: %s: %s", args.name, args.artifact, type(e).__name__, e)
        return 1
    app = ModelApp(model, args.name, args.max_body_bytes, args.max_instances)
    log.info("model %r loaded from %s (%s, %s features)", args.name, args.artifact, type(model).__name__, app.n_features)

    import uvicorn

    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http="h11",
        loop="asyncio",
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=20,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
