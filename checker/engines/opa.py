"""The OPA engine: a real Open Policy Agent server, through opa-python-client.

Two modes:
- ``url`` given: an existing server. If it already serves our policies (a bundle built by
  ``almguard bundle build``, or an earlier push) with the same policy digest, nothing is
  uploaded; otherwise the modules are pushed under the ``almguard/`` policy-id namespace
  (stale ones of ours removed) and the data under ``data.almguard.*``. A server that serves
  almguard policies with a *different* digest from a bundle cannot be changed: that is an
  error, never a silent evaluation against other policies.
- no ``url``: a private ``opa run --server`` on a free loopback port, stopped afterwards.

Every call has a timeout; unreachable server, authentication failure or a rejected policy
raise EngineError / PolicyError (the CLI exits 2: fail closed). Rejected Rego is never
rewritten (``rego_compat=False``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlparse

from ..errors import EngineError, PolicyError
from ..metadata import package_of
from ..policyset import Module, PolicySet
from .interface import FINDINGS, Engine, bounded_map

try:
    import requests
    from opa_client import OpaClient
    from opa_client.errors import ConnectionsError, RegoParseError
except ImportError:  # pragma: no cover - a broken install
    OpaClient = None

NAMESPACE = "almguard"
MARKER_PATH = "almguard/bundle"  # data.almguard.bundle = {"digest", "revision"}


def find_opa(explicit: str | None = None) -> str:
    """The opa binary: --opa-binary, $ALMGUARD_OPA, .bin/opa of the checkout, or PATH."""
    candidates = [explicit, os.environ.get("ALMGUARD_OPA"),
                  str(Path(__file__).resolve().parents[2] / ".bin" / "opa"), shutil.which("opa")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise EngineError("no opa binary found: install OPA (scripts/install-opa.sh builds it into "
                      ".bin/), set ALMGUARD_OPA, or give --opa-url of a running server")


_REFERENCE = re.compile(r"\bdata\.([A-Za-z_][\w.]*)")


def upload_order(modules: Sequence[Module]) -> list[Module]:
    """Modules ordered so that each comes after the packages it references.

    OPA compiles on every policy upload, so a module whose functions another module calls
    must be there first. Cycles (legal in Rego across packages) keep their file order.
    """
    by_package: dict[str, list[Module]] = {}
    for module in modules:
        found = package_of(module.text)
        by_package.setdefault(found[0] if found else "", []).append(module)
    packages = sorted(by_package, key=len, reverse=True)

    def deps(module: Module) -> set[str]:
        out = set()
        for ref in _REFERENCE.findall(module.text):
            for package in packages:
                if ref == package or ref.startswith(package + "."):
                    out.add(package)
                    break
        return out

    ordered: list[Module] = []
    placed: set[int] = set()
    visiting: set[int] = set()

    def visit(module: Module) -> None:
        if id(module) in placed or id(module) in visiting:
            return
        visiting.add(id(module))
        for package in sorted(deps(module)):
            for dep in by_package[package]:
                visit(dep)
        visiting.discard(id(module))
        placed.add(id(module))
        ordered.append(module)

    for module in modules:
        visit(module)
    return ordered


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OpaServer:
    """A private OPA server process on loopback."""

    def __init__(self, binary: str, start_timeout: float = 20.0) -> None:
        self.binary = binary
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, "run", "--server", "--addr", f"127.0.0.1:{self.port}",
             "--log-level", "error", "--disable-telemetry"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stream = self.process.stderr
                err = ((stream.read() if stream else b"") or b"").decode(errors="replace").strip()
                last = err.splitlines()[-1] if err else self.process.returncode
                raise EngineError(f"opa server exited at start: {last}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise EngineError(f"opa server did not become healthy within {start_timeout:.0f}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


class OpaEngine(Engine):
    name = "opa"
    concurrent = True   # HTTP requests on one pooled session; the server evaluates them

    def __init__(self, url: str | None = None, token: str | None = None,
                 timeout: float = 60.0, binary: str | None = None, workers: int = 2) -> None:
        if OpaClient is None:
            raise EngineError("opa-python-client is not installed")
        self._server: OpaServer | None = None
        if url is None:
            self._server = OpaServer(find_opa(binary))
            url = self._server.url
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise EngineError(f"invalid OPA URL '{url}' (expected http://host:port)")
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._workers = max(1, workers)
        self._client = OpaClient(host=parsed.hostname,
                                 port=parsed.port or (443 if parsed.scheme == "https" else 80),
                                 ssl=parsed.scheme == "https", token=token, timeout=timeout,
                                 retries=0)
        self._version: str | None = None

    # -- helpers ---------------------------------------------------------------------------
    def _fail(self, exc: BaseException, doing: str) -> EngineError:
        response = getattr(exc, "response", None)
        if response is not None and response.status_code in (401, 403):
            return EngineError(f"OPA server at {self.url} refused {doing}: authentication "
                               f"failed (HTTP {response.status_code}; check --opa-token)")
        if isinstance(exc, requests.Timeout):
            return EngineError(f"OPA server at {self.url} timed out {doing} "
                               f"(after {self._timeout:g}s)")
        if isinstance(exc, (requests.ConnectionError, ConnectionsError)):
            return EngineError(f"OPA server at {self.url} is unreachable while {doing}")
        if response is not None:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = response.text[:200]
            return EngineError(f"OPA server at {self.url} failed {doing}: HTTP "
                               f"{response.status_code} {detail}".strip())
        return EngineError(f"OPA server at {self.url} failed {doing}: {exc}")

    def _session(self) -> Any:
        return self._client._session  # noqa: SLF001 - raw JSON bodies, same auth/retries

    def _get_data(self, path: str) -> Any:
        try:
            response = self._session().get(f"{self.url}/v1/data/{path}", timeout=self._timeout)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise self._fail(exc, f"reading data/{path}") from None
        return response.json().get("result")

    # -- Engine ----------------------------------------------------------------------------
    def version(self) -> str:
        if self._version is None:
            try:
                result = self._client.ad_hoc_query("v := opa.runtime().version")
                self._version = str(result["result"][0]["v"])
            except (requests.RequestException, KeyError, IndexError) as exc:
                raise self._fail(exc, "reporting its version") from None
        return self._version

    def load(self, policies: PolicySet) -> None:
        marker = self._get_data(MARKER_PATH)
        if isinstance(marker, dict) and marker.get("digest") == policies.digest:
            self._probe()
            return  # the server already serves exactly these policies and data
        if isinstance(marker, dict) and marker.get("source") == "bundle":
            raise EngineError(
                f"OPA server at {self.url} serves an almguard bundle with policy digest "
                f"{marker.get('digest')} (revision {marker.get('revision')}), but this scan "
                f"loaded {policies.digest}: rebuild the bundle (almguard bundle build) with "
                "the same policies and data, or use another server")
        self._push(policies)
        self._probe()

    def _push(self, policies: PolicySet) -> None:
        try:
            existing = set(self._policy_ids())
            wanted = {f"{NAMESPACE}/{m.path}": m for m in upload_order(policies.modules)}
            for stale in sorted(i for i in existing - set(wanted) if i.startswith(NAMESPACE + "/")):
                self._client.delete_policy(stale)
            for pid, module in wanted.items():
                try:
                    self._client.update_policy_from_string(module.text, pid, rego_compat=False)
                except RegoParseError as exc:
                    raise PolicyError(f"OPA rejected the policy: {exc}", file=module.file) from None
            for key, value in policies.data.items():
                if key == NAMESPACE and isinstance(value, dict):
                    for sub, subvalue in value.items():
                        self._put_data(f"{NAMESPACE}/{sub}", subvalue)
                else:
                    self._put_data(key, value)
            self._put_data(MARKER_PATH, {"digest": policies.digest,
                                         "revision": policies.revision, "source": "push"})
        except (requests.RequestException, ConnectionsError) as exc:
            raise self._fail(exc, "loading policies") from None

    def _policy_ids(self) -> list[str]:
        response = self._session().get(f"{self.url}/v1/policies", timeout=self._timeout)
        response.raise_for_status()
        return [p["id"] for p in response.json().get("result", [])]

    def _put_data(self, path: str, value: Any) -> None:
        response = self._session().put(f"{self.url}/v1/data/{path}", data=json.dumps(value),
                                       headers={"Content-Type": "application/json"},
                                       timeout=self._timeout)
        if response.status_code >= 400:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = response.text[:200]
            raise EngineError(f"OPA server at {self.url} refused data at {path}: {detail}")

    def _probe(self) -> None:
        self.probe()

    def _query(self, text: str, query: str = FINDINGS) -> Any:
        body = '{"input":' + text + "}"
        try:
            response = self._session().post(f"{self.url}/v1/data/{query[5:].replace('.', '/')}",
                                            data=body.encode("utf-8"),
                                            headers={"Content-Type": "application/json"},
                                            timeout=self._timeout)
        except requests.RequestException as exc:
            raise self._fail(exc, "evaluating") from None
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = {"message": response.text[:200]}
            errors = payload.get("errors") or []
            if errors and errors[0].get("location"):
                loc = errors[0]["location"]
                raise PolicyError(f"evaluation failed: {errors[0].get('message')}",
                                  file=loc.get("file"), line=loc.get("row"))
            if response.status_code in (401, 403):
                raise EngineError(f"OPA server at {self.url} refused evaluation: "
                                  f"authentication failed (HTTP {response.status_code}; "
                                  "check --opa-token)")
            raise EngineError(f"OPA server at {self.url} failed evaluating: HTTP "
                              f"{response.status_code} {payload.get('message', '')}".strip())
        result = response.json().get("result")
        if result is None:
            raise EngineError(f"OPA server at {self.url} has no almguard policies loaded "
                              f"({query} is undefined)")
        return result

    def evaluate(self, inputs: Iterable[str], query: str = FINDINGS) -> list[Any]:
        if self._workers < 2:
            return [self._query(text, query) for text in inputs]
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return list(bounded_map(pool, lambda text: self._query(text, query), inputs,
                                    window=2 * self._workers))

    def close(self) -> None:
        self._client.close_connection()
        if self._server is not None:
            self._server.stop()
            self._server = None
