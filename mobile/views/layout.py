"""The two layouts around the screens: phones (narrow) and tablets or desks (wide).

Phones get one column with a bottom navigation bar, and an order opens as its own page on
top of the list. From :data:`mobile.theme.WIDE` px on, a navigation rail sits on the left
and the order opens beside the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from mobile import routes
from mobile import theme as looks
from mobile.routes import Route, Screen
from mobile.views.order_detail import OrderDetailPanel
from mobile.views.orders import OrdersPanel
from mobile.views.settings import SettingsPanel

if TYPE_CHECKING:
    from mobile.views.shell import ShipfloorApp, SignedIn

LIST_WIDTH = 440


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
        )
        self.settings = SettingsPanel(
            signed_in.session, app.theme_mode, app.set_theme, app.sign_out, show_title=wide
        )
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
                    ft.Row(
                        expand=True,
                        spacing=0,
                        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                        controls=[self.rail, ft.VerticalDivider(width=1), self.body],
                    )
                ],
            )
        else:
            self.orders_view = ft.View(
                route="/orders",
                padding=0,
                spacing=0,
                appbar=self._appbar("Orders", signed_in.session.vendor.name),
                controls=[self.orders.root],
                navigation_bar=self._nav_bar(0),
            )
            self.settings_view = ft.View(
                route="/settings",
                padding=0,
                appbar=ft.AppBar(title=ft.Text("Settings")),
                controls=[self.settings.root],
                navigation_bar=self._nav_bar(1),
            )
            self.detail_view = ft.View(
                route="/orders",
                padding=0,
                appbar=ft.AppBar(title=self.detail_title),
                controls=[self.detail.root],
            )

    def views(self, route: Route) -> list[ft.View]:
        """The stack of views that shows ``route``."""
        if self.wide:
            self.rail.selected_index = 1 if route.screen is Screen.SETTINGS else 0
            self.body.content = (
                self.settings.root if route.screen is Screen.SETTINGS else self.list_and_detail
            )
            self.main.route = route.path
            self.orders.select(route.order_id)
            return [self.main]
        if route.screen is Screen.SETTINGS:
            return [self.settings_view]
        if route.order_id:
            self.detail_view.route = route.path
            return [self.orders_view, self.detail_view]
        return [self.orders_view]

    def dispose(self) -> None:
        """Stop listening to the view models."""
        self._unsubscribe()
        self.orders.dispose()
        self.detail.dispose()
        self.settings.dispose()

    def _detail_changed(self) -> None:
        self.detail_title.value = self.detail_vm.title

    def _appbar(self, title: str, subtitle: str) -> ft.AppBar:
        return ft.AppBar(
            title=ft.Column(
                [
                    ft.Text(title, size=20, weight=ft.FontWeight.W_600),
                    ft.Text(subtitle, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
                spacing=0,
                tight=True,
            ),
            actions=[
                ft.TextButton(
                    "Sync now",
                    icon=ft.Icons.SYNC,
                    height=looks.TOUCH,
                    on_click=self.app.sync_now,
                ),
                ft.Container(width=8),
            ],
        )

    def _nav_bar(self, index: int) -> ft.NavigationBar:
        return ft.NavigationBar(
            selected_index=index,
            destinations=[
                ft.NavigationBarDestination(
                    icon=ft.Icons.LIST_ALT_OUTLINED, selected_icon=ft.Icons.LIST_ALT, label="Orders"
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
        self.app.navigate(routes.SETTINGS if index == 1 else routes.ORDERS)


def _rail_destinations() -> list[ft.NavigationRailDestination]:
    return [
        ft.NavigationRailDestination(
            icon=ft.Icons.LIST_ALT_OUTLINED, selected_icon=ft.Icons.LIST_ALT, label="Orders"
        ),
        ft.NavigationRailDestination(
            icon=ft.Icons.SETTINGS_OUTLINED, selected_icon=ft.Icons.SETTINGS, label="Settings"
        ),
    ]
