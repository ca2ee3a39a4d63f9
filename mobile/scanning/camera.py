"""The device's camera as a scanner: a preview to aim with, a still picture, its code.

flet-camera's Flutter side is compiled into native builds (``flet build apk``/``ipa``)
but not into flet-web's prebuilt client, which serves the browser app and the PWA: there
the control would draw nothing. So the camera is offered on Android and iOS alone, and
flet-camera and Pillow are imported only once it is used.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from typing import Any, Protocol

import flet as ft

#: where flet-camera's Flutter side is part of the app
NATIVE_PLATFORMS = frozenset({ft.PagePlatform.ANDROID, ft.PagePlatform.IOS})


class PageLike(Protocol):
    """What :func:`available` reads of a page."""

    @property
    def web(self) -> bool: ...

    @property
    def platform(self) -> ft.PagePlatform | None: ...


def available(page: PageLike) -> bool:
    """Whether this page can scan with the camera: a native phone or tablet app."""
    if page.web or page.platform not in NATIVE_PLATFORMS:
        return False
    return importlib.util.find_spec("flet_camera") is not None


def _decode_picture(data: bytes) -> str | None:
    from mobile.scanning.picture import decode_picture  # Pillow: native builds only

    return decode_picture(data)


class CameraScanner:
    """The port: :attr:`preview` to show, :meth:`start` once shown, :meth:`read` per tap.

    ``camera`` and ``decode`` stand in for flet-camera's control and the Pillow decoder
    in tests; by default they are the real ones.
    """

    def __init__(
        self,
        camera: Any | None = None,
        decode: Callable[[bytes], str | None] = _decode_picture,
    ) -> None:
        if camera is None:
            import flet_camera

            camera = flet_camera.Camera(expand=True, preview_enabled=True)
        #: the live preview (a control: put it on the page before :meth:`start`)
        self.preview: Any = camera
        self.decode = decode

    async def start(self) -> None:
        """Open the back camera (the first one if none faces back), without sound."""
        cameras = await self.preview.get_available_cameras()
        if not cameras:
            raise RuntimeError("This device has no camera.")
        back = [c for c in cameras if getattr(c.lens_direction, "value", None) == "back"]
        import flet_camera

        await self.preview.initialize(
            (back or cameras)[0],
            flet_camera.ResolutionPreset.VERY_HIGH,  # 1080p: 3+ pixels a module, code filling it
            enable_audio=False,
            image_format_group=flet_camera.ImageFormatGroup.JPEG,
        )

    async def read(self) -> str | None:
        """Take a picture and decode it, off the event loop; None if no code was read."""
        data = await self.preview.take_picture()
        if not data:
            return None
        return await asyncio.to_thread(self.decode, bytes(data))
