#!/usr/bin/env python
"""Re-measure the [UCI] figures that scenarios/baseline.yaml cites.

Data: the ServiceNow "Incident management process enriched event log", UCI Machine Learning
Repository dataset 498 (Amaral, Fantinato & Peres 2018, doi:10.24432/C57S4H, licence CC BY 4.0).
The zip is read in place from ``../shared/data`` and never copied into this repository.

One CSV row is one update of an incident. Events of an incident are ordered by
``sys_updated_at``, ties by ``sys_mod_count``; per-incident values come from the last row.

Usage: ``python scripts/uci_figures.py [PATH_TO_ZIP] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci498_incident_event_log.zip"
MEMBER = "incident_event_log/incident_event_log.csv"
COLUMNS = ["number", "ident_state", "reassignment_count", "reopen_count", "sys_mod_count", "opened_at",
           "sys_updated_at", "resolved_at", "closed_at", "impact", "urgency", "priority"]
MAIN_PERIOD = (pd.Timestamp("2016-03-01"), pd.Timestamp("2016-05-31"))  # both days inclusive
AWAITING = "Awaiting User Info"
HOUR = pd.Timedelta(hours=1)


def load_events(zip_path: Path) -> pd.DataFrame:
    """Read the event log: ``?`` is missing, dates are d/m/yyyy HH:MM; rows in event order."""
    with zipfile.ZipFile(zip_path) as archive, archive.open(MEMBER) as csv:
        events = pd.read_csv(csv, dtype=str, na_values="?", keep_default_na=False, usecols=COLUMNS)
    for column in ["opened_at", "sys_updated_at", "resolved_at", "closed_at"]:
        events[column] = pd.to_datetime(events[column], format="%d/%m/%Y %H:%M")
    for column in ["sys_mod_count", "reassignment_count", "reopen_count"]:
        events[column] = events[column].astype(int)
    order = ["number", "sys_updated_at", "sys_mod_count"]
    return events.sort_values(order, kind="stable").reset_index(drop=True)


def round_to_total(values: pd.Series, decimals: int, total: float) -> list[float]:
    """Round ``values`` to ``decimals`` places so that they add up to ``total`` exactly.

    The rounding rest (a few units of the last place) goes to the largest value.
    """
    scale = 10**decimals
    units = np.round(np.asarray(values, dtype=float) * scale).astype(int)
    units[int(np.argmax(values))] += round(total * scale) - int(units.sum())
    return [float(unit / scale) for unit in units]


def arrival_figures(final: pd.DataFrame) -> dict[str, Any]:
    """Arrivals per day, weekday weights and hour-of-day shares in the main period."""
    first, last = MAIN_PERIOD
    opened = final["opened_at"][final["opened_at"].dt.normalize().between(first, last)]
    days = pd.date_range(first, last, freq="D")
    daily = opened.dt.normalize().value_counts().reindex(days, fill_value=0)
    weekday = daily.index.day_of_week < 5
    dow_mean = daily.groupby(daily.index.day_of_week).mean().reindex(range(7))
    hours = opened.dt.hour.value_counts().reindex(range(24), fill_value=0)
    return {"period": [str(first.date()), str(last.date())], "n_days": len(days), "n_incidents": len(opened),
            "mean_per_day": float(daily.mean()), "mean_per_weekday": float(daily[weekday].mean()),
            "mean_per_weekend_day": float(daily[~weekday].mean()),
            "day_of_week": round_to_total(dow_mean / dow_mean.mean(), 3, 7.0),
            "hour_of_day": round_to_total(hours / hours.sum(), 4, 1.0),
            "busiest_hour": int(hours.idxmax()), "busiest_hour_share": float(hours.max() / hours.sum())}


def priority_figures(final: pd.DataFrame) -> dict[str, Any]:
    """Joint impact × urgency shares (cells that occur) and the priority mix, of all incidents."""
    joint = pd.crosstab(final["impact"], final["urgency"]).stack()
    shares = round_to_total(joint / len(final), 4, 1.0)
    cells: dict[int, dict[int, float]] = {}
    for (impact, urgency), count, share in zip(joint.index, joint, shares, strict=True):
        if count > 0:
            cells.setdefault(int(impact), {})[int(urgency)] = share
    mix = final["priority"].value_counts().sort_index()
    return {"impact_urgency": cells,
            "priority_mix": dict(zip(("P" + mix.index).tolist(), round_to_total(mix / len(final), 4, 1.0),
                                     strict=True))}


def awaiting_figures(events: pd.DataFrame, n_incidents: int) -> dict[str, Any]:
    """Share of incidents ever in 'Awaiting User Info', and the hours of an episode in it.

    An episode is a run of consecutive rows in that state; it lasts from its first row to the first
    row of the next state (update times, so an estimate). Episodes that end the log are left out.
    """
    state, number = events["ident_state"], events["number"]
    starts = events[(number != number.shift()) | (state != state.shift())]  # first row of each run
    after = starts.shift(-1)
    episodes = starts[(starts["ident_state"] == AWAITING) & (after["number"] == starts["number"])]
    hours = (after.loc[episodes.index, "sys_updated_at"] - episodes["sys_updated_at"]) / HOUR
    return {"share_of_incidents": number[state == AWAITING].nunique() / n_incidents,
            "n_episodes": len(hours), "episode_median_h": float(hours.median()),
            "episode_p90_h": float(hours.quantile(0.9))}


def duration_figures(final: pd.DataFrame) -> dict[str, Any]:
    """Opened → resolved and resolved → closed hours, where resolved_at is present and ≥ opened_at."""
    valid = final[final["resolved_at"] >= final["opened_at"]]
    to_resolve = (valid["resolved_at"] - valid["opened_at"]) / HOUR
    to_close = (valid["closed_at"] - valid["resolved_at"]) / HOUR
    minutes = final["closed_at"].dt.minute.value_counts(normalize=True)
    return {"open_to_resolve_h": {"n": len(valid), "median": float(to_resolve.median()),
                                  "mean": float(to_resolve.mean()), "p90": float(to_resolve.quantile(0.9))},
            "auto_close_h": {"n": len(valid), "median": float(to_close.median())},
            "closed_at_minute": {"minute": int(minutes.idxmax()), "share": float(minutes.max())}}


def counter_figures(final: pd.DataFrame) -> dict[str, Any]:
    """Reassignment count shares and mean, and the share reopened, from the final rows."""
    moved = final["reassignment_count"]
    return {"reassignment": {"share_0": float((moved == 0).mean()), "share_1": float((moved == 1).mean()),
                             "share_2plus": float((moved >= 2).mean()), "mean": float(moved.mean())},
            "reopen_share": float((final["reopen_count"] >= 1).mean())}


def measure(zip_path: Path) -> dict[str, Any]:
    """Measure all the [UCI] figures of the baseline.

    Parameters
    ----------
    zip_path
        The UCI 498 zip, holding ``incident_event_log/incident_event_log.csv``.

    Returns
    -------
    dict
        Nested figures (shares as fractions, durations in hours), ready for ``json.dumps``.
    """
    events = load_events(Path(zip_path))
    final = events.drop_duplicates("number", keep="last")
    return {"n_rows": len(events), "n_incidents": len(final), "arrivals": arrival_figures(final),
            **priority_figures(final), **duration_figures(final),
            "awaiting_user_info": awaiting_figures(events, len(final)), **counter_figures(final)}


def arrival_lines(a: dict[str, Any]) -> list[str]:
    """The arrivals part of the text summary; the lists are ready to paste into a scenario."""
    hours = [", ".join(f"{x:.4f}" for x in a["hour_of_day"][i:i + 8]) for i in range(0, 24, 8)]
    first, last, busy = *a["period"], a["busiest_hour"]
    return [f"Arrivals {first}..{last} ({a['n_days']} days, {a['n_incidents']:,} incidents):",
            f"  mean per day {a['mean_per_day']:.1f}, per weekday {a['mean_per_weekday']:.1f}, "
            f"per weekend day {a['mean_per_weekend_day']:.1f}",
            "  day_of_week Mon..Sun: [" + ", ".join(f"{x:.3f}" for x in a["day_of_week"]) + "]",
            "  hour_of_day 00..23:   [" + ",\n                         ".join(hours) + "]",
            f"  busiest hour {busy:02d}-{busy + 1:02d}: {a['busiest_hour_share']:.1%}"]


def format_text(figs: dict[str, Any]) -> str:
    """A plain-text summary of the figures from :func:`measure`."""
    aw, ra, res = figs["awaiting_user_info"], figs["reassignment"], figs["open_to_resolve_h"]
    close, minute = figs["auto_close_h"], figs["closed_at_minute"]
    return "\n".join([
        f"UCI 498 incident event log: {figs['n_rows']:,} rows, {figs['n_incidents']:,} incidents",
        *arrival_lines(figs["arrivals"]),
        "Impact × urgency (share of all incidents; rows impact, keys urgency):",
        *(f"  {i}: {{" + ", ".join(f"{u}: {s:.4f}" for u, s in row.items()) + "}"
          for i, row in figs["impact_urgency"].items()),
        "  priority mix: " + ", ".join(f"{p} {s:.1%}" for p, s in figs["priority_mix"].items()),
        f"Resolved → closed (auto-close): median {close['median']:.1f} h (n = {close['n']:,}); "
        f"closed_at at minute :{minute['minute']:02d} for {minute['share']:.1%}",
        f"Awaiting User Info: {aw['share_of_incidents']:.1%} of incidents; per episode median "
        f"{aw['episode_median_h']:.1f} h, p90 {aw['episode_p90_h']:.1f} h ({aw['n_episodes']:,} episodes)",
        f"Reassignments (final row): 0: {ra['share_0']:.1%}, 1: {ra['share_1']:.1%}, "
        f"2+: {ra['share_2plus']:.1%}; mean {ra['mean']:.2f}",
        f"Reopened (reopen_count >= 1): {figs['reopen_share']:.1%}",
        f"Opened → resolved (n = {res['n']:,}): median {res['median']:.1f} h, mean {res['mean']:.1f} h, "
        f"p90 {res['p90']:.1f} h"])


def main(argv: list[str] | None = None) -> int:
    """Measure the figures and print them as text (or JSON with ``--json``); exit 2 without data."""
    parser = argparse.ArgumentParser(description="Re-measure the [UCI] figures of scenarios/baseline.yaml.")
    parser.add_argument("zip_path", nargs="?", type=Path, default=DEFAULT_ZIP, help="the UCI 498 zip")
    parser.add_argument("--json", action="store_true", help="print the figures as a JSON object")
    args = parser.parse_args(argv)
    if not args.zip_path.is_file():
        print(f"uci_figures: data file not found: {args.zip_path}", file=sys.stderr)
        return 2
    try:
        figures = measure(args.zip_path)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        print(f"uci_figures: cannot read {args.zip_path}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(figures, indent=2) if args.json else format_text(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
