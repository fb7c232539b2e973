"""Exceptions raised by the SDK inside plugin code."""

from __future__ import annotations

from typing import Any


class PluginError(Exception):
    """A host call failed, or the SDK was used where it cannot work.

    ``code`` and ``data`` carry the host's JSON-RPC error when there was one,
    so a plugin can tell failures apart without parsing messages.
    """

    def __init__(self, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data


class CapabilityError(PluginError):
    """The host refused a call because the install lacks a capability."""

    @property
    def capability(self) -> str | None:
        if isinstance(self.data, dict):
            value = self.data.get("capability")
            return value if isinstance(value, str) else None
        return None


class RegistrationError(ValueError):
    """A decorator was given something the platform cannot run.

    A ValueError so that invalid specs raise ValueError at registration, and a
    subclass so the runner can report it with its own error code
    (``registration_error``, docs/protocol.md §3) instead of a generic import
    failure.
    """
