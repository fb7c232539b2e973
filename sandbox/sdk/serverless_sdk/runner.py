"""The process the sandbox starts: ``python3 -m serverless_sdk.runner``.

It loads the plugin's entrypoint, then serves JSON-RPC on stdin/stdout until
``shutdown`` or end of input. docs/protocol.md is the contract.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import json
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable

from . import __version__ as SDK_VERSION
from .components import ActionRow, Button, SelectMenu, SelectOption, TextInput
from .context import Context, EphemeralStore
from .errors import CapabilityError, PluginError, RegistrationError
from .plugin import Plugin
from .rpc import (
    HANDLER_ERROR,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    NOT_IN_POOL,
    PARSE_ERROR,
    SHUTTING_DOWN,
    Channel,
)

PROTOCOL_VERSION = 1
INVOKE_KINDS = frozenset(
    {"slash_command", "autocomplete", "component", "modal_submit", "event", "schedule", "cron", "lifecycle"}
)
TASK_KINDS = frozenset({"schedule", "cron"})
MAX_AUTOCOMPLETE_CHOICES = 25
DEFAULT_GRACE_SECONDS = 10.0
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2


def _log(message: str) -> None:
    print(f"[serverless_sdk] {message}", file=sys.stderr, flush=True)


# -- loading ------------------------------------------------------------------


@dataclass
class LoadedPlugin:
    plugin: Plugin
    errors: list[dict[str, Any]] = field(default_factory=list)


def plugin_globals() -> dict[str, Any]:
    """Names a plugin module may use without importing them, as the SDK's
    reference examples do (``@plugin.on_slash_command`` with no ``plugin = Plugin()``)."""
    return {
        "Plugin": Plugin,
        "Context": Context,
        "Button": Button,
        "SelectMenu": SelectMenu,
        "SelectOption": SelectOption,
        "ActionRow": ActionRow,
        "TextInput": TextInput,
        "PluginError": PluginError,
        "CapabilityError": CapabilityError,
        "plugin": Plugin(),
    }


def _error(code: str, message: str, path: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "path": path, "line": line}


def _line_in(tb: Any, filename: str) -> int | None:
    frames = [f for f in traceback.extract_tb(tb) if f.filename == filename]
    return frames[-1].lineno if frames else None


def load_plugin(plugin_dir: Path, entrypoint: str) -> LoadedPlugin:
    """Import the entrypoint; never raises: failures become ``errors``."""
    path = (plugin_dir / entrypoint).resolve()
    namespace = plugin_globals()
    fallback: Plugin = namespace["plugin"]
    if not path.is_file():
        return LoadedPlugin(fallback, [_error("entrypoint_not_found", f"{entrypoint} not found in {plugin_dir}", entrypoint, None)])

    sys.path.insert(0, str(plugin_dir.resolve()))
    module_name = path.stem if path.stem.isidentifier() and path.stem not in sys.modules else "_plugin_entrypoint"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return LoadedPlugin(fallback, [_error("import_error", f"cannot import {entrypoint}", entrypoint, None)])
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(namespace)
    sys.modules[module_name] = module
    errors: list[dict[str, Any]] = []
    try:
        spec.loader.exec_module(module)
    except RegistrationError as error:
        errors.append(_error("registration_error", str(error), entrypoint, _line_in(error.__traceback__, str(path))))
        _log(f"registration error in {entrypoint}:\n{traceback.format_exc()}")
    except SyntaxError as error:
        errors.append(_error("syntax_error", f"{error.msg} (line {error.lineno})", entrypoint, error.lineno))
        _log(f"syntax error in {entrypoint}:\n{traceback.format_exc()}")
    except BaseException as error:  # SystemExit too: a plugin must not end the runner at import
        errors.append(
            _error(
                "import_error",
                f"{type(error).__name__}: {error}",
                entrypoint,
                _line_in(error.__traceback__, str(path)),
            )
        )
        _log(f"import of {entrypoint} failed:\n{traceback.format_exc()}")
    plugin = module.__dict__.get("plugin")
    if not isinstance(plugin, Plugin):
        errors.append(_error("no_plugin", f"{entrypoint} must leave a Plugin instance in the global 'plugin'", entrypoint, None))
        plugin = fallback
    return LoadedPlugin(plugin, errors)


# -- serving ------------------------------------------------------------------


class _BadParams(Exception):
    pass


def _resolve_command(name: str, event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Fold Discord's nested subcommand options into the path.

    The host may send name "config set" with the leaf options, or just
    "config" with Discord's raw nesting; both reach the same handler with
    event["options"] holding the leaf options.
    """
    parts = name.split()
    options = event.get("options")
    descended = False
    while (
        isinstance(options, list)
        and len(options) == 1
        and isinstance(options[0], dict)
        and options[0].get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP)
        and isinstance(options[0].get("name"), str)
    ):
        parts.append(options[0]["name"])
        options = options[0].get("options", [])
        descended = True
    path = " ".join(parts)
    if descended:
        event = {**event, "options": options, "command_path": path}
    return path, event


def _choices(result: Any) -> list[dict[str, Any]]:
    if result is None:
        return []
    if isinstance(result, (str, bytes, dict)):
        result = [result]
    choices: list[dict[str, Any]] = []
    for item in result:
        if isinstance(item, dict):
            if "name" not in item or "value" not in item:
                raise ValueError(f"an autocomplete choice needs 'name' and 'value', got {item!r}")
            choice = {"name": str(item["name"]), "value": item["value"]}
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            choice = {"name": str(item[0]), "value": item[1]}
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            choice = {"name": str(item), "value": item}
        else:
            raise ValueError(f"an autocomplete choice must be a string, number, (name, value) or dict, got {item!r}")
        choice["name"] = choice["name"][:100]
        choices.append(choice)
    return choices


class Server:
    def __init__(
        self,
        channel: Channel,
        loaded: LoadedPlugin,
        exit_process: Callable[[int], None] = os._exit,
    ) -> None:
        self.channel = channel
        self.loaded = loaded
        self.plugin = loaded.plugin
        self.ephemeral = EphemeralStore()
        self._exit_process = exit_process
        self._state = threading.Condition()
        self._active: set[str] = set()  # invocation ids whose handler runs
        self._in_flight = 0  # invocations not yet answered; shutdown waits for these
        self._running_tasks: set[tuple[str, str]] = set()
        self._shutting_down = False
        self._shutdown_thread: threading.Thread | None = None

    # The reader: one thread, never blocked by a handler.
    def serve(self, stdin: BinaryIO) -> int:
        for raw in iter(stdin.readline, b""):
            line = raw.strip()
            if not line:
                continue
            try:
                message = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                self.channel.reply_error(None, PARSE_ERROR, f"parse error: {error}")
                continue
            self._dispatch(message)
        self.channel.close("the host closed the connection")
        if self._shutdown_thread is not None:
            self._shutdown_thread.join()
        else:
            self._wait_idle(DEFAULT_GRACE_SECONDS)
        return 0

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            self.channel.reply_error(
                message.get("id") if isinstance(message, dict) else None,
                INVALID_REQUEST,
                "invalid request: expected one JSON-RPC 2.0 object per line",
            )
            return
        method = message.get("method")
        if method is None:
            if ("result" in message or "error" in message) and not self.channel.resolve(message):
                _log(f"ignoring a response nobody waits for: id={message.get('id')!r}")
            elif "result" not in message and "error" not in message:
                self.channel.reply_error(message.get("id"), INVALID_REQUEST, "invalid request: no method")
            return
        request_id = message.get("id")
        is_notification = "id" not in message
        params = message.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            if not is_notification:
                self.channel.reply_error(request_id, INVALID_REQUEST, "invalid request: method must be a string and params an object")
            return
        if is_notification:
            _log(f"ignoring notification {method!r}")
            return
        if method == "describe":
            self.channel.reply(request_id, self.describe())
        elif method == "invoke":
            self._start_invoke(request_id, params)
        elif method == "ping":
            self.channel.reply(request_id, "pong")
        elif method == "shutdown":
            self._start_shutdown(request_id, params)
        else:
            self.channel.reply_error(request_id, METHOD_NOT_FOUND, f"method not found: {method}")

    def describe(self) -> dict[str, Any]:
        return {
            "protocol_version": PROTOCOL_VERSION,
            "sdk_version": SDK_VERSION,
            **self.plugin.describe(),
            "errors": list(self.loaded.errors),
        }

    # -- invoke ---------------------------------------------------------

    def _start_invoke(self, request_id: Any, params: dict[str, Any]) -> None:
        try:
            invocation_id, kind, name, event, info = self._invoke_params(params)
        except _BadParams as error:
            self.channel.reply_error(request_id, INVALID_PARAMS, f"invalid params: {error}")
            return
        # A manifest cron is the platform's server-side cron for pooled plugins: it runs in pool mode too.
        if kind in TASK_KINDS and info.get("pool") and not info.get("manifest_cron"):
            self.channel.reply_error(
                request_id, NOT_IN_POOL, f"{kind} tasks do not run in pool mode (no per-install context)"
            )
            return
        with self._state:
            if self._shutting_down:
                self.channel.reply_error(request_id, SHUTTING_DOWN, "the runner is shutting down")
                return
            if invocation_id in self._active:
                self.channel.reply_error(request_id, INVALID_PARAMS, f"invocation {invocation_id!r} is already running")
                return
            self._active.add(invocation_id)
            self._in_flight += 1
        thread = threading.Thread(
            target=self._run_invoke,
            args=(request_id, invocation_id, kind, name, event, info),
            name=f"invoke-{invocation_id}",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError as error:  # out of threads (pids limit): refuse this one, keep serving
            with self._state:
                self._active.discard(invocation_id)
                self._in_flight -= 1
                self._state.notify_all()
            self.channel.reply_error(request_id, INTERNAL_ERROR, f"cannot start a thread for the invocation: {error}")

    @staticmethod
    def _invoke_params(params: dict[str, Any]) -> tuple[str, str, str, dict[str, Any] | None, dict[str, Any]]:
        invocation_id = params.get("invocation_id")
        kind = params.get("kind")
        name = params.get("name")
        event = params.get("event")
        info = params.get("context", {})
        problems = []
        if not isinstance(invocation_id, str) or not invocation_id:
            problems.append("invocation_id must be a non-empty string")
        if kind not in INVOKE_KINDS:
            problems.append(f"kind must be one of {', '.join(sorted(INVOKE_KINDS))}")
        if not isinstance(name, str) or not name:
            problems.append("name must be a non-empty string")
        if event is not None and not isinstance(event, dict):
            problems.append("event must be an object")
        if not isinstance(info, dict):
            problems.append("context must be an object")
        if problems:
            raise _BadParams("; ".join(problems))
        return invocation_id, kind, name, event, info  # type: ignore[return-value]

    def _run_invoke(
        self,
        request_id: Any,
        invocation_id: str,
        kind: str,
        name: str,
        event: dict[str, Any] | None,
        info: dict[str, Any],
    ) -> None:
        ctx = Context(self.channel, invocation_id, kind, name, info, self.ephemeral)
        held_task: list[tuple[str, str]] = []
        failure: BaseException | None = None
        result: Any = None
        try:
            result = self._execute(ctx, kind, name, dict(event or {}), held_task, bool(info.get("manifest_cron")))
        except BaseException as error:  # noqa: BLE001 - every failure must become a reply
            failure = error
        finally:
            ctx.close()
            # Release before replying: a host that sends the next tick (or
            # reuses the id) as soon as it reads the reply must not be refused.
            with self._state:
                for key in held_task:
                    self._running_tasks.discard(key)
                self._active.discard(invocation_id)
        try:
            if failure is None:
                self.channel.reply(request_id, result)
            else:
                self._reply_failure(request_id, ctx, kind, name, failure)
        finally:
            with self._state:
                self._in_flight -= 1
                self._state.notify_all()

    def _execute(
        self,
        ctx: Context,
        kind: str,
        name: str,
        event: dict[str, Any],
        held_task: list[tuple[str, str]],
        manifest_cron: bool = False,
    ) -> dict[str, Any]:
        if kind in TASK_KINDS:
            task = self.plugin.tasks.get(name)
            # A manifest cron names its handler, which may be any task of the plugin.
            if task is None or (task.kind != kind and not manifest_cron):
                return {"handled": False}
            key = (ctx.install_id or ctx.guild_id or "", name)
            with self._state:
                if key in self._running_tasks:
                    return {"handled": False, "skipped": True}
                self._running_tasks.add(key)
                held_task.append(key)
            _call(task.handler, ctx)
            return {"handled": True}

        handlers, event = self._handlers(kind, name, event)
        if not handlers:
            return {"handled": False}
        result: Any = None
        for handler in handlers:
            result = _call(handler, ctx, event)
        if kind != "autocomplete":
            return {"handled": True}
        choices = _choices(result)
        if len(choices) > MAX_AUTOCOMPLETE_CHOICES:
            ctx.log.warning(f"autocomplete returned {len(choices)} choices; Discord shows the first 25")
            choices = choices[:MAX_AUTOCOMPLETE_CHOICES]
        return {"handled": True, "choices": choices}

    def _handlers(
        self, kind: str, name: str, event: dict[str, Any]
    ) -> tuple[list[Callable[..., Any]], dict[str, Any]]:
        plugin = self.plugin
        if kind in ("slash_command", "autocomplete"):
            path, event = _resolve_command(name, event)
            if kind == "autocomplete" and "focused" not in event:
                focused = next(
                    (o for o in event.get("options", []) or [] if isinstance(o, dict) and o.get("focused")), None
                )
                if focused is not None:
                    event = {**event, "focused": {"name": focused.get("name"), "value": focused.get("value")}}
            found = plugin.find_slash_command(path) if kind == "slash_command" else plugin.find_autocomplete(path)
            return ([found[1]] if found else []), event
        if kind == "component":
            handler = plugin.find_component(name)
            return ([handler] if handler else []), event
        if kind == "modal_submit":
            handler = plugin.find_modal(name)
            return ([handler] if handler else []), event
        if kind == "event":
            return list(plugin.events.get(name, [])), event
        if kind == "lifecycle":
            handler = plugin.lifecycle.get(name)
            return ([handler] if handler else []), event
        return [], event

    def _reply_failure(self, request_id: Any, ctx: Context, kind: str, name: str, error: BaseException) -> None:
        # The reply carries the traceback and the host logs it as one entry; stderr gets it only
        # when the host cannot be told, so one exception is not logged twice.
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        summary = f"{type(error).__name__}: {error}"
        data: dict[str, Any] = {"type": type(error).__name__, "message": str(error), "traceback": tb}
        if isinstance(error, PluginError) and error.code is not None:
            data["host_error"] = {"code": error.code, "message": error.message, "data": error.data}
        try:
            self.channel.reply_error(request_id, HANDLER_ERROR, f"handler failed: {summary}", data)
        except Exception:  # the host is gone; stderr has the story
            _log(f"could not report the failure of invocation {ctx.invocation_id}: {kind} handler {name!r} failed:\n{tb}")

    # -- shutdown -------------------------------------------------------

    def _wait_idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._state:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    _log(f"shutting down with {self._in_flight} invocation(s) still running")
                    return
                self._state.wait(remaining)

    def _start_shutdown(self, request_id: Any, params: dict[str, Any]) -> None:
        grace = params.get("grace_seconds", DEFAULT_GRACE_SECONDS)
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
            self.channel.reply_error(request_id, INVALID_PARAMS, "invalid params: grace_seconds must be a number >= 0")
            return
        with self._state:
            if self._shutting_down:
                self.channel.reply(request_id, None)
                return
            self._shutting_down = True

        def finish() -> None:
            # In-flight handlers may still call the host, so the reader keeps
            # running while they drain; the process ends after the reply.
            self._wait_idle(float(grace))
            self.channel.reply(request_id, None)
            sys.stderr.flush()
            self._exit_process(0)

        self._shutdown_thread = threading.Thread(target=finish, name="shutdown", daemon=True)
        self._shutdown_thread.start()


def _call(handler: Callable[..., Any], *args: Any) -> Any:
    result = handler(*args)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


# -- process setup ------------------------------------------------------------


def take_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Keep fds 0/1 for the protocol and point everything else at stderr.

    Done at the fd level so that print(), os.write(1, ...) and child processes
    all land in stderr instead of corrupting the JSON-RPC stream, and nothing
    in the plugin can read the host's messages off stdin.
    """
    sys.stdout.flush()
    protocol_out = os.dup(1)
    os.dup2(2, 1)
    protocol_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull, "r", encoding="utf-8")
    return os.fdopen(protocol_in, "rb"), os.fdopen(protocol_out, "wb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m serverless_sdk.runner", description=__doc__)
    parser.add_argument("--plugin-dir", default=os.environ.get("PLUGIN_DIR") or os.getcwd())
    parser.add_argument("--entrypoint", default="plugin.py")
    args = parser.parse_args(argv)

    stdin, stdout = take_stdio()
    channel = Channel(stdout)
    loaded = load_plugin(Path(args.plugin_dir), args.entrypoint)
    for error in loaded.errors:
        _log(f"{error['code']}: {error['message']}")
    return Server(channel, loaded).serve(stdin)


if __name__ == "__main__":
    sys.exit(main())
