"""The two layouts around the screens: phones (narrow) and tablets or desks (wide).

Phones get one column with a bottom navigation bar, and an order opens as its own page on
top of the list. From :data:`mobile.theme.WIDE` px on, a navigation rail sits on the left
and the order opens beside the list. Every view starts with the sync bar (online or
offline, changes waiting, last synced, "Sync now"), so the sync state is always in sight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from mobile import routes
from mobile.routes import Route, Screen
from mobile.viewmodels.bulk import BulkViewModel
from mobile.viewmodels.claim import ClaimViewModel
from mobile.viewmodels.documents import ServerDocumentOpener
from mobile.views.metrics import MetricsPanel
from mobile.views.order_detail import OrderDetailPanel
from mobile.views.orders import OrdersPanel
from mobile.views.settings import SettingsPanel
from mobile.views.steps import StepScreens
from mobile.views.sync import SyncBar

if TYPE_CHECKING:
    from mobile.views.shell import ShipfloorApp, SignedIn

LIST_WIDTH = 440
#: the top-level destinations, in the order of the navigation bar and rail
NAV_ROUTES = (routes.ORDERS, routes.METRICS, routes.SETTINGS)


class Layout:
    """The controls of one layout (narrow or wide); rebuilt when the width class changes."""

    def __init__(self, app: ShipfloorApp, signed_in: SignedIn, wide: bool) -> None:
        self.app = app
        self.wide = wide
        redraw = app.redraw
        # Before the panel subscribes: the page title must change before the panel redraws.
        self.detail_vm = signed_in.detail
        self.detail_title = ft.Text("Order")
        self._unsubscribe = signed_in.detail.subscribe(self._detail_changed)
        self.orders = OrdersPanel(signed_in.orders, app.open_order, redraw, wrap_chips=wide)
        self.detail = OrderDetailPanel(
            signed_in.detail,
            redraw,
            on_close=app.close_order if wide else None,
            show_title=wide,
            on_step=app.open_step,
        )
        workspace = signed_in.workspace

        async def push_pending() -> None:
            # A label's print step must reach the server before its PDF is asked for.
            await workspace.sync_and_wait()

        self.opener = ServerDocumentOpener(
            signed_in.session.api,
            launch=app.launch_url,
            connected=lambda: workspace.status().online,
            before_label=push_pending,
        )
        # The dashboard's bulk actions print through the same opener (the list disposes it).
        self.orders.attach_bulk(BulkViewModel(workspace, self.opener, api=signed_in.session.api))
        self.orders.show_claims(signed_in.claims)
        self.steps = StepScreens(
            workspace.store,
            self.opener,
            redraw,
            app.navigate,
            on_recorded=workspace.local_change,
            subscribe=workspace.subscribe,
            claim=ClaimViewModel(signed_in.claims, online=lambda: workspace.status().online),
        )
        self.step_title = ft.Text("Step")
        self.step_holder = ft.Container(expand=True)
        self.settings = SettingsPanel(
            signed_in.session,
            app.theme_mode,
            app.set_theme,
            app.sign_out,
            show_title=wide,
            notify=signed_in.notify,
            redraw=redraw,
        )
        self.metrics = MetricsPanel(signed_in.metrics, redraw, wide, show_title=wide)
        self.sync_vm = signed_in.sync
        self.sync_bars: list[SyncBar] = []
        if wide:
            self.list_and_detail = ft.Row(
                expand=True,
                spacing=0,
                vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[
                    ft.Container(width=LIST_WIDTH, content=self.orders.root),
                    ft.VerticalDivider(width=1),
                    self.detail.root,
                ],
            )
            self.body = ft.Container(expand=True, content=self.list_and_detail)
            self.rail = ft.NavigationRail(
                selected_index=0,
                label_type=ft.NavigationRailLabelType.ALL,
                min_width=88,
                group_alignment=-1.0,
                destinations=_rail_destinations(),
                on_change=self._nav_changed,
            )
            self.main = ft.View(
                route="/orders",
                padding=0,
                spacing=0,
                appbar=self._appbar("Shipfloor", signed_in.session.vendor.name),
                controls=[
                    self._sync_bar(),
                    ft.Row(
                        expand=True,
                        spacing=0,
                        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                        controls=[self.rail, ft.VerticalDivider(width=1), self.body],
                    ),
                ],
            )
        else:
            self.orders_view = ft.View(
                route="/orders",
                padding=0,
                spacing=0,
                appbar=self._appbar("Orders", signed_in.session.vendor.name),
                controls=[self._sync_bar(), self.orders.root],
                navigation_bar=self._nav_bar(0),
            )
            self.settings_view = ft.View(
                route="/settings",
                padding=0,
                appbar=ft.AppBar(title=ft.Text("Settings")),
                spacing=0,
                controls=[self._sync_bar(), self.settings.root],
                navigation_bar=self._nav_bar(2),
            )
            self.metrics_view = ft.View(
                route="/metrics",
                padding=0,
                appbar=ft.AppBar(title=ft.Text("Seller metrics")),
                spacing=0,
                controls=[self._sync_bar(), self.metrics.root],
                navigation_bar=self._nav_bar(1),
            )
            self.detail_view = ft.View(
                route="/orders",
                padding=0,
                appbar=ft.AppBar(title=self.detail_title),
                spacing=0,
                controls=[self._sync_bar(), self.detail.root],
            )
            self.step_view = ft.View(
                route="/orders",
                padding=0,
                appbar=ft.AppBar(title=self.step_title),
                spacing=0,
                controls=[self._sync_bar(), self.step_holder],
            )

    def views(self, route: Route) -> list[ft.View]:
        """The stack of views that shows ``route``."""
        if self.wide:
            self.rail.selected_index = _nav_index(route)
            self.body.content = {
                Screen.SETTINGS: self.settings.root,
                Screen.METRICS: self.metrics.root,
            }.get(route.screen, self.list_and_detail)
            # A work step takes the detail pane's place beside the list.
            pane = self.detail.root
            if route.step is not None and route.order_id:
                self.step_holder.content = self.steps.show(route)
                pane = self.step_holder
            self.list_and_detail.controls[-1] = pane
            self.main.route = route.path
            self.orders.select(route.order_id)
            return [self.main]
        if route.screen is Screen.SETTINGS:
            return [self.settings_view]
        if route.screen is Screen.METRICS:
            return [self.metrics_view]
        if route.order_id:
            self.detail_view.route = routes.order(route.order_id).path
            if route.step is not None:
                self.step_holder.content = self.steps.show(route)
                self.step_title.value = self.steps.title(route.step)
                self.step_view.route = route.path
                return [self.orders_view, self.detail_view, self.step_view]
            return [self.orders_view, self.detail_view]
        return [self.orders_view]

    def dispose(self) -> None:
        """Stop listening to the view models."""
        self._unsubscribe()
        for bar in self.sync_bars:
            bar.dispose()
        self.orders.dispose()
        self.detail.dispose()
        self.settings.dispose()
        self.metrics.dispose()
        self.steps.dispose()

    def _detail_changed(self) -> None:
        self.detail_title.value = self.detail_vm.title

    def _sync_bar(self) -> ft.Control:
        # One bar per view (a control has one parent), all over the same view model.
        bar = SyncBar(self.sync_vm, self.app.show_sync, self.app.redraw)
        self.sync_bars.append(bar)
        return bar.root

    def _appbar(self, title: str, subtitle: str) -> ft.AppBar:
        return ft.AppBar(
            title=ft.Column(
                [
                    ft.Text(title, size=20, weight=ft.FontWeight.W_600),
                    ft.Text(subtitle, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
                spacing=0,
                tight=True,
            )
        )

    def _nav_bar(self, index: int) -> ft.NavigationBar:
        return ft.NavigationBar(
            selected_index=index,
            destinations=[
                ft.NavigationBarDestination(
                    icon=ft.Icons.LIST_ALT_OUTLINED, selected_icon=ft.Icons.LIST_ALT, label="Orders"
                ),
                ft.NavigationBarDestination(
                    icon=ft.Icons.INSIGHTS_OUTLINED,
                    selected_icon=ft.Icons.INSIGHTS,
                    label="Metrics",
                ),
                ft.NavigationBarDestination(
                    icon=ft.Icons.SETTINGS_OUTLINED,
                    selected_icon=ft.Icons.SETTINGS,
                    label="Settings",
                ),
            ],
            on_change=self._nav_changed,
        )

    def _nav_changed(self, e: ft.Event[Any]) -> None:
        index = e.control.selected_index
        self.app.navigate(NAV_ROUTES[index] if 0 <= index < len(NAV_ROUTES) else routes.ORDERS)


def _nav_index(route: Route) -> int:
    """The navigation destination a route belongs to (an order belongs to Orders)."""
    screens = [r.screen for r in NAV_ROUTES]
    return screens.index(route.screen) if route.screen in screens else 0


def _rail_destinations() -> list[ft.NavigationRailDestination]:
    return [
        ft.NavigationRailDestination(
            icon=ft.Icons.LIST_ALT_OUTLINED, selected_icon=ft.Icons.LIST_ALT, label="Orders"
        ),
        ft.NavigationRailDestination(
            icon=ft.Icons.INSIGHTS_OUTLINED, selected_icon=ft.Icons.INSIGHTS, label="Metrics"
        ),
        ft.NavigationRailDestination(
            icon=ft.Icons.SETTINGS_OUTLINED, selected_icon=ft.Icons.SETTINGS, label="Settings"
        ),
    ]
