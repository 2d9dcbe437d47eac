"""Sign-in: django-allauth's accounts, second factor (MFA) and OpenID Connect single sign-on,
fitted to the tracker (its roles, audit log, lockout and Content-Security-Policy)."""
