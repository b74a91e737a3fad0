"""A small, defensive Kubernetes API client shared by the kubernetes tools and the SRE analyzers.

Why not the typed ``kubernetes.client`` APIs: a real cluster may be older than the client (1.20 serves
CronJob only as batch/v1beta1, which client 37 no longer models), and analyzers are easier to write, test and
trust on the API's own JSON than on generated objects. So this module keeps the official client only for what
it does well (kubeconfig loading, TLS, auth) and issues raw REST calls, returning plain dicts. Every failure
becomes a ``KubeError`` carrying one line a human (and the model) can act on; callers never see a traceback.
The helpers on the returned JSON live in ``tools.kube_objects``; the common ones are re-exported here.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from opsquad.text import one_line
from tools.base import ToolContext
from tools.kube_objects import (  # re-exported: callers know these helpers as ``kube_client.<name>``
    clean_template,
    event_time,
    fit,
    owned_replicasets,
    parse_time,
    revision,
    template_diff,
)

__all__ = ["RESOURCES", "Kube", "KubeError", "Resource", "clean_template", "connect", "describe_error", "event_time",
           "fit", "from_context", "one_line", "owned_replicasets", "parse_time", "resolve_kubeconfig", "revision",
           "template_diff"]

TIMEOUT = (3.0, 15.0)  # (connect, read) seconds: an on-call tool must fail fast, not hang the loop
LINE = 300  # an error's one line is cut at this many characters


@dataclass(frozen=True)
class Resource:
    """Where one kind lives: candidate group-versions (newest first), the plural, and whether it is namespaced."""

    kind: str
    versions: tuple[str, ...]
    plural: str
    namespaced: bool = True


def _r(kind: str, plural: str, *versions: str, namespaced: bool = True) -> Resource:
    return Resource(kind, versions, plural, namespaced)


RESOURCES: dict[str, Resource] = {r.kind: r for r in [
    _r("pod", "pods", "v1"),
    _r("deployment", "deployments", "apps/v1"),
    _r("replicaset", "replicasets", "apps/v1"),
    _r("statefulset", "statefulsets", "apps/v1"),
    _r("daemonset", "daemonsets", "apps/v1"),
    _r("service", "services", "v1"),
    _r("endpoints", "endpoints", "v1"),
    _r("node", "nodes", "v1", namespaced=False),
    _r("pvc", "persistentvolumeclaims", "v1"),
    _r("pv", "persistentvolumes", "v1", namespaced=False),
    _r("storageclass", "storageclasses", "storage.k8s.io/v1", namespaced=False),
    _r("resourcequota", "resourcequotas", "v1"),
    _r("limitrange", "limitranges", "v1"),
    _r("configmap", "configmaps", "v1"),
    _r("secret", "secrets", "v1"),
    _r("event", "events", "v1"),
    _r("namespace", "namespaces", "v1", namespaced=False),
    _r("job", "jobs", "batch/v1"),
    _r("cronjob", "cronjobs", "batch/v1", "batch/v1beta1"),
    _r("ingress", "ingresses", "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"),
    _r("hpa", "horizontalpodautoscalers", "autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1"),
]}

# Secrets are listed as metadata only: their data never even crosses the wire.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA_ONLY_ONE = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


class KubeError(Exception):
    """One-line, human-readable failure; ``status`` is the HTTP code (None when the server was not reached)."""

    def __init__(self, message: str, status: int | None = None, not_served: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.not_served = not_served

    @property
    def denied(self) -> bool:
        return self.status in (401, 403)


def _status_message(body: Any) -> str:
    try:
        data = json.loads(body) if isinstance(body, str | bytes) else body
    except ValueError:
        return one_line(str(body or ""), 200)
    if isinstance(data, dict):
        return str(data.get("message") or data.get("reason") or "")
    return ""


def describe_error(exc: BaseException, server: str = "") -> KubeError:
    """Turn anything the client or urllib3 throws into a ``KubeError`` with one line naming the cause."""
    where = f"Kubernetes API at {server}" if server else "Kubernetes API"
    if isinstance(exc, KubeError):
        return exc
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        detail = _status_message(exc.body) or str(exc.reason or "")
        if status == 0:
            return KubeError(one_line(f"{where}: TLS/transport error: {exc.reason}", LINE))
        label = {401: "unauthorized (credentials rejected)", 403: "forbidden", 404: "not found",
                 409: "conflict", 422: "invalid", 429: "throttled"}.get(status, f"HTTP {status}")
        if status >= 500:
            label = f"server error {status}"
        return KubeError(one_line(f"{label}: {detail}" if detail else label, LINE), status)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError):  # before ConnectTimeoutError,
        why = "connection refused" if "refused" in str(exc).lower() else "cannot connect"  # its base class
        return KubeError(f"{where} is unreachable ({why})")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return KubeError(f"{where} is unreachable (connect timed out after {TIMEOUT[0]:g}s)")
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return KubeError(f"{where} did not answer within {TIMEOUT[1]:g}s")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return KubeError(one_line(f"{where}: TLS error: {exc}", LINE))
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return KubeError(one_line(f"{where} is unreachable ({type(exc).__name__}: {exc})", LINE))
    if isinstance(exc, ConfigException):
        return KubeError(one_line(f"kubeconfig: {exc}", LINE))
    return KubeError(one_line(f"{where}: {type(exc).__name__}: {exc}", LINE))


def resolve_kubeconfig(ctx: ToolContext | None) -> tuple[str | None, str | None]:
    """(kubeconfig path, context): the request's options, then agents.yaml, then KUBECONFIG, then ~/.kube/config."""
    extra = ctx.extra if ctx else {}
    cfg = ctx.config.tools.kubernetes if ctx else None
    context = extra.get("context") or (cfg.context if cfg else None)
    for candidate in (extra.get("kubeconfig"), cfg.kubeconfig if cfg else None, os.environ.get("KUBECONFIG")):
        if candidate:
            return os.path.expanduser(str(candidate)), context
    home = Path("~/.kube/config").expanduser()
    return (str(home) if home.is_file() else None), context


def connect(kubeconfig: str | None = None, context: str | None = None) -> Kube:
    """A client for one kubeconfig (or the in-cluster service account when there is none)."""
    cfg = type.__call__(k8s.Configuration)  # a fresh object, never the process-wide default
    try:
        if kubeconfig:
            if ":" not in kubeconfig and not Path(kubeconfig).is_file():
                raise KubeError(f"kubeconfig {kubeconfig} does not exist")
            k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg,
                                        persist_config=False)
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s_config.load_incluster_config(client_configuration=cfg)
        else:
            raise KubeError("no kubeconfig: set tools.kubernetes.kubeconfig in agents.yaml, KUBECONFIG, "
                            "or ~/.kube/config")
    except KubeError:
        raise
    except Exception as exc:  # ConfigException, YAML errors, unreadable files, bad certificates
        raise describe_error(exc) from None
    cfg.retries = 1
    return Kube(k8s.ApiClient(configuration=cfg))


def from_context(ctx: ToolContext | None) -> Kube:
    return connect(*resolve_kubeconfig(ctx))


class Kube:
    """Raw REST on top of an ``ApiClient``; returns API JSON as dicts and raises only ``KubeError``."""

    def __init__(self, api: Any, timeout: tuple[float, float] = TIMEOUT) -> None:
        self.api = api
        self.timeout = timeout
        self._served: dict[str, str] = {}

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing is best effort
            self.api.close()

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def request(self, method: str, path: str, query: list[tuple[str, Any]] | None = None, body: Any = None,
                content_type: str | None = None, accept: str = "application/json", raw: bool = False) -> Any:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        query = [(k, v) for k, v in (query or []) if v is not None]
        try:
            m, url, hdrs, payload, post = self.api.param_serialize(
                method=method, resource_path=path, query_params=query, header_params=headers, body=body,
                auth_settings=["BearerToken"])
            resp = self.api.call_api(m, url, hdrs, payload, post, _request_timeout=self.timeout)
            data = resp.read()
        except Exception as exc:
            raise describe_error(exc, self.server) from None
        if not 200 <= resp.status <= 299:
            err = describe_error(ApiException(status=resp.status, reason=resp.reason,
                                              body=data.decode("utf-8", "replace")), self.server)
            if resp.status == 404 and ("could not find the requested resource" in err.message
                                       or "page not found" in err.message):  # unknown group-version: plain text
                err.not_served = True
            raise err
        text = data.decode("utf-8", "replace")
        if raw:
            return text
        try:
            return json.loads(text) if text else {}
        except ValueError:
            raise KubeError(one_line(f"{self.server} answered {path} with non-JSON: {text[:80]}", LINE)) from None

    def resource(self, kind: str) -> Resource:
        res = RESOURCES.get(kind)
        if res is None:
            raise KubeError(f"unknown kind '{kind}' (known: {', '.join(RESOURCES)})")
        return res

    def _path(self, res: Resource, version: str, namespace: str | None, name: str | None, sub: str = "") -> str:
        base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
        ns = f"/namespaces/{namespace}" if res.namespaced and namespace else ""
        tail = f"/{name}" if name else ""
        return f"{base}{ns}/{res.plural}{tail}{('/' + sub) if sub else ''}"

    def _each_version(self, kind: str, call: Any) -> Any:
        """Try the kind's group-versions newest first; the first one the server serves is remembered."""
        res = self.resource(kind)
        versions = [self._served[kind]] if kind in self._served else list(res.versions)
        for version in versions:
            try:
                out = call(res, version)
            except KubeError as err:
                if err.not_served:
                    continue
                raise
            self._served[kind] = version
            return out
        raise KubeError(f"{kind} is not served by this API server (tried {', '.join(res.versions)})", 404,
                        not_served=True)

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        accept = METADATA_ONLY if kind == "secret" else "application/json"

        def call(res: Resource, version: str) -> list[dict[str, Any]]:
            body = self.request("GET", self._path(res, version, namespace, None), accept=accept, query=[
                ("labelSelector", label_selector or None), ("fieldSelector", field_selector or None),
                ("limit", limit)])
            items = body.get("items") or []
            for item in items:  # list items carry no kind; analyzers and summaries want it
                item.setdefault("kind", body.get("kind", "").removesuffix("List"))
            return list(items)

        return list(self._each_version(kind, call))

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        accept = METADATA_ONLY_ONE if kind == "secret" else "application/json"
        return dict(self._each_version(kind, lambda res, v: self.request(
            "GET", self._path(res, v, namespace, name), accept=accept)))

    def logs(self, namespace: str, pod: str, container: str | None = None, tail: int | None = None,
             limit_bytes: int | None = None, previous: bool = False) -> str:
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        return str(self.request("GET", path, accept="*/*", raw=True, query=[
            ("container", container), ("tailLines", tail), ("limitBytes", limit_bytes),
            ("previous", "true" if previous else None)]))

    def patch(self, kind: str, name: str, namespace: str | None, body: Any, patch_type: str = "strategic",
              dry_run: bool = False) -> dict[str, Any]:
        ctype = {"strategic": "application/strategic-merge-patch+json", "merge": "application/merge-patch+json",
                 "json": "application/json-patch+json"}[patch_type]
        return dict(self._each_version(kind, lambda res, v: self.request(
            "PATCH", self._path(res, v, namespace, name), body=body, content_type=ctype,
            query=[("dryRun", "All" if dry_run else None), ("fieldManager", "opsquad")])))

    def delete(self, kind: str, name: str, namespace: str | None, dry_run: bool = False) -> dict[str, Any]:
        return dict(self._each_version(kind, lambda res, v: self.request(
            "DELETE", self._path(res, v, namespace, name), query=[("dryRun", "All" if dry_run else None)])))
