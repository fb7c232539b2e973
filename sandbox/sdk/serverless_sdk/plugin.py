"""The Plugin registry: decorators that record handlers, and their lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from .components import MAX_CUSTOM_ID
from .cron import CronSpec
from .errors import RegistrationError

__all__ = ["Plugin", "Task", "EVENT_NAMES", "LIFECYCLE_NAMES", "MIN_SCHEDULE_SECONDS", "DEFAULT_EVENT_PRIORITY"]

F = TypeVar("F", bound=Callable[..., Any])

# The sixteen Discord events the platform dispatches (docs/events.md).
EVENT_NAMES: frozenset[str] = frozenset(
    {
        "message_create",
        "message_edit",
        "message_delete",
        "member_join",
        "member_leave",
        "member_update",
        "reaction_add",
        "reaction_remove",
        "voice_state_update",
        "interaction_create",
        "channel_create",
        "channel_delete",
        "channel_update",
        "role_create",
        "role_delete",
        "role_update",
    }
)

LIFECYCLE_NAMES: frozenset[str] = frozenset({"install", "uninstall", "upgrade"})

MIN_SCHEDULE_SECONDS = 30

# A listener without a priority has 1000; lower runs first (sandbox/sdk/README.md, docs/events.md).
DEFAULT_EVENT_PRIORITY = 1000

# Patterns end in \Z, not $: $ also matches before a final newline, so "abc\n" would pass.
# "other_plugin.task_done": a plugin id (docs/packages.md: lowercase, digits, "_", 1-64)
# then one or more dotted segments.
CUSTOM_EVENT = re.compile(r"^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64})+\Z")
# Discord's rule for command, group and subcommand names.
_COMMAND_PART = re.compile(r"^[-_\w]{1,32}\Z")
_TASK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")


@dataclass(frozen=True)
class Task:
    """A @schedule or @cron task. ``id`` is what the host invokes it by."""

    id: str
    kind: str  # "schedule" | "cron"
    handler: Callable[..., Any]
    seconds: float | None = None
    cron: CronSpec | None = None


def _require_name(decorator: str, name: Any) -> str:
    if callable(name) or not isinstance(name, str):
        raise RegistrationError(f'@plugin.{decorator} needs a name: write @plugin.{decorator}("name")')
    return name


def _require_handler(decorator: str, fn: Any) -> None:
    if not callable(fn):
        raise RegistrationError(f"@plugin.{decorator} must decorate a function, got {fn!r}")


def command_path(name: str) -> str:
    """Normalise "group  sub" to "group sub" and check Discord's naming rules.

    Only spaces separate the names: a tab or newline is part of a name, so refused.
    """
    parts = [part for part in name.split(" ") if part]
    if not 1 <= len(parts) <= 3:
        raise RegistrationError(f"slash command {name!r} must be 1-3 space-separated names (command [group] sub)")
    for part in parts:
        if not _COMMAND_PART.match(part) or part != part.lower():
            raise RegistrationError(
                f"slash command name {part!r} must be 1-32 lowercase letters, digits, '-' or '_'"
            )
    return " ".join(parts)


def is_custom_event(name: str) -> bool:
    return bool(CUSTOM_EVENT.match(name))


class Plugin:
    """Collects a plugin's handlers. The runner invokes them; the host reads
    the registrations through the ``describe`` method of the protocol."""

    def __init__(self) -> None:
        self.slash_commands: dict[str, Callable[..., Any]] = {}
        self.autocompletes: dict[str, Callable[..., Any]] = {}
        self.components: dict[str, Callable[..., Any]] = {}
        self.modals: dict[str, Callable[..., Any]] = {}
        # Listeners of each event, in the order they run: priority, then registration.
        self.events: dict[str, list[Callable[..., Any]]] = {}
        self._event_priorities: dict[str, list[int]] = {}
        self.lifecycle: dict[str, Callable[..., Any]] = {}
        self.tasks: dict[str, Task] = {}

    # -- decorators -------------------------------------------------------

    def on_event(self, name: str, priority: int = DEFAULT_EVENT_PRIORITY) -> Callable[[F], F]:
        """Handle one of the 16 Discord events, or a custom "plugin_id.event".

        ``priority`` orders listeners (docs/events.md): lower values run first,
        1000 by default, equal values in registration order. Across plugins the
        host delivers to the plugin whose lowest priority for the event is
        lowest first; within a plugin, the runner calls its listeners in order.
        """
        name = _require_name("on_event", name)
        if name not in EVENT_NAMES and not is_custom_event(name):
            raise RegistrationError(
                f"unknown event {name!r}: use one of {', '.join(sorted(EVENT_NAMES))}, "
                f"or a custom event named 'plugin_id.event_name'"
            )
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise RegistrationError(f"@plugin.on_event priority must be an int, got {priority!r}")

        def register(fn: F) -> F:
            _require_handler("on_event", fn)
            listeners = self.events.setdefault(name, [])
            priorities = self._event_priorities.setdefault(name, [])
            at = len([p for p in priorities if p <= priority])
            listeners.insert(at, fn)
            priorities.insert(at, priority)
            return fn

        return register

    def on_slash_command(self, name: str) -> Callable[[F], F]:
        """Handle a slash command; subcommands by path: "cmd sub" or "cmd group sub"."""
        path = command_path(_require_name("on_slash_command", name))
        return self._register_unique("on_slash_command", self.slash_commands, path, "slash command")

    def on_autocomplete(self, name: str) -> Callable[[F], F]:
        """Suggest choices for a command option; the handler returns the choices."""
        path = command_path(_require_name("on_autocomplete", name))
        return self._register_unique("on_autocomplete", self.autocompletes, path, "autocomplete")

    def on_component(self, custom_id: str) -> Callable[[F], F]:
        """Handle a button click or select menu choice by custom_id.

        A custom_id ending in "*" matches every custom_id with that prefix
        ("vote:*" handles "vote:1", "vote:2", ...); exact ids win.
        """
        custom_id = self._custom_id("on_component", custom_id)
        return self._register_unique("on_component", self.components, custom_id, "component")

    def on_modal_submit(self, custom_id: str) -> Callable[[F], F]:
        """Handle a submitted modal by its custom_id (a trailing "*" is a prefix match)."""
        custom_id = self._custom_id("on_modal_submit", custom_id)
        return self._register_unique("on_modal_submit", self.modals, custom_id, "modal")

    def on_lifecycle(self, name: str) -> Callable[[F], F]:
        """Run when the plugin is installed, uninstalled or upgraded in a guild."""
        name = _require_name("on_lifecycle", name)
        if name not in LIFECYCLE_NAMES:
            raise RegistrationError(f"lifecycle hook must be one of {', '.join(sorted(LIFECYCLE_NAMES))}, got {name!r}")
        return self._register_unique("on_lifecycle", self.lifecycle, name, "lifecycle hook")

    def schedule(self, seconds: float, name: str | None = None) -> Callable[[F], F]:
        """Run every ``seconds`` (minimum 30), first after one interval."""
        if callable(seconds):
            raise RegistrationError("@plugin.schedule needs an interval: write @plugin.schedule(300)")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds:
            raise RegistrationError(f"@plugin.schedule interval must be a number of seconds, got {seconds!r}")
        if seconds < MIN_SCHEDULE_SECONDS:
            raise RegistrationError(
                f"@plugin.schedule interval must be at least {MIN_SCHEDULE_SECONDS} seconds, got {seconds}"
            )

        def register(fn: F) -> F:
            _require_handler("schedule", fn)
            task_id = self._task_id(fn, name)
            self.tasks[task_id] = Task(task_id, "schedule", fn, seconds=seconds)
            return fn

        return register

    def cron(self, spec: str, name: str | None = None) -> Callable[[F], F]:
        """Run on a 5-field UTC cron spec; an invalid spec raises ValueError here."""
        if callable(spec):
            raise RegistrationError('@plugin.cron needs a spec: write @plugin.cron("0 9 * * 1")')
        try:
            parsed = CronSpec.parse(spec)
        except ValueError as error:
            raise RegistrationError(f"invalid cron spec {spec!r}: {error}") from None

        def register(fn: F) -> F:
            _require_handler("cron", fn)
            task_id = self._task_id(fn, name)
            self.tasks[task_id] = Task(task_id, "cron", fn, cron=parsed)
            return fn

        return register

    # -- lookup -----------------------------------------------------------

    def find_slash_command(self, path: str) -> tuple[str, Callable[..., Any]] | None:
        """The handler for a command path; a parent's handler serves unhandled subcommands."""
        return self._find_path(self.slash_commands, path)

    def find_autocomplete(self, path: str) -> tuple[str, Callable[..., Any]] | None:
        return self._find_path(self.autocompletes, path)

    def find_component(self, custom_id: str) -> Callable[..., Any] | None:
        return self._find_custom_id(self.components, custom_id)

    def find_modal(self, custom_id: str) -> Callable[..., Any] | None:
        return self._find_custom_id(self.modals, custom_id)

    def describe(self) -> dict[str, Any]:
        tasks = list(self.tasks.values())
        return {
            "slash_commands": list(self.slash_commands),
            "autocompletes": list(self.autocompletes),
            "components": list(self.components),
            "modals": list(self.modals),
            "events": list(self.events),
            "event_priorities": {name: min(p) for name, p in self._event_priorities.items()},
            "lifecycle": list(self.lifecycle),
            "schedules": [{"id": t.id, "seconds": t.seconds} for t in tasks if t.kind == "schedule"],
            "crons": [{"id": t.id, "spec": t.cron.spec} for t in tasks if t.kind == "cron" and t.cron],
        }

    # -- internals --------------------------------------------------------

    def _register_unique(
        self, decorator: str, table: dict[str, Callable[..., Any]], key: str, what: str
    ) -> Callable[[F], F]:
        if key in table:
            raise RegistrationError(f"{what} {key!r} already has a handler ({table[key].__name__})")

        def register(fn: F) -> F:
            _require_handler(decorator, fn)
            if key in table:
                raise RegistrationError(f"{what} {key!r} already has a handler ({table[key].__name__})")
            table[key] = fn
            return fn

        return register

    @staticmethod
    def _custom_id(decorator: str, custom_id: Any) -> str:
        custom_id = _require_name(decorator, custom_id)
        if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
            raise RegistrationError(f"custom_id must be 1-{MAX_CUSTOM_ID} characters, got {custom_id!r}")
        if "*" in custom_id[:-1]:
            raise RegistrationError(f"'*' is only allowed at the end of a custom_id pattern, got {custom_id!r}")
        return custom_id

    def _task_id(self, fn: Callable[..., Any], name: str | None) -> str:
        # Ids must survive a restart, so they derive from the code alone: the
        # function name, and on a clash "#2", "#3"... in registration order.
        if name is not None:
            if not isinstance(name, str) or not _TASK_NAME.match(name):
                raise RegistrationError(f"task name must be 1-64 letters, digits, '_', '-' or '.', got {name!r}")
            if name in self.tasks:
                raise RegistrationError(f"task name {name!r} is already used")
            return name
        base = getattr(fn, "__name__", "task")
        if not _TASK_NAME.match(base):
            base = "task"
        candidate, n = base, 1
        while candidate in self.tasks:
            n += 1
            candidate = f"{base}#{n}"
        return candidate

    @staticmethod
    def _find_path(
        table: dict[str, Callable[..., Any]], path: str
    ) -> tuple[str, Callable[..., Any]] | None:
        parts = path.split()
        while parts:
            key = " ".join(parts)
            if key in table:
                return key, table[key]
            parts.pop()
        return None

    @staticmethod
    def _find_custom_id(table: dict[str, Callable[..., Any]], custom_id: str) -> Callable[..., Any] | None:
        if custom_id in table:
            return table[custom_id]
        best: tuple[int, Callable[..., Any]] | None = None
        for pattern, fn in table.items():
            if pattern.endswith("*") and custom_id.startswith(pattern[:-1]):
                if best is None or len(pattern) > best[0]:
                    best = (len(pattern), fn)
        return best[1] if best else None
