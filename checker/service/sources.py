"""Schedule sources: what a named schedule scans, as snapshot sources of the checker.

- file: one snapshot file;
- directory: every *.json, *.yaml and *.yml file in it (one registry each), by name;
- azureml: a directory of saved `az ml` output (the Azure ML importer);
- mlflow: a tracking server (the MLflow importer; needs almguard[mlflow]);
- compose: a compose config (docs/compose.md), its sources merged into one snapshot.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SnapshotError
from ..sources.file import FileSource
from ..sources.interface import SnapshotSource
from .config import SourceConfig

SNAPSHOT_SUFFIXES = (".json", ".yaml", ".yml")


def snapshot_sources(config: SourceConfig) -> list[SnapshotSource]:
    """The sources one run of a schedule loads, in order."""
    if config.kind == "file":
        assert config.path is not None
        return [FileSource(config.path)]
    if config.kind == "directory":
        assert config.path is not None
        if not config.path.is_dir():
            raise SnapshotError("not a directory", file=str(config.path))
        files = sorted(p for p in config.path.iterdir()
                       if p.is_file() and p.suffix.lower() in SNAPSHOT_SUFFIXES
                       and not p.name.startswith("."))
        if not files:
            raise SnapshotError("no snapshot files (*.json, *.yaml, *.yml)",
                                file=str(config.path))
        return [FileSource(p) for p in files]
    if config.kind == "compose":
        from ..sources.composed import ComposedSource
        assert config.path is not None
        return [ComposedSource(Path(config.path))]
    if config.kind == "azureml":
        from ..sources.azureml import AzureMLExportSource
        assert config.path is not None
        return [AzureMLExportSource(Path(config.path), registry_name=config.registry_name)]
    from ..sources.mlflow import MLflowSource
    assert config.tracking_uri is not None
    return [MLflowSource(config.tracking_uri, models=config.models or None,
                         registry_name=config.registry_name)]
