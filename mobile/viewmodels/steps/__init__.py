"""The work steps of one order, as plain-Python view models over the device store.

:mod:`.pick` counts items off the shelf, :mod:`.pack` inspects, packs and prints the slip,
:mod:`.ship` prints the label and hands the parcel to the carrier. Each step records its
actions through :meth:`mobile.store.Store.record` (applied at once, synced later), so the
floor never waits for the network.
"""

from mobile.viewmodels.steps.base import StepAction, StepViewModel
from mobile.viewmodels.steps.pack import PackViewModel
from mobile.viewmodels.steps.pick import PickViewModel
from mobile.viewmodels.steps.printing import (
    Document,
    DocumentOpener,
    DocumentUnavailable,
    PrintQueue,
)
from mobile.viewmodels.steps.ship import ShipViewModel

__all__ = [
    "Document",
    "DocumentOpener",
    "DocumentUnavailable",
    "PackViewModel",
    "PickViewModel",
    "PrintQueue",
    "ShipViewModel",
    "StepAction",
    "StepViewModel",
]
