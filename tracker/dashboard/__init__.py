"""The manager dashboard: its queries, form, view and chart geometry."""
