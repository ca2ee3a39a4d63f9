"""The pick, inspect & pack and ship screens' view models over a real device store file.

Orders reach the store as a pull would file them (built by the lifecycle rules of
``shared/``); every action goes through ``Store.record`` into the outbox. The last test
runs a device against the real server on 127.0.0.1 and prints through HTTP.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from msgspec import structs

from mobile import routes
from mobile.feedback import Cue, tone_wav
from mobile.routes import OrderStep, Screen
from mobile.store import Store
from mobile.sync import SyncClient
from mobile.viewmodels.steps import (
    DocumentUnavailable,
    PackViewModel,
    PickViewModel,
    PrintQueue,
    ShipViewModel,
)
from mobile.views.steps import StepScreens
from mobile.wire import OrderDetail
from shared import commands as c
from shared.types import Order, OrderLine, OrderStatus
from tests.builders import UPS_TRACKING, new_order, processing, ready_to_ship, run
from tests.mobile.devices import open_device, seed_orders, seller, sessions
from tests.mobile.helpers import Clock, pull
from tests.support import ServerThread, Tenant

MUG = "4006381333931"  # line L1: MUG-1, 2 ordered
TOTE = "4006381333948"  # line L2: TOTE-2, 1 ordered
DEMO_TRACKING = "SFD0123456789"


class RecordingFeedback:
    """Our :class:`mobile.feedback.Feedback` interface, keeping the cues it was asked for."""

    def __init__(self) -> None:
        self.cues: list[Cue] = []

    async def cue(self, cue: Cue) -> None:
        """Remember the cue."""
        self.cues.append(cue)


class ShelfPrinter:
    """Our :class:`DocumentOpener` interface: "opens" documents while ``online``."""

    def __init__(self, online: bool = True) -> None:
        self.online = online
        self.opened: list[tuple[str, str]] = []
        self.fail_next = False

    async def open_packing_slip(self, order_id: str) -> None:
        """Open a slip (or fail once when told to)."""
        self._open("slip", order_id)

    async def open_label(self, order_id: str) -> None:
        """Open a label."""
        self._open("label", order_id)

    def _open(self, what: str, order_id: str) -> None:
        if self.fail_next:
            self.fail_next = False
            raise DocumentUnavailable("the server did not answer")
        self.opened.append((what, order_id))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A device store on disk, signed in as a staff member."""
    s = Store(tmp_path / "device.db", device_id="device-A", clock=Clock())
    s.set_user("user-1", "Sid Staff", "vendor-1")
    yield s
    s.close()


def with_bins(order: Order) -> Order:
    """The builders' order with a bin location and a name on the mug line."""
    lines = list(order.lines)
    lines[0] = structs.replace(lines[0], bin_location="A-01-2", name="Ceramic mug")
    return structs.replace(order, lines=lines)


def picker(store: Store, order: Order, feedback: RecordingFeedback | None = None) -> PickViewModel:
    """The pick screen on ``order`` (filed in the store first)."""
    pull(store, order)
    vm = PickViewModel(store, feedback=feedback)
    assert vm.load(order.id), vm.error
    return vm


def line(vm: PickViewModel, line_id: str) -> OrderLine:
    """One line of the order as the device shows it now."""
    order = store_order(vm.store, vm.order_id or "")
    return next(ln for ln in order.lines if ln.id == line_id)


def store_order(store: Store, order_id: str) -> Order:
    """The order as the device store holds it (its view)."""
    order = store.order(order_id)
    assert order is not None
    return order


# ---------------------------------------------------------------- routes


def test_each_step_of_an_order_has_its_own_route_and_deep_link() -> None:
    for step in OrderStep:
        route = routes.order_step("0b5e-41", step)
        assert route.path == f"/orders/0b5e-41/{step.value}"
        assert routes.parse(route.path) == route
        assert route.screen is Screen.ORDERS and route.needs_session
    assert routes.parse("/orders/0b5e-41/nonsense") == routes.order("0b5e-41")
    assert routes.parse("/orders/0b5e-41").step is None


def test_each_cue_has_a_short_playable_tone() -> None:
    for cue in Cue:
        with wave.open(io.BytesIO(tone_wav(cue))) as wav:
            seconds = wav.getnframes() / wav.getframerate()
            assert wav.getnchannels() == 1 and 0.05 < seconds < 2.0
    # the wrong-item tone is the long one: it has to be noticed
    assert len(tone_wav(Cue.WRONG)) > len(tone_wav(Cue.COMPLETE)) > len(tone_wav(Cue.COUNTED))


# ---------------------------------------------------------------- pick


async def test_a_matching_scan_counts_one_unit_and_queues_it_for_sync(store: Store) -> None:
    feedback = RecordingFeedback()
    recorded: list[str] = []
    pull(store, with_bins(processing()))
    vm = PickViewModel(store, feedback=feedback, on_recorded=lambda: recorded.append("x"))
    vm.load("order-1")
    mug = vm.lines[0]
    assert mug.where == "Bin A-01-2 · MUG-1" and vm.lines[1].where == "Bin unknown · TOTE-2"
    assert mug.progress == "0 / 2 picked" and vm.progress == "0 of 3 items picked"

    assert await vm.scan(f" {MUG}\n")
    assert vm.lines[0].progress == "1 / 2 picked" and vm.progress == "1 of 3 items picked"
    assert vm.last_line_id == "L1" and vm.message == "Ceramic mug: 1 / 2 picked."
    assert line(vm, "L1").picked == 1  # in the store's view, not only on screen
    assert store.pending_count() == 1 and recorded == ["x"]
    assert vm.waiting_to_sync == "1 change waiting to sync"
    assert feedback.cues == [Cue.COUNTED]
    assert vm.alert is None and not vm.complete


async def test_a_typed_quantity_counts_that_many_and_then_scans_count_one_again(
    store: Store,
) -> None:
    vm = picker(store, processing())
    assert vm.set_quantity("2")
    assert await vm.scan("mug-1")  # the SKU, typed, any case
    assert line(vm, "L1").picked == 2 and vm.quantity == 1
    assert vm.lines[0].done

    assert not vm.set_quantity("0") and vm.quantity_error
    assert not vm.set_quantity("abc")
    assert vm.quantity_error == "Quantity: a whole number from 1 to 999."
    assert not await vm.scan(TOTE)  # nothing counted while the quantity is wrong
    assert line(vm, "L2").picked == 0 and store.pending_count() == 1
    assert vm.set_quantity("")  # cleared: back to one per scan
    assert await vm.scan(TOTE) and line(vm, "L2").picked == 1


async def test_a_wrong_item_raises_an_alert_that_stays_and_blocks_scans_until_acknowledged(
    store: Store,
) -> None:
    feedback = RecordingFeedback()
    vm = picker(store, processing(), feedback)
    assert not await vm.scan("5012345678900")
    assert vm.alert is not None and vm.alert.code == "wrong_item"
    assert vm.alert.title == "Wrong item"
    assert "5012345678900 is not on order SF10001" in vm.alert.detail
    assert feedback.cues == [Cue.WRONG]
    assert store.pending_count() == 0  # nothing recorded

    # A right item scanned while the alert is up does not count, and the alert stays.
    assert not await vm.scan(MUG)
    assert line(vm, "L1").picked == 0 and vm.alert.code == "wrong_item"
    assert vm.scan_refusal == "Acknowledge the alert first: wrong item."
    assert vm.count_action(vm.lines[0]).enabled is False
    assert feedback.cues == [Cue.WRONG, Cue.WRONG]

    await vm.acknowledge()
    assert vm.alert is None and vm.scan_refusal is None
    assert await vm.scan(MUG) and line(vm, "L1").picked == 1


async def test_over_picking_a_complete_line_is_refused_with_an_alert(store: Store) -> None:
    feedback = RecordingFeedback()
    vm = picker(store, with_bins(processing()), feedback)
    assert await vm.scan(TOTE)
    assert not await vm.scan(TOTE)
    assert vm.alert is not None and vm.alert.code == "over_pick" and vm.alert.title == "Too many"
    assert "TOTE-2 needs 1 and 1 are already picked" in vm.alert.detail
    assert line(vm, "L2").picked == 1 and store.pending_count() == 1
    await vm.acknowledge()
    # A typed quantity beyond what is left is an over-pick too.
    assert not await vm.count("L1", 3)
    assert vm.alert is not None and vm.alert.code == "over_pick"
    assert "Ceramic mug needs 2 and 0 are already picked" in vm.alert.detail
    assert feedback.cues == [Cue.COUNTED, Cue.WRONG, Cue.WRONG]


async def test_a_unit_can_be_put_back_but_not_below_zero(store: Store) -> None:
    vm = picker(store, processing())
    assert vm.put_back_action(vm.lines[0]).reason == "Nothing picked to put back."
    assert await vm.count("L1", 2)
    assert await vm.put_back("L1")
    assert line(vm, "L1").picked == 1 and vm.message == "1 unit put back."
    assert await vm.put_back("L1")
    assert not await vm.put_back("L1")
    assert vm.problem == "MUG-1: only 0 picked." and vm.alert is None


async def test_out_of_stock_on_a_line_puts_the_order_on_hold(store: Store) -> None:
    vm = picker(store, processing())
    assert await vm.scan(MUG)
    tote = vm.lines[1]
    assert vm.short_action(tote).enabled
    assert await vm.mark_short("L2")
    assert vm.on_hold and vm.order is not None and vm.order.status is OrderStatus.ON_HOLD
    assert vm.message == (
        "TOTE-2: reported out of stock. The order is on hold until it is resolved with the customer."
    )
    assert vm.lines[1].progress == "0 / 1 picked, 1 out of stock"
    # Picking stops while the order is on hold, and the screen says why.
    assert vm.scan_refusal == "Cannot pick: the order is On hold; this needs Processing."
    assert not await vm.scan(MUG)
    assert vm.alert is not None and vm.alert.title == "Cannot pick this order now"
    await vm.acknowledge()
    short = vm.short_action(vm.lines[1])
    assert not short.enabled
    assert short.reason == "Every unit of this item is picked or already reported."
    assert [m.command for m in store.outbox_batch(10)][-1] == c.MarkShort(line_id="L2")


async def test_the_pick_step_completes_when_every_line_is_picked(store: Store) -> None:
    feedback = RecordingFeedback()
    vm = picker(store, processing(), feedback)
    go_on = vm.continue_action
    assert go_on.label == "Continue to inspect & pack"
    assert not go_on.enabled and go_on.reason == "Pick every item first (3 still to pick)."
    assert vm.next_step is None
    await vm.scan(MUG)
    await vm.scan(MUG)
    assert not vm.complete
    await vm.scan(TOTE)
    assert vm.complete and vm.message == "Every item is picked."
    assert vm.continue_action.enabled and vm.next_step is OrderStep.PACK
    assert feedback.cues[-1] is Cue.COMPLETE
    assert [(r.label, r.done) for r in vm.checklist] == [
        ("Every item picked", True),
        ("Quality inspected", False),
        ("Packed", False),
        ("Packing slip printed", False),
    ]


async def test_picking_a_new_order_is_disabled_with_the_lifecycle_reason(store: Store) -> None:
    vm = picker(store, new_order())
    assert vm.scan_refusal == "Cannot pick: the order is New; this needs Processing."
    assert vm.count_action(vm.lines[0]).reason == vm.scan_refusal
    assert not vm.count_action(vm.lines[0]).enabled
    assert not vm.complete and store.pending_count() == 0


def test_an_order_not_on_the_device_says_so(store: Store) -> None:
    vm = PickViewModel(store)
    assert not vm.load("no-such-order")
    assert vm.error == "This order is not on this device yet: sync, then try again."
    assert vm.lines == [] and vm.scan_refusal == "The order is not loaded."


# ---------------------------------------------------------------- inspect & pack


def packer(store: Store, order: Order, printer: ShelfPrinter) -> PackViewModel:
    """The inspect & pack screen on ``order``."""
    pull(store, order)
    vm = PackViewModel(store, printer)
    assert vm.load(order.id), vm.error
    return vm


async def test_inspection_waits_for_picking_and_packing_waits_for_inspection(
    store: Store,
) -> None:
    vm = packer(store, processing(), ShelfPrinter())
    assert vm.inspect_action.reason == "Pick every item first (3 still to pick)."
    assert vm.pack_action.reason == "Inspect the items before packing."
    assert not await vm.inspect()
    assert vm.problem == "Pick every item first (3 still to pick)."
    assert store.pending_count() == 0


async def test_package_type_and_weight_are_checked_with_their_units(store: Store) -> None:
    picked = run(processing(), c.Pick(line_id="L1", quantity=2), c.Pick(line_id="L2"))
    vm = packer(store, picked, ShelfPrinter())
    assert await vm.inspect() and vm.message == "Inspection recorded."
    assert vm.pack_action.enabled  # nothing typed yet: no complaints before the first try

    assert not await vm.pack()
    assert vm.problem == "Package: choose or type the package type."
    assert vm.pack_action.reason == vm.problem
    vm.set_package_type("Small box")
    assert not await vm.pack()
    assert vm.problem == "Weight: enter the package's weight in g."
    vm.set_weight("heavy", "kg")
    assert vm.weight_problem == "Weight: 'heavy' is not a number; enter it in kg, e.g. 850."
    vm.set_weight("0")
    assert vm.weight_problem == "Weight: must be more than 0."
    vm.set_weight("2000")
    assert vm.weight_problem == "Weight: at most 1,000 kg."
    vm.set_weight("0.3", "g")
    assert vm.weight_problem == "Weight: must be at least 1 g."
    vm.set_weight("1,25", "kg")
    assert vm.weight_problem is None and vm.weight_preview == "= 1.25 kg"
    vm.set_weight("2", "lb")
    assert vm.weight_grams == 907 and vm.weight_preview == "= 907 g"
    with pytest.raises(ValueError):
        vm.set_weight("2", "stone")

    assert await vm.pack()
    assert vm.message == "Packed: Small box, 907 g."
    package = store_order(store, "order-1").package
    assert package is not None and (package.package_type, package.weight_grams) == (
        "Small box",
        907,
    )
    assert [(r.label, r.done) for r in vm.checklist][1:3] == [
        ("Quality inspected", True),
        ("Packed", True),
    ]


async def test_offline_the_slip_step_is_recorded_and_the_print_waits_for_the_network(
    store: Store, tmp_path: Path
) -> None:
    printer = ShelfPrinter(online=False)
    packed = run(processing(), *[c.Pick(line_id="L1", quantity=2), c.Pick(line_id="L2")])
    packed = run(packed, c.Inspect(), c.Pack(package_type="Small box", weight_grams=900))
    vm = packer(store, packed, printer)
    assert vm.continue_action.reason == "Finish processing first: packing slip printed."

    assert await vm.print_slip()
    order = store_order(store, "order-1")
    assert order.slip_printed_at is not None and order.status is OrderStatus.READY_TO_SHIP
    assert printer.opened == []
    assert vm.slip_waiting and vm.waiting_prints == ["Packing slip"]
    assert vm.slip_status == "Packing slip recorded; it prints when the network is back."
    assert vm.message == "Packing slip recorded: waiting for the network."
    assert vm.complete and vm.continue_action.enabled and vm.next_step is OrderStep.SHIP

    # The waiting print survives a restart of the app (it is kept in the store file).
    again = Store(tmp_path / "device.db")
    try:
        assert [p.order_id for p in PrintQueue(again).pending()] == ["order-1"]
    finally:
        again.close()

    # Still offline: nothing opens. The network comes back: the slip prints, once.
    assert await vm.network_back() == 0
    printer.online = True
    assert await vm.network_back() == 1
    assert printer.opened == [("slip", "order-1")]
    assert not vm.slip_waiting and vm.slip_status == ""
    assert await vm.network_back() == 0 and printer.opened == [("slip", "order-1")]
    # The step was recorded once; a reprint opens the PDF again and records nothing.
    assert [m.command for m in store.outbox_batch(10)].count(c.PrintSlip()) == 1
    assert vm.slip_action.label == "Print packing slip again"
    assert await vm.print_slip()
    assert printer.opened == [("slip", "order-1")] * 2
    assert [m.command for m in store.outbox_batch(10)].count(c.PrintSlip()) == 1


async def test_a_print_that_fails_online_waits_like_an_offline_one(store: Store) -> None:
    printer = ShelfPrinter(online=True)
    vm = packer(store, processing(), printer)
    printer.fail_next = True
    assert await vm.print_slip()
    assert vm.slip_waiting and printer.opened == []
    assert await vm.network_back() == 1 and printer.opened == [("slip", "order-1")]


# ---------------------------------------------------------------- ship


def shipper(store: Store, order: Order, printer: ShelfPrinter) -> ShipViewModel:
    """The ship screen on ``order``."""
    pull(store, order)
    vm = ShipViewModel(store, printer)
    assert vm.load(order.id), vm.error
    return vm


@pytest.mark.parametrize(
    ("carrier", "good", "bad"),
    [
        ("ups", "1Z999AA10123456784", "1Z999"),
        ("usps", "9400111899223197428490", "94001118992231974284901234"),
        ("fedex", "123456789012", "12345678901"),
        ("dhl", "1234567890", "JJD12"),
        ("demo", "sfd-0123-456789", "SFD12345"),
    ],
)
def test_the_tracking_number_is_checked_against_the_chosen_carrier(
    store: Store, carrier: str, good: str, bad: str
) -> None:
    vm = shipper(store, ready_to_ship(), ShelfPrinter())
    vm.choose_carrier(carrier)
    vm.set_tracking(good)
    assert vm.tracking_error is None
    vm.set_tracking(bad)
    error = vm.tracking_error
    assert error is not None
    assert error.startswith(f"{bad!r} is not a valid {vm.carrier_label} tracking number.")
    assert vm.format_hint in error


def test_a_number_of_another_carrier_names_that_carrier(store: Store) -> None:
    vm = shipper(store, ready_to_ship(), ShelfPrinter())
    assert vm.carrier == "demo"
    vm.set_tracking(UPS_TRACKING)
    assert vm.suggested_carrier == "ups"
    assert vm.tracking_error is not None
    assert vm.tracking_error.endswith("It looks like a UPS number: choose UPS.")
    vm.use_suggested_carrier()
    assert vm.carrier == "ups" and vm.tracking_error is None
    with pytest.raises(ValueError):
        vm.choose_carrier("pigeon")


async def test_a_scan_on_the_ship_step_fills_the_tracking_number(store: Store) -> None:
    feedback = RecordingFeedback()
    pull(store, ready_to_ship())
    vm = ShipViewModel(store, ShelfPrinter(), feedback=feedback)
    vm.load("order-1")
    assert await vm.scan(" sfd-0123456789 ")
    assert vm.tracking_text == DEMO_TRACKING and vm.problem is None
    assert store.pending_count() == 0  # a scan here counts nothing
    assert not await vm.scan("4006381333931")  # an item's barcode, not a tracking number
    assert vm.problem is not None and "is not a valid Shipfloor Demo Post" in vm.problem
    assert feedback.cues == [Cue.COUNTED, Cue.WRONG]


async def test_label_attach_and_ship_in_order_each_disabled_with_its_reason(
    store: Store,
) -> None:
    feedback = RecordingFeedback()
    printer = ShelfPrinter()
    pull(store, ready_to_ship())
    vm = ShipViewModel(store, printer, feedback=feedback)
    vm.load("order-1")
    assert vm.label_action.enabled
    assert vm.attach_action.reason == "Print the shipping label first."
    assert vm.ship_action.reason == "Attach the shipping label to the package first."

    # The demo carrier's labels come with their number (the server issues it) ...
    assert await vm.print_label() and printer.opened == [("label", "order-1")]
    assert store_order(store, "order-1").carrier == "demo"
    assert vm.label_action.label == "Print label again"
    # ... another carrier's number must be known first: our label shows it.
    vm.choose_carrier("ups")
    label = vm.label_action
    assert not label.enabled
    assert label.reason == "Scan or type the UPS tracking number first: the label shows it."
    assert not await vm.print_label() and vm.problem == label.reason
    assert vm.ship_action.reason == "Attach the shipping label to the package first."
    await vm.scan(UPS_TRACKING)
    assert await vm.print_label() and store_order(store, "order-1").carrier == "ups"
    assert await vm.attach_label() and vm.message == "Label attached."
    vm.set_tracking("")
    assert vm.ship_action.reason == "Scan or type the tracking number first."
    assert not await vm.ship() and vm.problem == "Scan or type the tracking number first."
    vm.set_tracking("1Z999")
    assert not vm.ship_action.enabled and vm.ship_action.reason == vm.tracking_error
    await vm.scan(UPS_TRACKING)
    assert vm.ship_action.enabled
    assert await vm.ship()
    order = store_order(store, "order-1")
    assert order.status is OrderStatus.SHIPPED
    assert (order.carrier, order.tracking_number) == ("ups", UPS_TRACKING)
    assert vm.complete and vm.shipped_text == f"Shipped with UPS · {UPS_TRACKING}"
    assert feedback.cues[-1] is Cue.COMPLETE
    assert vm.ship_action.reason == (
        "Cannot ship again: the order has left with the carrier (handle it as a return)."
    )
    assert [m.command for m in store.outbox_batch(10)] == [
        c.PrintLabel(carrier="demo"),
        c.PrintLabel(carrier="ups", tracking_number=UPS_TRACKING),
        c.AttachLabel(),
        c.Ship(carrier="ups", tracking_number=UPS_TRACKING),
    ]


async def test_an_offline_label_waits_and_carries_a_number_already_scanned(store: Store) -> None:
    printer = ShelfPrinter(online=False)
    vm = shipper(store, ready_to_ship(), printer)
    await vm.scan(DEMO_TRACKING)
    assert await vm.print_label()
    assert vm.label_waiting and vm.message == "Label recorded: waiting for the network."
    assert store.outbox_batch(1)[0].command == c.PrintLabel(
        carrier="demo", tracking_number=DEMO_TRACKING
    )
    printer.online = True
    assert await vm.network_back() == 1 and printer.opened == [("label", "order-1")]
    assert not vm.label_waiting


class SlowPrinter(ShelfPrinter):
    """A printer that takes its time: each document opens once ``go`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.go = asyncio.Event()

    async def open_label(self, order_id: str) -> None:
        """Open a label once let go."""
        self.asked.set()
        await self.go.wait()
        self._open("label", order_id)


async def test_a_label_that_opens_late_does_not_hide_what_was_done_meanwhile(
    store: Store,
) -> None:
    # Opening a label pushes its step first and then fetches the PDF: seconds on a busy
    # network. The person attaches the label meanwhile; that outcome must stay on screen.
    printer = SlowPrinter()
    vm = shipper(store, ready_to_ship(), printer)
    await vm.scan(DEMO_TRACKING)
    printing = asyncio.create_task(vm.print_label())
    await printer.asked.wait()  # recorded, and the PDF is on its way
    assert store_order(store, "order-1").label_printed_at is not None
    assert vm.message == "Label printed."
    assert await vm.attach_label() and vm.message == "Label attached."
    printer.go.set()
    assert await printing
    assert printer.opened == [("label", "order-1")]
    assert vm.message == "Label attached."
    # Nothing else happening: the print says how it went.
    printer.asked.clear()
    printer.go.clear()
    printing = asyncio.create_task(vm.print_label())
    await printer.asked.wait()
    printer.go.set()
    assert await printing and vm.message == "Label printed."


def test_shipping_before_processing_is_done_is_disabled_with_the_reason(store: Store) -> None:
    vm = shipper(store, processing(), ShelfPrinter())
    vm.set_tracking(DEMO_TRACKING)
    assert vm.label_action.reason.startswith("Finish processing first: every item picked")
    assert vm.ship_action.reason == vm.label_action.reason


# ---------------------------------------------------------------- against the real server


class ServerPrinter:
    """Our :class:`DocumentOpener` over real HTTP: pushes the device's steps, fetches the PDF."""

    def __init__(self, sync: SyncClient, client: httpx.AsyncClient) -> None:
        self.sync = sync
        self.client = client
        self.online = True
        self.pdfs: list[tuple[str, bytes]] = []

    async def open_packing_slip(self, order_id: str) -> None:
        """``GET /api/orders/{id}/packing-slip.pdf`` after a sync."""
        await self._fetch("slip", f"/api/orders/{order_id}/packing-slip.pdf")

    async def open_label(self, order_id: str) -> None:
        """``GET /api/orders/{id}/label.pdf`` after a sync (the label needs the device's steps)."""
        await self._fetch("label", f"/api/orders/{order_id}/label.pdf")

    async def _fetch(self, what: str, path: str) -> None:
        await self.sync.sync()
        r = await self.client.get(path)
        if r.status_code != 200:
            raise DocumentUnavailable(r.text)
        self.pdfs.append((what, r.content))


class Floor(msgspec.Struct):
    """A seller with one order in Processing, and a sign-in for a phone."""

    tenant: Tenant
    order_id: str
    session: dict[str, Any]


@pytest.fixture
def floor(api: ServerThread, database_url: str) -> Floor:
    """Made before the test's event loop runs (the helpers run their own)."""
    assert api.settings is not None
    tenant = seller(api.url, database_url, api.settings)
    [order_id] = seed_orders(tenant, 1, processing=1)
    [session] = sessions(database_url, api.settings, tenant.owner_email, 1)
    return Floor(tenant, order_id, session)


async def test_a_device_works_an_order_offline_and_prints_once_the_network_is_back(
    api: ServerThread, floor: Floor, tmp_path: Path
) -> None:
    tenant, order_id, session = floor.tenant, floor.order_id, floor.session
    device = open_device(tmp_path / "phone.db", api.url, session, name="phone")
    http = httpx.AsyncClient(
        base_url=api.url, headers={"Authorization": f"Bearer {tenant.owner_token}"}
    )
    try:
        await device.client.sync()
        printer = ServerPrinter(device.client, http)
        printer.online = False  # the floor's Wi-Fi is down from here on

        pick = PickViewModel(device.store)
        assert pick.load(order_id)
        for code in (MUG, "5012345678900", MUG, TOTE):
            if not await pick.scan(code):
                assert pick.alert is not None and pick.alert.code == "wrong_item"
                await pick.acknowledge()
        assert pick.complete

        pack = PackViewModel(device.store, printer)
        pack.load(order_id)
        assert await pack.inspect()
        pack.set_package_type("Small box")
        pack.set_weight("0.9", "kg")
        assert await pack.pack() and await pack.print_slip()
        assert pack.slip_waiting and printer.pdfs == []

        ship = ShipViewModel(device.store, printer)
        ship.load(order_id)
        await ship.scan(DEMO_TRACKING)
        assert await ship.print_label() and ship.label_waiting
        assert await ship.attach_label() and await ship.ship()
        # 3 scans (the wrong one recorded nothing), inspect, pack, slip, label, attach, ship
        assert device.store.pending_count() == 9

        printer.online = True  # the network is back
        # Either screen opens every waiting document of the order, in the order queued.
        assert await pack.network_back() == 2 and await ship.network_back() == 0
        assert not ship.label_waiting and not pack.slip_waiting
        assert [what for what, _ in printer.pdfs] == ["slip", "label"]
        assert all(pdf.startswith(b"%PDF") for _, pdf in printer.pdfs)
        assert device.store.pending_count() == 0

        r = await http.get(f"/api/orders/{order_id}")
        detail = msgspec.json.decode(r.content, type=OrderDetail)
        assert detail.order.status is OrderStatus.SHIPPED
        assert (detail.order.carrier, detail.order.tracking_number) == ("demo", DEMO_TRACKING)
        kinds = [e.kind for e in detail.timeline]
        for step in ("inspect", "pack", "print_slip", "print_label", "attach_label", "ship"):
            assert kinds.count(step) == 1, (step, kinds)
        assert kinds.count("pick") == 3
    finally:
        await http.aclose()
        await device.close()


# ---------------------------------------------------------------- the screens a layout mounts


async def test_a_step_route_mounts_its_screen_and_continue_leads_to_the_next_step(
    store: Store,
) -> None:
    pull(store, processing(), structs.replace(ready_to_ship(), id="order-2", number="SF10002"))
    went: list[routes.Route] = []
    recorded: list[str] = []
    printer = ShelfPrinter(online=False)
    screens = StepScreens(
        store, printer, lambda: None, went.append, on_recorded=lambda: recorded.append("x")
    )
    try:
        pick_route = routes.parse("/orders/order-1/pick")
        assert screens.show(pick_route) is screens.panels[OrderStep.PICK].root
        assert screens.title(OrderStep.PICK) == "Pick · SF10001"
        assert await screens.pick.count("L1", 2) and await screens.pick.count("L2")
        assert recorded == ["x", "x"]
        screens.continue_to(OrderStep.PACK)  # what "Continue to inspect & pack" does
        assert went == [routes.order_step("order-1", OrderStep.PACK)]

        # Two orders' documents wait offline; the network comes back: all of them print.
        screens.show(routes.order_step("order-1", OrderStep.PACK))
        assert await screens.pack.print_slip()
        screens.show(routes.order_step("order-2", OrderStep.SHIP))
        assert await screens.ship.print_label()
        assert await screens.network_back() == 0
        printer.online = True
        assert await screens.network_back() == 2
        assert printer.opened == [("slip", "order-1"), ("label", "order-2")]
        assert PrintQueue(store).pending() == []
    finally:
        screens.dispose()
