"""The step screens (pick, inspect & pack, ship): thin Flet views over their view models."""

from mobile.views.steps.common import FletFeedback, StepPanel
from mobile.views.steps.pack import PackPanel
from mobile.views.steps.pick import PickPanel
from mobile.views.steps.screens import StepScreens
from mobile.views.steps.ship import ShipPanel

__all__ = ["FletFeedback", "PackPanel", "PickPanel", "ShipPanel", "StepPanel", "StepScreens"]
