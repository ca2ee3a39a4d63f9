"""Pieces the step screens share: the scan field, buttons with their reasons, the alert banner,
the checklist, and the device's haptics and sounds.

Every control a person acts on has a label or semantics text: screen readers read it and
browser tests find controls by it. Touch targets are at least :data:`mobile.theme.TOUCH`.

The screens rebuild their controls from the view model on every change (a scan, a sync).
Each rebuilt piece carries a ``key``: Flet then updates the control already on screen
instead of replacing it. A replaced button is a new widget, and a tap that was under way
on the old one (a sync finished between finger down and up) would be lost.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile.feedback import Cue, tone_wav
from mobile.theme import STATUS_COLORS, TOUCH, pill
from mobile.viewmodels.claim import ClaimViewModel
from mobile.viewmodels.steps.base import CheckRow, StepAction, StepViewModel
from mobile.viewmodels.steps.pick import Alert
from mobile.views.claim import claim_bar
from shared.types import CLAIMABLE

Handler = Callable[[], Awaitable[Any]]

log = logging.getLogger("shipfloor.app")

#: what a refused-scan banner looks like in both themes: strong, not the theme's accent
ALERT_BG = ft.Colors.RED_700
ALERT_FG = ft.Colors.WHITE


class FletFeedback:
    """:class:`mobile.feedback.Feedback` on a Flet page: haptics and a short tone per cue.

    Haptics reach phones (Flutter web maps them to the Vibration API where the browser
    has one). The tone plays through ``flet-audio``'s ``Audio`` service, whose Flutter side
    (audioplayers) is already part of Flet's web client; without the Python package the
    screen stays silent and relies on vibration and the banner.
    Construct it while a page is current (inside a handler or the app's start): Flet
    registers services with the page they are made on.
    """

    def __init__(self) -> None:
        self.haptics = ft.HapticFeedback()
        self.sounds: dict[Cue, Any] = {}
        self._playing: set[asyncio.Task[None]] = set()
        try:
            audio = importlib.import_module("flet_audio")
        except ImportError:  # not bundled on this platform: vibration and the banner only
            return
        for cue in Cue:
            self.sounds[cue] = audio.Audio(
                src=base64.b64encode(tone_wav(cue)).decode(),
                release_mode=audio.ReleaseMode.STOP,
            )

    async def cue(self, cue: Cue) -> None:
        """Start the vibration and the tone, and return at once.

        Each is a round trip to the client (measured 1–3 s in a browser for the first
        tone): awaiting them would hold up the next scan and the scan field's focus.
        """
        task = asyncio.get_running_loop().create_task(self._play(cue))
        self._playing.add(task)  # the loop keeps tasks only weakly
        task.add_done_callback(self._played)

    async def _play(self, cue: Cue) -> None:
        if cue is Cue.WRONG:
            haptic = self._shake()
        elif cue is Cue.COMPLETE:
            haptic = self.haptics.medium_impact()  # type: ignore[no-untyped-call]
        else:
            haptic = self.haptics.selection_click()  # type: ignore[no-untyped-call]
        sound = self.sounds.get(cue)
        await asyncio.gather(haptic, *([sound.play()] if sound is not None else []))

    async def _shake(self) -> None:
        # A heavy impact is a 30 ms pulse in browsers; the long buzz follows it.
        await self.haptics.heavy_impact()  # type: ignore[no-untyped-call]
        await self.haptics.vibrate()  # type: ignore[no-untyped-call]

    def _played(self, task: asyncio.Task[None]) -> None:
        self._playing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A platform without haptics or audio: the banner and colours still say it.
            log.info("feedback not played: %s", task.exception())


class ScanField:
    """The one scan field of a step: a keyboard-wedge scanner types the code and Enter here.

    After each scan the field empties and keeps the focus, ready for the next one.
    """

    def __init__(
        self,
        label: str,
        hint: str,
        on_scan: Callable[[str], Awaitable[Any]],
        *,
        clear_on_scan: bool = True,
    ) -> None:
        self.on_scan = on_scan
        #: the pick step empties the field for the next item; the ship step keeps the number
        self.clear_on_scan = clear_on_scan
        self.field = ft.TextField(
            label=label,
            hint_text=hint,
            prefix_icon=ft.Icons.QR_CODE_SCANNER,
            autofocus=True,
            autocorrect=False,
            enable_suggestions=False,
            text_size=18,
            on_submit=self._submitted,
            expand=True,
        )

    def set_refusal(self, reason: str | None) -> None:
        """Show why a scan cannot count now (the field stays focusable: scanners type anyway)."""
        self.field.error = reason
        self.field.helper = None

    async def focus(self) -> None:
        """Put the cursor here."""
        await self.field.focus()  # type: ignore[no-untyped-call]  # untyped in flet

    async def _submitted(self, e: ft.Event[ft.TextField]) -> None:
        code = e.control.value or ""
        if self.clear_on_scan:
            self.field.value = ""
        await self.on_scan(code)
        await self.focus()


def action_button(
    action: StepAction,
    on_click: Handler,
    *,
    primary: bool = False,
    icon: ft.IconData | None = None,
    semantics: str | None = None,
    key: str | None = None,
) -> ft.Control:
    """A full-width button, with the reason under it while it is disabled.

    Keyed by its action (or ``key``) so that a redraw updates it in place.
    """
    name = semantics or action.label
    # The button's own semantics carry the name (a wrapper's tap would not reach it).
    text = ft.Text(
        action.label,
        semantics_label=name if action.enabled else f"{name} (unavailable: {action.reason})",
    )
    kind = ft.FilledButton if primary else ft.FilledTonalButton
    labelled = ft.Row(
        [
            kind(
                content=text,
                icon=icon,
                height=TOUCH + 8,
                disabled=not action.enabled,
                on_click=on_click if action.enabled else None,
                expand=True,
            )
        ]
    )
    parts: list[ft.Control] = [labelled]
    if not action.enabled and action.reason:
        parts.append(ft.Text(action.reason, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Column(parts, spacing=4, key=key or f"action:{action.action}")


def alert_banner(alert: Alert, acknowledge_label: str, on_ack: Handler) -> ft.Control:
    """The wrong-item alert: full width, red in both themes, until "OK, got it"."""
    return ft.Semantics(
        key="alert",
        container=True,
        live_region=True,
        label=alert.text,
        content=ft.Container(
            bgcolor=ALERT_BG,
            padding=ft.Padding.symmetric(horizontal=16, vertical=16),
            content=ft.Column(
                spacing=10,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.ERROR, color=ALERT_FG, size=36),
                            ft.Text(
                                alert.title,
                                size=26,
                                weight=ft.FontWeight.BOLD,
                                color=ALERT_FG,
                                expand=True,
                            ),
                        ],
                        spacing=12,
                    ),
                    ft.Text(alert.detail, size=18, color=ALERT_FG),
                    ft.FilledButton(
                        content=ft.Text(acknowledge_label, size=20, weight=ft.FontWeight.BOLD),
                        icon=ft.Icons.CHECK,
                        height=TOUCH + 16,
                        bgcolor=ALERT_FG,
                        color=ALERT_BG,
                        on_click=on_ack,
                    ),
                ],
            ),
        ),
    )


def checklist(rows: list[CheckRow]) -> ft.Control:
    """The stage's checks, each ticked or open."""
    return ft.Column(
        spacing=2,
        controls=[
            ft.Semantics(
                label=row.semantics,
                exclude_semantics=True,
                content=ft.Row(
                    [
                        ft.Icon(
                            ft.Icons.CHECK_CIRCLE if row.done else ft.Icons.RADIO_BUTTON_UNCHECKED,
                            color=ft.Colors.PRIMARY if row.done else ft.Colors.OUTLINE,
                            size=24,
                        ),
                        ft.Text(row.label, size=16),
                    ],
                    spacing=10,
                ),
            )
            for row in rows
        ],
    )


def header(vm: StepViewModel, extra: list[ft.Control] | None = None) -> ft.Control:
    """The order, its status, what waits to sync, and the last action's outcome."""
    order = vm.order
    rows: list[ft.Control] = []
    top: list[ft.Control] = [ft.Text(vm.title, size=22, weight=ft.FontWeight.BOLD, expand=True)]
    if order is not None:
        top.append(pill(vm.status_label, STATUS_COLORS[order.status]))
    rows.append(ft.Row(top, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    rows.extend(extra or [])
    if vm.waiting_to_sync:
        rows.append(
            ft.Row(
                [
                    ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, size=18),
                    ft.Text(vm.waiting_to_sync, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
                spacing=6,
            )
        )
    for text in vm.rejected:
        rows.append(ft.Text(f"Not accepted by the server: {text}", size=14, color=ft.Colors.ERROR))
    if vm.problem:
        rows.append(ft.Text(vm.problem, size=16, color=ft.Colors.ERROR))
    elif vm.message:
        rows.append(ft.Text(vm.message, size=16, weight=ft.FontWeight.W_500))
    return ft.Column(rows, spacing=6, key="header")


def waiting_line(text: str) -> ft.Control:
    """A visible "waiting for the network" line."""
    return ft.Semantics(
        label=text,
        exclude_semantics=True,
        content=ft.Row(
            [
                ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.TERTIARY, size=22),
                ft.Text(text, size=15, color=ft.Colors.TERTIARY, expand=True),
            ],
            spacing=8,
        ),
    )


def section(title: str, body: list[ft.Control]) -> ft.Control:
    """A titled card (keyed by its title)."""
    return ft.Card(
        key=f"section:{title}",
        elevation=0,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                spacing=8,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[ft.Text(title, size=16, weight=ft.FontWeight.W_600), *body],
            ),
        ),
    )


def choice_chips(
    options: list[tuple[str, str, bool]], on_choose: Callable[[str], Any], key: str = "choices"
) -> ft.Control:
    """One-tap choices (key, label, selected) as large chips that wrap."""

    def chip(code: str, label: str, selected: bool) -> ft.Chip:
        def choose() -> None:
            on_choose(code)

        return ft.Chip(
            label=ft.Text(label, size=15), selected=selected, height=TOUCH, on_select=choose
        )

    return ft.Row([chip(*o) for o in options], spacing=8, run_spacing=8, wrap=True, key=key)


class StepPanel:
    """A step screen's body: a fixed top (alert, scan field) over a scrolling column."""

    def __init__(self, vm: StepViewModel, redraw: Callable[[], None]) -> None:
        self.vm = vm
        self.redraw = redraw
        self.top = ft.Column(spacing=8)
        self.body = ft.Column(
            spacing=12,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.root = ft.Container(
            expand=True,
            padding=ft.Padding.only(left=12, right=12, top=14, bottom=8),
            content=ft.Column([self.top, self.body], spacing=8, expand=True),
        )
        #: the "I'm picking this" bar's view model, when claims are offered (StepScreens)
        self.claim: ClaimViewModel | None = None
        self._unsubscribe = vm.subscribe(self.render)

    def render(self, redraw: bool = True) -> None:
        """Show the view model's state."""
        vm = self.vm
        if vm.error or vm.order is None:
            self.top.controls = []
            self.body.controls = [ft.Text(vm.error or "Loading the order…", size=16, key="error")]
        else:
            self.top.controls = self.top_controls()
            claim = self.claim
            bar = [claim_bar(claim)] if claim is not None and vm.order.status in CLAIMABLE else []
            self.body.controls = [*bar, *self.body_controls()]
        if redraw:
            self.redraw()

    def top_controls(self) -> list[ft.Control]:
        """What stays in view while the body scrolls."""
        return []

    def body_controls(self) -> list[ft.Control]:
        """The step's content."""
        return []

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()
