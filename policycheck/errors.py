"""The one exception hierarchy; only the CLI catches it and maps it to exit code 2."""

from __future__ import annotations

INTERRUPTED = 130  # the exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it)


class PolicycheckError(Exception):
    """A failure the user can act on: one line, no traceback."""

    exit_code = 2


class UsageError(PolicycheckError):
    """Arguments that cannot be honoured (including hostile revisions)."""


class GitError(PolicycheckError):
    """Git could not answer: not a repository, a missing revision, a shallow base."""


class ConfigError(PolicycheckError):
    """A configuration or policy file that cannot be loaded; names file and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
