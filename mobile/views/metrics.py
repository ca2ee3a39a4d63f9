"""The seller-metrics dashboard: a card per figure and two charts (flet-charts).

Thin: everything shown comes from :class:`~mobile.viewmodels.metrics.MetricsViewModel`.
Wide screens (tablets, desks) put the cards and the charts side by side; phones stack
them. Colours come from the theme's scheme, so light and dark both read.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import flet as ft
import flet_charts as fch

from mobile.theme import TOUCH
from mobile.viewmodels.metrics import (
    WINDOWS,
    DayBar,
    DayPoint,
    MetricCard,
    MetricsViewModel,
    Standing,
)

#: (background, text) of each standing's label
STANDING_COLORS: dict[Standing, tuple[str, str]] = {
    Standing.MEETS: (ft.Colors.GREEN_700, ft.Colors.WHITE),
    Standing.MISSES: (ft.Colors.RED_700, ft.Colors.WHITE),
    Standing.NO_DATA: (ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Colors.ON_SURFACE_VARIANT),
}
CHART_HEIGHT = 220
#: a day label under every this many bars (30 labels do not fit)
LABEL_EVERY = 7
#: the reference line of the time-to-ship chart: the seller guide's 24 h
TARGET_HOURS = 24


class MetricsPanel:
    """The dashboard's body; ``wide`` puts the charts beside the cards."""

    def __init__(
        self,
        vm: MetricsViewModel,
        redraw: Callable[[], None],
        wide: bool,
        show_title: bool = True,
    ) -> None:
        self.vm = vm
        self.redraw = redraw
        self.wide = wide
        self.window = ft.SegmentedButton(
            selected=[str(vm.window_days)],
            segments=[ft.Segment(value=str(d), label=f"{d} days") for d in WINDOWS],
            on_change=self._window_changed,
        )
        self.refresh = ft.IconButton(
            icon=ft.Icons.REFRESH,
            tooltip="Refresh metrics",
            on_click=self._refresh,
            width=TOUCH,
            height=TOUCH,
        )
        self.summary = ft.Text(size=16, weight=ft.FontWeight.W_600)
        self.updated = ft.Text(size=13, color=ft.Colors.ON_SURFACE_VARIANT)
        self.error = ft.Text(color=ft.Colors.ERROR)
        # Hidden as a whole: a Semantics whose content is invisible is a Flet error.
        self.error_box = ft.Semantics(
            container=True, live_region=True, content=self.error, visible=False
        )
        self.progress = ft.ProgressBar(visible=False)
        self.cards = ft.ResponsiveRow(spacing=12, run_spacing=12)
        self.deadline_title = ft.Text(size=15, weight=ft.FontWeight.W_600)
        self.deadline_chart = ft.Container(height=CHART_HEIGHT)
        # A chart reads as one image with its summary as the name (screen readers, tests).
        self.deadline_image = ft.Semantics(
            image=True, exclude_semantics=True, content=self.deadline_chart
        )
        self.time_title = ft.Text(size=15, weight=ft.FontWeight.W_600)
        self.time_chart = ft.Container(height=CHART_HEIGHT)
        self.time_image = ft.Semantics(image=True, exclude_semantics=True, content=self.time_chart)
        charts = ft.Column(
            spacing=12,
            controls=[
                _chart_card(
                    self.deadline_title,
                    self.deadline_image,
                    [("Met", ft.Colors.PRIMARY), ("Missed", ft.Colors.ERROR)],
                ),
                _chart_card(
                    self.time_title,
                    self.time_image,
                    [
                        ("Average hours", ft.Colors.PRIMARY),
                        (f"{TARGET_HOURS} h target", ft.Colors.TERTIARY),
                    ],
                ),
            ],
        )
        body: ft.Control
        if wide:
            body = ft.Row(
                spacing=16,
                vertical_alignment=ft.CrossAxisAlignment.START,
                controls=[
                    ft.Container(expand=1, content=self.cards),
                    ft.Container(expand=1, content=charts),
                ],
            )
        else:
            body = ft.Column(spacing=16, controls=[self.cards, charts])
        self.root = ft.Container(
            expand=True,
            padding=16,
            content=ft.Column(
                spacing=12,
                scroll=ft.ScrollMode.AUTO,
                controls=[
                    ft.Row(
                        wrap=True,
                        spacing=12,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        controls=[
                            ft.Text(
                                "Seller metrics",
                                size=24,
                                weight=ft.FontWeight.BOLD,
                                visible=show_title,
                            ),
                            self.window,
                            self.refresh,
                        ],
                    ),
                    self.progress,
                    self.error_box,
                    ft.Semantics(container=True, content=self.summary),
                    ft.Semantics(container=True, content=self.updated),
                    body,
                ],
            ),
        )
        self._unsubscribe = vm.subscribe(self._changed)
        self._changed()

    def dispose(self) -> None:
        """Stop listening to the view model."""
        self._unsubscribe()

    # -------------------------------------------------------------- events

    async def _window_changed(self, e: ft.Event[ft.SegmentedButton]) -> None:
        selected = e.control.selected
        if selected:
            self.vm.select_window(int(selected[0]))

    async def _refresh(self) -> None:
        await self.vm.load()

    # -------------------------------------------------------------- drawing

    def _changed(self) -> None:
        vm = self.vm
        self.window.selected = [str(vm.window_days)]
        self.progress.visible = vm.loading
        self.error.value = vm.error or ""
        self.error_box.visible = bool(vm.error)
        self.summary.value = vm.summary
        self.updated.value = vm.updated
        self.cards.controls = [
            ft.Container(col={"xs": 12, "sm": 6}, content=_card(c)) for c in vm.cards
        ]
        self.deadline_title.value = vm.deadline_summary if vm.report else "Ship-by deadlines"
        self.deadline_chart.content = _deadline_chart(vm.deadline_bars) if vm.report else None
        self.time_title.value = vm.ship_time_summary if vm.report else "Hours to ship"
        self.time_chart.content = _time_chart(vm.ship_time_points) if vm.report else None
        self.deadline_image.label = f"Chart: {self.deadline_title.value}"
        self.time_image.label = f"Chart: {self.time_title.value}"
        self.redraw()


def _card(card: MetricCard) -> ft.Control:
    figure: list[ft.Control] = [ft.Text(card.value, size=28, weight=ft.FontWeight.BOLD)]
    colors = STANDING_COLORS.get(card.standing)
    if colors is not None:
        bg, fg = colors
        figure.append(
            ft.Container(
                content=ft.Text(card.verdict, size=12, weight=ft.FontWeight.W_600, color=fg),
                bgcolor=bg,
                padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                border_radius=12,
            )
        )
    body: list[ft.Control] = [
        ft.Text(card.title, size=15, weight=ft.FontWeight.W_600),
        ft.Row(figure, spacing=12, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ft.Text(card.detail, size=14),
    ]
    if card.threshold:
        body.append(ft.Text(card.threshold, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    body.append(ft.Text(card.definition, size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    # One node per card, read as one sentence (and found by it in browser tests).
    return ft.Semantics(
        container=True,
        exclude_semantics=True,
        label=f"{card.semantics}. {card.detail}. {card.definition}",
        content=ft.Card(
            elevation=0,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            content=ft.Container(padding=16, content=ft.Column(spacing=4, controls=body)),
        ),
    )


def _chart_card(title: ft.Text, chart: ft.Control, legend: list[tuple[str, str]]) -> ft.Control:
    keys: list[ft.Control] = [
        ft.Row(
            [ft.Container(width=12, height=12, bgcolor=color, border_radius=2), ft.Text(name)],
            spacing=6,
            tight=True,
        )
        for name, color in legend
    ]
    return ft.Card(
        elevation=0,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Container(
            padding=16,
            content=ft.Column(
                spacing=8,
                controls=[
                    ft.Semantics(container=True, content=title),
                    chart,
                    ft.Semantics(container=True, content=ft.Row(keys, spacing=16)),
                ],
            ),
        ),
    )


def _bottom_axis(labels: list[str]) -> fch.ChartAxis:
    # The last day (today) always gets its label; then every 7th day back from it.
    last = len(labels) - 1
    return fch.ChartAxis(
        label_size=28,
        labels=[
            fch.ChartAxisLabel(value=i, label=ft.Text(text, size=11))
            for i, text in enumerate(labels)
            if (last - i) % LABEL_EVERY == 0
        ],
    )


def _deadline_chart(bars: list[DayBar]) -> fch.BarChart:
    """Stacked bars per day: ship-by deadlines met (primary) and missed (error)."""
    top = max((b.met + b.missed for b in bars), default=0)
    width = 14 if len(bars) <= 7 else 6
    return fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        from_y=0,
                        to_y=b.met + b.missed,
                        width=width,
                        border_radius=2,
                        color=ft.Colors.PRIMARY,
                        tooltip=f"{b.label}: {b.met} met, {b.missed} missed",
                        stack_items=[
                            fch.BarChartRodStackItem(from_y=0, to_y=b.met, color=ft.Colors.PRIMARY),
                            fch.BarChartRodStackItem(
                                from_y=b.met, to_y=b.met + b.missed, color=ft.Colors.ERROR
                            ),
                        ],
                    )
                ],
            )
            for i, b in enumerate(bars)
        ],
        max_y=math.ceil(max(top, 1) * 1.15),
        left_axis=fch.ChartAxis(label_size=32, show_max=False),
        bottom_axis=_bottom_axis([b.label for b in bars]),
        horizontal_grid_lines=fch.ChartGridLines(
            color=ft.Colors.OUTLINE_VARIANT, width=1, dash_pattern=[3, 3]
        ),
        group_alignment=ft.MainAxisAlignment.SPACE_AROUND,
        expand=True,
    )


def _time_chart(points: list[DayPoint]) -> fch.LineChart:
    """Average hours from payment to shipping per day, against the 24 h target."""
    measured = [(i, p.hours) for i, p in enumerate(points) if p.hours is not None]
    top = max([h for _, h in measured] + [TARGET_HOURS * 2])
    last = max(len(points) - 1, 1)
    return fch.LineChart(
        data_series=[
            fch.LineChartData(
                points=[
                    fch.LineChartDataPoint(
                        x=i, y=round(h, 1), tooltip=f"{points[i].label}: {h:.1f} h"
                    )
                    for i, h in measured
                ],
                color=ft.Colors.PRIMARY,
                stroke_width=3,
                point=True,
            ),
            fch.LineChartData(
                points=[
                    fch.LineChartDataPoint(x=0, y=TARGET_HOURS, show_tooltip=False),
                    fch.LineChartDataPoint(x=last, y=TARGET_HOURS, show_tooltip=False),
                ],
                color=ft.Colors.TERTIARY,
                stroke_width=2,
                dash_pattern=[6, 4],
            ),
        ],
        min_x=0,
        max_x=last,
        min_y=0,
        max_y=math.ceil(top * 1.1),
        left_axis=fch.ChartAxis(label_size=36, show_max=False),
        bottom_axis=_bottom_axis([p.label for p in points]),
        horizontal_grid_lines=fch.ChartGridLines(
            color=ft.Colors.OUTLINE_VARIANT, width=1, dash_pattern=[3, 3]
        ),
        expand=True,
    )
