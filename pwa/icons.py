"""The app icons, drawn at build time (Pillow comes with reportlab): a parcel on green.

``icon-*.png`` are rounded squares for the browser and the home screen; ``maskable-512.png``
fills the whole square and keeps the parcel inside the central 80 % "safe zone", so a
launcher can cut it into a circle or a squircle. Drawn at 4x and scaled down, with no
time stamps in the PNG: the same colour gives the same bytes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

SUPERSAMPLE = 4


def _hex(colour: str) -> tuple[int, int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255


def _parcel(draw: ImageDraw.ImageDraw, size: int, scale: float, colour: tuple[int, ...]) -> None:
    """A parcel seen from the front: a box, its lid and the tape across both."""
    white = (255, 255, 255, 255)
    box = size * scale
    left = (size - box) / 2
    top = (size - box * 0.86) / 2
    width = max(1, round(box * 0.07))
    lid = box * 0.28
    # The box and its lid.
    draw.rounded_rectangle(
        (left, top + lid * 0.55, left + box, top + box * 0.86),
        radius=box * 0.06,
        fill=white,
    )
    draw.rounded_rectangle(
        (left - box * 0.05, top, left + box * 1.05, top + lid),
        radius=box * 0.06,
        fill=white,
    )
    # The seam under the lid and the tape down the middle, in the background colour.
    draw.rectangle((left, top + lid, left + box, top + lid + width), fill=colour)
    tape = box * 0.16
    middle = size / 2
    draw.rectangle((middle - tape / 2, top, middle + tape / 2, top + box * 0.45), fill=colour)


def _png(image: Image.Image, size: int) -> bytes:
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()


def icon(colour: str, size: int, maskable: bool = False) -> bytes:
    """One icon as PNG bytes."""
    big = size * SUPERSAMPLE
    background = _hex(colour)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=background)
        _parcel(draw, big, 0.48, background)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=background)
        _parcel(draw, big, 0.6, background)
    return _png(image, size)


def render(colour: str) -> dict[str, bytes]:
    """Every icon the build ships, by path."""
    return {
        "icons/icon-192.png": icon(colour, 192),
        "icons/icon-512.png": icon(colour, 512),
        "icons/maskable-512.png": icon(colour, 512, maskable=True),
        "favicon.png": icon(colour, 64),
    }
