"""The app shell: routes, the sign-in gate, the session, and which layout shows them.

The phone and tablet layouts themselves are in :mod:`mobile.views.layout`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import flet as ft

from mobile import routes
from mobile import theme as looks
from mobile.prefs import Preferences
from mobile.routes import Route, Screen
from mobile.session import Session, SessionKeeper
from mobile.sources import RestOrderSource
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.orders import OrdersViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.views.layout import Layout
from mobile.views.prefs import FletPreferences
from mobile.views.settings import THEME_MODES
from mobile.views.signin import SignInScreen

THEME_KEY = "shipfloor.theme"

log = logging.getLogger("shipfloor.app")


class SignedIn:
    """What exists only while someone is signed in: the session and its view models."""

    def __init__(self, app: ShipfloorApp, session: Session) -> None:
        self.session = session
        source = RestOrderSource(session.api)
        self.orders = OrdersViewModel(source, session.calendar)
        self.detail = OrderDetailViewModel(source, session.calendar)
        self.orders.subscribe(app.check_session)
        self.detail.subscribe(app.check_session)

    async def close(self) -> None:
        """Stop pending work and release the connection."""
        self.orders.dispose()
        await self.session.api.aclose()


class ShipfloorApp:
    """One running app (one per browser tab when served): its routes, session and layout."""

    def __init__(self, page: ft.Page, prefs: Preferences | None = None) -> None:
        self.page = page
        self.prefs = prefs or FletPreferences()
        self.keeper = SessionKeeper(self.prefs)
        self.signin = SignInViewModel(self.keeper, page_url=_page_url(page))
        self.signin_screen = SignInScreen(self.signin, self._signed_in, self.redraw)
        self.login_view = ft.View(
            route="/login",
            padding=0,
            controls=[self.signin_screen.root],
            vertical_alignment=ft.MainAxisAlignment.CENTER,
        )
        self.signed_in: SignedIn | None = None
        self.layout: Layout | None = None
        self.route: Route | None = None
        self.after_sign_in: Route = routes.ORDERS
        self.theme_mode = "system"
        self.wide = (page.width or 0) >= looks.WIDE
        self._tasks: set[asyncio.Task[Any]] = set()

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Theme, events, the remembered session, then the screen the URL names."""
        page = self.page
        page.title = "Shipfloor"
        looks.apply(page)
        self.theme_mode = await self.prefs.get(THEME_KEY) or "system"
        page.theme_mode = THEME_MODES.get(self.theme_mode, ft.ThemeMode.SYSTEM)
        page.on_route_change = self._route_changed
        page.on_view_pop = self._view_popped
        page.on_resize = self._resized
        page.on_disconnect = self._disconnected
        page.on_close = self._closed
        page.views.clear()
        page.views.append(_splash())
        page.update()
        session = await self.signin.restore()
        if session is not None:
            self._enter(session)
        await self.go(routes.parse(page.route))

    async def go(self, wanted: Route) -> None:
        """Show a route, via sign-in when it needs a session."""
        route = wanted
        if route.needs_session and self.signed_in is None:
            self.after_sign_in = route
            route = routes.LOGIN
        elif route.screen is Screen.LOGIN and self.signed_in is not None:
            route = self.after_sign_in
        changed = route != self.route
        self.route = route
        if changed:
            self.render()
        if self.page.route != route.path:
            await self.page.push_route(route.path)
        if self.signed_in is not None:
            detail = self.signed_in.detail
            if route.order_id and route.order_id != detail.order_id:
                await detail.load(route.order_id)
            elif route.screen is Screen.ORDERS and not route.order_id and detail.order_id:
                detail.close()
            if route.order_id is None and route.screen is Screen.ORDERS and self.layout:
                await self.layout.orders.focus_scan()

    def render(self) -> None:
        """Put the views of the current route and layout on the page."""
        route = self.route or routes.LOGIN
        if route.screen is Screen.LOGIN or self.signed_in is None:
            views = [self.login_view]
        else:
            if self.layout is None or self.layout.wide != self.wide:
                if self.layout is not None:
                    self.layout.dispose()
                self.layout = Layout(self, self.signed_in, self.wide)
            views = self.layout.views(route)
        # Identity, not ==: controls are dataclasses and == would compare whole trees.
        if [id(v) for v in self.page.views] != [id(v) for v in views]:
            self.page.views.clear()
            self.page.views.extend(views)
        self.redraw()

    def redraw(self) -> None:
        """Send the changed controls to the client."""
        self.page.update()

    # ------------------------------------------------------------ navigation

    def navigate(self, route: Route) -> None:
        """Go to a route (from a click)."""
        self._spawn(self.go(route))

    def open_order(self, order_id: str) -> None:
        """Show one order (from the list or a scan)."""
        self.navigate(routes.order(order_id))

    def close_order(self) -> None:
        """Back to the list alone."""
        self.navigate(routes.ORDERS)

    async def sync_now(self) -> None:
        """Reload the list (and the open order) from the server."""
        if self.signed_in is None:
            return
        work = [self.signed_in.orders.refresh()]
        if self.signed_in.detail.order_id:
            work.append(self.signed_in.detail.load(self.signed_in.detail.order_id))
        await asyncio.gather(*work)

    # ----------------------------------------------------------------- session

    async def _signed_in(self, session: Session) -> None:
        self._enter(session)
        await self.go(self.after_sign_in)

    def _enter(self, session: Session) -> None:
        self.signed_in = SignedIn(self, session)
        self._spawn(self.signed_in.orders.load())

    async def sign_out(self) -> None:
        """Forget the session on this device and show sign-in."""
        await self.signin.sign_out()
        await self._leave()
        self.after_sign_in = routes.ORDERS
        await self.go(routes.LOGIN)

    def check_session(self) -> None:
        """When the server ends the session, go back to sign-in (then to the same place)."""
        signed_in = self.signed_in
        if signed_in and (signed_in.orders.signed_out or signed_in.detail.signed_out):
            self._spawn(self._session_ended())

    async def _session_ended(self) -> None:
        if self.signed_in is None:
            return
        target = self.route or routes.ORDERS
        await self.signin.sign_out()
        self.signin.error = "Your session has ended: please sign in again."
        await self._leave()
        self.after_sign_in = target
        await self.go(routes.LOGIN)

    async def _leave(self) -> None:
        if self.layout is not None:
            self.layout.dispose()
            self.layout = None
        if self.signed_in is not None:
            await self.signed_in.close()
            self.signed_in = None

    async def set_theme(self, mode: str) -> None:
        """System, light or dark; remembered on this device."""
        self.theme_mode = mode
        self.page.theme_mode = THEME_MODES.get(mode, ft.ThemeMode.SYSTEM)
        await self.prefs.set(THEME_KEY, mode)
        self.redraw()

    # ------------------------------------------------------------------ events

    async def _route_changed(self, e: ft.RouteChangeEvent) -> None:
        await self.go(routes.parse(e.route))

    async def _view_popped(self, e: ft.ViewPopEvent) -> None:
        # The phone's back arrow on an order: back to the list.
        await self.go(routes.ORDERS)

    async def _resized(self, e: ft.PageResizeEvent) -> None:
        wide = e.width >= looks.WIDE
        if wide != self.wide:
            self.wide = wide
            self.render()

    async def _disconnected(self) -> None:
        # The tab went away (it may come back): release pooled connections meanwhile; the
        # transport opens new ones on the next request.
        if self.signed_in is not None:
            await self.signed_in.session.api.aclose()

    async def _closed(self) -> None:
        await self._leave()
        self.signin_screen.dispose()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        # Keep a reference: the loop holds tasks only weakly.
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("app task failed", exc_info=task.exception())


def _splash() -> ft.View:
    """What shows while the remembered session is checked (a moment)."""
    return ft.View(
        route="/",
        vertical_alignment=ft.MainAxisAlignment.CENTER,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.Icon(ft.Icons.INVENTORY_2_OUTLINED, size=48, color=ft.Colors.PRIMARY),
            ft.Text("Shipfloor", size=28, weight=ft.FontWeight.BOLD),
            ft.ProgressRing(width=28, height=28),
        ],
    )


def _page_url(page: ft.Page) -> str | None:
    try:
        return page.url
    except RuntimeError:  # no session (a page built outside a connection)
        return None
