"""What every view model shares: listeners that redraw a screen when its state changes."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[], None]


class Observable:
    """A view model whose views subscribe to hear when to redraw."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def changed(self) -> None:
        """Tell the views that the state changed."""
        for listener in list(self._listeners):
            listener()
