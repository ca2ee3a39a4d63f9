"""The order list: scan field, search, status chips, and a lazily built list."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.theme import STATUS_COLORS, TOUCH, URGENCY_COLORS, pill
from mobile.viewmodels.orders import WAITING, OrderRow, OrdersViewModel, StatusChip

#: start loading the next page when the list is this close (px) to its end
LOAD_AHEAD_PX = 600


class OrdersPanel:
    """The list screen's body (the app bar and navigation belong to the shell)."""

    def __init__(
        self,
        vm: OrdersViewModel,
        on_open: Callable[[str], None],
        redraw: Callable[[], None],
        wrap_chips: bool = False,
    ) -> None:
        self.vm = vm
        self.on_open = on_open
        self.redraw = redraw
        self.selected_id: str | None = None
        self.scan = ft.TextField(
            label="Scan code",
            hint_text="Scan or type an order number, then Enter",
            prefix_icon=ft.Icons.QR_CODE_SCANNER,
            autofocus=True,
            autocorrect=False,
            enable_suggestions=False,
            on_submit=self._scanned,
        )
        self.search = ft.TextField(
            label="Search orders",
            hint_text="Order number or customer name",
            prefix_icon=ft.Icons.SEARCH,
            autocorrect=False,
            on_change=lambda e: vm.search(e.control.value),
            on_submit=self._search_submitted,
        )
        self.scan_message = ft.Text("", color=ft.Colors.ERROR, visible=False, size=15)
        # Phones swipe through the chips; wider screens (and mice) see them all, wrapped.
        self.chips = ft.Row(
            spacing=8,
            run_spacing=0,
            wrap=wrap_chips,
            scroll=None if wrap_chips else ft.ScrollMode.AUTO,
        )
        self.status_line = ft.Text("", size=13, color=ft.Colors.ON_SURFACE_VARIANT)
        self.error = ft.Text("", color=ft.Colors.ERROR, visible=False, size=15)
        self.progress = ft.ProgressBar(visible=False)
        self.list = ft.ListView(
            expand=True,
            spacing=0,
            build_controls_on_demand=True,
            on_scroll=self._scrolled,
            scroll_interval=200,
        )
        self.empty_text = ft.Text("", size=16, color=ft.Colors.ON_SURFACE_VARIANT)
        self.empty = ft.Container(
            visible=False, padding=32, alignment=ft.Alignment.CENTER, content=self.empty_text
        )
        self.more = ft.TextButton("Load more orders", height=TOUCH, on_click=vm.load_more)
        self._rendered: list[OrderRow] = []
        self._tiles: dict[str, ft.Container] = {}
        self.root = ft.Column(
            expand=True,
            spacing=8,
            controls=[
                ft.Container(
                    padding=ft.Padding.only(left=12, right=12, top=8),
                    content=ft.Column(
                        [self.scan, self.search, self.scan_message],
                        spacing=8,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    ),
                ),
                ft.Container(padding=ft.Padding.symmetric(horizontal=12), content=self.chips),
                ft.Container(
                    padding=ft.Padding.symmetric(horizontal=16),
                    content=ft.Column([self.status_line, self.error], spacing=2),
                ),
                self.progress,
                self.empty,
                self.list,
            ],
        )
        self._unsubscribe = vm.subscribe(self.render)
        self.render(redraw=False)

    # --------------------------------------------------------------- render

    def render(self, redraw: bool = True) -> None:
        """Show the view model's state."""
        vm = self.vm
        self.chips.controls = [self._chip(c) for c in vm.chips]
        self.scan_message.value = vm.scan_message or ""
        self.scan_message.visible = bool(vm.scan_message)
        self.error.value = vm.error or ""
        self.error.visible = bool(vm.error)
        self.progress.visible = vm.loading or vm.loading_more or vm.downloading
        shown = len(vm.rows)
        if vm.last_loaded_at is not None:
            self.status_line.value = f"{vm.filter.label}: {shown} of {self._matching()}"
            if vm.progress_text:
                self.status_line.value += f" · {vm.progress_text}"
        else:
            self.status_line.value = "Loading orders…"
        self.empty.visible = not vm.rows and not vm.loading and vm.last_loaded_at is not None
        self.empty_text.value = vm.empty_text
        self._render_rows()
        if redraw:
            self.redraw()

    def select(self, order_id: str | None) -> None:
        """Highlight the order shown beside the list (wide layout)."""
        if order_id == self.selected_id:
            return
        for tile_id in (self.selected_id, order_id):
            tile = self._tiles.get(tile_id or "")
            if tile is not None:
                tile.bgcolor = _tile_color(tile_id == order_id)
        self.selected_id = order_id

    async def focus_scan(self) -> None:
        """Put the cursor in the scan field, ready for the next scan."""
        await self.scan.focus()  # type: ignore[no-untyped-call]  # untyped in flet

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()

    def _matching(self) -> int:
        return self.vm.count(self.vm.filter)

    def _render_rows(self) -> None:
        rows = self.vm.rows
        done = self._rendered
        if rows[: len(done)] == done and done:
            # Another page: add its rows only, the ones on screen stay as they are.
            new = rows[len(done) :]
            if self.list.controls and self.list.controls[-1] is self.more:
                self.list.controls.pop()
            self.list.controls.extend(self._tile(r) for r in new)
        else:
            self._tiles = {}
            self.list.controls = [self._tile(r) for r in rows]
        self._rendered = list(rows)
        if self.vm.has_more:
            self.more.disabled = self.vm.loading_more
            self.list.controls.append(self.more)

    def _chip(self, chip: StatusChip) -> ft.Chip:
        async def pick() -> None:
            await self.vm.select(chip.key)

        return ft.Chip(
            label=ft.Text(chip.text, size=15),
            selected=chip.selected,
            height=TOUCH,
            on_select=pick,
        )

    def _tile(self, row: OrderRow) -> ft.Control:
        def open_row() -> None:
            self.on_open(row.id)

        status_bg, status_fg = STATUS_COLORS[row.status]
        badge: list[ft.Control] = []
        if row.badge and row.urgency is not None:
            badge.append(pill(row.badge, URGENCY_COLORS[row.urgency]))
        if row.pending:
            badge.append(ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, size=18, color=ft.Colors.TERTIARY))
            badge.append(ft.Text(WAITING, size=13, color=ft.Colors.TERTIARY))
        tile = ft.Container(
            key=row.id,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            bgcolor=_tile_color(row.id == self.selected_id),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            ink=True,
            on_click=open_row,
            content=ft.Row(
                vertical_alignment=ft.CrossAxisAlignment.START,
                controls=[
                    ft.Column(
                        expand=True,
                        spacing=4,
                        controls=[
                            ft.Row(
                                [ft.Text(row.number, size=17, weight=ft.FontWeight.BOLD), *badge],
                                spacing=8,
                            ),
                            ft.Text(row.customer_name, size=16, max_lines=1),
                            ft.Row(
                                [
                                    pill(row.status_label, (status_bg, status_fg)),
                                    ft.Text(
                                        row.ship_by,
                                        size=13,
                                        color=ft.Colors.ON_SURFACE_VARIANT,
                                        max_lines=1,
                                    ),
                                ],
                                spacing=8,
                                wrap=True,
                            ),
                        ],
                    ),
                    ft.Column(
                        horizontal_alignment=ft.CrossAxisAlignment.END,
                        spacing=4,
                        controls=[
                            ft.Text(row.total, size=16, weight=ft.FontWeight.W_600),
                            ft.Text(row.items, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                        ],
                    ),
                ],
            ),
        )
        self._tiles[row.id] = tile
        # One sentence per row for screen readers ("Order SF10042, Ava Adams, New, late").
        return ft.Semantics(
            label=row.semantics, button=True, exclude_semantics=True, on_tap=open_row, content=tile
        )

    # --------------------------------------------------------------- events

    async def _scanned(self, e: ft.Event[ft.TextField]) -> None:
        code = e.control.value
        self.scan.value = ""
        order_id = await self.vm.open_code(code)
        if order_id is not None:
            self.on_open(order_id)
        # Keyboard-wedge scanners type into whatever has focus: keep it here.
        await self.scan.focus()  # type: ignore[no-untyped-call]  # untyped in flet

    async def _search_submitted(self, e: ft.Event[ft.TextField]) -> None:
        await self.vm.search_now(e.control.value)

    async def _scrolled(self, e: ft.OnScrollEvent) -> None:
        if e.max_scroll_extent - e.pixels < LOAD_AHEAD_PX and self.vm.has_more:
            await self.vm.load_more()


def _tile_color(selected: bool) -> str | None:
    return ft.Colors.SECONDARY_CONTAINER if selected else None
