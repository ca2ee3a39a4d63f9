"""Bulk actions on the orders selected in the list: start processing, print slips, print labels.

Each order's step is recorded on the device like a single-order step (a mutation per
order: applied at once, queued for the server, never waiting for the network); orders the
lifecycle does not allow it for are skipped and counted, with the reason. Printing then
opens one PDF of every slip or label from the server (a signed link, as for one order);
offline, the step is recorded anyway and the PDF waits in a list kept in the device store,
shown as waiting for the network, and opens once the network is back.

Labels of a carrier whose labels the server issues (the demo carrier), for orders with no
tracking number yet, cannot be recorded on the device: the tracking number comes from the
carrier. Those are issued through the server's bulk print (``POST /api/documents/print``,
which records the print step there, once) when online; offline they wait with the PDF.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import msgspec
from msgspec import Struct

from mobile.api import ApiError, ServerUnreachable
from mobile.store import Store
from mobile.sync import SyncStatus
from mobile.viewmodels.base import Observable
from mobile.viewmodels.documents import LinkApi
from mobile.viewmodels.format import plural
from mobile.viewmodels.steps.printing import Document, DocumentUnavailable
from mobile.viewmodels.steps.ship import DEFAULT_CARRIER, ISSUED_BY_SERVER, carrier_name
from mobile.workspace import Workspace
from shared import commands as c
from shared.lifecycle import StepRefused, check
from shared.types import Order

log = logging.getLogger("shipfloor.bulk")

#: the server's limit on the orders of one signed document link
MAX_PER_DOCUMENT = 500


class BulkOpener(Protocol):
    """What bulk printing needs of :class:`mobile.viewmodels.documents.ServerDocumentOpener`."""

    @property
    def online(self) -> bool:
        """Whether the server can be reached now."""
        ...

    async def open_bulk(self, order_ids: Sequence[str], kind: Document) -> None:
        """Open one PDF of these orders' slips or labels; :class:`DocumentUnavailable` if not now."""
        ...


class Skipped(Struct, frozen=True):
    """A selected order the bulk action left alone, and why."""

    order_id: str
    number: str
    reason: str


class BulkResult(Struct, frozen=True, kw_only=True):
    """What a bulk action did: the orders it recorded (or reprinted) and the ones skipped."""

    action: str
    done: list[str]
    skipped: list[Skipped]
    #: the PDF opened now (False: it waits for the network, or nothing to print)
    opened: bool = False
    #: labels among ``done`` that the server issues (and records) before the PDF opens
    to_issue: list[str] = []

    @property
    def summary(self) -> str:
        """``Start processing: 3 orders done, 1 skipped (SF10042: Confirm payment first).``."""
        text = f"{self.action}: {plural(len(self.done), 'order')} done"
        if self.skipped:
            first = self.skipped[0]
            text += f", {len(self.skipped)} skipped ({first.number}: {first.reason}"
            text += ", …)" if len(self.skipped) > 1 else ")"
        return text + "."


class WaitingPrint(Struct, frozen=True, kw_only=True):
    """One bulk PDF whose steps were recorded offline, still to be opened."""

    document: Document
    order_ids: list[str]
    queued_at: datetime
    #: labels the server still has to issue (and record as printed) before the PDF opens
    to_issue: list[str] = []

    @property
    def text(self) -> str:
        """``12 packing slips waiting for the network``."""
        word = "packing slip" if self.document is Document.PACKING_SLIP else "shipping label"
        return f"{plural(len(self.order_ids), word)} waiting for the network"


_QUEUE_KEY = "bulk.print_queue"
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(list[WaitingPrint]).decode

#: a decided step for one order: the command to record (None: reprint only), or a refusal
_Plan = tuple[c.Command | None, str | None]


def plan_start(order: Order) -> _Plan:
    """Start processing, or why not."""
    command = c.StartProcessing()
    refusal = check(order, command)
    return (None, refusal.message) if refusal else (command, None)


def plan_slip(order: Order) -> _Plan:
    """Record "packing slip printed" (a reprint records nothing), or why not."""
    command = c.PrintSlip()
    refusal = check(order, command)
    if refusal is not None:
        return None, refusal.message
    return (None if order.slip_printed_at is not None else command), None


#: a label the server must issue: no command on the device, and no reason to skip
ISSUE = c.PrintLabel(carrier=DEFAULT_CARRIER)


def plan_label(order: Order) -> _Plan:
    """Record "label printed" with the order's carrier (a reprint records nothing), or why not.

    An order without a tracking number whose carrier's labels the server issues gets
    :data:`ISSUE`: the server records the step when it issues the label. For other
    carriers the number must have been entered on the ship screen.
    """
    if order.label_printed_at is not None and order.tracking_number:
        return None, None
    carrier = order.carrier or DEFAULT_CARRIER
    if not order.tracking_number and carrier not in ISSUED_BY_SERVER:
        return None, f"Enter the {carrier_name(carrier)} tracking number on the ship screen first."
    command = c.PrintLabel(carrier=carrier, tracking_number=order.tracking_number)
    refusal = check(order, command)
    if refusal is not None:
        return None, refusal.message
    return (ISSUE if not order.tracking_number else command), None


class _PrintAnswer(Struct):
    """What ``POST /api/documents/print`` answers (the parts used here)."""

    printed: int
    failed: int


class BulkViewModel(Observable):
    """Bulk actions over a list of selected orders, and the bulk PDFs waiting for the network."""

    def __init__(
        self, workspace: Workspace, opener: BulkOpener, api: LinkApi | None = None
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.opener = opener
        #: the signed-in API, for labels the server issues (without it they are skipped)
        self.api = api
        self.busy: str | None = None
        #: the last action's outcome, for the bulk bar
        self.result: BulkResult | None = None
        self.message: str | None = None
        self._online = workspace.status().online
        self._flushing: asyncio.Task[int] | None = None
        self._unwatch = workspace.watch_status(self._sync_changed)

    # ----------------------------------------------------------------- state

    @property
    def store(self) -> Store:
        """The device store the steps are recorded in."""
        return self.workspace.store

    @property
    def waiting(self) -> list[WaitingPrint]:
        """Bulk PDFs recorded offline and not opened yet, oldest first."""
        raw = self.store.get_meta(_QUEUE_KEY)
        return _decode(raw) if raw else []

    @property
    def waiting_text(self) -> str:
        """``12 packing slips waiting for the network`` ("" when none)."""
        return "; ".join(w.text for w in self.waiting)

    # -------------------------------------------------------------- commands

    async def start_processing(self, order_ids: Sequence[str]) -> BulkResult:
        """Start processing every eligible selected order (one mutation each)."""
        return self._finish(self._record("Start processing", order_ids, plan_start))

    async def print_slips(self, order_ids: Sequence[str]) -> BulkResult:
        """Record the slips printed and open one PDF of them (or let it wait for the network)."""
        return await self._print(
            self._record("Print slips", order_ids, plan_slip), Document.PACKING_SLIP
        )

    async def print_labels(self, order_ids: Sequence[str]) -> BulkResult:
        """Record the labels printed and open one PDF of them (or let it wait for the network)."""
        return await self._print(
            self._record("Print labels", order_ids, self._plan_label), Document.LABEL
        )

    async def network_back(self) -> int:
        """Open the bulk PDFs waiting for the network; returns how many opened."""
        opened = 0
        for entry in self.waiting:
            if not self.opener.online:
                break
            if entry.to_issue:
                if not await self._issue(entry.to_issue):
                    break
                # Issued (and recorded) once: a failed opening below must not issue again.
                issued = msgspec.structs.replace(entry, to_issue=[])
                self._save([issued if w == entry else w for w in self.waiting])
                entry = issued
            if not await self._open(entry.order_ids, entry.document):
                break
            self._save([w for w in self.waiting if w != entry])
            opened += 1
        if opened:
            self.message = f"{plural(opened, 'waiting document')} opened."
            self.changed()
        return opened

    def dismiss(self) -> None:
        """Hide the last action's outcome."""
        self.result = None
        self.message = None
        self.changed()

    def dispose(self) -> None:
        """Stop watching the network (the screen is going away)."""
        self._unwatch()
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None

    # --------------------------------------------------------------- helpers

    def _record(
        self, action: str, order_ids: Sequence[str], plan: Callable[[Order], _Plan]
    ) -> BulkResult:
        done: list[str] = []
        skipped: list[Skipped] = []
        to_issue: list[str] = []
        recorded = 0
        store = self.store
        self.busy = action
        try:
            for order_id in dict.fromkeys(order_ids):
                order = store.order(order_id)
                if order is None:
                    skipped.append(Skipped(order_id, order_id, "not on this device"))
                    continue
                command, reason = plan(order)
                if reason is not None:
                    skipped.append(Skipped(order_id, order.number, reason))
                    continue
                if command is ISSUE:
                    to_issue.append(order_id)
                elif command is not None:
                    try:
                        store.record(order_id, command)
                    except StepRefused as refused:
                        skipped.append(Skipped(order_id, order.number, refused.message))
                        continue
                    recorded += 1
                done.append(order_id)
        finally:
            self.busy = None
        if recorded:
            # Once for the whole batch: the list re-reads once, the push is scheduled once.
            self.workspace.local_change()
        return BulkResult(action=action, done=done, skipped=skipped, to_issue=to_issue)

    def _finish(self, result: BulkResult, extra: str = "") -> BulkResult:
        self.result = result
        self.message = result.summary + (f" {extra}" if extra else "")
        self.changed()
        return result

    async def _print(self, result: BulkResult, document: Document) -> BulkResult:
        if not result.done:
            return self._finish(result)
        self.busy = result.action
        self.changed()
        try:
            issued = self.opener.online and await self._issue(result.to_issue)
            opened = issued and await self._open(result.done, document)
        finally:
            self.busy = None
        if opened:
            return self._finish(
                msgspec.structs.replace(result, opened=True), "The PDF opened for printing."
            )
        self._save(
            [
                *self.waiting,
                WaitingPrint(
                    document=document,
                    order_ids=result.done,
                    queued_at=self.store.clock(),
                    to_issue=[] if issued else result.to_issue,
                ),
            ]
        )
        return self._finish(result, "Recorded: the PDF waits for the network.")

    def _plan_label(self, order: Order) -> _Plan:
        command, reason = plan_label(order)
        if command is ISSUE and self.api is None:
            return None, "Print this label from the ship screen."
        return command, reason

    async def _issue(self, order_ids: Sequence[str]) -> bool:
        """Have the server issue these labels (it records the print steps), then pull them."""
        if not order_ids:
            return True
        assert self.api is not None
        # The device's own steps (packing, say) first: the server must see the order ready.
        await self.workspace.sync_and_wait()
        try:
            for start in range(0, len(order_ids), MAX_PER_DOCUMENT):
                chunk = list(order_ids[start : start + MAX_PER_DOCUMENT])
                body = msgspec.json.encode({"kind": "label", "order_ids": chunk})
                await self.api.request("POST", "/api/documents/print", _PrintAnswer, body=body)
        except (ServerUnreachable, ApiError) as exc:
            log.info("labels not issued: %s", exc)
            return False
        await self.workspace.sync_and_wait()  # bring the issued labels to the device
        return True

    async def _open(self, order_ids: Sequence[str], document: Document) -> bool:
        try:
            for start in range(0, len(order_ids), MAX_PER_DOCUMENT):
                await self.opener.open_bulk(order_ids[start : start + MAX_PER_DOCUMENT], document)
        except DocumentUnavailable as exc:
            log.info("bulk %s not opened: %s", document.value, exc)
            return False
        return True

    def _save(self, entries: list[WaitingPrint]) -> None:
        self.store.set_meta(_QUEUE_KEY, _encode(entries).decode() if entries else None)

    def _sync_changed(self, status: SyncStatus) -> None:
        back = status.online and not self._online
        self._online = status.online
        if back and self.waiting and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.get_running_loop().create_task(self.network_back())
