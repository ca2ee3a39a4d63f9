"""The sign-in screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from mobile.session import Session
from mobile.theme import TOUCH
from mobile.viewmodels.signin import SignInViewModel


class SignInScreen:
    """Server address, email, password and a Sign in button, centred on any screen."""

    def __init__(
        self,
        vm: SignInViewModel,
        on_signed_in: Callable[[Session], Awaitable[None]],
        redraw: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.on_signed_in = on_signed_in
        self.redraw = redraw
        self.server = ft.TextField(
            label="Server address",
            value=vm.server,
            prefix_icon=ft.Icons.DNS_OUTLINED,
            keyboard_type=ft.KeyboardType.URL,
            autocorrect=False,
            enable_suggestions=False,
            helper="Where your Shipfloor server runs",
            on_change=lambda e: setattr(vm, "server", e.control.value),
        )
        self.email = ft.TextField(
            label="Email",
            value=vm.email,
            prefix_icon=ft.Icons.ALTERNATE_EMAIL,
            keyboard_type=ft.KeyboardType.EMAIL,
            autocorrect=False,
            enable_suggestions=False,
            autofill_hints=ft.AutofillHint.EMAIL,
            on_change=lambda e: setattr(vm, "email", e.control.value),
        )
        self.password = ft.TextField(
            label="Password",
            password=True,
            can_reveal_password=True,
            prefix_icon=ft.Icons.LOCK_OUTLINE,
            autofill_hints=ft.AutofillHint.PASSWORD,
            on_change=lambda e: setattr(vm, "password", e.control.value),
            on_submit=self._submit,
        )
        self.error = ft.Text(
            "", color=ft.Colors.ERROR, visible=False, size=15, weight=ft.FontWeight.W_500
        )
        self.progress = ft.ProgressBar(visible=False)
        self.button = ft.FilledButton(
            "Sign in",
            icon=ft.Icons.LOGIN,
            height=TOUCH + 4,
            expand=True,
            on_click=self._submit,
        )
        form = ft.Column(
            tight=True,
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                ft.Row(
                    [
                        ft.Icon(ft.Icons.INVENTORY_2_OUTLINED, size=40, color=ft.Colors.PRIMARY),
                        ft.Text("Shipfloor", size=32, weight=ft.FontWeight.BOLD),
                    ],
                    alignment=ft.MainAxisAlignment.CENTER,
                ),
                ft.Text(
                    "Sign in to pick, pack and ship your orders.",
                    size=16,
                    text_align=ft.TextAlign.CENTER,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
                ft.Container(height=8),
                ft.AutofillGroup(
                    ft.Column(
                        [self.server, self.email, self.password],
                        spacing=16,
                        tight=True,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    )
                ),
                self.error,
                self.progress,
                ft.Row([self.button]),
            ],
        )
        self.root = ft.SafeArea(
            expand=True,
            content=ft.Container(
                alignment=ft.Alignment.CENTER,
                padding=24,
                expand=True,
                content=ft.Container(
                    width=440,
                    content=ft.Card(
                        elevation=0,
                        content=ft.Container(padding=24, content=form),
                        shape=ft.RoundedRectangleBorder(radius=16),
                    ),
                ),
            ),
        )
        self._revision = vm.form_revision
        self._unsubscribe = vm.subscribe(self.render)

    def render(self) -> None:
        """Show the view model's state."""
        vm = self.vm
        if vm.form_revision != self._revision:
            # Only what the view model filled in itself: never overwrite what is being typed.
            self._revision = vm.form_revision
            self.server.value = vm.server
            self.email.value = vm.email
            self.password.value = vm.password
        self.error.value = vm.error or ""
        self.error.visible = bool(vm.error)
        self.progress.visible = vm.busy
        self.button.disabled = vm.busy
        self.redraw()

    async def _submit(self) -> None:
        session = await self.vm.sign_in()
        if session is not None:
            await self.on_signed_in(session)

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()
