"""Run in its own process by test_notification_worker.py, against the worker's database.

python tests/worker_harness.py prepare N   # N submitted updates: 2 managers told of each
python tests/worker_harness.py sweep       # enqueue the sweep, as the scheduler would
python tests/worker_harness.py report      # JSON: deliveries, notifications, tasks
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from tests import factories  # noqa: E402
from tracker.notifications import tasks  # noqa: E402
from tracker.notifications.models import EmailDelivery, Notification  # noqa: E402


def prepare(n):
    analyst = factories.make_analyst("alice", email="alice@example.org", first_name="Alice")
    for name in ("maria", "mike"):
        factories.make_manager(name, email=f"{name}@example.org")
    commitment = factories.make_commitment("WORKER-1", owner=analyst)
    # Each recorded update enqueues its fan-out when its transaction commits.
    updates = [factories.record(commitment, author=analyst).pk for _ in range(n)]
    return {"updates": updates}


def report():
    deliveries = EmailDelivery.objects.order_by("pk").values_list(
        "to", "message_id", "state", "attempts"
    )
    task_states = DBTaskResult.objects.values("status").annotate(n=Count("id"))
    return {
        "deliveries": [list(row) for row in deliveries],
        "notifications": Notification.objects.count(),
        "tasks": {row["status"]: row["n"] for row in task_states},
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "prepare":
        result = prepare(int(sys.argv[2]))
    elif command == "sweep":
        result = {"task": str(tasks.sweep.enqueue().id)}
    else:
        result = report()
    print(json.dumps(result))
