"""A camera's picture (JPEG or PNG bytes) to grey levels for :mod:`.decode`, with Pillow.

Pillow is part of Flet's Android and iOS builds; this module is imported only there (and
by the tests), never in the browser.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from mobile.scanning.decode import decode_grey

#: pictures larger than this on their long side are halved first (a phone's full sensor)
MAX_SIDE = 4000


def decode_picture(data: bytes) -> str | None:
    """The barcode in an encoded picture, or None (also for bytes that are no picture)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            # Phones store the sensor's orientation as a tag instead of turning the pixels.
            image = ImageOps.exif_transpose(opened).convert("L")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    while max(image.size) > MAX_SIDE:
        image = image.reduce(2)
    return decode_grey(image.tobytes(), image.width, image.height)
