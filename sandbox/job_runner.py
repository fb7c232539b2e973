#!/usr/bin/env python3
"""The Container Apps job side of a sandbox worker (docs/sandbox.md, "Container Apps job").

The function app starts one job execution per worker with three variables:
SANDBOX_CALLBACK_URL (https://APP/api/sandbox), SANDBOX_WORKER_ID and SANDBOX_WORKER_TOKEN.
This shim asks the app what to run (GET /workers/{id}), fetches the plugin's files
(GET /workers/{id}/package), starts the command with pipes, and bridges them to the app:
host -> plugin lines by long-poll (GET /workers/{id}/channel?after=N), plugin stdout and
stderr and finally the exit code by POST /workers/{id}/channel. A "stop" in any answer,
or a 401/410, kills the child and ends the execution.

The child gets none of the job's environment (no token, no identity endpoint), only
the allow-listed variables the host sends, and the SANDBOX_* limits as rlimits.
Standard library only.
"""

from __future__ import annotations

import io
import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Any, Optional

MAX_BATCH_BYTES = 256 * 1024
# A runner that cannot reach the app for this long gives up (the app has given up by then too).
GIVE_UP_SECONDS = 60.0


def log(message: str) -> None:
    print(f"[job_runner] {message}", file=sys.stderr, flush=True)


class Gone(Exception):
    """The app no longer knows this worker, or refuses its token: stop everything."""


class Channel:
    def __init__(self, base: str, worker_id: str, token: str) -> None:
        self.base = base.rstrip("/") + "/workers/" + urllib.parse.quote(worker_id, safe="")
        self.token = token

    def request(self, method: str, path: str, body: Optional[bytes] = None, timeout: float = 30.0) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403, 404, 410):
                raise Gone(f"{method} {path or '/'} answered {error.code}") from None
            return error.code, error.read()

    def call(self, method: str, path: str, body: Optional[bytes] = None, timeout: float = 30.0) -> tuple[int, bytes]:
        """Retries transport failures and 5xx with backoff until GIVE_UP_SECONDS have passed."""
        deadline = time.monotonic() + GIVE_UP_SECONDS
        delay = 0.2
        while True:
            try:
                status, data = self.request(method, path, body, timeout)
                if status < 500:
                    return status, data
                problem = f"status {status}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(error)
            if time.monotonic() > deadline:
                raise Gone(f"{method} {path or '/'} kept failing: {problem}")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def extract(package: bytes, target: str) -> None:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        root = os.path.realpath(target)
        for info in archive.infolist():
            path = os.path.realpath(os.path.join(root, info.filename))
            if not path.startswith(root + os.sep):
                raise ValueError(f"package entry {info.filename!r} escapes the plugin folder")
            if info.is_dir():
                os.makedirs(path, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with archive.open(info) as source, open(path, "wb") as sink:
                sink.write(source.read())
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(path, (mode & 0o755) or 0o644)


def substitute(argument: str, mount: str, plugin_dir: str) -> str:
    """The host names files by its mount path (/plugin); here they are wherever the package was unpacked."""
    if argument == mount:
        return plugin_dir
    if argument.startswith(mount + "/"):
        return plugin_dir + argument[len(mount):]
    return argument


def child_environment(requested: dict[str, str], plugin_dir: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "PYTHONPATH", "LANG", "TZ") if name in os.environ}
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        HOME=tempfile.gettempdir(),
        MALLOC_ARENA_MAX="2",
    )
    env.update({str(k): str(v) for k, v in requested.items()})
    env["PLUGIN_DIR"] = plugin_dir
    return env


def limits_from_environment() -> list[tuple[int, int]]:
    """The SANDBOX_* limits the job carries (infra/main.bicep), as rlimits for the child."""

    def number(name: str) -> Optional[float]:
        try:
            return float(os.environ[name])
        except (KeyError, ValueError):
            return None

    mib = 1024 * 1024
    limits: list[tuple[int, int]] = [(resource.RLIMIT_CORE, 0)]
    if (files := number("SANDBOX_NOFILE")) is not None:
        limits.append((resource.RLIMIT_NOFILE, int(files)))
    if (fsize := number("SANDBOX_FSIZE_MB")) is not None:
        limits.append((resource.RLIMIT_FSIZE, int(fsize * mib)))
    if (nproc := number("SANDBOX_NPROC")) is not None:
        limits.append((resource.RLIMIT_NPROC, int(nproc)))
    if (memory := number("SANDBOX_MEMORY_MB")) is not None:
        # Private writable memory (heap, thread stacks); the replica's own limit is the backstop.
        limits.append((resource.RLIMIT_DATA, int(memory * mib)))
    return limits


class Bridge:
    def __init__(self, channel: Channel, process: subprocess.Popen[bytes]) -> None:
        self.channel = channel
        self.process = process
        self.outbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1024)
        self.stopping = threading.Event()
        self.seq = 0

    def kill(self, why: str) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            log(f"stopping the plugin: {why}")
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def poll_loop(self) -> None:
        after = 0
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while not self.stopping.is_set() and self.process.poll() is None:
                status, data = self.channel.call("GET", f"/channel?after={after}", timeout=90.0)
                if status != 200:
                    raise Gone(f"poll answered {status}")
                answer = json.loads(data)
                if answer.get("stop"):
                    self.kill("the host asked")
                    return
                lines = answer.get("lines") or []
                if lines:
                    stdin.write("".join(line + "\n" for line in lines).encode("utf-8"))
                    stdin.flush()
                after = int(answer.get("last", after))
        except Gone as gone:
            self.kill(str(gone))
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone; the exit is reported by the sender

    def read_stream(self, stream: Any, kind: str) -> None:
        for raw in iter(stream.readline, b""):
            self.outbox.put((kind, raw))
        self.outbox.put((kind, None))

    def send_loop(self) -> int:
        """Sends output in order until both streams ended, then the exit code; returns it."""
        open_streams = 2
        while True:
            items = [self.outbox.get()]
            size = len(items[0][1] or b"")
            while size < MAX_BATCH_BYTES:
                try:
                    item = self.outbox.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
                size += len(item[1] or b"")
            stdout: list[str] = []
            stderr = io.StringIO()
            for kind, raw in items:
                if raw is None:
                    open_streams -= 1
                elif kind == "stdout":
                    stdout.append(raw.decode("utf-8", "replace").rstrip("\n"))
                else:
                    stderr.write(raw.decode("utf-8", "replace"))
            body: dict[str, Any] = {"stdout": stdout, "stderr": stderr.getvalue()}
            code = None
            if open_streams == 0:
                code = self.process.wait()
                # As a shell reports it: 128 + signal for a killed child.
                body["exit"] = {"code": code if code >= 0 else 128 - code}
            self.seq += 1
            body["seq"] = self.seq
            try:
                status, data = self.channel.call("POST", "/channel", json.dumps(body).encode("utf-8"))
                if status == 200 and json.loads(data).get("stop") and code is None:
                    self.kill("the host asked")
            except Gone as gone:
                self.kill(str(gone))
                if code is None:
                    continue
            if code is not None:
                return code


def main() -> int:
    try:
        base = os.environ.pop("SANDBOX_CALLBACK_URL")
        worker_id = os.environ.pop("SANDBOX_WORKER_ID")
        token = os.environ.pop("SANDBOX_WORKER_TOKEN")
    except KeyError as missing:
        log(f"{missing.args[0]} is not set; this runs as a Container Apps job execution started by the function app")
        return 2
    parsed = urllib.parse.urlsplit(base)
    if parsed.scheme != "https" and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        log(f"refusing a callback URL that is not https: {base}")
        return 2

    channel = Channel(base, worker_id, token)
    try:
        status, data = channel.call("GET", "")
        if status != 200:
            log(f"the app answered {status} to the first call")
            return 3
        hello = json.loads(data)
        plugin_dir = tempfile.mkdtemp(prefix="plugin-")
        status, package = channel.call("GET", "/package", timeout=120.0)
        if status == 200:
            extract(package, plugin_dir)
        elif status != 204:
            log(f"the app answered {status} for the package")
            return 3
    except Gone as gone:
        log(f"the app refused this worker: {gone}")
        return 3

    mount = hello.get("plugin_mount", "/plugin")
    command = [substitute(str(part), mount, plugin_dir) for part in hello["command"]]
    limits = limits_from_environment()

    def confine() -> None:
        for limit, value in limits:
            resource.setrlimit(limit, (value, value))

    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=plugin_dir,
        env=child_environment(hello.get("environment") or {}, plugin_dir),
        preexec_fn=confine,
        start_new_session=True,
    )
    bridge = Bridge(channel, process)
    threading.Thread(target=bridge.read_stream, args=(process.stdout, "stdout"), daemon=True).start()
    threading.Thread(target=bridge.read_stream, args=(process.stderr, "stderr"), daemon=True).start()
    threading.Thread(target=bridge.poll_loop, daemon=True).start()
    code = bridge.send_loop()
    log(f"plugin exited with code {code}")
    shutil.rmtree(plugin_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
