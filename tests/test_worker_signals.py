"""The task worker stops between its steps on a first SIGTERM or Ctrl-C (tracker/worker.py)."""

import signal

import pytest
from django_tasks_db.management.commands.db_worker import Worker


def worker():
    return Worker(
        queue_names=["default"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_first_signal_between_tasks_only_asks_the_loop_to_stop(signum):
    # The library exits at once here, even in the middle of claiming a task (issue #61).
    idle = worker()
    idle.shutdown(signum, None)  # no SystemExit: the claim or the wait in progress ends first
    assert idle.running is False


def test_a_first_signal_during_a_task_lets_it_finish():
    busy = worker()
    busy.running_task = True
    busy.shutdown(signal.SIGTERM, None)
    assert busy.running is False


def test_a_second_signal_stops_at_once():
    asked = worker()
    asked.shutdown(signal.SIGTERM, None)
    with pytest.raises(SystemExit) as stopped:
        asked.shutdown(signal.SIGTERM, None)
    assert stopped.value.code == 1
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
