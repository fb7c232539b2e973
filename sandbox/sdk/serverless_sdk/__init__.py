"""Python SDK for sandboxed plugins (the API of SDK v0.5.1, sandbox/sdk/README.md).

A plugin module creates ``plugin = Plugin()`` (the runner also provides one)
and registers handlers with its decorators; ``serverless_sdk.runner`` serves
them to the host over JSON-RPC (docs/protocol.md).
"""

from __future__ import annotations

__version__ = "0.5.1"

from .components import ActionRow, Button, SelectMenu, SelectOption, TextInput
from .context import Context
from .errors import CapabilityError, PluginError, RegistrationError
from .plugin import EVENT_NAMES, Plugin

__all__ = [
    "Plugin",
    "Context",
    "Button",
    "SelectMenu",
    "SelectOption",
    "ActionRow",
    "TextInput",
    "PluginError",
    "CapabilityError",
    "RegistrationError",
    "EVENT_NAMES",
    "__version__",
]
