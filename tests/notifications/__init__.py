"""Tests of the notifications domain: Web Push, email, live events, the outbox."""
