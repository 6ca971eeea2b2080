"""Kept for the importers not yet switched (formats/junit.py, reports/context.py): the
resource listing lives in checker.ids. Delete this module once they import it from there."""

from __future__ import annotations

from .ids import resources

__all__ = ["resources"]
