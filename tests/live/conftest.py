"""``micrograd live`` run for real: the installed command in a process of its own, over a socket."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MICROGRAD = Path(sys.executable).with_name("micrograd")
ACTIVATIONS = ROOT / "plugins" / "micrograd-activations"
SERVING = re.compile(r"serving at (http://(\S+):(\d+)/)\n")
HANG = 60  # seconds: a guard against a hung process, never a measure of speed


def environment(site: Path | None = None) -> dict[str, str]:
    """The process's environment: the built-in ops alone, or with micrograd-activations."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROGRAD_")}
    env.pop("PYTEST_ADDOPTS", None)
    env["MICROGRAD_LOAD_PLUGINS"] = "builtin"
    if site is not None:
        env["MICROGRAD_LOAD_PLUGINS"] = "builtin,activations"
        env["PYTHONPATH"] = os.pathsep.join([str(site), str(ACTIVATIONS)])
    return env


@dataclass
class Live:
    """A running ``micrograd live``: its process, the line it printed and its URL."""

    process: subprocess.Popen[str]
    line: str
    url: str
    host: str
    port: int

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send a request; the status and the decoded JSON answer (4xx included)."""
        if body is not None:
            data = json.dumps(body).encode()
        sent = {"Content-Type": "application/json"} if method == "POST" else {}
        sent.update(headers or {})
        request = urllib.request.Request(self.url + path.lstrip("/"), data, sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=HANG) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        return status, json.loads(raw)

    def state(self) -> Any:
        status, state = self.request("GET", "api/state")
        assert status == 200, state
        return state

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C, as a terminal sends it; the exit code and what is left of stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=HANG)
        return self.process.returncode, out, err


def start(*args: str, site: Path | None = None) -> Live:
    """Start ``micrograd live --port 0 ARGS`` and wait for the line it prints."""
    process = subprocess.Popen(
        [str(MICROGRAD), "live", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment(site),
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        line = lines.get(timeout=HANG)
    except queue.Empty:
        process.kill()
        raise
    match = SERVING.fullmatch(line)
    if match is None:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"expected 'serving at http://HOST:PORT/', got {line!r}; stderr: {err}")
    return Live(process, line, match[1], match[2], int(match[3]))


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """One server for the module (yin-yang, the defaults); each test resets it as it needs."""
    server = start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def activations_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where micrograd-activations looks installed: its dist-info with the entry
    point; its module comes from the checkout through ``PYTHONPATH``."""
    site = tmp_path_factory.mktemp("site")
    info = site / "micrograd_activations-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: micrograd-activations\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text("[micrograd]\nactivations = micrograd_activations\n")
    return site
