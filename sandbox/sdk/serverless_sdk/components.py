"""Discord message components (buttons, select menus, rows, text inputs).

Each class validates the limits Discord documents at construction time, so a
mistake shows up in the plugin's own traceback rather than as an opaque 400
from Discord later, and ``to_dict()`` returns Discord's component JSON.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "Button",
    "SelectMenu",
    "SelectOption",
    "ActionRow",
    "TextInput",
    "parse_emoji",
    "component_json",
    "message_components",
    "modal_components",
]

ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4

BUTTON_STYLES: dict[str, int] = {
    "primary": 1,
    "secondary": 2,
    "success": 3,
    "danger": 4,
    "link": 5,
}
TEXT_INPUT_STYLES: dict[str, int] = {"short": 1, "paragraph": 2}

# Discord allows 100; the platform prefixes 15 characters to every custom_id to keep plugins apart.
MAX_CUSTOM_ID = 85
MAX_BUTTON_LABEL = 80
MAX_URL = 512
MAX_ROW_COMPONENTS = 5
MAX_MESSAGE_ROWS = 5
MAX_SELECT_OPTIONS = 25
MAX_SELECT_PLACEHOLDER = 150
MAX_OPTION_TEXT = 100
MAX_TEXT_INPUT_LABEL = 45
MAX_TEXT_INPUT_PLACEHOLDER = 100
MAX_TEXT_INPUT_LENGTH = 4000
MAX_MODAL_ROWS = 5

# \Z, not $ (which also matches before a final newline).
_CUSTOM_EMOJI = re.compile(r"^<(a?):([A-Za-z0-9_~]{1,32}):([0-9]{1,20})>\Z")


def parse_emoji(emoji: str | Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``"🎉"`` or ``"<:name:123>"`` / ``"<a:name:123>"`` into Discord's emoji object."""
    if isinstance(emoji, Mapping):
        return dict(emoji)
    if not isinstance(emoji, str) or not emoji.strip():
        raise ValueError(f"emoji must be a non-empty string, got {emoji!r}")
    match = _CUSTOM_EMOJI.match(emoji.strip())
    if match:
        return {"name": match.group(2), "id": match.group(3), "animated": match.group(1) == "a"}
    return {"name": emoji}


def _check_text(field: str, value: Any, maximum: int, minimum: int = 1) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    if not minimum <= len(value) <= maximum:
        raise ValueError(f"{field} must be {minimum}-{maximum} characters, got {len(value)}: {value!r}")


def _check_optional_text(field: str, value: Any, maximum: int) -> None:
    if value is not None:
        _check_text(field, value, maximum)


def _check_int(field: str, value: Any, minimum: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be an integer, got {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{field} must be between {minimum} and {maximum}, got {value}")


def _check_bool(field: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be True or False, got {value!r}")


class Button:
    """A button; ``style`` is one of primary, secondary, success, danger, link."""

    def __init__(
        self,
        label: str | None = None,
        custom_id: str | None = None,
        style: str = "primary",
        emoji: str | Mapping[str, Any] | None = None,
        disabled: bool = False,
        url: str | None = None,
    ) -> None:
        if style not in BUTTON_STYLES:
            raise ValueError(f"Button style must be one of {', '.join(BUTTON_STYLES)}; got {style!r}")
        if label is None and emoji is None:
            raise ValueError("Button needs a label or an emoji")
        _check_optional_text("Button label", label, MAX_BUTTON_LABEL)
        _check_bool("Button disabled", disabled)
        if style == "link":
            if url is None:
                raise ValueError("a link Button needs url=")
            if custom_id is not None:
                raise ValueError("a link Button takes url=, not custom_id=")
            _check_text("Button url", url, MAX_URL)
            if not url.startswith(("https://", "http://", "discord://")):
                raise ValueError(f"Button url must start with https://, http:// or discord://, got {url!r}")
        else:
            if url is not None:
                raise ValueError(f"only style='link' buttons take url=; this one is {style!r}")
            if custom_id is None:
                raise ValueError(f"a {style!r} Button needs custom_id=")
            _check_text("Button custom_id", custom_id, MAX_CUSTOM_ID)
        self.label = label
        self.custom_id = custom_id
        self.style = style
        self.emoji = parse_emoji(emoji) if emoji is not None else None
        self.disabled = disabled
        self.url = url

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": BUTTON, "style": BUTTON_STYLES[self.style]}
        if self.label is not None:
            data["label"] = self.label
        if self.emoji is not None:
            data["emoji"] = dict(self.emoji)
        if self.custom_id is not None:
            data["custom_id"] = self.custom_id
        if self.url is not None:
            data["url"] = self.url
        data["disabled"] = self.disabled
        return data

    def __repr__(self) -> str:
        return f"Button(label={self.label!r}, custom_id={self.custom_id!r}, style={self.style!r})"


class SelectOption:
    """One choice of a SelectMenu."""

    def __init__(
        self,
        label: str,
        value: str,
        description: str | None = None,
        emoji: str | Mapping[str, Any] | None = None,
        default: bool = False,
    ) -> None:
        _check_text("SelectOption label", label, MAX_OPTION_TEXT)
        _check_text("SelectOption value", value, MAX_OPTION_TEXT)
        _check_optional_text("SelectOption description", description, MAX_OPTION_TEXT)
        _check_bool("SelectOption default", default)
        self.label = label
        self.value = value
        self.description = description
        self.emoji = parse_emoji(emoji) if emoji is not None else None
        self.default = default

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.description is not None:
            data["description"] = self.description
        if self.emoji is not None:
            data["emoji"] = dict(self.emoji)
        data["default"] = self.default
        return data

    def __repr__(self) -> str:
        return f"SelectOption(label={self.label!r}, value={self.value!r})"


class SelectMenu:
    """A string select menu (component type 3)."""

    def __init__(
        self,
        custom_id: str,
        options: Sequence[SelectOption | Mapping[str, Any]],
        placeholder: str | None = None,
        min_values: int = 1,
        max_values: int = 1,
        disabled: bool = False,
    ) -> None:
        _check_text("SelectMenu custom_id", custom_id, MAX_CUSTOM_ID)
        if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
            raise ValueError("SelectMenu options must be a list of SelectOption")
        opts = [o if isinstance(o, SelectOption) else SelectOption(**dict(o)) for o in options]
        if not 1 <= len(opts) <= MAX_SELECT_OPTIONS:
            raise ValueError(f"SelectMenu needs 1-{MAX_SELECT_OPTIONS} options, got {len(opts)}")
        values = [o.value for o in opts]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"SelectMenu option values must be unique; repeated: {duplicates}")
        _check_optional_text("SelectMenu placeholder", placeholder, MAX_SELECT_PLACEHOLDER)
        _check_int("SelectMenu min_values", min_values, 0, MAX_SELECT_OPTIONS)
        _check_int("SelectMenu max_values", max_values, 1, MAX_SELECT_OPTIONS)
        if min_values > max_values:
            raise ValueError(f"SelectMenu min_values ({min_values}) exceeds max_values ({max_values})")
        if max_values > len(opts):
            raise ValueError(f"SelectMenu max_values ({max_values}) exceeds the number of options ({len(opts)})")
        _check_bool("SelectMenu disabled", disabled)
        self.custom_id = custom_id
        self.options = opts
        self.placeholder = placeholder
        self.min_values = min_values
        self.max_values = max_values
        self.disabled = disabled

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": STRING_SELECT,
            "custom_id": self.custom_id,
            "options": [o.to_dict() for o in self.options],
        }
        if self.placeholder is not None:
            data["placeholder"] = self.placeholder
        data["min_values"] = self.min_values
        data["max_values"] = self.max_values
        data["disabled"] = self.disabled
        return data

    def __repr__(self) -> str:
        return f"SelectMenu(custom_id={self.custom_id!r}, options={len(self.options)})"


class TextInput:
    """A text field of a modal; ``style`` is "short" or "paragraph"."""

    def __init__(
        self,
        label: str,
        custom_id: str,
        style: str = "short",
        placeholder: str | None = None,
        required: bool = True,
        min_length: int | None = None,
        max_length: int | None = None,
        value: str | None = None,
    ) -> None:
        _check_text("TextInput label", label, MAX_TEXT_INPUT_LABEL)
        _check_text("TextInput custom_id", custom_id, MAX_CUSTOM_ID)
        if style not in TEXT_INPUT_STYLES:
            raise ValueError(f"TextInput style must be 'short' or 'paragraph', got {style!r}")
        _check_optional_text("TextInput placeholder", placeholder, MAX_TEXT_INPUT_PLACEHOLDER)
        _check_bool("TextInput required", required)
        if min_length is not None:
            _check_int("TextInput min_length", min_length, 0, MAX_TEXT_INPUT_LENGTH)
        if max_length is not None:
            _check_int("TextInput max_length", max_length, 1, MAX_TEXT_INPUT_LENGTH)
        if min_length is not None and max_length is not None and min_length > max_length:
            raise ValueError(f"TextInput min_length ({min_length}) exceeds max_length ({max_length})")
        if value is not None:
            _check_text("TextInput value", value, max_length or MAX_TEXT_INPUT_LENGTH, minimum=0)
        self.label = label
        self.custom_id = custom_id
        self.style = style
        self.placeholder = placeholder
        self.required = required
        self.min_length = min_length
        self.max_length = max_length
        self.value = value

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": TEXT_INPUT,
            "custom_id": self.custom_id,
            "style": TEXT_INPUT_STYLES[self.style],
            "label": self.label,
        }
        if self.placeholder is not None:
            data["placeholder"] = self.placeholder
        data["required"] = self.required
        if self.min_length is not None:
            data["min_length"] = self.min_length
        if self.max_length is not None:
            data["max_length"] = self.max_length
        if self.value is not None:
            data["value"] = self.value
        return data

    def __repr__(self) -> str:
        return f"TextInput(label={self.label!r}, custom_id={self.custom_id!r}, style={self.style!r})"


Component = Button | SelectMenu | TextInput


class ActionRow:
    """A row of up to five buttons, or exactly one select menu or text input."""

    def __init__(self, *components: Component | Mapping[str, Any]) -> None:
        self.components: list[Component | dict[str, Any]] = []
        for component in components:
            self.add(component)

    def add(self, component: Component | Mapping[str, Any]) -> "ActionRow":
        if isinstance(component, ActionRow):
            raise ValueError("an ActionRow cannot contain another ActionRow")
        if isinstance(component, Mapping):
            item: Component | dict[str, Any] = dict(component)
        elif isinstance(component, (Button, SelectMenu, TextInput)):
            item = component
        else:
            raise ValueError(f"ActionRow takes Button, SelectMenu or TextInput, got {type(component).__name__}")
        self._check(self.components + [item])
        self.components.append(item)
        return self

    @staticmethod
    def _check(items: list[Component | dict[str, Any]]) -> None:
        types = [component_json(i).get("type") for i in items]
        if len(items) > MAX_ROW_COMPONENTS:
            raise ValueError(f"an ActionRow holds at most {MAX_ROW_COMPONENTS} components, got {len(items)}")
        if len(items) > 1 and any(t != BUTTON for t in types):
            raise ValueError("a select menu or text input must be alone in its ActionRow")

    def to_dict(self) -> dict[str, Any]:
        if not self.components:
            raise ValueError("an ActionRow needs at least one component")
        return {"type": ACTION_ROW, "components": [component_json(c) for c in self.components]}

    def __repr__(self) -> str:
        return f"ActionRow({', '.join(repr(c) for c in self.components)})"


def component_json(component: Any) -> dict[str, Any]:
    """JSON of an SDK component, or a raw component dict passed through unchanged."""
    if isinstance(component, Mapping):
        return dict(component)
    to_dict = getattr(component, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, dict):
            return data
    raise ValueError(f"not a component: {component!r}")


def message_components(components: Any) -> list[dict[str, Any]] | None:
    """Top-level components of a message: a list of action rows.

    Rows may be ActionRow objects or raw dicts; a bare Button or SelectMenu is
    put in a row of its own because Discord rejects components outside rows.
    """
    if components is None:
        return None
    if isinstance(components, (ActionRow, Mapping)) or not isinstance(components, Iterable):
        components = [components]
    rows: list[dict[str, Any]] = []
    for item in components:
        data = component_json(item)
        if data.get("type") != ACTION_ROW:
            data = ActionRow(item).to_dict()
        rows.append(data)
    if len(rows) > MAX_MESSAGE_ROWS:
        raise ValueError(f"a message holds at most {MAX_MESSAGE_ROWS} action rows, got {len(rows)}")
    return rows


def modal_components(fields: Any) -> list[dict[str, Any]]:
    """A modal's components: each TextInput wrapped in its own action row."""
    if isinstance(fields, (TextInput, ActionRow, Mapping)) or not isinstance(fields, Iterable):
        fields = [fields]
    rows: list[dict[str, Any]] = []
    for item in fields:
        data = component_json(item)
        if data.get("type") == TEXT_INPUT:
            data = {"type": ACTION_ROW, "components": [data]}
        elif data.get("type") != ACTION_ROW:
            raise ValueError(f"modal fields must be TextInput, got {item!r}")
        rows.append(data)
    if not 1 <= len(rows) <= MAX_MODAL_ROWS:
        raise ValueError(f"a modal needs 1-{MAX_MODAL_ROWS} fields, got {len(rows)}")
    return rows
