"""Charts drawn on the server with matplotlib (Agg, no display): SVG for the statistics page,
PNG for the DOCX appendix. Figures are built with the object API, so threads never share
pyplot state. A chart carries no title of its own: the page's caption (or the DOCX caption)
is its one title. Counts are whole numbers, so every count axis has integer ticks."""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
# Text stays text in SVG: smaller files, selectable and readable by screen readers.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

import pandas as pd  # noqa: E402
from flask_babel import gettext as _  # noqa: E402

from strategy.core.templating import to_event_time  # noqa: E402
from strategy.export.drafts import (HIDDEN_KEY, ExportData, activity_table,  # noqa: E402
                                    library_join_counts, municipality_counts,
                                    track_totals_table)

COLORS = {"proposals": "#0b5cad", "supports": "#1d6b35", "comments": "#b35c00"}
#: Bars shown by name; when there are more, the smallest are summed as «Другие».
TOP_N = 20
CHARTS = ("tracks", "activity", "municipalities", "libraries")


def series_labels() -> dict[str, str]:
    return {"proposals": _("Предложения"), "supports": _("Поддержки"),
            "comments": _("Комментарии")}


def chart_titles() -> dict[str, str]:
    return {"tracks": _("Предложения и поддержки по трекам"),
            "activity": _("Активность по дням и часам (время мероприятия)"),
            "municipalities": _("Участники по муниципалитетам"),
            "libraries": _("Библиотеки, присоединившиеся к проектам")}


def new_figure(height: float = 4.2, width: float = 8.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100)
    figure.set_layout_engine("constrained")
    return figure


def wrap(label: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def integer_ticks(axis) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))


def empty(figure: Figure) -> Figure:
    ax = figure.add_subplot()
    ax.text(0.5, 0.5, _("Пока нет данных"), ha="center", va="center", fontsize=14,
            color="#4f5b6b", transform=ax.transAxes)
    ax.set_axis_off()
    return figure


def tracks_chart(data: ExportData) -> Figure:
    """Published proposals and supports per track, side by side."""
    totals = track_totals_table(data)
    figure = new_figure(height=1.2 + 0.9 * max(1, len(totals)))
    if totals.empty or (totals["proposals"].sum() == 0 and totals["supports"].sum() == 0):
        return empty(figure)
    ax = figure.add_subplot()
    positions = range(len(totals))
    height = 0.38
    labels = series_labels()
    for offset, column in ((-height / 2, "proposals"), (height / 2, "supports")):
        bars = ax.barh([p + offset for p in positions], totals[column], height=height,
                       color=COLORS[column], label=labels[column])
        ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_yticks(list(positions), [wrap(t) for t in totals["track_title"]])
    ax.invert_yaxis()
    integer_ticks(ax.xaxis)
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    ax.margins(x=0.12)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def event_hours(data: ExportData, table: pd.DataFrame) -> range:
    """The hours the event really used: its programme's and those with any activity, so the
    axis spans the working day instead of 0–23."""
    hours = set(int(h) for h in table["hour"])
    for item in data.event.schedule:
        start = to_event_time(item.starts_at, data.tz)
        end = to_event_time(item.ends_at, data.tz) if item.ends_at else start
        last = end.hour if end.minute else end.hour - 1  # ending at 13:00 uses 12:00–13:00
        hours.update({start.hour, max(start.hour, last)})
    return range(min(hours), max(hours) + 1)


def activity_chart(data: ExportData) -> Figure:
    """One panel per day: proposals, supports and comments per hour of the event's day."""
    table = activity_table(data)
    if table.empty:
        return empty(new_figure())
    days = sorted(table["day"].unique())[:7]
    hours = event_hours(data, table)
    figure = new_figure(height=2.2 + 1.8 * len(days))
    labels = series_labels()
    axes = figure.subplots(len(days), 1, sharex=True, squeeze=False)[:, 0]
    for ax, day in zip(axes, days):
        rows = table[table["day"] == day].set_index("hour").reindex(hours, fill_value=0)
        for column in ("proposals", "supports", "comments"):
            ax.plot(list(hours), rows[column], marker="o", markersize=3, color=COLORS[column],
                    label=labels[column])
        ax.set_ylabel(pd.Timestamp(day).strftime("%d.%m"))
        ax.set_ylim(bottom=0)
        integer_ticks(ax.yaxis)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=3,
                  frameon=False, fontsize=9)
    step = 1 if len(hours) <= 12 else 2
    ticks = list(hours)[::step]
    axes[-1].set_xticks(ticks, [f"{h}:00" for h in ticks], fontsize=8)
    axes[-1].set_xlabel(_("Час"))
    return figure


def top_counts(counts: pd.Series, hidden_label: str = "") -> pd.Series:
    """Named entries largest first; then the hidden bucket (named honestly) and «Другие» (the
    smallest beyond TOP_N, summed) at the end, whatever their size: they are not places."""
    hidden = int(counts.get(HIDDEN_KEY, 0)) if hidden_label else 0
    named = counts.drop(HIDDEN_KEY, errors="ignore") if hidden_label else counts
    named = named.sort_values(ascending=False, kind="stable")
    tail = {}
    if hidden:
        tail[hidden_label] = hidden
    if len(named) > TOP_N:
        tail[_("Другие")] = int(named.iloc[TOP_N:].sum())
        named = named.iloc[:TOP_N]
    return pd.concat([named, pd.Series(tail, dtype=int)]) if tail else named


def bar_chart(counts: pd.Series, color: str, xlabel: str) -> Figure:
    figure = new_figure(height=1.2 + 0.42 * max(1, len(counts)))
    if counts.empty:
        return empty(figure)
    ax = figure.add_subplot()
    bars = ax.barh([wrap(label, 40) for label in counts.index], counts.values, color=color)
    ax.bar_label(bars, padding=3, fontsize=9)
    ax.invert_yaxis()
    integer_ticks(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.margins(x=0.1)
    ax.tick_params(axis="y", labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def municipalities_chart(data: ExportData) -> Figure:
    counts = top_counts(municipality_counts(data), _("Не указан или скрыт участником"))
    return bar_chart(counts, COLORS["proposals"], _("Участников"))


def libraries_chart(data: ExportData) -> Figure:
    counts = top_counts(library_join_counts(data))
    return bar_chart(counts, COLORS["supports"],
                     _("Проектов, к которым присоединилась библиотека"))


BUILDERS = {"tracks": tracks_chart, "activity": activity_chart,
            "municipalities": municipalities_chart, "libraries": libraries_chart}


def render(figure: Figure, fmt: str = "svg", dpi: int = 100) -> bytes:
    """SVG (text stays text) or PNG bytes of a figure."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def chart(name: str, data: ExportData, fmt: str = "svg", dpi: int = 100) -> bytes:
    return render(BUILDERS[name](data), fmt, dpi)
