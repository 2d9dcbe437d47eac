"""The two commands stop at once, with a clear message, on a Python older than 3.12."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE_OLD_PYTHON = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "Python 3.11.2"; exit 0; fi
exit 1
"""


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_stops_on_an_old_python(tmp_path, target):
    for name in ("python3", "python3.13", "python3.12"):
        fake = tmp_path / name
        fake.write_text(FAKE_OLD_PYTHON)
        fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["make", "-s", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "needs Python 3.12 or newer" in result.stderr
    assert "found: Python 3.11.2" in result.stderr
