"""The order list: scan field, search, status chips, and a lazily built list.

On a tablet or desk (and on a phone after a long press on an order) the rows carry
checkboxes and a bar of bulk actions appears with the first tick; "Export CSV" saves the
current filter; a banner announces orders that a sync brought.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from mobile.claims import Claims
from mobile.theme import STATUS_COLORS, TOUCH, URGENCY_COLORS, pill
from mobile.viewmodels.bulk import BulkResult, BulkViewModel
from mobile.viewmodels.orders import WAITING, OrderRow, OrdersViewModel, StatusChip
from mobile.views.camera import camera_button, submit_to

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
        #: tablet or desk: checkboxes on every row (phones: after a long press)
        self.wide = wrap_chips
        #: bulk actions, once the layout attached them (:meth:`attach_bulk`)
        self.bulk: BulkViewModel | None = None
        self._unsubscribe_bulk: Callable[[], None] | None = None
        #: who is on which order ("I'm picking this"), once the layout gave the board
        self.claims: Claims | None = None
        self._unsubscribe_claims: Callable[[], None] | None = None
        self._picker: ft.FilePicker | None = None
        self.scan = ft.TextField(
            label="Scan code",
            hint_text="Scan or type an order number, then Enter",
            prefix_icon=ft.Icons.QR_CODE_SCANNER,
            autofocus=True,
            autocorrect=False,
            enable_suggestions=False,
            on_submit=self._scanned,
        )
        self.scan.suffix_icon = camera_button(submit_to(self.scan))
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
        self._rendered_selectable = False
        self._tiles: dict[str, ft.Container] = {}
        self._checks: dict[str, ft.Checkbox] = {}
        # "N new orders arrived" (a banner in the list's own column: it never covers a scan).
        self.banner_text = ft.Text("", size=15, weight=ft.FontWeight.W_500, expand=True)
        self.banner = ft.Container(
            visible=False,
            bgcolor=ft.Colors.SECONDARY_CONTAINER,
            padding=ft.Padding.only(left=16, right=8, top=4, bottom=4),
            content=ft.Semantics(
                live_region=True,
                content=ft.Row(
                    [
                        ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE_OUTLINED, color=ft.Colors.PRIMARY),
                        self.banner_text,
                        ft.TextButton("Show", height=TOUCH, on_click=vm.show_new_orders),
                        ft.TextButton(
                            "Dismiss", height=TOUCH, on_click=lambda: vm.dismiss_new_orders()
                        ),
                    ],
                    spacing=8,
                ),
            ),
        )
        self.export = ft.TextButton(
            "Export CSV", icon=ft.Icons.DOWNLOAD_OUTLINED, height=TOUCH, on_click=self._export
        )
        self.export_message = ft.Text("", size=13, color=ft.Colors.ON_SURFACE_VARIANT)
        self.selection_text = ft.Text("", size=15, weight=ft.FontWeight.W_600)
        self.start_button = ft.FilledTonalButton(
            "Start processing", icon=ft.Icons.PLAY_ARROW, height=TOUCH, on_click=self._start
        )
        self.slips_button = ft.FilledTonalButton(
            "Print slips", icon=ft.Icons.RECEIPT_LONG_OUTLINED, height=TOUCH, on_click=self._slips
        )
        self.labels_button = ft.FilledTonalButton(
            "Print labels",
            icon=ft.Icons.LOCAL_SHIPPING_OUTLINED,
            height=TOUCH,
            on_click=self._labels,
        )
        self.bulk_actions = ft.Column(
            visible=False,
            spacing=4,
            controls=[
                ft.Row(
                    [
                        self.selection_text,
                        ft.TextButton("Select all shown", height=TOUCH, on_click=vm.select_all),
                        ft.TextButton("Clear", height=TOUCH, on_click=vm.clear_selection),
                    ],
                    spacing=8,
                    wrap=True,
                ),
                ft.Row(
                    [self.start_button, self.slips_button, self.labels_button],
                    spacing=8,
                    run_spacing=8,
                    wrap=True,
                ),
            ],
        )
        self.bulk_message_text = ft.Text("", size=14, expand=True)
        self.bulk_message = ft.Row(
            visible=False,
            spacing=4,
            controls=[
                self.bulk_message_text,
                ft.TextButton("Hide", height=TOUCH, on_click=self._dismiss_bulk_message),
            ],
        )
        self.bulk_waiting = ft.Row(
            visible=False,
            spacing=6,
            controls=[
                ft.Icon(ft.Icons.CLOUD_OFF, size=18, color=ft.Colors.TERTIARY),
                ft.Text("", size=14, color=ft.Colors.TERTIARY, expand=True),
            ],
        )
        self.bulk_bar = ft.Container(
            visible=False,
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
            content=ft.Column([self.bulk_actions, self.bulk_message, self.bulk_waiting], spacing=4),
        )
        self.root = ft.Column(
            expand=True,
            spacing=8,
            controls=[
                self.banner,
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
                    padding=ft.Padding.only(left=16, right=8),
                    content=ft.Column(
                        [
                            ft.Row(
                                [ft.Container(expand=True, content=self.status_line), self.export],
                                vertical_alignment=ft.CrossAxisAlignment.CENTER,
                            ),
                            self.export_message,
                            self.error,
                        ],
                        spacing=2,
                    ),
                ),
                self.bulk_bar,
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
        self.banner.visible = bool(vm.banner_text)
        self.banner_text.value = vm.banner_text
        self.export_message.value = vm.export_message or ""
        self.export_message.visible = bool(vm.export_message)
        self._render_bulk()
        self._render_rows()
        if redraw:
            self.redraw()

    def attach_bulk(self, bulk: BulkViewModel) -> None:
        """Offer bulk actions on the ticked orders (the panel disposes ``bulk`` with itself)."""
        self.bulk = bulk
        self._unsubscribe_bulk = bulk.subscribe(self.render)
        self.render(redraw=False)

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

    def show_claims(self, claims: Claims) -> None:
        """Mark the rows someone is working on ("Ana is on it"), following the board."""
        self.claims = claims
        self._unsubscribe_claims = claims.subscribe(self.render)

    def dispose(self) -> None:
        """Stop listening to the view model (and the bulk actions, and the claims)."""
        self._unsubscribe()
        if self._unsubscribe_claims is not None:
            self._unsubscribe_claims()
        if self._unsubscribe_bulk is not None:
            self._unsubscribe_bulk()
        if self.bulk is not None:
            self.bulk.dispose()

    def _matching(self) -> int:
        return self.vm.count(self.vm.filter)

    @property
    def _selectable(self) -> bool:
        return self.bulk is not None and (self.wide or self.vm.selecting)

    def _render_bulk(self) -> None:
        vm, bulk = self.vm, self.bulk
        count = vm.selected_count
        self.bulk_actions.visible = bulk is not None and count > 0
        self.selection_text.value = vm.selection_text
        busy = bulk is not None and bulk.busy is not None
        for button, word in (
            (self.start_button, "Start processing"),
            (self.slips_button, "Print slips"),
            (self.labels_button, "Print labels"),
        ):
            button.content = f"{word} ({count})"
            button.disabled = busy or not count
        message = bulk.message if bulk is not None else None
        self.bulk_message_text.value = message or ""
        self.bulk_message.visible = bool(message)
        waiting = bulk.waiting_text if bulk is not None else ""
        self.bulk_waiting.visible = bool(waiting)
        waiting_text = self.bulk_waiting.controls[1]
        assert isinstance(waiting_text, ft.Text)
        waiting_text.value = waiting
        self.bulk_bar.visible = (
            self.bulk_actions.visible or self.bulk_message.visible or self.bulk_waiting.visible
        )

    def _render_rows(self) -> None:
        rows = self.vm.rows
        done = self._rendered
        selectable = self._selectable
        if selectable != self._rendered_selectable:
            done = []  # checkboxes come or go: every row is built again
            self._rendered_selectable = selectable
        for order_id, check in self._checks.items():
            check.value = self.vm.is_selected(order_id)
        if rows[: len(done)] == done and done:
            # Another page: add its rows only, the ones on screen stay as they are.
            new = rows[len(done) :]
            if self.list.controls and self.list.controls[-1] is self.more:
                self.list.controls.pop()
            self.list.controls.extend(self._tile(r) for r in new)
        else:
            self._tiles = {}
            self._checks = {}
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
        vm = self.vm

        def open_row() -> None:
            # A phone in selection mode ticks with a tap; otherwise a tap opens the order.
            if vm.selecting and not self.wide:
                vm.toggle(row.id)
            else:
                self.on_open(row.id)

        def long_press() -> None:
            if self.bulk is not None:
                vm.start_selecting(row.id)

        status_bg, status_fg = STATUS_COLORS[row.status]
        badge: list[ft.Control] = []
        if row.badge and row.urgency is not None:
            badge.append(pill(row.badge, URGENCY_COLORS[row.urgency]))
        holder = self.claims.holder(row.id) if self.claims is not None else None
        if holder is not None:
            who = "You are on it" if holder.mine else f"{holder.user_name} is on it"
            badge.append(ft.Icon(ft.Icons.PERSON, size=18, color=ft.Colors.PRIMARY))
            badge.append(ft.Text(who, size=13, color=ft.Colors.PRIMARY, max_lines=1))
        if row.pending:
            badge.append(ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED, size=18, color=ft.Colors.TERTIARY))
            badge.append(ft.Text(WAITING, size=13, color=ft.Colors.TERTIARY))
        selectable = self._selectable
        line = ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT))
        tile = ft.Container(
            key=row.id,
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            bgcolor=_tile_color(row.id == self.selected_id),
            border=None if selectable else line,
            ink=True,
            on_click=open_row,
            on_long_press=long_press,
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
                                wrap=True,
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
        # (The keyed tile stays inside an unkeyed wrapper: Flet freezes keyed list items.)
        order = ft.Semantics(
            label=row.semantics,
            button=True,
            exclude_semantics=True,
            on_tap=open_row,
            on_long_press=long_press if self.bulk is not None else None,
            content=tile,
        )
        if not selectable:
            return order
        check = ft.Checkbox(
            value=vm.is_selected(row.id),
            semantics_label=f"Select order {row.number}",
            on_change=lambda: vm.toggle(row.id),
        )
        self._checks[row.id] = check
        return ft.Container(
            border=line,
            content=ft.Row(
                [
                    ft.Container(padding=ft.Padding.only(left=8), content=check),
                    ft.Container(expand=True, content=order),
                ],
                spacing=0,
            ),
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

    async def _start(self) -> None:
        await self._bulk(lambda bulk, ids: bulk.start_processing(ids))

    async def _slips(self) -> None:
        await self._bulk(lambda bulk, ids: bulk.print_slips(ids))

    async def _labels(self) -> None:
        await self._bulk(lambda bulk, ids: bulk.print_labels(ids))

    async def _bulk(self, run: Callable[[BulkViewModel, list[str]], Awaitable[BulkResult]]) -> None:
        if self.bulk is not None and self.vm.selected:
            await run(self.bulk, list(self.vm.selected))

    def _dismiss_bulk_message(self) -> None:
        if self.bulk is not None:
            self.bulk.dismiss()

    async def _export(self) -> None:
        name, data = self.vm.export_csv()
        if self._picker is None:
            self._picker = ft.FilePicker()
        # A browser (and the PWA) downloads the bytes; a desktop asks where to save them.
        await self._picker.save_file(
            dialog_title="Export orders as CSV",
            file_name=name,
            file_type=ft.FilePickerFileType.CUSTOM,
            allowed_extensions=["csv"],
            src_bytes=data,
        )

    async def _scrolled(self, e: ft.OnScrollEvent) -> None:
        if e.max_scroll_extent - e.pixels < LOAD_AHEAD_PX and self.vm.has_more:
            await self.vm.load_more()


def _tile_color(selected: bool) -> str | None:
    return ft.Colors.SECONDARY_CONTAINER if selected else None
