"""What ./run.sh decides and prints on a fresh clone: the model hub probe, and the one line per setup step."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from fashion_desktop.paths import AppPaths

REPO = Path(__file__).resolve().parent.parent


class _Hub(http.server.BaseHTTPRequestHandler):
    """A stand-in for the model hub: it answers, with 404 for everything but the front page."""

    def do_HEAD(self) -> None:
        self.send_response(200 if self.path == "/" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def answering_hub() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def probe(endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_ENDPOINT": endpoint}
    command = [sys.executable, str(REPO / "scripts" / "model_state.py"), "hub"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.slow
def test_the_hub_probe_follows_hf_endpoint(answering_hub: str) -> None:
    reached = probe(answering_hub)
    assert reached.returncode == 0 and reached.stdout.strip() == answering_hub
    with socket.socket() as closed:  # nothing listens there: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    missed = probe(f"http://127.0.0.1:{port}")
    assert missed.returncode == 1 and "Traceback" not in missed.stderr


def test_a_models_override_is_left_to_the_app(tmp_path: Path) -> None:
    env = {**os.environ, "FASHION_DESKTOP_MODELS": str(tmp_path)}
    command = [sys.executable, str(REPO / "scripts" / "model_state.py"), "models"]
    assert subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout.strip() == "override"


def test_the_state_of_the_models_is_what_the_app_would_load(tiny_models: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from model_state import models_state
    finally:
        sys.path.remove(str(REPO / "scripts"))
    stand_ins = AppPaths(tmp_path / "data", (tiny_models,), tmp_path / "sample")
    assert models_state(stand_ins, {}) == "stand-ins"
    assert models_state(replace(stand_ins, models_search_path=(tmp_path / "nothing",)), {}) == "missing"
    assert models_state(stand_ins, {"FASHION_DESKTOP_MODELS": str(tiny_models)}) == "override"
    env = {key: value for key, value in os.environ.items() if key != "FASHION_DESKTOP_MODELS"}
    command = [sys.executable, str(REPO / "scripts" / "model_state.py"), "models"]
    state = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert state in {"ready", "stand-ins", "missing"}, "this checkout's own models folder, as run.sh asks"


def run_step(tmp_path: Path, command: str) -> subprocess.CompletedProcess[str]:
    script = f'. "{REPO}/scripts/steps.sh"; step "Doing the thing" {command}'
    env = {**os.environ, "SETUP_LOG": str(tmp_path / "setup.log")}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)


def test_a_setup_step_prints_one_line_and_logs_the_rest(tmp_path: Path) -> None:
    done = run_step(tmp_path, "bash -c 'for i in $(seq 200); do echo WARNING: noise $i; done'")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0]] and "Doing the thing … done (" in done.stdout
    assert "WARNING: noise 200" in (tmp_path / "setup.log").read_text()


def test_a_failed_setup_step_shows_its_errors_and_the_log(tmp_path: Path) -> None:
    command = "bash -c 'echo WARNING: noise; echo \"ERROR: No matching distribution found for torch\"; exit 3'"
    failed = run_step(tmp_path, command)
    assert failed.returncode == 3
    lines = failed.stdout.splitlines()
    assert lines[0] == "Doing the thing … FAILED (exit 3)"
    assert "  ERROR: No matching distribution found for torch" in lines
    assert lines[-1] == f"  full log: {tmp_path / 'setup.log'}"
    assert not any("noise" in line for line in lines)
