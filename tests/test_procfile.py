"""`make run`'s Procfile under honcho: web, worker and scheduler start together, and one
Ctrl-C (SIGINT to honcho) stops every one of them, reloader children included."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HONCHO = Path(sys.executable).parent / "honcho"
pytestmark = pytest.mark.slow


def descendants(pid):
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found.append(int(child))
        found.extend(descendants(int(child)))
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_starts_web_worker_and_scheduler_and_one_ctrl_c_stops_all(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SQLITE_PATH=str(tmp_path / "run.sqlite3"), PYTHONUNBUFFERED="1")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    port = free_port()
    log = open(tmp_path / "honcho.log", "w+")  # noqa: SIM115
    honcho = subprocess.Popen(
        [str(HONCHO), "start", "-f", "Procfile", "-p", str(port), "--no-colour"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            output = (tmp_path / "honcho.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    up = r.status == 200
            except OSError:
                up = False
            if up and "Starting worker" in output and "Starting scheduler" in output:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"did not start:\n{(tmp_path / 'honcho.log').read_text()}")
        children = descendants(honcho.pid)
        assert len(children) >= 4  # honcho's runners, web (+ its reloader child), worker, …
        honcho.send_signal(signal.SIGINT)  # Ctrl-C
        assert honcho.wait(timeout=30) is not None
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in children if alive(pid)] == []
    finally:
        if honcho.poll() is None:
            honcho.kill()
        log.close()
