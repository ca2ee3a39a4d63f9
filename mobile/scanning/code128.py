"""Code 128 (ISO/IEC 15417) from bar and space widths: packing slips and shipping labels.

A symbol is three bars and three spaces, 11 modules wide, each element 1 to 4 modules.
A code is quiet zone, start (A, B or C), data, a check symbol (the start value plus each
symbol's value times its position, modulo 103), stop (13 modules, ending in a 2-module
bar), quiet zone. Each symbol is matched by its own width, so a code photographed at an
angle (wider at one end) still reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from mobile.scanning.runs import variance

#: element widths (bar, space, bar, space, bar, space) of values 0 to 105, then the stop
_TABLE = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 "
    "221213 221312 231212 112232 122132 122231 113222 123122 123221 "
    "223211 221132 221231 213212 223112 312131 311222 321122 321221 "
    "312212 322112 322211 212123 212321 232121 111323 131123 131321 "
    "112313 132113 132311 211313 231113 231311 112133 112331 132131 "
    "113123 113321 133121 313121 211331 231131 213113 213311 213131 "
    "311123 311321 331121 312113 312311 332111 314111 221411 431111 "
    "111224 111422 121124 121421 141122 141221 112214 112412 122114 "
    "122411 142112 142211 241211 221114 413111 241112 134111 111242 "
    "121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 "
    "113141 114131 311141 411131 211412 211214 211232 2331112"
)
PATTERNS: tuple[tuple[int, ...], ...] = tuple(tuple(int(c) for c in p) for p in _TABLE.split())
START_A, START_B, START_C, STOP = 103, 104, 105, 106
SHIFT, CODE_C, CODE_B, CODE_A, FNC1, FNC2, FNC3 = 98, 99, 100, 101, 102, 97, 96
#: a symbol matches when its mean error is under this share of a module per module …
MAX_AVG_VARIANCE = 0.25
#: … and no element is off by this many modules
MAX_INDIVIDUAL_VARIANCE = 0.7
#: light before the start and after the stop, in modules (the standard asks for 10)
QUIET_MODULES = 4


def _best(widths: Sequence[int], candidates: range) -> int | None:
    best, best_variance = None, MAX_AVG_VARIANCE
    for value in candidates:
        v = variance(widths, PATTERNS[value][:6], MAX_INDIVIDUAL_VARIANCE)
        if v < best_variance:
            best, best_variance = value, v
    return best


def decode_runs(runs: Sequence[int]) -> list[str]:
    """Every Code 128 code read left to right along ``runs`` (light first, see :mod:`.runs`)."""
    found: list[str] = []
    i = 1
    while i + 6 < len(runs):
        text, end = _decode_at(runs, i)
        if text is not None:
            found.append(text)
            i = end
        else:
            i += 2
    return found


def _decode_at(runs: Sequence[int], start: int) -> tuple[str | None, int]:
    """The code whose start symbol begins with the bar at ``start``, and the index after it."""
    width = sum(runs[start : start + 6])
    if runs[start - 1] < QUIET_MODULES * width / 11:
        return None, start  # checked first: it rules out nearly every bar of a busy picture
    value = _best(runs[start : start + 6], range(START_A, START_C + 1))
    if value is None:
        return None, start
    values = [value]
    i = start + 6
    while i + 6 <= len(runs):
        symbol = runs[i : i + 6]
        symbol_width = sum(symbol)
        # A symbol half or twice as wide as the one before is not the same code.
        if not 0.6 * width < symbol_width < 1.6 * width:
            return None, start
        value = _best(symbol, range(STOP + 1))
        if value is None or (value >= START_A and value != STOP):
            return None, start
        if value == STOP:
            return _finish(runs, i, values, symbol_width), i + 8  # the next bar
        values.append(value)
        width = symbol_width
        i += 6
    return None, start


def _finish(runs: Sequence[int], stop: int, values: list[int], width: int) -> str | None:
    """Check the stop's last bar, the quiet zone after it, the check symbol; then the text."""
    if stop + 8 > len(runs) or len(values) < 3:
        return None  # a start, at least one data symbol and the check symbol
    module = width / 11
    last_bar, quiet = runs[stop + 6], runs[stop + 7]
    if not module < last_bar < 3.2 * module or quiet < QUIET_MODULES * module:
        return None
    *data, check = values
    if sum(v * max(1, i) for i, v in enumerate(data)) % 103 != check:
        return None
    return text(data)


def text(values: Sequence[int]) -> str | None:
    """The characters of a start symbol and data symbols (no check); None if malformed."""
    charset = {START_A: "A", START_B: "B", START_C: "C"}.get(values[0])
    if charset is None:
        return None
    out: list[str] = []
    shift = False
    extended = False  # FNC4: the next character is from the upper half of Latin-1
    for value in values[1:]:
        current = charset
        if shift:
            current = "B" if charset == "A" else "A"
            shift = False
        if current == "C":
            if value < 100:
                out.append(f"{value:02d}")
            elif value == CODE_B:
                charset = "B"
            elif value == CODE_A:
                charset = "A"
            elif value != FNC1:
                return None
            continue
        if value < 96:
            # Set A: control characters (NUL…US) after the upper case; set B: lower case.
            code = value - 64 if current == "A" and value >= 64 else value + 32
            out.append(chr(code + (128 if extended else 0)))
            extended = False
        elif value == SHIFT:
            shift = True
        elif value == CODE_C:
            charset = "C"
        elif (value == CODE_A and current == "A") or (value == CODE_B and current == "B"):
            extended = True  # FNC4 has the value of the own set's code
        elif value in (CODE_A, CODE_B):
            charset = "A" if value == CODE_A else "B"
        elif value in (FNC1, FNC2, FNC3):
            continue  # GS1 and reader instructions: not part of the text
        else:
            return None
    return "".join(out) if out else None
