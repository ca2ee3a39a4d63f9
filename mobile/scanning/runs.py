"""A scan line through a picture as the widths of its bars and spaces.

Every decoder reads the same thing: ``runs``, alternating light and dark widths in
pixels, starting and ending with light (a zero width where the line starts or ends dark).
Odd indexes are bars. Widths are compared with patterns by their shape alone
(:func:`variance`), so the code's size in the picture does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence

#: below this difference between dark and light within a stretch of the row, it is all paper
MIN_CONTRAST = 40
#: the local threshold's window, as a share of the row (at least :data:`MIN_RADIUS` pixels)
RADIUS_SHARE = 1 / 40
MIN_RADIUS = 12


def binarise(row: Sequence[int]) -> list[bool]:
    """Dark (True) or light per pixel, against a local threshold.

    The threshold halves the way between the mean of the pixels around and the midpoint
    of the darkest and lightest ink within a wider stretch (an eighth of the row each
    way): the mean follows the code's own pattern, the wide midpoint follows light falling
    unevenly across the paper and keeps paper noise in a quiet zone from turning into
    bars. A small hysteresis keeps blurred edges from flickering. Stretches without
    :data:`MIN_CONTRAST` are paper.
    """
    n = len(row)
    if n == 0:
        return []
    radius = max(MIN_RADIUS, int(n * RADIUS_SHARE))
    prefix = [0] * (n + 1)
    total = 0
    for i, value in enumerate(row):
        total += value
        prefix[i + 1] = total
    block = max(8, n // 64)
    starts = range(0, n, block)
    lows = [min(row[b : b + block]) for b in starts]
    highs = [max(row[b : b + block]) for b in starts]
    reach = max(1, n // 8 // block)
    out = [False] * n
    state = False
    for j, b in enumerate(starts):
        low = min(lows[max(0, j - reach) : j + reach + 1])
        high = max(highs[max(0, j - reach) : j + reach + 1])
        if high - low < MIN_CONTRAST:
            state = False
            continue  # plain paper (or plain ink): nothing to read here
        middle = (low + high) / 2
        hysteresis = (high - low) * 0.04
        for i in range(b, min(n, b + block)):
            lo = max(0, i - radius)
            hi = min(n, i + radius + 1)
            threshold = ((prefix[hi] - prefix[lo]) / (hi - lo) + middle) / 2
            state = row[i] < (threshold + hysteresis if state else threshold - hysteresis)
            out[i] = state
    return out


def run_lengths(dark: Sequence[bool]) -> list[int]:
    """Widths of alternating light and dark stretches, light first and last."""
    widths: list[int] = []
    current = False
    count = 0
    for pixel in dark:
        if pixel == current:
            count += 1
        else:
            widths.append(count)
            current = pixel
            count = 1
    widths.append(count)
    if current:
        widths.append(0)
    return widths


def runs(row: Sequence[int]) -> list[int]:
    """The bars and spaces along a row of grey levels (0 black … 255 white)."""
    return run_lengths(binarise(row))


def variance(widths: Sequence[int], pattern: Sequence[int], max_individual: float) -> float:
    """How far ``widths`` are from ``pattern`` (in modules) once scaled to the same size.

    The summed difference in modules per module of the pattern (0 is a perfect match);
    ``inf`` where one element is off by more than ``max_individual`` modules (a different
    pattern, not a blurred one).
    """
    total = sum(widths)
    modules = sum(pattern)
    if total < modules:
        return float("inf")  # narrower than a pixel per module: not readable
    unit = total / modules
    limit = max_individual * unit
    off = 0.0
    for width, count in zip(widths, pattern, strict=True):
        diff = abs(width - count * unit)
        if diff > limit:
            return float("inf")
        off += diff
    return off / total
