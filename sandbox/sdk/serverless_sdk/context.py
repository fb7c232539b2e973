"""``ctx``: what a handler can do, each call a JSON-RPC request to the host."""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from typing import Any, Mapping, Protocol

from .components import MAX_CUSTOM_ID, message_components, modal_components
from .errors import PluginError
from .plugin import EVENT_NAMES, is_custom_event

__all__ = ["Context", "Host", "Interaction", "KV", "Ephemeral", "Logger", "Discord", "EphemeralStore"]

INTERACTION_KINDS = frozenset({"slash_command", "component", "modal_submit"})
LOG_LEVELS = ("debug", "info", "warning", "error")
_LEVEL_ALIASES = {"warn": "warning", "critical": "error", "exception": "error"}

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_MODAL_TITLE = 45
MAX_KV_KEY = 256


class Host(Protocol):
    """The runner's side of the channel, as the context needs it."""

    def call(self, method: str, params: dict[str, Any]) -> Any: ...

    def notify(self, method: str, params: dict[str, Any]) -> None: ...


def _json_value(what: str, value: Any) -> Any:
    # Fail in the plugin's own traceback, not as a broken line on the wire.
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be JSON-serializable: {error}") from None
    return value


# The host refuses the same values before any Discord request (a ".." would change the route);
# checking here too only makes the error appear in the plugin's own traceback.
_SNOWFLAKE = re.compile(r"[0-9]{1,20}")
_EMOJI_NAME = re.compile(r"[A-Za-z0-9_]{2,32}")
_CUSTOM_EMOJI = re.compile(r"<a?:([^:<>]*):([^:<>]*)>")
_EMOJI_CATEGORIES = frozenset({"So", "Sm", "Sk", "Mn", "Me", "Po", "Pd", "Cn"})
MAX_EMOJI = 64


def _snowflake(what: str, value: Any) -> str:
    """ASCII digits only, 1-20 of them, below 2**64: no '..', signs, spaces or other scripts' digits."""
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if text is None or not _SNOWFLAKE.fullmatch(text) or int(text) >= 2**64:
        raise ValueError(f"{what} must be a Discord id (digits only), got {value!r}")
    return text


def _is_unicode_emoji(value: str) -> bool:
    # Symbols, marks and the few punctuation marks (and one letter, U+2139) emoji are made of, joined by
    # ZWJ, variation selectors, skin tones and tags; ASCII only as a keycap's first character (1️⃣).
    if not value or len(value.encode("utf-16-le")) // 2 > MAX_EMOJI:
        return False
    for i, char in enumerate(value):
        code = ord(char)
        if code < 0x80:
            if not (i == 0 and len(value) > 1 and char in "0123456789#*" and value[1] in "\ufe0f\u20e3"):
                return False
        elif not (
            code == 0x2139
            or code == 0x200D
            or 0xE0020 <= code <= 0xE007F
            or (unicodedata.category(char) in _EMOJI_CATEGORIES and code != 0xFFFD)
        ):
            return False
    return True


def _emoji(value: Any) -> str:
    """A Unicode emoji, or a custom one as name:id, <:name:id> or <a:name:id>; sent as given."""
    text = value if isinstance(value, str) else ""
    mention = _CUSTOM_EMOJI.fullmatch(text)
    custom = mention.groups() if mention else tuple(text.split(":")) if text.count(":") == 1 else None
    if custom:
        valid = bool(_EMOJI_NAME.fullmatch(custom[0]) and _SNOWFLAKE.fullmatch(custom[1]) and int(custom[1]) < 2**64)
    else:
        valid = ":" not in text and _is_unicode_emoji(text)
    if not valid:
        raise ValueError(f"emoji must be a Unicode emoji or a custom emoji as name:id (or <:name:id>), got {value!r}")
    return text


def _content(content: Any) -> str | None:
    if content is None:
        return None
    text = str(content)
    if len(text) > MAX_CONTENT:
        raise ValueError(f"message content is limited to {MAX_CONTENT} characters, got {len(text)}")
    return text


def _embeds(embeds: Any) -> list[dict[str, Any]] | None:
    if embeds is None:
        return None
    if isinstance(embeds, Mapping):
        embeds = [embeds]
    result = []
    for embed in embeds:
        to_dict = getattr(embed, "to_dict", None)
        data = to_dict() if callable(to_dict) else embed
        if not isinstance(data, Mapping):
            raise ValueError(f"an embed must be a dict, got {embed!r}")
        result.append(_json_value("embed", dict(data)))
    if len(result) > MAX_EMBEDS:
        raise ValueError(f"a message holds at most {MAX_EMBEDS} embeds, got {len(result)}")
    return result


def _message(content: Any, components: Any, embeds: Any) -> dict[str, Any]:
    return {
        "content": _content(content),
        "components": message_components(components),
        "embeds": _embeds(embeds),
    }


class _Bound:
    def __init__(self, ctx: "Context") -> None:
        self._ctx = ctx

    def _call(self, method: str, **params: Any) -> Any:
        return self._ctx._call(method, params)


class Interaction(_Bound):
    """The Discord interaction that triggered this invocation."""

    def _require(self) -> None:
        if self._ctx.kind not in INTERACTION_KINDS:
            raise PluginError(
                f"ctx.interaction is only available in slash command, component and modal handlers, "
                f"not in a {self._ctx.kind} handler"
            )

    def respond(
        self, content: str | None = None, components: Any = None, embeds: Any = None, ephemeral: bool = False
    ) -> None:
        self._require()
        self._call("interaction.respond", **_message(content, components, embeds), ephemeral=bool(ephemeral))

    def defer(self, ephemeral: bool = False) -> None:
        self._require()
        self._call("interaction.defer", ephemeral=bool(ephemeral))

    def send_modal(self, title: str, custom_id: str, fields: Any) -> None:
        self._require()
        if not isinstance(title, str) or not 1 <= len(title) <= MAX_MODAL_TITLE:
            raise ValueError(f"modal title must be 1-{MAX_MODAL_TITLE} characters, got {title!r}")
        if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
            raise ValueError(f"modal custom_id must be 1-{MAX_CUSTOM_ID} characters, got {custom_id!r}")
        self._call("interaction.send_modal", title=title, custom_id=custom_id, components=modal_components(fields))

    def followup(
        self, content: str | None = None, components: Any = None, embeds: Any = None, ephemeral: bool = False
    ) -> str | None:
        """Send a follow-up message; returns its message id when the host reports one."""
        self._require()
        result = self._call("interaction.followup", **_message(content, components, embeds), ephemeral=bool(ephemeral))
        return _message_id(result)

    def edit(self, content: str | None = None, components: Any = None, embeds: Any = None) -> None:
        """Edit the original response; None leaves a part unchanged, [] clears it."""
        self._require()
        self._call("interaction.edit", **_message(content, components, embeds))


def _message_id(result: Any) -> str | None:
    if isinstance(result, dict) and isinstance(result.get("message_id"), str):
        return result["message_id"]
    return None


class KV(_Bound):
    """Persistent key-value storage of this install, kept by the host."""

    @staticmethod
    def _key(key: Any) -> str:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KV_KEY:
            raise ValueError(f"kv key must be a string of 1-{MAX_KV_KEY} characters, got {key!r}")
        return key

    def get(self, key: str, default: Any = None) -> Any:
        result = self._call("kv.get", key=self._key(key))
        value = result.get("value") if isinstance(result, dict) else None
        return default if value is None else value

    def set(self, key: str, value: Any) -> None:
        self._call("kv.set", key=self._key(key), value=_json_value("kv value", value))

    def delete(self, key: str) -> None:
        self._call("kv.delete", key=self._key(key))

    def list(self, prefix: str = "") -> list[str]:
        if not isinstance(prefix, str):
            raise ValueError(f"kv prefix must be a string, got {prefix!r}")
        result = self._call("kv.list", prefix=prefix)
        keys = result.get("keys") if isinstance(result, dict) else None
        return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


class EphemeralStore:
    """Per-process state behind ctx.ephemeral, partitioned by install so that a
    pooled worker serving several guilds never leaks one guild's values to another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], Any] = {}

    def counter(self, scope: str, name: str, by: int = 1) -> int:
        with self._lock:
            current = self._values.get((scope, name), 0)
            if isinstance(current, bool) or not isinstance(current, int):
                raise ValueError(f"ephemeral {name!r} holds {type(current).__name__}, not a counter")
            self._values[(scope, name)] = current + by
            return current + by

    def get(self, scope: str, name: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get((scope, name), default)

    def set(self, scope: str, name: str, value: Any) -> None:
        with self._lock:
            self._values[(scope, name)] = value

    def delete(self, scope: str, name: str) -> None:
        with self._lock:
            self._values.pop((scope, name), None)


class Ephemeral:
    """In-memory state of this worker process: fast, no host call, and lost
    when the worker goes away (restart, scale-in, pool rebalancing)."""

    def __init__(self, store: EphemeralStore, scope: str) -> None:
        self._store = store
        self._scope = scope

    def counter(self, name: str, by: int = 1) -> int:
        """Add ``by`` (default 1) to the counter and return its new value."""
        return self._store.counter(self._scope, name, by)

    def get(self, name: str, default: Any = None) -> Any:
        return self._store.get(self._scope, name, default)

    def set(self, name: str, value: Any) -> None:
        self._store.set(self._scope, name, value)

    def delete(self, name: str) -> None:
        self._store.delete(self._scope, name)


class Logger(_Bound):
    """``ctx.log("text")`` or ``ctx.log.warning("text")``: lines in the plugin's log."""

    def __call__(self, message: Any, level: str = "info") -> None:
        level = _LEVEL_ALIASES.get(level, level)
        if level not in LOG_LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        self._ctx._notify("log", {"level": level, "message": str(message)})

    def debug(self, message: Any) -> None:
        self(message, "debug")

    def info(self, message: Any) -> None:
        self(message, "info")

    def warning(self, message: Any) -> None:
        self(message, "warning")

    def error(self, message: Any) -> None:
        self(message, "error")


class Discord(_Bound):
    """Discord actions outside the interaction, each behind its own capability."""

    def send_message(
        self, channel_id: str | int, content: str | None = None, components: Any = None, embeds: Any = None
    ) -> str | None:
        """Post a message; returns its id when the host reports one."""
        result = self._call(
            "discord.send_message",
            channel_id=_snowflake("channel_id", channel_id),
            **_message(content, components, embeds),
        )
        return _message_id(result)

    def add_reaction(self, channel_id: str | int, message_id: str | int, emoji: str) -> None:
        self._reaction("discord.add_reaction", channel_id, message_id, emoji)

    def remove_reaction(self, channel_id: str | int, message_id: str | int, emoji: str) -> None:
        self._reaction("discord.remove_reaction", channel_id, message_id, emoji)

    def add_role(self, user_id: str | int, role_id: str | int) -> None:
        self._call("discord.add_role", user_id=_snowflake("user_id", user_id), role_id=_snowflake("role_id", role_id))

    def remove_role(self, user_id: str | int, role_id: str | int) -> None:
        self._call(
            "discord.remove_role", user_id=_snowflake("user_id", user_id), role_id=_snowflake("role_id", role_id)
        )

    def _reaction(self, method: str, channel_id: Any, message_id: Any, emoji: Any) -> None:
        self._call(
            method,
            channel_id=_snowflake("channel_id", channel_id),
            message_id=_snowflake("message_id", message_id),
            emoji=_emoji(emoji),
        )


class Context:
    """Passed to every handler. Attributes: guild_id, plugin_id, install_id,
    pool, kind, name, invocation_id; helpers: interaction, kv, ephemeral, log,
    discord, emit()."""

    def __init__(
        self,
        host: Host,
        invocation_id: str,
        kind: str,
        name: str,
        info: Mapping[str, Any] | None = None,
        ephemeral: EphemeralStore | None = None,
    ) -> None:
        info = info or {}
        self._host = host
        self._lock = threading.Lock()
        self._closed = False
        self.invocation_id = invocation_id
        self.kind = kind
        self.name = name
        self.guild_id: str | None = _optional_str(info.get("guild_id"))
        self.plugin_id: str | None = _optional_str(info.get("plugin_id"))
        self.install_id: str | None = _optional_str(info.get("install_id"))
        self.pool: bool = bool(info.get("pool", False))
        self.source_plugin_id: str | None = _optional_str(info.get("source_plugin_id"))
        scope = self.install_id or self.guild_id or ""
        self.interaction = Interaction(self)
        self.kv = KV(self)
        self.ephemeral = Ephemeral(ephemeral if ephemeral is not None else EphemeralStore(), scope)
        self.log = Logger(self)
        self.discord = Discord(self)

    def emit(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
        """Emit a custom event ("my_plugin.task_done") to plugins listening for it."""
        if not isinstance(name, str) or name in EVENT_NAMES or not is_custom_event(name):
            raise ValueError(f"custom event names look like 'my_plugin.task_done', got {name!r}")
        if payload is not None and not isinstance(payload, Mapping):
            raise ValueError(f"event payload must be a dict, got {type(payload).__name__}")
        self._call("events.emit", {"name": name, "payload": _json_value("event payload", dict(payload or {}))})

    def close(self) -> None:
        """Called by the runner when the handler has returned."""
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        with self._lock:
            if self._closed:
                raise PluginError(f"invocation {self.invocation_id} has finished; its ctx can no longer be used")

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        self._check_open()
        return self._host.call(method, {"invocation_id": self.invocation_id, **params})

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        self._check_open()
        self._host.notify(method, {"invocation_id": self.invocation_id, **params})

    def __repr__(self) -> str:
        return f"Context(kind={self.kind!r}, name={self.name!r}, guild_id={self.guild_id!r})"


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
