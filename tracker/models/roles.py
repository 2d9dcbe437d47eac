"""The role groups' names. Who is in which, and what each may do: tracker/access.py."""

ANALYSTS = "Analysts"
MANAGERS = "Managers"
ROLE_GROUPS = (ANALYSTS, MANAGERS)
