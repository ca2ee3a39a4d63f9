"""Settings: who is signed in, where, the theme, notifications, and signing out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import flet as ft

from mobile.session import Session
from mobile.theme import TOUCH
from mobile.viewmodels.notify import LABEL, NotifyState, NotifyViewModel

THEME_MODES = {
    "system": ft.ThemeMode.SYSTEM,
    "light": ft.ThemeMode.LIGHT,
    "dark": ft.ThemeMode.DARK,
}


class SettingsPanel:
    """The settings screen's body."""

    def __init__(
        self,
        session: Session,
        theme_mode: str,
        on_theme: Callable[[str], Awaitable[None]],
        on_sign_out: Callable[[], Awaitable[None]],
        show_title: bool = True,
        notify: NotifyViewModel | None = None,
        redraw: Callable[[], None] | None = None,
    ) -> None:
        self.on_theme = on_theme
        self.on_sign_out = on_sign_out
        self.notify = notify
        self.redraw = redraw or (lambda: None)
        # "Notify me of new orders": vertical padding makes the switch itself 48 px tall
        # (a full touch target on every platform); its label is what screen readers read.
        self.notify_switch = ft.Switch(
            label=LABEL,
            value=False,
            disabled=True,
            padding=ft.Padding.symmetric(vertical=8, horizontal=4),
            on_change=self._notify_toggled,
        )
        self.notify_status = ft.Text("", size=15, color=ft.Colors.ON_SURFACE_VARIANT)
        self._unsubscribe = notify.subscribe(self._notify_changed) if notify else None
        self._show_notify()
        user, vendor = session.user, session.vendor
        self.theme = ft.SegmentedButton(
            selected=[theme_mode],
            segments=[
                ft.Segment(value="system", label="System", icon=ft.Icons.BRIGHTNESS_AUTO),
                ft.Segment(value="light", label="Light", icon=ft.Icons.LIGHT_MODE_OUTLINED),
                ft.Segment(value="dark", label="Dark", icon=ft.Icons.DARK_MODE_OUTLINED),
            ],
            on_change=self._theme_changed,
        )
        self.root = ft.Container(
            expand=True,
            padding=16,
            content=ft.Column(
                spacing=16,
                scroll=ft.ScrollMode.AUTO,
                controls=[
                    ft.Text("Settings", size=24, weight=ft.FontWeight.BOLD, visible=show_title),
                    _card(
                        "Signed in",
                        ft.Icons.ACCOUNT_CIRCLE_OUTLINED,
                        [
                            ft.Text(f"{user.name} ({user.role})", size=16),
                            ft.Text(user.email, size=15, color=ft.Colors.ON_SURFACE_VARIANT),
                            ft.Text(f"Seller: {vendor.name}", size=15),
                            ft.Text(
                                f"Server: {session.api.base_url}",
                                size=15,
                                color=ft.Colors.ON_SURFACE_VARIANT,
                            ),
                        ],
                    ),
                    _card("Appearance", ft.Icons.PALETTE_OUTLINED, [self.theme]),
                    _card(
                        "Notifications",
                        ft.Icons.NOTIFICATIONS_OUTLINED,
                        [
                            self.notify_switch,
                            self.notify_status,
                        ],
                    ),
                    ft.OutlinedButton(
                        "Sign out",
                        icon=ft.Icons.LOGOUT,
                        height=TOUCH,
                        on_click=self._sign_out,
                    ),
                ],
            ),
        )

    async def _theme_changed(self, e: ft.Event[ft.SegmentedButton]) -> None:
        selected = e.control.selected
        if selected:
            await self.on_theme(selected[0])

    async def _sign_out(self) -> None:
        await self.on_sign_out()

    async def _notify_toggled(self, e: ft.Event[ft.Switch]) -> None:
        if self.notify is not None:
            await self.notify.toggle(bool(e.control.value))

    def _show_notify(self) -> None:
        vm = self.notify
        if vm is None:
            self.notify_switch.value = False
            self.notify_switch.disabled = True
            self.notify_status.value = "Notifications are not available here."
            return
        self.notify_switch.value = vm.switch_on
        self.notify_switch.disabled = not vm.enabled
        self.notify_status.value = vm.status
        self.notify_status.color = (
            ft.Colors.ERROR
            if vm.state in (NotifyState.FAILED, NotifyState.DENIED)
            else ft.Colors.ON_SURFACE_VARIANT
        )

    def _notify_changed(self) -> None:
        self._show_notify()
        self.redraw()

    def dispose(self) -> None:
        """Stop following the notification switch's view model."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def _card(title: str, icon: ft.IconData, body: Sequence[ft.Control]) -> ft.Control:
    return ft.Card(
        elevation=0,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                spacing=6,
                controls=[
                    ft.Row(
                        [
                            ft.Icon(icon, size=20, color=ft.Colors.PRIMARY),
                            ft.Text(title, size=15, weight=ft.FontWeight.W_600),
                        ],
                        spacing=8,
                    ),
                    *body,
                ],
            ),
        ),
    )
