"""docs/api.md's curl examples, run as written against a live server: each answers the
status its comment says (`# → 201`)."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests import factories
from tracker.models import Commitment, Source

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
EXAMPLE = re.compile(r"^# → (\d{3})\n(curl .+)$", re.MULTILINE)


def examples():
    return [(int(status), command) for status, command in EXAMPLE.findall(DOC.read_text())]


def test_the_doc_has_examples_of_every_kind():
    statuses = {status for status, _ in examples()}
    assert {200, 201, 304, 400, 401, 409, 422} <= statuses
    assert len(examples()) >= 14


@pytest.fixture
def docs_world(live_server, seeded, analyst, other_analyst, manager):
    Commitment.objects.update(owner=analyst)
    fentanyl = Commitment.objects.get(reference="USCN-FENTANYL")
    pending = factories.record(fentanyl, author=analyst, status="in_progress", quote="Seized.")
    indicator = factories.make_indicator(fentanyl, name="Countries in the coalition")
    env = {
        "TRACKER": live_server.url,
        "TOKEN": factories.make_token(analyst, scope="write").raw,
        "MANAGER_TOKEN": factories.make_token(manager, scope="write").raw,
        "UPDATE": str(pending.pk),
        "INDICATOR": str(indicator.pk),
        "SOURCE": str(Source.objects.first().pk),
        "PATH": "/usr/bin:/bin",
    }
    env["ETAG"] = (
        run(
            f'curl -s -o /dev/null -D - -H "Authorization: Bearer {env["TOKEN"]}" '
            f'"{live_server.url}/api/commitments/USCN-FENTANYL/"',
            env,
        )
        .split("ETag: ")[1]
        .split()[0]
    )
    return env


def run(command, env):
    return subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_curl_example_answers_as_documented(docs_world):
    for status, command in examples():
        # Print the status instead of the body; everything else runs exactly as written.
        measured = "curl -s -o /dev/null -w '%{http_code}' " + command.removeprefix("curl ")
        assert run(measured, docs_world) == str(status), shlex.split(command)[-1]
