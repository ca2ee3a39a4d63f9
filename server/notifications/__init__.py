"""Notifications: Web Push, email and live dashboard events, delivered through an outbox.

A change that notifies someone writes an outbox row in its own transaction
(:mod:`server.notifications.service`); a dispatcher (:mod:`server.notifications.dispatcher`)
fans it out to its targets and delivers each once, with retries. See ``docs/notifications.md``.
"""
