"""The app shell: routes, the sign-in gate, the session, and which layout shows them.

After sign-in the shell opens the person's device store (:class:`~mobile.workspace.Workspace`,
see :mod:`mobile.storage` for where it lives) and starts syncing it; the screens read that
store only. Sign-out and the end of the app's session close it; the file stays.
The phone and tablet layouts themselves are in :mod:`mobile.views.layout`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import flet as ft

from mobile import browser_runtime, routes
from mobile import theme as looks
from mobile.claims import Claims
from mobile.prefs import Preferences
from mobile.push import port_for
from mobile.routes import OrderStep, Route, Screen
from mobile.session import Session, SessionKeeper
from mobile.storage import served_store_dir, store_path
from mobile.sync import SyncStatus
from mobile.sync.transport import Transport
from mobile.viewmodels.metrics import MetricsViewModel, RestMetricsSource
from mobile.viewmodels.notify import NotifyViewModel
from mobile.viewmodels.order_detail import OrderDetailViewModel
from mobile.viewmodels.orders import OrdersViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.views.layout import Layout
from mobile.views.prefs import FletPreferences
from mobile.views.settings import THEME_MODES
from mobile.views.signin import SignInScreen
from mobile.views.sync import SignOutDialog, SyncPanel
from mobile.workspace import Workspace

THEME_KEY = "shipfloor.theme"

log = logging.getLogger("shipfloor.app")


class SignedIn:
    """What exists only while someone is signed in: the session, the device store, view models."""

    def __init__(self, app: ShipfloorApp, session: Session, workspace: Workspace) -> None:
        self.session = session
        self.workspace = workspace
        self.orders = OrdersViewModel(workspace, session.calendar)
        self.detail = OrderDetailViewModel(workspace, session.calendar)
        self.sync = SyncViewModel(workspace, session.calendar)
        # Owners and staff alike: the figures are the whole team's work (read-only, online).
        self.metrics = MetricsViewModel(RestMetricsSource(session.api))
        # Settings → "Notify me of new orders"; its sign-out hook removes the subscription.
        port = port_for(browser_runtime.in_browser(), served=bool(app.page.web))
        self.notify = NotifyViewModel.for_session(session, app.prefs, port)
        self._unwatch = workspace.watch_status(app.check_session)
        # Who is on which order ("I'm picking this"): asked as the app syncs, while online.
        self.claims = Claims(session.api, session.user.id)
        self._unwatch_claims = workspace.watch_status(self._synced)
        # In the browser: the Wi-Fi coming back syncs at once instead of after the backoff.
        self._unwatch_network = browser_runtime.watch_connectivity(workspace.set_online)

    def _synced(self, status: SyncStatus) -> None:
        if status.online:
            self.claims.refresh_soon()

    async def close(self) -> None:
        """Stop syncing, close the device store (the file stays) and the connections."""
        self._unwatch()
        self._unwatch_claims()
        self._unwatch_network()
        self.claims.close()
        self.orders.dispose()
        self.detail.dispose()
        self.sync.dispose()
        self.notify.dispose()
        try:
            await self.workspace.close()
        finally:
            await self.session.api.aclose()


class ShipfloorApp:
    """One running app (one per browser tab when served): its routes, session and layout."""

    def __init__(self, page: ft.Page, prefs: Preferences | None = None) -> None:
        self.page = page
        self.prefs = prefs or FletPreferences()
        in_browser = browser_runtime.in_browser()
        # In the PWA, Python runs in the browser: HTTP goes through its fetch (no httpx),
        # and the server is the origin the app was loaded from.
        self.keeper = SessionKeeper(
            self.prefs, transport_factory=browser_runtime.api_transport if in_browser else None
        )
        page_url = browser_runtime.page_origin() if in_browser else _page_url(page)
        self.signin = SignInViewModel(self.keeper, page_url=page_url)
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
        #: where device stores live (one file per device and person, see mobile.storage)
        self.store_dir: Path = served_store_dir()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._was_online = True

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
        page.on_connect = self._connected
        page.on_close = self._closed
        self.store_dir = await _store_dir(page)
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
            if route.step is not None and self.layout:
                await self.layout.steps.focus(route.step)
            if route.screen is Screen.METRICS and changed:
                await self.signed_in.metrics.load()  # fresh figures each time it is opened

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

    def open_step(self, step: OrderStep) -> None:
        """Show a work step (pick, inspect & pack, ship) of the open order."""
        if self.route is not None and self.route.order_id:
            self.navigate(routes.order_step(self.route.order_id, step))

    async def launch_url(self, url: str) -> None:
        """Open a document link in a new browser tab (the phone's viewer natively)."""
        await ft.UrlLauncher().launch_url(url, web_only_window_name="_blank")

    def close_order(self) -> None:
        """Back to the list alone."""
        self.navigate(routes.ORDERS)

    async def sync_now(self) -> None:
        """Sync with the server now; the screens follow when changes arrive."""
        if self.signed_in is not None:
            self.signed_in.workspace.sync_now()

    def show_sync(self) -> None:
        """Open the sync panel: the state in full, refused changes and conflicts."""
        if self.signed_in is None:
            return
        panel = SyncPanel(self.signed_in.sync, self._close_dialog, self.redraw)
        self.page.show_dialog(panel.dialog)

    # ----------------------------------------------------------------- session

    async def _signed_in(self, session: Session) -> None:
        self._enter(session)
        await self.go(self.after_sign_in)

    def _enter(self, session: Session) -> None:
        path = store_path(self.store_dir, session.device_id, session.user.id)
        workspace = Workspace.open(
            path,
            device_id=session.device_id,
            user=session.user,
            transport=_sync_transport(session.server),
            tokens=session.tokens,
        )
        if browser_runtime.in_browser():
            browser_runtime.attach(workspace.store)  # keep the IDBFS copy after each commit
        self.signed_in = SignedIn(self, session, workspace)
        # On a new store the first cycle is the initial sync (open work first); the list
        # shows its progress and fills in as pages arrive.
        workspace.start()
        self._spawn(self.signed_in.orders.load())
        self._spawn(self.signed_in.notify.start())  # also sends a removal left from last time

    async def sign_out(self) -> None:
        """Sign out, after asking when changes made here are still waiting to sync."""
        signed_in = self.signed_in
        if signed_in is not None and not signed_in.sync.ask_sign_out():
            dialog = SignOutDialog(
                signed_in.sync, self._sign_out_now, self._close_dialog, self.redraw
            )
            self.page.show_dialog(dialog.dialog)
            return
        await self._sign_out_now()

    async def _sign_out_now(self) -> None:
        """Forget the session on this device and show sign-in (the device store stays)."""
        await self.signin.sign_out()
        await self._leave()
        self.after_sign_in = routes.ORDERS
        await self.go(routes.LOGIN)

    def check_session(self, status: SyncStatus) -> None:
        """When the server ends the session, go back to sign-in (then to the same place).

        Changes still waiting stay in the device store and are sent after the next sign-in.
        """
        if self.signed_in is not None and status.sign_in_required:
            self._spawn(self._session_ended())
            return
        # Back online: slips and labels printed offline open now.
        if status.online and not self._was_online and self.layout is not None:
            self._spawn(self._print_waiting())
        self._was_online = status.online

    async def _print_waiting(self) -> None:
        if self.layout is not None:
            await self.layout.steps.network_back()

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
        # The phone's back arrow: from a work step to its order, from an order to the list.
        route = self.route
        if route is not None and route.step is not None and route.order_id:
            await self.go(routes.order(route.order_id))
        else:
            await self.go(routes.ORDERS)

    async def _resized(self, e: ft.PageResizeEvent) -> None:
        wide = e.width >= looks.WIDE
        if wide != self.wide:
            self.wide = wide
            self.render()

    async def _disconnected(self) -> None:
        # The tab went away (it may come back within Flet's reconnect window): stop syncing
        # and release pooled connections meanwhile; the store closes when the session ends.
        if self.signed_in is not None:
            await self.signed_in.workspace.pause()
            await self.signed_in.session.api.aclose()

    async def _connected(self) -> None:
        if self.signed_in is not None:
            self.signed_in.workspace.start()

    def _close_dialog(self) -> None:
        self.page.pop_dialog()

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


def _sync_transport(server: str) -> Transport:
    """The sync client's HTTP: the browser's fetch in the PWA, httpx everywhere else."""
    if browser_runtime.in_browser():
        return browser_runtime.sync_transport(server)
    from mobile.transport_httpx import HttpxTransport  # httpx does not run in Pyodide

    return HttpxTransport(server)


async def _store_dir(page: ft.Page) -> Path:
    """Where this app keeps device stores: IDBFS in the PWA, the server's folder when
    served to a browser, the platform's application-support folder natively."""
    if browser_runtime.in_browser():
        return browser_runtime.store_dir()
    if page.web:
        return served_store_dir()
    support = await ft.StoragePaths().get_application_support_directory()
    return Path(support) / "devices"


def _page_url(page: ft.Page) -> str | None:
    try:
        return page.url
    except RuntimeError:  # no session (a page built outside a connection)
        return None
