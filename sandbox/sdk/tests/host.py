"""A test host: spawns the real runner and speaks the protocol over its pipes.

Only the host's behaviour is scripted (what a kv.get returns, which
capability is denied); the plugin side is the real runner process.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SDK_ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
SEED_PLUGIN = TESTS / "seed_examples" / "seed_plugin"
PROTOCOL_PLUGIN = TESTS / "plugins" / "protocol_plugin"
TIMEOUT = 15.0

DEFAULT_CONTEXT = {"guild_id": "100", "plugin_id": "my_plugin", "install_id": "inst-1", "pool": False}

Reply = dict[str, Any]  # {"result": ...} or {"error": {...}}


class FakeHost:
    """The host API as docs/protocol.md defines it, backed by a dict."""

    def __init__(self, denied: dict[str, str] | None = None) -> None:
        self.kv: dict[str, Any] = {}
        self.denied = denied or {}  # method -> capability
        self.calls: list[dict[str, Any]] = []

    def __call__(self, message: dict[str, Any]) -> Reply:
        method = message["method"]
        params = message["params"]
        self.calls.append(message)
        if method in self.denied:
            capability = self.denied[method]
            return {
                "error": {
                    "code": -32001,
                    "message": f"capability '{capability}' not granted",
                    "data": {"capability": capability},
                }
            }
        if method == "kv.get":
            return {"result": {"value": self.kv.get(params["key"])}}
        if method == "kv.set":
            self.kv[params["key"]] = params["value"]
            return {"result": None}
        if method == "kv.delete":
            self.kv.pop(params["key"], None)
            return {"result": None}
        if method == "kv.list":
            return {"result": {"keys": sorted(k for k in self.kv if k.startswith(params["prefix"]))}}
        if method in ("discord.send_message", "interaction.followup"):
            return {"result": {"message_id": "999"}}
        return {"result": None}


@dataclass
class Outcome:
    response: dict[str, Any]
    calls: list[dict[str, Any]] = field(default_factory=list)  # plugin→host requests
    logs: list[dict[str, Any]] = field(default_factory=list)  # log notifications

    @property
    def result(self) -> Any:
        if "error" in self.response:
            raise AssertionError(f"expected a result, got error {self.response['error']}")
        return self.response["result"]

    @property
    def error(self) -> dict[str, Any]:
        if "error" not in self.response:
            raise AssertionError(f"expected an error, got result {self.response.get('result')}")
        return self.response["error"]

    def methods(self) -> list[str]:
        return [c["method"] for c in self.calls]

    def call(self, method: str) -> dict[str, Any]:
        matching = [c["params"] for c in self.calls if c["method"] == method]
        if len(matching) != 1:
            raise AssertionError(f"expected one {method} call, got {self.methods()}")
        return matching[0]

    def log_messages(self) -> list[str]:
        return [entry["message"] for entry in self.logs]


class Runner:
    def __init__(self, plugin_dir: Path, entrypoint: str | None = None, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "serverless_sdk.runner"]
        if "PLUGIN_DIR" not in (env or {}):  # else the runner must find it on its own
            command += ["--plugin-dir", str(plugin_dir)]
        if entrypoint:
            command += ["--entrypoint", entrypoint]
        environment = {**os.environ, "PYTHONPATH": str(SDK_ROOT), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(plugin_dir),
            env=environment,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stdout_lines: list[bytes] = []
        self.corrupt_lines: list[bytes] = []
        self.stderr_chunks: list[bytes] = []
        self._ids = itertools.count(1)
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    # -- pipes ----------------------------------------------------------

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout_lines.append(line)
            try:
                message = json.loads(line.decode("utf-8"))
                if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
                    raise ValueError("not a JSON-RPC object")
            except ValueError:
                self.corrupt_lines.append(line)
                continue
            self.messages.put(message)
        self.messages.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for chunk in iter(lambda: self.process.stderr.read1(4096), b""):  # type: ignore[union-attr]
            self.stderr_chunks.append(chunk)

    @property
    def stderr(self) -> str:
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")

    def stderr_contains(self, text: str, timeout: float = TIMEOUT) -> bool:
        """stderr is read by another thread, so give it time to catch up."""
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.process.stdin is not None
        data = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8") + b"\n"
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> int:
        request_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return request_id

    def answer(self, call: dict[str, Any], reply: Reply) -> None:
        self.send({"jsonrpc": "2.0", "id": call["id"], **reply})

    def next_message(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message from the runner within {timeout} s; stderr:\n{self.stderr}") from None
        if message is None:
            raise AssertionError(f"the runner closed stdout; stderr:\n{self.stderr}")
        return message

    # -- protocol helpers -------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return self.serve_until(self.request("describe"), FakeHost()).result

    def invoke(
        self,
        kind: str,
        name: str,
        event: dict[str, Any] | None = None,
        host: Callable[[dict[str, Any]], Reply] | None = None,
        context: dict[str, Any] | None = None,
        invocation_id: str | None = None,
    ) -> Outcome:
        request_id = self.start_invoke(kind, name, event, context, invocation_id)
        return self.serve_until(request_id, host or FakeHost())

    def start_invoke(
        self,
        kind: str,
        name: str,
        event: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        invocation_id: str | None = None,
    ) -> int:
        params: dict[str, Any] = {
            "invocation_id": invocation_id or f"inv-{next(self._ids)}",
            "kind": kind,
            "name": name,
            "context": context or DEFAULT_CONTEXT,
        }
        if event is not None:
            params["event"] = event
        return self.request("invoke", params)

    def serve_until(self, request_id: int, host: Callable[[dict[str, Any]], Reply]) -> Outcome:
        """Answer the plugin's host calls until the response to ``request_id``."""
        outcome = Outcome(response={})
        while True:
            message = self.next_message()
            if "method" in message and "id" in message:
                outcome.calls.append(message)
                self.answer(message, host(message))
            elif "method" in message:
                outcome.logs.append(message["params"])
            elif message.get("id") == request_id:
                outcome.response = message
                return outcome
            else:
                raise AssertionError(f"unexpected message {message}")

    def shutdown(self) -> dict[str, Any]:
        request_id = self.request("shutdown")
        return self.serve_until(request_id, FakeHost()).response

    def wait(self, timeout: float = TIMEOUT) -> int:
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
