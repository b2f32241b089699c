"""The finance room's figures and exports, built from the small aggregate rows of `backend.finance`
(pure functions: no database, no Reflex), so what a chart draws and what its CSV holds are the same
rows.

Money stays integer minor units on the axis; tick labels and hover text are rendered with
`format_minor` (major units), with the exact minor units beside them in the hover.
"""

from __future__ import annotations

import plotly.graph_objects as go

from backend.finance.backlog import HOLD_EXPIRIES, REVIEW_AGES
from backend.intents.states import STATES
from backend.money.currencies import format_minor

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"
GRID, LINE = "#1c2229", "#2a3139"
ACCENT, AMBER, TOMATO = "#3fb8af", "#c8a24a", "#e5484d"
PALETTE = (ACCENT, AMBER, "#7aa2f7", "#bb9af7", "#9ece6a", "#e07a5f", "#7dcfff", "#f7768e")
STATE_COLORS = {
    "accepted": "#6b7785",
    "controlled": "#7aa2f7",
    "review": AMBER,
    "ledgered": ACCENT,
    "routed": "#7dcfff",
    "synchronized": "#9ece6a",
    "retrying": "#e0af68",
    "evidenced": "#bb9af7",
    "rejected": "#f7768e",
    "failed": TOMATO,
    "reversed": "#e07a5f",
}
# An intent that reaches ledgered passes through it exactly once on its way to any later state,
# so the headline counts money entering `ledgered`: adding the later states would count it again.
SETTLED_STATE = "ledgered"
REVIEW_SLA_BUCKET = REVIEW_AGES[-1][0]  # "over 4 h": past the 4 h review SLA

VOLUME_COLUMNS = ["bucket", "state", "currency", "count", "amount_minor"]
DELIVERY_COLUMNS = ["endpoint_id", "url", "bucket", "attempts", "succeeded", "success_rate", "p50_ms", "p95_ms", "p99_ms"]
LATENCY_COLUMNS = ["endpoint_id", "url", "status", "p50_ms", "p95_ms", "p99_ms"]
BACKLOG_COLUMNS = ["bucket", "currency", "count", "amount_minor"]


def plot_time(iso: str) -> str:
    """`2026-04-26T14:00:00.000000Z` -> `2026-04-26 14:00:00` (UTC; plotly reads it as a date)."""
    return iso[:19].replace("T", " ")


def nice_step(span: int) -> int:
    """A 1/2/5 x 10^k step giving about four gridlines over `span` (at least 1)."""
    raw = max(1, span // 4)
    magnitude = 10 ** (len(str(raw)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def money_axis(values: list[int], currency: str) -> dict:
    """A y axis from zero over integer minor units, its ticks labelled by `format_minor`."""
    high = max([0, *values])
    step = nice_step(high or 1)
    ticks = list(range(0, high + step, step))
    return {"tickvals": ticks, "ticktext": [format_minor(t, currency) for t in ticks], "range": [0, ticks[-1] + max(1, step // 10)]}


def count_axis(values: list[int]) -> dict:
    high = max([0, *values])
    step = nice_step(high or 1)
    return {"tick0": 0, "dtick": step, "range": [0, (high // step + 1) * step], "tickformat": ",d"}


# The finance buckets are UTC hours and days: the time axes say so (the rooms' other times are in
# the operator's own zone).
TIME_AXIS = {"type": "date", "title": {"text": "UTC", "font": {"size": 10}}}


def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    """The rooms' dark chart style (transparent on the panel, monospace figures, quiet grid)."""
    fig.update_layout(
        template=go.layout.Template(),
        height=height,
        margin={"l": 8, "r": 8, "t": 28, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": FONT, "size": 11, "color": "#9ba7b4"},
        hoverlabel={"bgcolor": "#14181d", "bordercolor": LINE, "font": {"color": "#e6edf3", "family": FONT}},
        legend={"orientation": "h", "x": 0, "y": 1.14, "bgcolor": "rgba(0,0,0,0)"},
        showlegend=True,
    )
    fig.update_layout(**extra)
    fig.update_xaxes(gridcolor=GRID, linecolor=LINE, zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor=GRID, linecolor=LINE, zerolinecolor=LINE, automargin=True)
    return fig


def _money_hover(amount_minor: int, currency: str) -> str:
    return f"{format_minor(amount_minor, currency)} ({amount_minor:,} minor)"


# State volume -----------------------------------------------------------------------------------


def currencies_of(volume: dict, totals: list[dict]) -> list[str]:
    return sorted({r["currency"] for r in volume.get("rows", [])} | {r["currency"] for r in totals})


def volume_rows(volume: dict, currency: str) -> list[dict]:
    """The rows the volume chart draws for `currency`: what its CSV export holds."""
    return [r for r in volume.get("rows", []) if r["currency"] == currency]


def volume_figure(volume: dict, currency: str) -> go.Figure:
    """Money entering each state per bucket, one line per state, for one currency. Lines, not a
    stack: an intent's money enters several states, so a stack would count it once per state."""
    rows = volume_rows(volume, currency)
    buckets = volume.get("buckets", [])
    fig = go.Figure()
    for state in [s for s in STATES if any(r["state"] == s for r in rows)]:
        points = {r["bucket"]: r for r in rows if r["state"] == state}
        amounts = [points[b]["amount_minor"] if b in points else 0 for b in buckets]
        counts = [points[b]["count"] if b in points else 0 for b in buckets]
        color = STATE_COLORS.get(state, PALETTE[0])
        fig.add_trace(
            go.Scatter(
                x=[plot_time(b) for b in buckets],
                y=amounts,
                name=state,
                mode="lines+markers",
                line={"color": color, "width": 2, "shape": "linear"},
                marker={"size": 4, "color": color},
                customdata=[f"{_money_hover(a, currency)} · {n:,} intent{'s' if n != 1 else ''}" for a, n in zip(amounts, counts)],
                hovertemplate="%{customdata}<extra>" + state + "</extra>",
            )
        )
    values = [r["amount_minor"] for r in rows]
    return _layout(fig, 300, hovermode="x unified", xaxis=TIME_AXIS, yaxis=money_axis(values, currency) if currency else {})


def headline(totals: list[dict]) -> list[dict[str, str]]:
    """Per currency, the money that reached `ledgered` in the window (the volume tiles)."""
    tiles = []
    for currency in sorted({r["currency"] for r in totals}):
        settled = [r for r in totals if r["currency"] == currency and r["state"] == SETTLED_STATE]
        amount, count = sum(r["amount_minor"] for r in settled), sum(r["count"] for r in settled)
        tiles.append({"currency": currency, "amount": format_minor(amount, currency), "amount_minor": str(amount), "count": f"{count:,}"})
    return tiles


# Webhook health ---------------------------------------------------------------------------------


def endpoint_label(endpoint: dict) -> str:
    url = endpoint["url"].split("://", 1)[-1]
    return url if len(url) <= 36 else url[:35] + "…"


def success_figure(health: dict) -> go.Figure:
    """Success rate per bucket, one line per endpoint; a bucket without attempts is a gap."""
    buckets = health.get("buckets", [])
    fig = go.Figure()
    for i, endpoint in enumerate(health.get("endpoints", [])):
        points = {p["bucket"]: p for p in endpoint["series"]}
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=[plot_time(b) for b in buckets],
                y=[points[b]["success_rate"] if b in points else None for b in buckets],
                name=endpoint_label(endpoint),
                mode="lines+markers",
                connectgaps=False,
                line={"color": color, "width": 2},
                marker={"size": 4, "color": color},
                customdata=[f"{points[b]['succeeded']:,} of {points[b]['attempts']:,} attempts" if b in points else "" for b in buckets],
                hovertemplate="%{y:.1%} · %{customdata}<extra>" + endpoint["endpoint_id"] + "</extra>",
            )
        )
    return _layout(fig, 260, hovermode="x unified", xaxis=TIME_AXIS, yaxis={"range": [0, 1.05], "tickformat": ".0%", "tickvals": [0, 0.25, 0.5, 0.75, 1]})


def latency_rows(health: dict) -> list[dict]:
    return [{k: e[k] for k in LATENCY_COLUMNS} for e in health.get("endpoints", [])]


def latency_figure(health: dict) -> go.Figure:
    """p50, p95 and p99 delivery latency per endpoint over the window, as grouped bars."""
    endpoints = health.get("endpoints", [])
    labels = [endpoint_label(e) for e in endpoints]
    fig = go.Figure()
    for key, name, color in (("p50_ms", "p50", ACCENT), ("p95_ms", "p95", AMBER), ("p99_ms", "p99", TOMATO)):
        values = [e[key] for e in endpoints]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=name,
                marker={"color": color},
                text=["—" if v is None else f"{v:,} ms" for v in values],
                textposition="outside",
                customdata=[e["endpoint_id"] for e in endpoints],
                hovertemplate=name + " %{text}<extra>%{customdata}</extra>",
            )
        )
    return _layout(fig, 260, barmode="group", yaxis={"title": {"text": "ms"}, "rangemode": "tozero"})


def success_rate(health: dict) -> tuple[str, int]:
    """The window's success rate over every endpoint and its attempt count (`—` with none)."""
    attempts = sum(p["attempts"] for e in health.get("endpoints", []) for p in e["series"])
    succeeded = sum(p["succeeded"] for e in health.get("endpoints", []) for p in e["series"])
    return ("—" if not attempts else f"{succeeded / attempts * 100:.1f}%"), attempts


# Backlog and holds ------------------------------------------------------------------------------


def _bucket_bars(rows: list[dict], labels: list[str], noun: str, flagged: str | None = None, flag_text: str = "") -> go.Figure:
    """Counts per bucket (every bucket on the axis, in order), one stacked trace per currency;
    the `flagged` bucket is named in its tick label and hatched, not only coloured."""
    fig = go.Figure()
    for i, currency in enumerate(sorted({r["currency"] for r in rows})):
        cells = {r["bucket"]: r for r in rows if r["currency"] == currency}
        counts = [cells[b]["count"] if b in cells else 0 for b in labels]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=counts,
                name=currency,
                marker={"color": PALETTE[i % len(PALETTE)], "pattern": {"shape": ["/" if b == flagged else "" for b in labels]}},
                customdata=[_money_hover(cells[b]["amount_minor"], currency) if b in cells else "" for b in labels],
                hovertemplate="%{y:,} " + noun + " · %{customdata}<extra>" + currency + "</extra>",
            )
        )
    per_bucket = [sum(r["count"] for r in rows if r["bucket"] == b) for b in labels]
    ticktext = [f"{b}<br>{flag_text}" if b == flagged else b for b in labels]
    fig.add_trace(
        go.Scatter(x=labels, y=per_bucket, mode="text", text=[f"{n:,}" if n else "" for n in per_bucket], textposition="top center", showlegend=False, hoverinfo="skip", textfont={"color": "#e6edf3"})
    )
    return _layout(
        fig,
        240,
        barmode="stack",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": labels, "tickvals": labels, "ticktext": ticktext},
        yaxis=count_axis(per_bucket),
    )


def backlog_figure(rows: list[dict]) -> go.Figure:
    """Open reviews by age; the bucket past the 4 h SLA says so under its bar."""
    return _bucket_bars(rows, [label for label, _ in REVIEW_AGES], "reviews", REVIEW_SLA_BUCKET, "PAST SLA")


def holds_figure(rows: list[dict]) -> go.Figure:
    return _bucket_bars(rows, [label for label, _ in HOLD_EXPIRIES], "holds")


def count_of(rows: list[dict], bucket: str | None = None) -> int:
    return sum(r["count"] for r in rows if bucket is None or r["bucket"] == bucket)
