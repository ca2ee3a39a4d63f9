"""The camera's decoder reads the barcodes our paper carries, and nothing else.

Real packing slips and labels come from the server's renderer, rasterised with PDFium as
the camera would see the page; synthetic codes come from ReportLab's own barcode drawing,
then get blurred, noised, turned and scaled with Pillow. A wrong value would record a scan
nobody made, so pictures without a readable code must give None.
"""

from __future__ import annotations

import io
import random

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import structs
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.barcode.code128 import _patterns as reportlab_patterns
from reportlab.graphics.shapes import Drawing

from mobile.scanning import code128, ean13
from mobile.scanning.decode import decode_grey, decode_row, vote
from mobile.scanning.picture import decode_picture
from server.documents.render import Sender, SlipInput, labels, packing_slips
from shared.types import Address, Package
from tests.builders import new_order

SENDER = Sender(
    name="Shipfloor Demo",
    address=Address(name="Shipfloor Demo", line1="1 Main St", city="Springfield", country="US"),
)


def _raster(pdf: bytes, dpi: float, page: int = 0) -> Image.Image:
    """A page as a greyscale picture, as a scanner or camera sees it."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = doc[page].render(scale=dpi / 72).to_pil()
        return image.convert("L")
    finally:
        doc.close()


def _drawing(kind: str, value: str, bar_width: float = 1.0) -> Image.Image:
    """ReportLab's own barcode, with its quiet zones, on white at 3 pixels a point."""
    drawing: Drawing = createBarcodeDrawing(
        kind, value=value, barHeight=48, barWidth=bar_width, humanReadable=False
    )
    framed = Drawing(drawing.width + 40, drawing.height + 40)
    drawing.translate(20, 20)
    framed.add(drawing)
    return _raster(renderPDF.drawToString(framed), 216)


def _decode(image: Image.Image) -> str | None:
    return decode_grey(image.tobytes(), image.width, image.height)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _noisy(image: Image.Image, sigma: float) -> Image.Image:
    noise = Image.effect_noise(image.size, sigma)
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


# ----------------------------------------------------------------------------- the table


def test_the_symbol_table_is_the_standard_one_reportlab_prints() -> None:
    for value, letters in reportlab_patterns.items():
        widths = tuple(ord(c.lower()) - ord("a") + 1 for c in letters)
        assert code128.PATTERNS[value] == widths, value
    assert all(sum(p) == 11 for p in code128.PATTERNS[:106])


# ----------------------------------------------------------------------------- our paper


@pytest.mark.parametrize("dpi", [300, 200])
def test_the_order_number_reads_from_a_rendered_packing_slip(dpi: int) -> None:
    order = new_order(number="PS-20001")
    pdf = packing_slips([SlipInput(order=order, notes=[])], SENDER)
    assert _decode(_raster(pdf, dpi)) == "PS-20001"


@pytest.mark.parametrize("tracking", ["SFD0000012345", "1Z999AA10123456784"])
def test_the_tracking_number_reads_from_a_rendered_label(tracking: str) -> None:
    order = structs.replace(
        new_order(),
        tracking_number=tracking,
        package=Package(package_type="Small box", weight_grams=850),
    )
    page = _raster(labels([order], SENDER), 300)
    assert _decode(page) == tracking
    # Photographed on its side, and upside down.
    assert _decode(page.rotate(90, expand=True)) == tracking
    assert _decode(page.rotate(180)) == tracking


def test_a_photo_of_a_label_reads_through_the_camera_path() -> None:
    """JPEG bytes with an orientation tag, as phones store them, through Pillow."""
    order = structs.replace(
        new_order(),
        tracking_number="SFD0000067890",
        package=Package(package_type="Small box", weight_grams=850),
    )
    page = _raster(labels([order], SENDER), 250).rotate(-90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": the pixels lie on their side
    out = io.BytesIO()
    page.save(out, "JPEG", quality=80, exif=exif)
    assert decode_picture(out.getvalue()) == "SFD0000067890"


# ----------------------------------------------------------------------------- a hard look


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda im: im.filter(ImageFilter.GaussianBlur(1.2)), id="blur"),
        pytest.param(lambda im: _noisy(im, 25), id="noise"),
        pytest.param(lambda im: im.rotate(5, expand=True, fillcolor=255), id="turned+5"),
        pytest.param(lambda im: im.rotate(-5, expand=True, fillcolor=255), id="turned-5"),
        pytest.param(lambda im: im.resize((im.width * 2 // 3, im.height * 2 // 3)), id="small"),
        pytest.param(lambda im: im.resize((im.width * 3, im.height * 3)), id="large"),
        pytest.param(
            lambda im: im.resize((im.width * 2, im.height * 2)).filter(ImageFilter.MinFilter(3)),
            id="ink-spread",
        ),
        pytest.param(
            lambda im: im.transform(
                im.size,
                Image.Transform.QUAD,
                (0, 0, 0, im.height, im.width, im.height * 4 // 5, im.width, im.height // 5),
                fillcolor=255,
            ),
            id="perspective",
        ),
        pytest.param(lambda im: Image.open(io.BytesIO(_jpeg(im, 10))), id="jpeg"),
        pytest.param(
            lambda im: _noisy(im.filter(ImageFilter.GaussianBlur(0.8)), 12).rotate(
                3, expand=True, fillcolor=255
            ),
            id="all-at-once",
        ),
        pytest.param(
            lambda im: ImageChops.multiply(
                im.point(lambda v: 70 + v * 150 // 255),
                Image.linear_gradient("L").rotate(90).resize(im.size).point(lambda v: 110 + v // 2),
            ),
            id="dim-and-shaded",
        ),
    ],
)
def test_a_spoilt_picture_still_reads(spoil: object) -> None:
    image = _drawing("Code128", "SFD0004242424")
    assert _decode(image) == "SFD0004242424"
    assert callable(spoil)
    assert _decode(spoil(image).convert("L")) == "SFD0004242424"


def test_inverted_contrast_is_refused() -> None:
    """Light bars on dark are no paper of ours: trying them would only add false reads."""
    assert _decode(ImageOps.invert(_drawing("Code128", "PS-20001"))) is None
    assert _decode(ImageOps.invert(_drawing("EAN13", "400638133393"))) is None


@pytest.mark.parametrize(("kind", "value"), [("EAN13", "4006381333931"), ("UPCA", "012345678905")])
def test_product_barcodes_read_as_the_item_records_keep_them(kind: str, value: str) -> None:
    """EAN-13 as 13 digits, UPC-A as 12 (what handheld scanners send)."""
    image = _drawing(kind, value[:-1])
    assert _decode(image) == value
    assert _decode(image.filter(ImageFilter.GaussianBlur(1.0))) == value
    assert _decode(image.rotate(180)) == value


def _ean_runs(digits: str, module: int = 3) -> list[int]:
    """An EAN-13's bars and spaces drawn from the standard's tables, check digit as given."""
    parities = {v: k for k, v in ean13.PARITIES.items()}[int(digits[0])]
    widths = [12 * module, module, module, module]
    for digit, even in zip(digits[1:7], parities, strict=True):
        pattern = ean13.DIGITS[int(digit)]
        widths += [w * module for w in (pattern[::-1] if even else pattern)]
    widths += [module] * 5
    for digit in digits[7:]:
        widths += [w * module for w in ean13.DIGITS[int(digit)]]
    return [*widths, module, module, module, 12 * module]


def test_a_product_barcode_with_a_wrong_check_digit_is_not_read() -> None:
    assert ean13.decode_runs(_ean_runs("4006381333931")) == ["4006381333931"]
    assert ean13.decode_runs(_ean_runs("0012345678905")) == ["012345678905"]
    assert ean13.decode_runs(_ean_runs("4006381333932")) == []
    assert ean13.decode_runs(_ean_runs("4006381333931")[::-1]) == []


# ----------------------------------------------------------------------------- any text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=16),
        st.text("0123456789", min_size=2, max_size=24),
    )
)
def test_any_text_round_trips(value: str) -> None:
    assert _decode(_drawing("Code128", value, bar_width=0.8)) == value


# ----------------------------------------------------------------------------- no false reads


def test_pictures_without_a_code_read_as_nothing() -> None:
    order = new_order(number="PS-20001")
    slip = _raster(packing_slips([SlipInput(order=order, notes=[])], SENDER), 200)
    text_only = slip.crop((0, slip.height // 4, slip.width, slip.height))
    assert _decode(text_only) is None
    assert _decode(Image.new("L", (640, 480), 255)) is None
    assert _decode(Image.effect_noise((640, 480), 80)) is None
    assert _decode(Image.linear_gradient("L").resize((640, 480))) is None
    assert decode_picture(b"not a picture") is None
    assert decode_picture(_png(Image.new("L", (8, 8), 0))) is None


def test_a_code_cut_off_at_the_frame_reads_as_nothing() -> None:
    image = _drawing("Code128", "SFD0004242424")
    assert _decode(image.crop((0, 0, image.width * 2 // 3, image.height))) is None
    assert _decode(image.crop((image.width // 3, 0, image.width, image.height))) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=20, max_size=160), st.integers(0, 2**32 - 1))
def test_random_stripes_read_as_nothing(widths: list[int], seed: int) -> None:
    """Bars of any widths, every row alike: only the patterns and checks stand in the way."""
    rng = random.Random(seed)
    image = Image.new("L", (sum(widths) * 3 + 80, 8), 255)
    draw = ImageDraw.Draw(image)
    x = 40
    for i, width in enumerate(widths):
        if i % 2 == 0:
            draw.rectangle((x, 0, x + width * 3 - 1, 7), fill=rng.randint(0, 60))
        x += width * 3
    assert _decode(image) is None


def test_one_row_alone_is_not_believed() -> None:
    row = _drawing("Code128", "PS-20001")
    middle = row.tobytes()[row.width * (row.height // 2) : row.width * (row.height // 2 + 1)]
    assert decode_row(middle) == {"PS-20001"}
    assert vote([middle]) is None
    assert vote([middle, middle]) == "PS-20001"
    assert vote([middle, middle, b"\xff" * len(middle)]) == "PS-20001"


def test_two_codes_read_equally_often_give_nothing() -> None:
    assert vote([b"", b""]) is None
    a = _drawing("Code128", "PS-20001")
    b = _drawing("Code128", "PS-20002")

    def middle(image: Image.Image) -> bytes:
        y = image.height // 2
        return image.tobytes()[image.width * y : image.width * (y + 1)]

    assert vote([middle(a), middle(a), middle(b), middle(b)]) is None
    assert vote([middle(a), middle(a), middle(b), middle(b), middle(b)]) == "PS-20002"


def test_the_decoders_find_nothing_in_too_few_runs() -> None:
    assert code128.decode_runs([]) == []
    assert code128.decode_runs([10, 2, 1, 1]) == []
    assert ean13.decode_runs([10, 1, 1, 1]) == []
    assert code128.text([code128.START_B]) is None
    assert code128.text([7]) is None
    assert code128.text([code128.START_C, 12, 34]) == "1234"
    assert code128.text([code128.START_A, 65]) == "\x01"
