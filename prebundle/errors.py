"""Errors a user sees: each renders as one line saying what, where, and what to do."""

from __future__ import annotations

__all__ = ["PrebundleError", "ConfigError", "MissingDependencyError"]


class PrebundleError(Exception):
    """Base of every error prebundle reports to a user (CLI exit code 1)."""


class ConfigError(PrebundleError):
    """A config file or option is invalid. The message names the file, line and key."""


class MissingDependencyError(PrebundleError):
    """Bare imports that resolve to nothing installed."""
