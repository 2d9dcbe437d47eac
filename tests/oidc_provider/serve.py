"""Run the test identity provider: `python -m tests.oidc_provider.serve PORT CLIENT_ID
CLIENT_SECRET REDIRECT_URI`. Creates its users (password "idp-password"):

- pat (groups tracker-analysts), morgan (tracker-managers, tracker-analysts),
  nora (no group the tracker maps).
"""

import os
import sys

PASSWORD = "idp-password"  # noqa: S105
USERS = {
    "pat": ("Pat", "Provider", ["tracker-analysts"]),
    "morgan": ("Morgan", "Provider", ["tracker-managers", "tracker-analysts"]),
    "nora": ("Nora", "Nobody", ["staff-canteen"]),
}


def set_up(client_id, client_secret, redirect_uri):
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, (first, last, groups) in USERS.items():
        user = User.objects.create_user(
            username, f"{username}@idp.example", PASSWORD, first_name=first, last_name=last
        )
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    Application.objects.create(
        name="Commitment Tracker",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main():
    import django
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import run

    port, client_id, client_secret, redirect_uri = sys.argv[1:5]
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"  # never the tracker's
    django.setup()
    set_up(client_id, client_secret, redirect_uri)
    run("127.0.0.1", int(port), WSGIHandler(), threading=True)


if __name__ == "__main__":
    main()
