"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in its
own Django project, database and process (`python -m tests.oidc_provider.serve`), on
127.0.0.1. Never part of the tracker; tests/e2e/test_sso.py starts and stops it."""
