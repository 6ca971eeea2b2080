"""Policy engines: who evaluates the Rego (embedded regorus, or an OPA server)."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from .interface import Engine

ENGINES = ("regorus", "opa")


def make_engine(name: str, **options: Any) -> Engine:
    """Build the named engine; options are the engine's own (workers, URL, token...)."""
    if name == "regorus":
        from .embedded import EmbeddedEngine
        return EmbeddedEngine(workers=options.get("workers"),
                              pooled=bool(options.get("pooled", False)))
    if name == "opa":
        from .opa import OpaEngine
        return OpaEngine(url=options.get("opa_url"), token=options.get("opa_token"),
                         timeout=options.get("opa_timeout") or 60.0,
                         workers=options.get("workers") or 2)
    raise UsageError(f"unknown engine '{name}' (choose from: {', '.join(ENGINES)})")


__all__ = ["ENGINES", "Engine", "make_engine"]
