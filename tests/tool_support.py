"""What a test does when a tool it needs is missing: in CI (ALMGUARD_REQUIRE_TOOLS=1, set by
.ci/run, which installs every tool) it fails; elsewhere it is skipped, saying how to get it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(what: str, remedy: str) -> NoReturn:
    """Fail (tools required) or skip: this test needs `what`; `remedy` says how to get it."""
    if os.environ.get("ALMGUARD_REQUIRE_TOOLS") == "1":
        pytest.fail(f"ALMGUARD_REQUIRE_TOOLS=1 and this test needs {what}: {remedy}")
    pytest.skip(f"needs {what}: {remedy}")
