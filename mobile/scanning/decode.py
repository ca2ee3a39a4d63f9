"""A picture's grey levels to the one barcode it shows: scan lines across it, then a vote.

Each scan line is read on its own, both ways (a code upside down reads backwards).
A value counts only when two lines read it: a single line that happens to match every
pattern and the check would otherwise record a scan nobody made. Lines go across the
picture first, then down it (a code photographed on its side).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from mobile.scanning import code128, ean13
from mobile.scanning.runs import runs

#: how many scan lines cross the picture each way
LINES = 48
#: lines that must agree before a value is believed
AGREEING = 2


def decode_row(row: Sequence[int]) -> set[str]:
    """Every code this one line of grey levels reads (Code 128, EAN-13, UPC-A)."""
    widths = runs(row)
    backwards = widths[::-1]
    found: set[str] = set()
    for decode in (code128.decode_runs, ean13.decode_runs):
        found.update(decode(widths))
        found.update(decode(backwards))
    return found


def vote(rows: Iterable[Sequence[int]]) -> str | None:
    """The value at least :data:`AGREEING` rows read, and more rows than read any other."""
    votes: Counter[str] = Counter()
    for row in rows:
        votes.update(decode_row(row))
    ranked = [(value, n) for value, n in votes.most_common(2) if n >= AGREEING]
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None  # nothing read twice, or two codes equally: let the person aim again
    return ranked[0][0]


def rows_across(pixels: bytes, width: int, height: int, lines: int = LINES) -> list[bytes]:
    """Evenly spaced rows of a picture stored row by row, one byte (grey level) a pixel."""
    step = max(1, height // (lines + 1))
    return [pixels[y * width : (y + 1) * width] for y in range(step, height - step + 1, step)]


def columns_down(pixels: bytes, width: int, height: int, lines: int = LINES) -> list[bytes]:
    """Evenly spaced columns of the same picture, top to bottom."""
    step = max(1, width // (lines + 1))
    return [pixels[x::width] for x in range(step, width - step + 1, step)]


def decode_grey(pixels: bytes, width: int, height: int, lines: int = LINES) -> str | None:
    """The barcode in a picture of ``width`` × ``height`` grey levels, or None."""
    if len(pixels) != width * height:
        raise ValueError(f"{len(pixels)} grey levels for a {width}×{height} picture")
    return vote(rows_across(pixels, width, height, lines)) or vote(
        columns_down(pixels, width, height, lines)
    )
