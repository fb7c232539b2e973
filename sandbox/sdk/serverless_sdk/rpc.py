"""JSON-RPC 2.0 over newline-delimited JSON: framing, and plugin→host calls."""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any, BinaryIO

from .errors import CapabilityError, PluginError

__all__ = [
    "Channel",
    "encode",
    "PARSE_ERROR",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "INVALID_PARAMS",
    "INTERNAL_ERROR",
    "HANDLER_ERROR",
    "CAPABILITY_DENIED",
    "NOT_IN_POOL",
    "SHUTTING_DOWN",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HANDLER_ERROR = -32000
CAPABILITY_DENIED = -32001
NOT_IN_POOL = -32003
SHUTTING_DOWN = -32004


def encode(message: dict[str, Any]) -> bytes:
    # json.dumps escapes control characters, so a message never spans lines;
    # allow_nan=False keeps NaN/Infinity (not JSON) off the wire.
    return (json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")


class _Pending:
    __slots__ = ("done", "message")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.message: dict[str, Any] | None = None


class Channel:
    """The plugin's end of the pipe pair.

    Writes are serialised by a lock because handlers run on many threads; a
    handler's call blocks its own thread until the reader thread routes the
    host's response to it by id.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._closed_reason: str | None = None

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._write_lock:
            self._out.write(data)
            self._out.flush()

    def reply(self, request_id: Any, result: Any) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "result": result})

    def reply_error(self, request_id: Any, code: int, message: str, data: Any = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.send({"jsonrpc": "2.0", "id": request_id, "error": error})

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def call(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        request_id = f"p{next(self._ids)}"
        pending = _Pending()
        with self._pending_lock:
            if self._closed_reason is not None:
                raise PluginError(f"cannot call {method}: {self._closed_reason}")
            self._pending[request_id] = pending
        try:
            self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            if not pending.done.wait(timeout):
                raise PluginError(f"{method}: no answer from the host within {timeout} s")
        finally:
            with self._pending_lock:
                self._pending.pop(request_id, None)
        message = pending.message or {}
        if "error" in message:
            raise _error_from(method, message["error"])
        return message.get("result")

    def resolve(self, message: dict[str, Any]) -> bool:
        """Hand a response to the thread waiting for it; False if nobody is."""
        request_id = message.get("id")
        with self._pending_lock:
            pending = self._pending.get(request_id) if isinstance(request_id, str) else None
        if pending is None:
            return False
        pending.message = message
        pending.done.set()
        return True

    def close(self, reason: str) -> None:
        """Fail every waiting call; the host is gone."""
        with self._pending_lock:
            self._closed_reason = reason
            waiting = list(self._pending.values())
        for pending in waiting:
            pending.message = {"error": {"code": INTERNAL_ERROR, "message": reason}}
            pending.done.set()


def _error_from(method: str, error: Any) -> PluginError:
    if not isinstance(error, dict):
        return PluginError(f"{method} failed: {error!r}")
    code = error.get("code")
    message = str(error.get("message") or f"{method} failed")
    data = error.get("data")
    if code == CAPABILITY_DENIED:
        return CapabilityError(message, code, data)
    return PluginError(message, code if isinstance(code, int) else None, data)
