"""The real worker (`manage.py db_worker`) against a real database and a local SMTP server.

Each test migrates a fresh database of the kind the suite runs on (an SQLite file, or a
new PostgreSQL database when DATABASE_URL is set), records status updates in another
process (their fan-outs enqueue on commit), and runs the worker as a subprocess.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.load_writers import Database
from bench.smtp import RecordingSMTPServer

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
UPDATES = 3  # two managers are told of each: six emails
LEASE = 3


@pytest.fixture
def smtp():
    with RecordingSMTPServer() as server:
        yield server


@pytest.fixture
def world(smtp):
    with (
        tempfile.TemporaryDirectory(prefix="tracker-worker-") as tmp,
        Database(os.environ.get("DATABASE_URL", ""), tmp) as database_env,
    ):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
        env.update(
            database_env,
            DJANGO_SETTINGS_MODULE="tracker.settings",
            EMAIL_BACKEND="smtp",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_USE_TLS="0",
            EMAIL_TIMEOUT="60",
            TRACKER_EMAIL_LEASE_SECONDS=str(LEASE),
            TRACKER_BASE_URL="https://tracker.example.org",
            PYTHONUNBUFFERED="1",
        )
        world = World(env, Path(tmp))
        world.run("manage.py", "migrate", "--no-input", "-v", "0")
        yield world
        world.stop_all()


class World:
    def __init__(self, env, tmp):
        self.env = env
        self.tmp = tmp
        self.workers = []

    def run(self, *args):
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def harness(self, *args):
        return json.loads(self.run("tests/worker_harness.py", *args).splitlines()[-1])

    def start_worker(self):
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append((proc, log))
        return proc

    def stop_all(self):
        for proc, log in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()

    def wait_for(self, check, timeout=60, sweep=False):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.harness("report")
            if check(state):
                return state
            if sweep:
                self.harness("sweep")
            time.sleep(0.5)
        raise AssertionError(f"timed out; last state: {state}\n{self.logs()}")

    def logs(self):
        return "\n".join(p.read_text() for p in self.tmp.glob("worker-*.log"))


def all_sent(state):
    deliveries = state["deliveries"]
    return len(deliveries) == 2 * UPDATES and all(d[2] == "sent" for d in deliveries)


def received(smtp):
    return [
        (to, message["Message-ID"]) for recipients, message in smtp.messages for to in recipients
    ]


def test_the_worker_sends_every_email_once_and_stops_on_sigterm(world, smtp):
    world.harness("prepare", str(UPDATES))
    assert world.harness("report")["tasks"] == {"READY": UPDATES}  # enqueued, nothing sent
    worker = world.start_worker()
    state = world.wait_for(all_sent)
    assert state["notifications"] == 2 * UPDATES
    got = received(smtp)
    assert sorted(got) == sorted((d[0], d[1]) for d in state["deliveries"])
    assert Counter(to for to, _ in got) == {"maria@example.org": 3, "mike@example.org": 3}
    message = smtp.messages[0][1]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("[Commitment Tracker] WORKER-1")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0, world.logs()
    assert world.harness("report")["tasks"] == {"SUCCESSFUL": 3 * UPDATES}  # fan-outs + sends


def test_a_worker_killed_mid_send_loses_nothing_and_doubles_nothing(world, smtp):
    world.harness("prepare", str(UPDATES))
    smtp.stall.set()  # the server takes the first message's data and never answers
    first = world.start_worker()
    assert smtp.stalled.wait(timeout=60), "the worker never reached the mail server"
    first.kill()  # SIGKILL, in the middle of the SMTP conversation
    first.wait()
    state = world.harness("report")
    states = Counter(d[2] for d in state["deliveries"])
    assert states["sending"] == 1 and "sent" not in states  # claimed, never acknowledged
    assert smtp.messages == []
    assert state["tasks"].get("RUNNING", 0) >= 1  # the killed worker's task, left behind
    # The server recovers; a new worker and the sweep (as the scheduler runs it) carry on.
    smtp.stall.clear()
    world.start_worker()
    time.sleep(LEASE)
    state = world.wait_for(all_sent, sweep=True)
    got = received(smtp)
    assert len(got) == len(set(got)) == 2 * UPDATES  # every email once: none lost, none twice
    assert sorted(got) == sorted((d[0], d[1]) for d in state["deliveries"])
    attempts = sorted(d[3] for d in state["deliveries"])
    assert attempts == [1] * (2 * UPDATES - 1) + [2]  # the interrupted one was tried again
    assert state["notifications"] == 2 * UPDATES
    assert "RUNNING" not in state["tasks"]  # the abandoned task was marked and run again
