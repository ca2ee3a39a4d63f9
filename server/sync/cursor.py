"""The pull cursor: where a device is in the feed of changes, as an opaque string.

A first sync walks three phases: **open** work (orders not yet shipped, soonest ship-by
first), then **history** (shipped, delivered, cancelled; newest first), then **live**
(every change after the vendor's change sequence as it was when the first sync began, in
sequence order). Live is where a device stays afterwards.

An order that does not change during the first sync keeps its status, ship-by and sequence
value, so it sits at one fixed place in exactly one of the first two phases and is sent
once. An order that does change gets a sequence value above ``high`` and is sent by the
live phase — however the change moved it around the first two. So nothing is missed, and
a cursor can be replayed: asking again with the same cursor gives the same page.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

import msgspec

from server.errors import BadRequest
from shared.types import Timestamp


class Phase(StrEnum):
    """Which part of the feed the cursor is in."""

    OPEN = "open"
    HISTORY = "history"
    LIVE = "live"


class Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """A position in the feed (sent to devices base64-encoded; they never look inside)."""

    vendor: str
    phase: Phase
    #: the vendor's change sequence when the first sync began
    high: int
    #: open phase: the ship-by key and id of the last order sent
    due: Timestamp | None = None
    last_id: str = ""
    #: history: next orders have a sequence value below this; live: above this
    seq: int = 0


_PREFIX = "c1."
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Cursor)


def vendor_tag(vendor_id: str) -> str:
    """Enough of the vendor's id to notice a cursor carried over from another account."""
    return vendor_id[:8]


def start(vendor_id: str, high: int) -> Cursor:
    """The cursor of a first sync that begins when the vendor's sequence is at ``high``."""
    return Cursor(vendor_tag(vendor_id), Phase.OPEN, high)


def encode(cursor: Cursor) -> str:
    """The cursor as a URL-safe string."""
    return _PREFIX + base64.urlsafe_b64encode(_encoder.encode(cursor)).decode().rstrip("=")


def decode(text: str, vendor_id: str) -> Cursor:
    """The cursor in ``text``; 400 naming the parameter when it is not one of ours."""
    if not text.startswith(_PREFIX):
        raise BadRequest("cursor: not a cursor from /api/sync/pull (pass it back unchanged)")
    body = text[len(_PREFIX) :]
    try:
        cursor = _decoder.decode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise BadRequest("cursor: damaged (pass back the cursor of the last page)") from exc
    if cursor.vendor != vendor_tag(vendor_id):
        raise BadRequest("cursor: from another account; start again with an empty cursor")
    if cursor.high < 0 or cursor.seq < 0 or (cursor.phase is Phase.OPEN and cursor.seq):
        raise BadRequest("cursor: damaged (pass back the cursor of the last page)")
    return cursor
