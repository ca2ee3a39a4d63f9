"""Scanning with the camera: offered on phones and tablets only, and a read code arrives
where a keyboard-wedge scan would.

The camera itself is a stand-in (no Flutter client here) that hands over real pictures:
a label rendered by the server and rasterised, or a blank page. Decoding is the real one.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass, field
from typing import Any

import flet as ft
import pypdfium2
import pytest
from msgspec import structs
from PIL import Image

from mobile.scanning.camera import CameraScanner, available
from mobile.views.camera import NOT_FOUND, CameraDialog, camera_button, submit_to
from pwa import build as pwa_build
from server.documents.render import Sender, labels
from shared.types import Address, Package
from tests.builders import new_order

TRACKING = "SFD0000031337"


@dataclass
class FakePage:
    """The two facts :func:`available` reads, and the dialog stack."""

    web: bool
    platform: ft.PagePlatform | None
    dialogs: list[ft.DialogControl] = field(default_factory=list)

    def show_dialog(self, dialog: ft.DialogControl) -> None:
        self.dialogs.append(dialog)

    def pop_dialog(self) -> ft.DialogControl | None:
        return self.dialogs.pop() if self.dialogs else None


@dataclass
class Lens:
    name: str
    lens_direction: Any


class FakeCamera:
    """flet-camera's ``Camera`` as the scanner uses it, showing the pictures it was given."""

    def __init__(self, *pictures: bytes, cameras: int = 2) -> None:
        import flet_camera

        self.pictures = list(pictures)
        self.cameras = [
            Lens("front", flet_camera.CameraLensDirection.FRONT),
            Lens("back", flet_camera.CameraLensDirection.BACK),
        ][:cameras]
        self.initialized: Lens | None = None
        self.audio: bool | None = None

    async def get_available_cameras(self) -> list[Lens]:
        return self.cameras

    async def initialize(self, description: Lens, preset: Any, **options: Any) -> None:
        self.initialized = description
        self.audio = options["enable_audio"]

    async def take_picture(self) -> bytes:
        return self.pictures.pop(0)


def _label_photo() -> bytes:
    order = structs.replace(
        new_order(),
        tracking_number=TRACKING,
        package=Package(package_type="Small box", weight_grams=850),
    )
    sender = Sender(name="Shipfloor Demo", address=Address(name="Shipfloor Demo", country="US"))
    doc = pypdfium2.PdfDocument(labels([order], sender))
    try:
        image: Image.Image = doc[0].render(scale=250 / 72).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def _blank_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 228, 220)).save(out, "JPEG")
    return out.getvalue()


# ----------------------------------------------------------------------------- where


@pytest.mark.parametrize(
    ("web", "platform", "shown"),
    [
        (False, ft.PagePlatform.ANDROID, True),
        (False, ft.PagePlatform.IOS, True),
        # The browser app and the PWA on a phone: flet-web's client has no camera control.
        (True, ft.PagePlatform.ANDROID, False),
        (True, ft.PagePlatform.IOS, False),
        (True, ft.PagePlatform.WINDOWS, False),
        # Desktop apps: flet-camera does not support them.
        (False, ft.PagePlatform.MACOS, False),
        (False, ft.PagePlatform.WINDOWS, False),
        (False, ft.PagePlatform.LINUX, False),
        (False, None, False),
    ],
)
def test_the_camera_is_offered_on_native_phones_and_tablets_only(
    web: bool, platform: ft.PagePlatform | None, shown: bool
) -> None:
    page = FakePage(web=web, platform=platform)
    assert available(page) is shown
    button = camera_button(_never, page=page)
    assert (button is not None) is shown
    if button is not None:
        assert button.tooltip == "Scan with camera"
        assert (button.width, button.height) == (48, 48)
        assert button.on_click is not None


def test_without_flet_camera_installed_there_is_no_button(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    page = FakePage(web=False, platform=ft.PagePlatform.ANDROID)
    assert not available(page)
    assert camera_button(_never, page=page) is None


def test_outside_a_running_app_there_is_no_button() -> None:
    """Screens built alone (view tests) ask for the current page, and there is none."""
    assert camera_button(_never) is None


async def _never(code: str) -> None:
    raise AssertionError(f"no code expected, got {code!r}")


# ----------------------------------------------------------------------------- reading


async def test_a_captured_label_hands_its_tracking_number_over_and_closes() -> None:
    page = FakePage(web=False, platform=ft.PagePlatform.ANDROID)
    camera = FakeCamera(_label_photo())
    codes: list[str] = []

    async def on_code(code: str) -> None:
        codes.append(code)

    dialog = CameraDialog(CameraScanner(camera), on_code)
    assert dialog.capture.disabled  # until the camera runs
    await dialog.open(page)
    assert page.dialogs == [dialog.dialog]
    assert camera.initialized is not None and camera.initialized.name == "back"
    assert camera.audio is False
    assert not dialog.capture.disabled
    await dialog._capture()
    assert codes == [TRACKING]
    assert page.dialogs == []


async def test_a_picture_without_a_code_says_so_and_lets_them_try_again() -> None:
    page = FakePage(web=False, platform=ft.PagePlatform.IOS)
    camera = FakeCamera(_blank_photo(), _label_photo(), cameras=1)
    codes: list[str] = []

    async def on_code(code: str) -> None:
        codes.append(code)

    dialog = CameraDialog(CameraScanner(camera), on_code)
    await dialog.open(page)
    assert camera.initialized is not None and camera.initialized.name == "front"
    await dialog._capture()
    assert codes == []
    assert dialog.status.value == NOT_FOUND
    assert not dialog.capture.disabled
    assert page.dialogs == [dialog.dialog]
    await dialog._capture()
    assert codes == [TRACKING]
    assert page.dialogs == []


async def test_a_device_without_a_camera_says_so_and_cannot_capture() -> None:
    page = FakePage(web=False, platform=ft.PagePlatform.ANDROID)
    dialog = CameraDialog(CameraScanner(FakeCamera(cameras=0)), _never)
    await dialog.open(page)
    assert dialog.status.value is not None and "no camera" in dialog.status.value
    assert dialog.capture.disabled


async def test_a_read_code_goes_through_the_fields_enter_like_a_wedge_scan() -> None:
    seen: list[str] = []

    async def submitted(e: ft.Event[ft.TextField]) -> None:
        seen.append(e.control.value or "")

    scan = ft.TextField(label="Scan code", on_submit=submitted)
    await submit_to(scan)("PS-20001")
    assert seen == ["PS-20001"]
    assert scan.value == "PS-20001"
    await submit_to(ft.TextField(label="No handler"))("PS-20001")  # nothing to run: no error


def test_the_pwa_bundles_neither_flet_camera_nor_pillow() -> None:
    """The app imports both (in native-only code); the browser gets neither."""
    assert {"flet_camera", "PIL"} <= pwa_build.imported_modules()
    bundled = pwa_build.browser_distributions()
    assert "flet-camera" not in bundled
    assert "pillow" not in bundled
