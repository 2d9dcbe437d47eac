"""Notifications: who hears what, in the app and by email, sent by the task worker.

Requests never send mail: they enqueue a fan-out task on commit (events.py). The worker
records one Notification (the bell) and one EmailDelivery per recipient and event, both
unique on (recipient, event key), then sends each delivery (delivery.py) with retries.
"""
