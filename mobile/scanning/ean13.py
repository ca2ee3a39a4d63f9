"""EAN-13 and UPC-A (ISO/IEC 15420) from bar and space widths: the items' own barcodes.

Quiet zone, guard (bar space bar), six digits of 7 modules (space first; each in one of
two parities, which together spell the first digit), centre guard (5 modules), six
digits (bar first), guard, quiet zone. A UPC-A is an EAN-13 whose first digit is 0: it is
returned as its 12 digits, as handheld scanners send it and as item records keep it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mobile.scanning.runs import variance

#: widths (space, bar, space, bar) of digits 0 to 9 in the left half's odd parity; the
#: right half has the same widths bar first, the even parity has them reversed
DIGITS: tuple[tuple[int, int, int, int], ...] = (
    (3, 2, 1, 1),
    (2, 2, 2, 1),
    (2, 1, 2, 2),
    (1, 4, 1, 1),
    (1, 1, 3, 2),
    (1, 2, 3, 1),
    (1, 1, 1, 4),
    (1, 3, 1, 2),
    (1, 2, 1, 3),
    (3, 1, 1, 2),
)
#: the left half's parities (True: even) for each first digit
PARITIES = {
    (False, False, False, False, False, False): 0,
    (False, False, True, False, True, True): 1,
    (False, False, True, True, False, True): 2,
    (False, False, True, True, True, False): 3,
    (False, True, False, False, True, True): 4,
    (False, True, True, False, False, True): 5,
    (False, True, True, True, False, False): 6,
    (False, True, False, True, False, True): 7,
    (False, True, False, True, True, False): 8,
    (False, True, True, False, True, False): 9,
}
MAX_AVG_VARIANCE = 0.4
MAX_INDIVIDUAL_VARIANCE = 0.7
GUARD = (1, 1, 1)
CENTRE = (1, 1, 1, 1, 1)
#: light before and after the code, in modules (the standard asks for 11 and 7)
QUIET_MODULES = 5
#: runs from the first guard's first bar to the quiet zone after the last guard
LENGTH = 3 + 24 + 5 + 24 + 3


def decode_runs(runs: Sequence[int]) -> list[str]:
    """Every EAN-13 or UPC-A read left to right along ``runs`` (light first, see :mod:`.runs`)."""
    found: list[str] = []
    i = 1
    while i + LENGTH < len(runs):
        text = _decode_at(runs, i)
        if text is not None:
            found.append(text)
            i += LENGTH + 1  # past the quiet zone, to the next bar
        else:
            i += 2
    return found


def _digit(widths: Sequence[int], reversed_too: bool) -> tuple[int, bool] | None:
    """The digit whose widths these are, and whether they were reversed (even parity)."""
    best: tuple[int, bool] | None = None
    best_variance = MAX_AVG_VARIANCE
    for even in (False, True) if reversed_too else (False,):
        for digit, pattern in enumerate(DIGITS):
            v = variance(widths, pattern[::-1] if even else pattern, MAX_INDIVIDUAL_VARIANCE)
            if v < best_variance:
                best, best_variance = (digit, even), v
    return best


def _decode_at(runs: Sequence[int], start: int) -> str | None:
    module = sum(runs[start : start + 3]) / 3
    if runs[start - 1] < QUIET_MODULES * module:
        return None
    if variance(runs[start : start + 3], GUARD, MAX_INDIVIDUAL_VARIANCE) > MAX_AVG_VARIANCE:
        return None
    digits: list[int] = []
    parities: list[bool] = []
    i = start + 3
    for _ in range(6):
        found = _digit(runs[i : i + 4], reversed_too=True)
        if found is None:
            return None
        digits.append(found[0])
        parities.append(found[1])
        i += 4
    if variance(runs[i : i + 5], CENTRE, MAX_INDIVIDUAL_VARIANCE) > MAX_AVG_VARIANCE:
        return None
    i += 5
    for _ in range(6):
        found = _digit(runs[i : i + 4], reversed_too=False)
        if found is None:
            return None
        digits.append(found[0])
        i += 4
    end_module = sum(runs[i : i + 3]) / 3
    if variance(runs[i : i + 3], GUARD, MAX_INDIVIDUAL_VARIANCE) > MAX_AVG_VARIANCE:
        return None
    if runs[i + 3] < QUIET_MODULES * end_module:
        return None
    first = PARITIES.get(tuple(parities))  # type: ignore[arg-type]
    if first is None:
        return None
    code = [first, *digits]
    if sum(d * (3 if k % 2 else 1) for k, d in enumerate(code)) % 10:
        return None
    text = "".join(map(str, code))
    return text[1:] if first == 0 else text
