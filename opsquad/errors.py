"""Errors a user can act on.

Every error that reaches the CLI is an ``OpsquadError``: it carries one line of text that says what is wrong
and, where it helps, what to do. The CLI prints that line and exits 2; nothing prints a traceback.
"""

from __future__ import annotations

import signal


class OpsquadError(Exception):
    """A problem with the user's input or environment, reported as one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message.strip().splitlines()[0] if message.strip() else "unknown error")

    @property
    def line(self) -> str:
        return str(self)


class ConfigError(OpsquadError):
    """agents.yaml (or a flag) is invalid; the message names the file and the key path."""


class ModelUnavailable(OpsquadError):
    """The model server cannot be reached or died."""


class ModelOutputError(OpsquadError):
    """The model's answer did not validate against the schema, even after the repair retry."""


class WeightsError(OpsquadError):
    """A GGUF file could not be fetched or failed its sha256 check."""


class GitError(OpsquadError):
    """A path is not a git repository, or a ref does not exist."""


class ToolDenied(OpsquadError):
    """An agent used a tool its grants in agents.yaml do not allow (the use is audited as denied)."""


class Terminated(SystemExit):
    """A termination signal (SIGTERM from ``kill``, systemd, Kubernetes) raised as an exception in the main thread,
    so ``finally`` blocks run and the run being recorded is marked failed instead of staying 'running'."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal_name = signal.Signals(signum).name

    def __str__(self) -> str:
        return f"terminated by {self.signal_name}"
