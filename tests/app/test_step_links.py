"""The order screen's buttons to the work steps: open for the status each step is for."""

from __future__ import annotations

import pytest

from mobile.routes import OrderStep
from mobile.viewmodels.order_detail import StepLink, step_links
from shared import commands as c
from shared.types import HoldReason, Order
from tests import builders


def _open(links: list[StepLink]) -> dict[OrderStep, bool]:
    return {link.step: link.enabled for link in links}


def _reasons(links: list[StepLink]) -> dict[OrderStep, str]:
    return {link.step: link.reason for link in links}


def test_a_new_order_opens_no_step_and_says_to_start_processing() -> None:
    links = step_links(builders.reviewed())
    assert _open(links) == {OrderStep.PICK: False, OrderStep.PACK: False, OrderStep.SHIP: False}
    assert set(_reasons(links).values()) == {"Start processing first"}


def test_processing_opens_pick_and_pack_and_ship_waits() -> None:
    links = step_links(builders.processing())
    assert _open(links) == {OrderStep.PICK: True, OrderStep.PACK: True, OrderStep.SHIP: False}
    assert _reasons(links)[OrderStep.SHIP] == "Pick, inspect and pack first"
    assert [link.label for link in links] == ["Pick", "Inspect & pack", "Ship"]


def test_ready_to_ship_opens_only_ship() -> None:
    links = step_links(builders.ready_to_ship())
    assert _open(links) == {OrderStep.PICK: False, OrderStep.PACK: False, OrderStep.SHIP: True}
    assert _reasons(links)[OrderStep.PICK] == "The order is ready to ship"


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (builders.shipped(), "The order is shipped"),
        (builders.delivered(), "The order is delivered"),
    ],
)
def test_finished_orders_open_no_step(order: Order, reason: str) -> None:
    links = step_links(order)
    assert not any(link.enabled for link in links)
    assert set(_reasons(links).values()) == {reason}


def test_an_order_on_hold_says_so() -> None:
    held = builders.run(builders.processing(), c.Hold(reason=HoldReason.CUSTOMER_REQUEST))
    links = step_links(held)
    assert not any(link.enabled for link in links)
    assert set(_reasons(links).values()) == {"The order is on hold"}
