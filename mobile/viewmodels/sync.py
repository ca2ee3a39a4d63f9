"""The sync bar, the list of refused changes and conflicts, and the sign-out guard.

The bar is on every screen: online or offline, how many changes wait to be sent, when the
device last synced, "Sync now". Signing out with changes still waiting is never silent:
the person chooses "Sync now" (signs out once everything is sent) or "Sign out anyway",
which keeps the device store — and its waiting changes — on this device, to be sent by
the same person's next sign-in here. Nothing is ever discarded by the app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from mobile.sync import SyncStatus
from mobile.viewmodels.base import Observable
from mobile.viewmodels.format import local_time, plural
from mobile.viewmodels.issues import IssueRow, dismiss_issue, issues_of
from mobile.workspace import Workspace
from shared.deadlines import Calendar


class SyncViewModel(Observable):
    """State of the sync bar and panel, and the sign-out guard."""

    def __init__(
        self,
        workspace: Workspace,
        calendar: Calendar,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.calendar = calendar
        self.clock = clock
        self.status: SyncStatus = workspace.status()
        self.issues: list[IssueRow] = issues_of(workspace.store, calendar)
        #: the sign-out question is open (changes are waiting)
        self.confirming_sign_out = False
        self.sign_out_message = ""
        self._unsubscribe = [
            workspace.watch_status(self._status_changed),
            workspace.subscribe(self._store_changed),
        ]

    # ----------------------------------------------------------------- state

    @property
    def online(self) -> bool:
        """Whether the server answered the last request (and the platform has a network)."""
        return self.status.online

    @property
    def online_text(self) -> str:
        """``Online``, ``Offline`` or ``Syncing…``."""
        if self.status.sign_in_required:
            return "Signed out"
        if self.status.syncing:
            return "Syncing…"
        return "Online" if self.status.online else "Offline"

    @property
    def pending_text(self) -> str:
        """``3 waiting to sync`` or ``All synced``."""
        if self.status.pending:
            return f"{self.status.pending} waiting to sync"
        return "All synced"

    @property
    def last_synced_text(self) -> str:
        """``Synced Tue 14 Jan, 17:02`` or ``Never synced``."""
        at = self.status.last_synced_at
        if at is None:
            return "Never synced"
        return "Synced " + local_time(at, self.calendar.zone)

    @property
    def summary(self) -> str:
        """The bar in one line: ``Online · 2 waiting to sync · Synced Tue 14 Jan, 17:02``."""
        parts = [self.online_text, self.pending_text, self.last_synced_text]
        if self.issues:
            parts.append(plural(len(self.issues), "problem"))
        return " · ".join(parts)

    @property
    def error(self) -> str:
        """Why the last sync failed (empty after a good one)."""
        status = self.status
        if status.sign_in_required:
            return "Your session has ended: sign in again to send your changes."
        if status.last_error and not status.online:
            return "The server cannot be reached: your work is kept on this device."
        if status.last_error:
            return f"The last sync failed: {status.last_error}"
        return ""

    # -------------------------------------------------------------- commands

    def sync_now(self) -> None:
        """Sync as soon as possible."""
        self.workspace.sync_now()

    def dismiss(self, issue: IssueRow) -> None:
        """The person has read an issue: stop showing it (kept on file)."""
        self.workspace.dismiss(lambda store: dismiss_issue(store, issue))

    def ask_sign_out(self) -> bool:
        """Whether signing out may go ahead now; otherwise the question opens."""
        pending = self.workspace.store.pending_count()
        if not pending:
            self.confirming_sign_out = False
            return True
        self.confirming_sign_out = True
        self.sign_out_message = (
            f"{plural(pending, 'change')} made on this device "
            f"{'is' if pending == 1 else 'are'} still waiting to sync. "
            "Sync now to send them first, or sign out anyway: they stay on this device "
            "and are sent the next time you sign in here."
        )
        self.changed()
        return False

    async def sync_then_sign_out(self) -> bool:
        """Sync now; whether everything was sent (then signing out may go ahead)."""
        status = await self.workspace.sync_and_wait()
        self.status = status
        if status.pending == 0:
            self.confirming_sign_out = False
            self.changed()
            return True
        reason = self.error or "not everything was accepted yet"
        self.sign_out_message = (
            f"{plural(status.pending, 'change')} could not be sent: {reason} "
            "Sign out anyway to keep them on this device for your next sign-in here."
        )
        self.changed()
        return False

    def cancel_sign_out(self) -> None:
        """Stay signed in."""
        self.confirming_sign_out = False
        self.changed()

    def dispose(self) -> None:
        """Stop listening (the session is ending)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # --------------------------------------------------------------- helpers

    def _status_changed(self, status: SyncStatus) -> None:
        self.status = status
        self.changed()

    def _store_changed(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self.issues = issues_of(self.workspace.store, self.calendar)
        self.status = self.workspace.status()
        self.changed()
