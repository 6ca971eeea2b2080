"""Policy engines: who evaluates the Rego (embedded regorus, or an OPA server)."""

from __future__ import annotations

from .interface import Engine

__all__ = ["Engine"]
