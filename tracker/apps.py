from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Commitment Tracker"

    def ready(self):
        from . import audit  # noqa: F401 - connects the sign-in signal receivers
