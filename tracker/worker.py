"""The task worker (`manage.py db_worker`, django-tasks-db), stopped between its steps.

django-tasks-db's signal handler exits at once whenever no task is running, even while the
worker is claiming one: a SIGTERM during the claim's COMMIT turned the exit into a
ProgrammingError (exit status 1) and left the claimed task RUNNING with no worker to run it
(django-tasks-db issue #61, open; most likely what failed one CI run here). Installed at start-up
(`TrackerConfig.ready`): a first SIGTERM or Ctrl-C only asks the loop to stop, which it does
after its current step (the claim and the task claimed, or the wait between two polls, at
most `--interval`); a second one stops it at once, as before.
"""

import logging
import signal

from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("django_tasks_db")

stop_now = db_worker.Worker.shutdown  # the library's: exits, marking a running task failed


def shutdown(worker, signum, frame):
    if not worker.running:
        stop_now(worker, signum, frame)  # asked twice
        return
    logger.warning(
        "Received %s - stopping after the current step (again to stop at once).",
        signal.strsignal(signum),
    )
    worker.running = False


def install():
    db_worker.Worker.shutdown = shutdown
