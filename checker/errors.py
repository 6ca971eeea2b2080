"""Our exception types, all of them. Each carries where the problem is (file, line, path);
the CLI turns them into one line and exit 2, the service into its one-line ``detail``.

Modules raise these and import them from here; a module that defines an exception of its
own re-exports the one from here under the same name."""

from __future__ import annotations

from typing import Any


class AlmguardError(Exception):
    """Base class: an input or environment problem we can explain in one line."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.path = path

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.path:
            where = f"{where}: {self.path}" if where else self.path
        return f"{where}: {self.message}" if where else self.message


class SnapshotError(AlmguardError):
    """The snapshot could not be read or does not have the snapshot-v1 shape."""


class PolicyError(AlmguardError):
    """A policy file or policy data document is invalid."""


class EngineError(AlmguardError):
    """The policy engine could not evaluate (unreachable, rejected, crashed): fail closed."""


class UsageError(AlmguardError):
    """The command line asked for something that cannot be done."""


class DocumentError(AlmguardError):
    """A document could not be parsed; subclasses of AlmguardError re-raise it with their type.

    A path into the document, when known, leads the message ("registry.name: ..."), so that
    callers re-raising with ``exc.message`` and ``exc.line`` keep it; ``doc_path`` has it too.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message, file=file, line=line)
        self.doc_path = path


class WaiverError(AlmguardError):
    """The waiver file is invalid."""


class MLflowError(AlmguardError):
    """The MLflow server could not be read (unreachable, error answer) or mlflow is missing."""


class ConfigError(AlmguardError):
    """The service configuration is invalid."""


class CacheError(AlmguardError):
    """The evaluation cache cannot be used: not a directory, not writable (a fault of where
    almguard runs, not of its input)."""


class StoreError(AlmguardError):
    """The database could not be reached, migrated or read."""


class RunInProgress(AlmguardError):
    """The schedule is already running."""


class ServiceUnavailable(AlmguardError):
    """The service's optional dependencies are not installed."""


class NotFound(LookupError):
    """A scan, registry, snapshot or endpoint the request names does not exist (404)."""


class BodyTooLarge(Exception):
    """A request body is larger than the service accepts (413)."""


class DecisionError(AlmguardError):
    """The decision refused its input: the policies' own check found input errors
    ({path, message} each). The first is the message; where a path points into the waiver
    file, the error names that file and line."""

    def __init__(self, errors: list[dict[str, str]], *, waivers: Any = None) -> None:
        first = errors[0]
        path = str(first.get("path") or "")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        file = line = None
        if waivers is not None and path.startswith("waivers["):
            file, line = waivers.origin, waivers.line_of_path(path)
        super().__init__(str(first.get("message")) + more, file=file, line=line,
                         path=path or None)
        self.errors = errors
