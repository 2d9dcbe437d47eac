"""Concurrent writers against a real multi-worker gunicorn: nothing lost, nothing doubled.

Starts gunicorn (production settings, DEBUG off) on 127.0.0.1 against a fresh database —
an SQLite file in a temporary directory, or, when DATABASE_URL is set, a new PostgreSQL
database created for the run and dropped after it. Analysts sign in through the login
form and post status updates with evidence to the same and to different commitments for a
set time, each form with its own idempotency key; some forms are sent again after the
answer (a network retry) and some twice at once (a double click). Managers accept the
updates as they arrive. Then it checks: every acknowledged update stored exactly once,
with its evidence; no two updates for one form; no 5xx; no "database is locked"; and
`verify_integrity` finds every commitment's official status equal to its history.

    .venv/bin/python bench/load_writers.py --seconds 60 --clients 16
    DATABASE_URL=postgres://tracker:tracker@127.0.0.1:5432/tracker \\
        .venv/bin/python bench/load_writers.py --seconds 60 --clients 16
    .venv/bin/python bench/load_writers.py --seconds 20 --kill-worker   # crash mid-write

Exits non-zero when a check fails. tests/test_load.py runs a short version.
"""

import argparse
import contextlib
import dataclasses
import datetime as dt
import http.client
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUSES = ["not_started", "in_progress", "at_risk", "stalled", "partially_fulfilled"]
CONFIDENCES = ["low", "moderate", "high"]
ASSESSMENT = "Load test submission {key}."


class LoadError(Exception):
    pass


@dataclasses.dataclass
class Config:
    seconds: float = 10.0
    clients: int = 8  # analysts posting status updates
    managers: int = 2  # managers accepting them (0 with --no-review)
    workers: int = 4  # gunicorn worker processes
    commitments: int = 4  # the first is shared by every analyst
    max_requests: int = 50_000
    retry_rate: float = 0.1  # the same form sent again after its answer
    double_submit_rate: float = 0.05  # the same form sent twice at once
    as_of_days: int = 30  # as-of dates spread over this many past days (0: all today)
    kill_worker: bool = False  # SIGKILL a gunicorn worker half-way through
    review: bool = True
    database_url: str = ""  # empty: a fresh SQLite file


# --- the server -----------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_env, static_root, *, review):
    """Production settings (DEBUG off), served over plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(
        database_env,
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATIC_ROOT=str(static_root),
        TRACKER_REVIEW_REQUIRED="1" if review else "0",
        TRACKER_EMAIL_NOTIFICATIONS="0",
        TRACKER_REQUIRE_2FA="0",  # the analysts sign in with passwords only (see bench/settings.py)
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


class Database:
    """A database for one run: an SQLite file, or a PostgreSQL database made and dropped."""

    def __init__(self, database_url, tmp):
        self.url = database_url
        self.tmp = tmp
        self.name = None

    def __enter__(self):
        if not self.url:
            return {"SQLITE_PATH": str(Path(self.tmp) / "load.sqlite3")}
        self.name = f"tracker_load_{os.getpid()}_{secrets.token_hex(3)}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        parts = urllib.parse.urlsplit(self.url)
        return {"DATABASE_URL": parts._replace(path="/" + self.name).geturl()}

    def __exit__(self, *exc):
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql):
        import psycopg

        parts = urllib.parse.urlsplit(self.url)
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(sql)


def worker_pids(master_pid):
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in children.split()]


class Server:
    """Migrate, prepare users and commitments, start gunicorn; stop and clean up on exit."""

    def __init__(self, config):
        self.config = config
        self.stack = contextlib.ExitStack()
        self.proc = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self.stack.close()

    def _start(self):
        tmp = Path(tempfile.mkdtemp(prefix="tracker-load-"))
        self.stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        self.tmp = tmp
        database_env = self.stack.enter_context(Database(self.config.database_url, tmp))
        self.env = server_env(database_env, tmp / "static", review=self.config.review)
        self.vendor = "postgresql" if self.config.database_url else "sqlite"
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.password = secrets.token_urlsafe(12)
        self.fixture = json.loads(
            self.python(
                "--prepare",
                json.dumps(
                    {
                        "clients": self.config.clients,
                        "managers": self.config.managers,
                        "commitments": self.config.commitments,
                        "password": self.password,
                    }
                ),
            )
        )
        self.port = free_port()
        self.log_path = tmp / "gunicorn.log"
        log = self.stack.enter_context(open(self.log_path, "w"))  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tracker.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.config.workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
                # gunicorn 27 otherwise shares one control socket (~/.gunicorn) between runs.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so nothing outlives the run
        )
        self.stack.callback(self._stop)
        self._wait_until_up()

    def manage(self, *args):
        return self._run([sys.executable, "manage.py", *args])

    def python(self, *args):
        return self._run([sys.executable, str(Path(__file__).resolve()), *args])

    def _run(self, cmd):
        done = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise LoadError(f"{' '.join(cmd[1:3])} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LoadError(f"gunicorn exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(self.workers()) >= 1:
                    return
            time.sleep(0.1)
        raise LoadError(f"gunicorn did not answer /healthz:\n{self.log_path.read_text()}")

    def workers(self):
        return worker_pids(self.proc.pid)

    def _stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        # Workers are in the master's process group: none may outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")


# --- the clients ----------------------------------------------------------------------------


class Browser:
    """One signed-in user: its cookies (session, CSRF token); one connection per request."""

    def __init__(self, port):
        self.port = port
        self.username = ""
        self.cookies = {}
        self.lock = threading.Lock()

    def request(self, method, path, fields=None, timeout=60):
        with self.lock:
            cookies = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            token = self.cookies.get("csrftoken", "")
        headers = {"Cookie": cookies}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers.update(
                {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token}
            )
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        with self.lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
        return response.status, response.headers, data

    def login(self, username, password):
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        if status != 302 or not self.cookies.get("sessionid"):
            raise LoadError(f"could not sign in as {username}: HTTP {status}")
        self.username = username


@dataclasses.dataclass
class Sample:
    kind: str  # "update", "retry", "double", "accept"
    status: int
    seconds: float


class Run:
    """Shared state of the client threads: the clock, the answers, the errors."""

    def __init__(self, config, server):
        self.config = config
        self.server = server
        self.run_id = secrets.token_hex(4)
        self.lock = threading.Lock()
        self.samples = []
        self.acks = {}  # idempotency key -> update id, from the redirect after saving
        self.acks_conflicting = []
        self.accepted = set()
        self.server_errors = []
        self.unexpected = []
        self.connection_errors = 0
        self.unanswered = []
        self.requests = 0
        self.kills = []
        self.to_review = queue.Queue()
        self.started = self.deadline = None

    def go(self):
        return time.monotonic() < self.deadline and self.requests < self.config.max_requests

    def timed(self, browser, kind, method, path, fields):
        """One request; a lost answer (worker killed, connection dropped) is sent again."""
        for _attempt in range(5):
            with self.lock:
                self.requests += 1
            start = time.perf_counter()
            try:
                status, headers, body = browser.request(method, path, fields)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.connection_errors += 1
                time.sleep(0.2)
                continue  # What a browser does: the same form, the same key, again.
            with self.lock:
                self.samples.append(Sample(kind, status, time.perf_counter() - start))
            if status >= 500:
                with self.lock:
                    self.server_errors.append((kind, status, body[:300].decode(errors="replace")))
            return status, headers, body
        return None, None, None

    def submit(self, browser, reference, fields, kind):
        key = fields["idempotency_key"]
        status, headers, body = self.timed(
            browser, kind, "POST", f"/commitments/{reference}/updates/", fields
        )
        if status is None:
            with self.lock:
                self.unanswered.append(key)
            return None
        match = re.search(r"#update-(\d+)$", headers.get("Location", "")) if status == 302 else None
        if not match:
            if status < 500:
                with self.lock:
                    self.unexpected.append((kind, status, error_text(body)))
            return None
        pk = int(match[1])
        with self.lock:
            first = key not in self.acks
            if not first and self.acks[key] != pk:
                self.acks_conflicting.append((key, self.acks[key], pk))
            self.acks.setdefault(key, pk)
        if first and self.config.review:
            self.to_review.put(pk)
        return pk

    def analyst(self, number, browser):
        rnd = random.Random(f"{self.run_id}-{number}")
        refs = self.server.fixture["commitments"]
        sources = self.server.fixture["sources"]
        n = 0
        while self.go():
            n += 1
            key = f"{self.run_id}-a{number}-{n}"
            # Half of all updates go to the one commitment everybody writes to.
            reference = refs[0] if rnd.random() < 0.5 else rnd.choice(refs)
            fields = update_form(key, rnd, rnd.choice(sources), self.config.as_of_days)
            if rnd.random() < self.config.double_submit_rate:
                self.double_submit(browser, reference, fields)
                continue
            acknowledged = self.submit(browser, reference, fields, "update") is not None
            if acknowledged and rnd.random() < self.config.retry_rate:
                self.submit(browser, reference, fields, "retry")

    def double_submit(self, browser, reference, fields):
        """The same form sent twice at the same moment from one browser (a double click)."""
        barrier = threading.Barrier(2)

        def send(kind):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            self.submit(browser, reference, fields, kind)

        twin = threading.Thread(target=send, args=("double",))
        twin.start()
        send("update")
        twin.join()

    def manager(self, browser):
        while self.go():
            try:
                pk = self.to_review.get(timeout=0.2)
            except queue.Empty:
                continue
            status, _, body = self.timed(
                browser, "accept", "POST", f"/review/{pk}/accept/", {"comment": ""}
            )
            # 409 "Already accepted by <me>": my first attempt was accepted, then its
            # answer was lost with a killed worker, and the re-sent form came too late.
            mine = status == 409 and f"Already accepted by {browser.username}." in (
                error_text(body)
            )
            if status == 302 or mine:
                with self.lock:
                    self.accepted.add(pk)
            elif status is not None and status < 500:
                with self.lock:
                    self.unexpected.append(("accept", status, error_text(body)))

    def killer(self):
        """SIGKILL gunicorn workers while they answer requests: at a quarter, half and three
        quarters of the run, then every half second until a client has lost an answer."""
        moments = [self.started + self.config.seconds * m for m in (0.25, 0.5, 0.75)]
        while time.monotonic() < self.deadline - 0.5:
            if moments:
                time.sleep(max(0, moments.pop(0) - time.monotonic()))
            elif self.connection_errors:
                return
            else:
                time.sleep(0.5)
            deadline = time.monotonic() + 1
            busy = []
            while not busy and time.monotonic() < deadline:
                busy = busy_workers(self.server.workers(), self.server.port)
            if busy:
                victim = random.choice(busy)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                    self.kills.append(victim)


def busy_workers(pids, port):
    """Workers holding an open connection from a client: in the middle of a request."""
    connected = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == "01" and local_port == port:  # 01: established
                    connected.add(fields[9])  # the socket's inode
    busy = []
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in connected:
                    busy.append(pid)
                    break
    return busy


def update_form(key, rnd, source_id, as_of_days):
    today = dt.datetime.now(dt.UTC).date()
    fields = {
        "status": rnd.choice(STATUSES),
        "progress": str(rnd.randint(0, 100)),
        "confidence": rnd.choice(CONFIDENCES),
        # As-of dates vary, so the official status is not simply the latest submission.
        # With all as-of dates the same, the latest acceptance wins: the hardest case for
        # concurrent acceptances.
        "as_of": (
            today - dt.timedelta(days=rnd.randint(1, as_of_days) if as_of_days else 0)
        ).isoformat(),
        "assessment": ASSESSMENT.format(key=key),
        "idempotency_key": key,
        "revises": "",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "20",
        "evidence-0-quote": f"Quoted for {key}.",
        "evidence-0-speaker": "Spokesperson",
    }
    if rnd.random() < 0.2:  # sometimes a new source, created with the update
        fields["evidence-0-new_source_title"] = f"Source for {key}"
        fields["evidence-0-new_source_kind"] = "news"
    else:
        fields["evidence-0-source"] = str(source_id)
    return fields


def error_text(body):
    text = body.decode(errors="replace")
    errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]{3,200})', text)
    return "; ".join(e.strip() for e in errors[:3]) or text[:200]


# --- checks and the report ------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    config: Config
    vendor: str
    seconds: float
    requests: int
    samples: list
    stored_updates: int
    acknowledged: int
    accepted: int
    duplicates: int
    connection_errors: int
    kills: list
    integrity: dict
    problems: list

    def rows(self):
        def row(label, samples):
            ms = sorted(s.seconds * 1000 for s in samples)
            ok = sum(1 for s in samples if s.status < 400)
            errors = sum(1 for s in samples if s.status >= 400)
            return [
                label,
                str(len(samples)),
                str(ok),
                str(errors),
                f"{ok / self.seconds:.1f}",
                f"{percentile(ms, 50):.0f}" if ms else "-",
                f"{percentile(ms, 95):.0f}" if ms else "-",
                f"{ms[-1]:.0f}" if ms else "-",
            ]

        kinds = [("status updates", "update"), ("re-sent (retry)", "retry")]
        kinds += [("sent twice at once", "double"), ("accepts", "accept")]
        rows = [row(label, [s for s in self.samples if s.kind == kind]) for label, kind in kinds]
        rows.append(row("all requests", self.samples))
        return rows

    def table(self):
        head = ["", "requests", "ok", "errors", "ok/s", "p50 ms", "p95 ms", "max ms"]
        rows = [head, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [
            f"{self.vendor}, {self.config.workers} gunicorn workers, {self.config.clients} "
            f"analysts + {self.config.managers if self.config.review else 0} managers, "
            f"{self.seconds:.0f} s"
            + (f", {len(self.kills)} busy workers killed" if self.kills else ""),
        ]
        for r in rows:
            lines.append(
                "  ".join(
                    cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                    for i, cell in enumerate(r)
                )
            )
        lines.append(
            f"updates stored: {self.stored_updates} ({self.stored_updates / self.seconds:.1f} "
            f"writes/s), acknowledged: {self.acknowledged}, accepted: {self.accepted}, "
            f"duplicates: {self.duplicates}, 5xx: "
            f"{sum(1 for s in self.samples if s.status >= 500)}, answers lost and re-sent: "
            f"{self.connection_errors}"
        )
        lines.append(
            f"verify_integrity: {self.integrity['commitments']} commitments, "
            + ("no drift" if self.integrity["clean"] else f"{self.integrity['drifted']} drifted")
        )
        lines += ["PASS"] if not self.problems else [f"FAIL: {p}" for p in self.problems]
        return "\n".join(lines)


def percentile(sorted_values, pct):
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[pct - 1]


def check(run, inspected, log):
    problems = []
    stored = inspected["updates"]
    for key, pk in run.acks.items():
        if key not in stored:
            problems.append(f"acknowledged update {pk} ({key}) is not stored")
        elif stored[key][0] != pk:
            problems.append(f"{key} acknowledged as update {pk} but stored as {stored[key][0]}")
    for key, (pk, _state, evidence) in stored.items():
        if evidence < 1:
            problems.append(f"update {pk} ({key}) was stored without its evidence")
    for key, first, second in run.acks_conflicting:
        problems.append(f"{key} answered with two different updates: {first} and {second}")
    if inspected["duplicates"]:
        problems.append(f"{inspected['duplicates']} forms were stored more than once")
    states = {pk: state for pk, state, _ in stored.values()}
    for pk in run.accepted:
        if states.get(pk) != "accepted":
            problems.append(f"update {pk} was acknowledged as accepted but is {states.get(pk)}")
    for kind, status, text in run.server_errors[:5]:
        problems.append(f"HTTP {status} on {kind}: {text[:120]}")
    if len(run.server_errors) > 5:
        problems.append(f"… {len(run.server_errors) - 5} more server errors")
    for kind, status, text in run.unexpected[:5]:
        problems.append(f"unexpected HTTP {status} on {kind}: {text[:160]}")
    if run.unanswered:
        problems.append(f"{len(run.unanswered)} forms never got an answer, even when re-sent")
    locked = log.count("database is locked")
    if locked:
        problems.append(f'"database is locked" {locked} times in the server log')
    tracebacks = log.count("Traceback")
    if tracebacks:
        # The first one whole (its last lines name the cause): a rare race cannot be rerun.
        first = log[log.index("Traceback") :][:3000]
        problems.append(f"{tracebacks} tracebacks in the server log; the first:\n{first}")
    if not inspected["integrity"]["clean"]:
        problems.append(
            f"verify_integrity: {inspected['integrity']['drifted']} commitments drifted: "
            + " | ".join(inspected["integrity"]["examples"])
        )
    if not run.acks:
        problems.append("no update was acknowledged at all")
    if run.config.kill_worker and not run.kills:
        problems.append("no worker was killed")
    return problems


def run(config):
    """Run the load, check everything, return a Result (problems empty when all is well)."""
    with Server(config) as server:
        state = Run(config, server)
        analysts = server.fixture["analysts"]
        managers = server.fixture["managers"] if config.review else []
        browsers = [Browser(server.port) for _ in analysts]
        manager_browsers = [Browser(server.port) for _ in managers]
        # Everybody signs in through the login form before the clock starts.
        sign_ins = [
            threading.Thread(target=browser.login, args=(username, server.password))
            for browser, username in zip(
                [*browsers, *manager_browsers], [*analysts, *managers], strict=True
            )
        ]
        for t in sign_ins:
            t.start()
        for t in sign_ins:
            t.join()
        if not all(b.cookies.get("sessionid") for b in [*browsers, *manager_browsers]):
            raise LoadError("a client could not sign in")

        started = state.started = time.monotonic()
        state.deadline = started + config.seconds
        threads = [
            threading.Thread(target=state.analyst, args=(i, b)) for i, b in enumerate(browsers)
        ]
        threads += [threading.Thread(target=state.manager, args=(b,)) for b in manager_browsers]
        if config.kill_worker:
            threads.append(threading.Thread(target=state.killer))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started

        inspected = json.loads(server.python("--inspect", state.run_id))
        log = server.log()
        problems = check(state, inspected, log)
        return Result(
            config=config,
            vendor=server.vendor,
            seconds=elapsed,
            requests=state.requests,
            samples=state.samples,
            stored_updates=len(inspected["updates"]),
            acknowledged=len(state.acks),
            accepted=len(state.accepted),
            duplicates=inspected["duplicates"],
            connection_errors=state.connection_errors,
            kills=state.kills,
            integrity=inspected["integrity"],
            problems=problems,
        )


# --- inside the server's environment: prepare the data, inspect what was stored -------------


def django_setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(options):
    """Analysts, managers, commitments everybody may write to, two sources."""
    django_setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from tracker.models import ANALYSTS, MANAGERS, Area, Commitment, Source

    password = make_password(options["password"])  # one hash: hashing is slow on purpose
    analysts = [f"load-analyst-{i + 1}" for i in range(options["clients"])]
    managers = [f"load-manager-{i + 1}" for i in range(options["managers"])]
    for names, group in ((analysts, ANALYSTS), (managers, MANAGERS)):
        group = Group.objects.get(name=group)
        for name in names:
            User.objects.create(username=name, password=password).groups.add(group)
    area = Area.objects.create(name="Load test", slug="load-test")
    owners = list(User.objects.filter(username__in=analysts))
    refs = []
    for i in range(options["commitments"]):
        commitment = Commitment.objects.create(
            reference=f"LOAD-{i + 1}",
            title=f"Load test commitment {i + 1}",
            area=area,
            owner=owners[0],
        )
        commitment.assignees.set(owners)
        refs.append(commitment.reference)
    sources = [Source.objects.create(title=f"Load test source {i}").pk for i in (1, 2)]
    print(
        json.dumps(
            {"analysts": analysts, "managers": managers, "commitments": refs, "sources": sources}
        )
    )


def inspect(run_id):
    """What the database holds for this run, and whether any derived value drifted."""
    django_setup()
    from django.db.models import Count

    from tracker import integrity
    from tracker.models import StatusUpdate

    rows = (
        StatusUpdate.objects.filter(idempotency_key__startswith=f"{run_id}-")
        .annotate(n_evidence=Count("evidence"))
        .values_list("idempotency_key", "id", "review_state", "n_evidence")
    )
    duplicates = (
        StatusUpdate.objects.filter(assessment__startswith=ASSESSMENT.split("{")[0])
        .values("assessment")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    report = integrity.verify(max_examples=5)
    print(
        json.dumps(
            {
                "updates": {key: [pk, state, n] for key, pk, state, n in rows},
                "duplicates": duplicates,
                "integrity": {
                    "clean": report.clean,
                    "commitments": report.commitments,
                    "drifted": report.drifted,
                    "examples": [f"{d.reference}: {d.describe()}" for d in report.examples],
                },
            }
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=Config.seconds)
    parser.add_argument("--clients", type=int, default=Config.clients, help="analysts")
    parser.add_argument("--managers", type=int, default=Config.managers)
    parser.add_argument("--workers", type=int, default=Config.workers, help="gunicorn workers")
    parser.add_argument("--commitments", type=int, default=Config.commitments)
    parser.add_argument("--max-requests", type=int, default=Config.max_requests)
    parser.add_argument("--retry-rate", type=float, default=Config.retry_rate)
    parser.add_argument("--double-submit-rate", type=float, default=Config.double_submit_rate)
    parser.add_argument("--as-of-days", type=int, default=Config.as_of_days)
    parser.add_argument("--kill-worker", action="store_true")
    parser.add_argument(
        "--no-review", action="store_true", help="updates are official at once, no managers"
    )
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--inspect", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(json.loads(args.prepare))
    if args.inspect:
        return inspect(args.inspect)
    config = Config(
        seconds=args.seconds,
        clients=args.clients,
        managers=0 if args.no_review else args.managers,
        workers=args.workers,
        commitments=args.commitments,
        max_requests=args.max_requests,
        retry_rate=args.retry_rate,
        double_submit_rate=args.double_submit_rate,
        as_of_days=args.as_of_days,
        kill_worker=args.kill_worker,
        review=not args.no_review,
        database_url=os.environ.get("DATABASE_URL", ""),
    )
    result = run(config)
    print(result.table())
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
