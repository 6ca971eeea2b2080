"""Snapshot sources: where a registry snapshot comes from (a file today; importers later)."""
