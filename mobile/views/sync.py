"""The sync bar on every screen, the sync panel (refused changes, conflicts) and the
sign-out question."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from mobile.theme import TOUCH
from mobile.viewmodels.issues import IssueKind, IssueRow
from mobile.viewmodels.sync import SyncViewModel


class SyncBar:
    """One line under the app bar: online/offline, waiting changes, last synced, Sync now."""

    def __init__(
        self, vm: SyncViewModel, on_details: Callable[[], None], redraw: Callable[[], None]
    ) -> None:
        self.vm = vm
        self.redraw = redraw
        self.icon = ft.Icon(ft.Icons.CLOUD_DONE_OUTLINED, size=20)
        self.text = ft.Text("", size=13, max_lines=2, expand=True)
        self.details = ft.Container(
            expand=True,
            ink=True,
            on_click=lambda: on_details(),
            padding=ft.Padding.symmetric(vertical=4),
            content=ft.Row([self.icon, self.text], spacing=8),
        )
        # Expanded in the bar's row: the status text wraps (two lines at most) and "Sync
        # now" keeps its whole width on a phone.
        self.semantics = ft.Semantics(
            expand=True,
            button=True,
            container=True,
            exclude_semantics=True,
            on_tap=lambda: on_details(),
            content=self.details,
        )
        self.button = ft.TextButton(
            "Sync now", icon=ft.Icons.SYNC, height=TOUCH, on_click=lambda: vm.sync_now()
        )
        self.root = ft.Container(
            padding=ft.Padding.only(left=16, right=8),
            bgcolor=ft.Colors.SURFACE_CONTAINER,
            content=ft.Row(
                [self.semantics, self.button],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )
        self._unsubscribe = vm.subscribe(self.render)
        self.render(redraw=False)

    def render(self, redraw: bool = True) -> None:
        """Show the view model's state."""
        vm = self.vm
        if vm.status.syncing:
            self.icon.icon, self.icon.color = ft.Icons.SYNC, ft.Colors.PRIMARY
        elif not vm.online or vm.status.sign_in_required:
            self.icon.icon, self.icon.color = ft.Icons.CLOUD_OFF, ft.Colors.ERROR
        elif vm.status.pending or vm.issues:
            self.icon.icon, self.icon.color = ft.Icons.CLOUD_UPLOAD_OUTLINED, ft.Colors.TERTIARY
        else:
            self.icon.icon, self.icon.color = ft.Icons.CLOUD_DONE_OUTLINED, ft.Colors.PRIMARY
        self.text.value = vm.summary
        # Read as "Sync status: Online · 2 waiting to sync · Synced …" (tap for details).
        self.semantics.label = f"Sync status: {vm.summary}"
        if redraw:
            self.redraw()

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()


class SyncPanel:
    """What the sync bar opens: the state in full, and each problem with what to do next.

    A new dialog each time it opens (Flet keeps a closed dialog until the client says it
    has gone); it follows the view model while open.
    """

    def __init__(
        self,
        vm: SyncViewModel,
        close: Callable[[], None],
        redraw: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.close = close
        self.redraw = redraw
        self.body = ft.Column(spacing=12, tight=True)
        self.dialog = ft.AlertDialog(
            title=ft.Text("Sync"),
            scrollable=True,
            content=ft.Container(width=460, content=self.body),
            actions=[
                ft.TextButton("Sync now", icon=ft.Icons.SYNC, on_click=lambda: vm.sync_now()),
                ft.TextButton("Close", on_click=lambda: close()),
            ],
            on_dismiss=lambda: self.dispose(),
        )
        self._unsubscribe = vm.subscribe(self.render)
        self.render(redraw=False)

    def render(self, redraw: bool = True) -> None:
        """Show the view model's state."""
        vm = self.vm
        controls: list[ft.Control] = [
            ft.Text(f"{vm.online_text} · {vm.pending_text}", size=16, weight=ft.FontWeight.W_500),
            ft.Text(vm.last_synced_text, size=15, color=ft.Colors.ON_SURFACE_VARIANT),
        ]
        if vm.error:
            controls.append(ft.Text(vm.error, size=15, color=ft.Colors.ERROR))
        if vm.issues:
            controls.append(ft.Divider())
            controls.append(ft.Text("Needs your attention", size=15, weight=ft.FontWeight.W_600))
            controls.extend(issue_card(issue, vm.dismiss) for issue in vm.issues)
        else:
            controls.append(
                ft.Text(
                    "No refused changes or conflicts.", size=15, color=ft.Colors.ON_SURFACE_VARIANT
                )
            )
        self.body.controls = controls
        if redraw:
            self.redraw()

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()


def issue_card(issue: IssueRow, on_dismiss: Callable[[IssueRow], None]) -> ft.Control:
    """One refused change or conflict: what happened, what to do next, Dismiss."""
    icon = (
        ft.Icons.REPORT_GMAILERRORRED if issue.kind is IssueKind.REJECTED else ft.Icons.CALL_SPLIT
    )
    return ft.Card(
        key=f"issue:{issue.id}",
        elevation=0,
        bgcolor=ft.Colors.ERROR_CONTAINER,
        content=ft.Container(
            padding=12,
            content=ft.Column(
                spacing=4,
                controls=[
                    ft.Row(
                        [
                            ft.Icon(icon, size=20, color=ft.Colors.ON_ERROR_CONTAINER),
                            ft.Text(
                                issue.title,
                                size=15,
                                weight=ft.FontWeight.W_600,
                                color=ft.Colors.ON_ERROR_CONTAINER,
                                expand=True,
                            ),
                        ],
                        spacing=8,
                    ),
                    ft.Text(issue.what_happened, size=15, color=ft.Colors.ON_ERROR_CONTAINER),
                    ft.Text(
                        f"What to do: {issue.next_step}",
                        size=15,
                        color=ft.Colors.ON_ERROR_CONTAINER,
                    ),
                    ft.Row(
                        [
                            ft.Text(issue.at, size=13, color=ft.Colors.ON_ERROR_CONTAINER),
                            ft.TextButton(
                                "Dismiss", height=TOUCH, on_click=lambda: on_dismiss(issue)
                            ),
                        ],
                        alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                    ),
                ],
            ),
        ),
    )


class SignOutDialog:
    """Asked when changes are still waiting: Sync now, Sign out anyway, or stay signed in."""

    def __init__(
        self,
        vm: SyncViewModel,
        sign_out: Callable[[], Awaitable[None]],
        close: Callable[[], None],
        redraw: Callable[[], None],
    ) -> None:
        self.vm = vm
        self.sign_out = sign_out
        self.close = close
        self.redraw = redraw
        self.message = ft.Text(vm.sign_out_message, size=16)
        self.progress = ft.ProgressBar(visible=False)
        self.sync_button = ft.FilledButton("Sync now", icon=ft.Icons.SYNC, on_click=self._sync)
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Changes waiting to sync"),
            content=ft.Column([self.message, self.progress], tight=True, spacing=12),
            actions=[
                ft.TextButton("Stay signed in", on_click=self._stay),
                ft.TextButton("Sign out anyway", on_click=self._anyway),
                self.sync_button,
            ],
        )

    async def _sync(self) -> None:
        self.progress.visible = True
        self.sync_button.disabled = True
        self.redraw()
        done = await self.vm.sync_then_sign_out()
        self.progress.visible = False
        self.sync_button.disabled = False
        self.message.value = self.vm.sign_out_message
        if done:
            self.close()
            await self.sign_out()
            return
        self.redraw()

    async def _anyway(self) -> None:
        # The device store, with the waiting changes, stays on this device for the next
        # sign-in of the same person.
        self.vm.confirming_sign_out = False
        self.close()
        await self.sign_out()

    def _stay(self) -> None:
        self.vm.cancel_sign_out()
        self.close()
