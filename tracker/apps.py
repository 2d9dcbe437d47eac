from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Commitment Tracker"

    def ready(self):
        # audit connects the sign-in signal receivers; dataversion installs its triggers.
        from . import audit, dataversion, worker  # noqa: F401 - audit: its receivers
        from .accounts import authenticators, checks, signals  # noqa: F401
        from .dashboard import days, tallies
        from .search import index

        authenticators.install()
        worker.install()
        post_migrate.connect(dataversion.install, sender=self)
        post_migrate.connect(index.install, sender=self)
        post_migrate.connect(tallies.install, sender=self)
        post_migrate.connect(days.install, sender=self)
