"""Scanning with the camera: a button beside a scan field, where the device has a camera.

``camera_button(on_code)`` gives the button, or None where the camera cannot be used
(the browser app, the PWA, desktops): the caller then shows nothing. A tap opens the
preview; "Capture" takes a picture, decodes it on the device and hands the code to
``on_code``, the same way a keyboard-wedge scanner's code and Enter arrive
(:func:`submit_to` makes that literal for a text field).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import flet as ft

from mobile.scanning.camera import CameraScanner, PageLike, available
from mobile.theme import TOUCH

OnCode = Callable[[str], Awaitable[Any]]

NOT_FOUND = "No barcode found — hold the code flat and fill the frame"
READING = "Reading…"
AIM = "Aim at the barcode, then Capture"
STARTING = "Starting the camera…"


class DialogHost(Protocol):
    """What the dialog needs of a page."""

    def show_dialog(self, dialog: ft.DialogControl) -> None: ...

    def pop_dialog(self) -> ft.DialogControl | None: ...


def camera_button(
    on_code: OnCode,
    *,
    page: PageLike | None = None,
    scanner: Callable[[], CameraScanner] = CameraScanner,
) -> ft.IconButton | None:
    """A "Scan with camera" button that sends a decoded code to ``on_code``; None if no camera.

    ``page`` is the current page unless given (outside a running app, as in tests that
    build screens alone, there is none: no button); ``scanner`` makes the camera port.
    """
    if page is None:
        try:
            page = ft.context.page
        except RuntimeError:
            return None
    if not available(page):
        return None

    async def open_camera(e: ft.Event[ft.IconButton]) -> None:
        await CameraDialog(scanner(), on_code).open(e.control.page)

    return ft.IconButton(
        icon=ft.Icons.PHOTO_CAMERA,
        tooltip="Scan with camera",
        icon_size=28,
        width=TOUCH,
        height=TOUCH,
        on_click=open_camera,
    )


def submit_to(field: ft.TextField) -> OnCode:
    """``on_code`` for a scan field: the code goes into ``field`` and its Enter handler runs."""

    async def submit(code: str) -> None:
        field.value = code
        handler = cast(Any, field.on_submit)
        if handler is None:
            return
        result = handler(ft.Event("submit", control=field, data=code))
        if inspect.isawaitable(result):
            await result

    return submit


class CameraDialog:
    """The preview, a status line and "Capture"; closes itself once a code was read."""

    def __init__(self, scanner: CameraScanner, on_code: OnCode) -> None:
        self.scanner = scanner
        self.on_code = on_code
        self.status = ft.Text(STARTING, size=16)
        # Enabled once the camera runs: a picture before that fails.
        self.capture = ft.FilledButton(
            "Capture", icon=ft.Icons.CAMERA, height=TOUCH, disabled=True, on_click=self._capture
        )
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Scan with camera"),
            content=ft.Column(
                [
                    ft.Container(
                        content=scanner.preview,
                        width=320,
                        height=320,
                        bgcolor=ft.Colors.BLACK,
                    ),
                    self.status,
                ],
                tight=True,
                spacing=12,
            ),
            actions=[
                ft.TextButton("Cancel", height=TOUCH, on_click=self._cancel),
                self.capture,
            ],
        )
        self._page: DialogHost | None = None

    async def open(self, page: DialogHost) -> None:
        """Show the dialog and start the camera (its control must be on the page first)."""
        self._page = page
        page.show_dialog(self.dialog)
        try:
            await self.scanner.start()
        except (RuntimeError, TimeoutError) as exc:  # no camera, or permission refused
            self._say(f"The camera could not start: {exc}", ready=False)
            return
        self._say(AIM, ready=True)

    async def _capture(self) -> None:
        self._say(READING, ready=False)
        try:
            code = await self.scanner.read()
        except (RuntimeError, TimeoutError) as exc:
            self._say(f"The picture could not be taken: {exc}", ready=True)
            return
        if code is None:
            self._say(NOT_FOUND, ready=True)
            return
        self._close()
        await self.on_code(code)

    def _cancel(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._page is not None:
            self._page.pop_dialog()

    def _say(self, text: str, *, ready: bool) -> None:
        self.status.value = text
        self.capture.disabled = not ready
        if self.dialog.parent is not None:  # shown: send it now, before a long await
            self.dialog.update()
