"""Sensor plot files as a traffic format (``*.plots.jsonl``, ``*.plots.csv``).

JSON Lines, one object per line: sensor sites (``"type": "site"``) and plots, in any order::

    {"type": "site", "sensor": "radar1", "lat": 48.70, "lon": 2.30, "alt_m": 150,
     "sigma_range_m": 15, "sigma_az_deg": 0.3, "sigma_el_deg": 0.5}
    {"time": "2025-06-01T10:00:01Z", "sensor": "radar1", "range_m": 2400,
     "azimuth_deg": 75.2, "elevation_deg": 3.1, "radial_speed_mps": -8.5, "class_hint": "drone"}
    {"time": 1748772001.0, "sensor": "eo2", "lat": 48.71, "lon": 2.33, "alt_m": 260,
     "sigma_h_m": 10, "sigma_v_m": 20}

CSV: a header naming the same keys (``time,sensor,range_m,azimuth_deg,...``); sites come from
a JSON or TOML file next to it, ``<name>.sites.json`` / ``<name>.sites.toml`` for
``<name>.plots.csv`` (``{"radar1": {"lat": ..., ...}}``; JSONL files may use one too).

``time`` is ISO 8601 with a zone or Unix epoch seconds; plots with the same time form one
scan. Plots are anonymous, so the reader runs them through the tracker
(:func:`skyfence.tracker.track_plots`, default parameters) over the whole file and yields
the tracked ``Reports``: ``target_id`` ``plot:<track id>``, ``target_class`` and
``class_confidence`` set; plots of unconfirmed tracks (clutter) are dropped.
"""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from skyfence.errors import TrafficFormatError
from skyfence.plots.convert import Site, plots_table
from skyfence.readers.registry import ReadOptions, open_binary
from skyfence.remoteid.reader import parse_time
from skyfence.tracker import TrackerState, track_plots

__all__ = ["read", "read_plots", "sidecar", "sites_of", "sniff"]

_KEYS = ("time", "sensor", "lat", "lon", "alt_m", "range_m", "azimuth_deg", "elevation_deg",
         "sigma_h_m", "sigma_v_m", "radial_speed_mps", "class_hint")


def _is_plot(obj: dict[str, Any]) -> bool:
    return "sensor" in obj and (obj.get("type") == "site" or "range_m" in obj
                                or ("time" in obj and "lat" in obj))


def sniff(head: bytes, path: Path) -> bool:
    lines = [ln for ln in head.split(b"\n")[:2] if ln.strip()]
    if not lines:
        return False
    first = lines[0].strip()
    if first.startswith(b"{"):
        try:
            obj = json.loads(first)
        except ValueError:
            return False
        return isinstance(obj, dict) and _is_plot(obj)
    header = {h.strip() for h in first.decode("utf-8", "replace").split(",")}
    return {"time", "sensor"} <= header and bool(header & {"range_m", "lat"})


def sidecar(path: Path) -> dict[str, Any]:
    """The sites file next to ``path`` (``<name>.sites.json`` or ``<name>.sites.toml``) as
    read, ``{}`` when there is none: tables are sites, other keys are options (``date``)."""
    stem = path.name.split(".")[0]
    for ext, load in ((".sites.json", json.loads), (".sites.toml", tomllib.loads)):
        p = path.with_name(stem + ext)
        if p.is_file():
            try:
                data = load(p.read_text())
            except (ValueError, tomllib.TOMLDecodeError) as exc:
                raise TrafficFormatError(f"bad sensor sites: {exc}", where=str(p)) from None
            if not isinstance(data, dict):
                raise TrafficFormatError("sensor sites must be an object", where=str(p))
            return data
    return {}


def sites_of(data: dict[str, Any]) -> dict[str, Site]:
    """The sensor sites of a sites file: its tables, by name."""
    return {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)}


def read_plots(path: Path) -> pa.Table:
    """The ``Plots`` table of a plot file (JSONL or CSV), positions in WGS84."""
    sites = sites_of(sidecar(path))
    with open_binary(path) as fh:
        raw = fh.read()
    cols: dict[str, list[Any]] = {k: [] for k in _KEYS}
    if raw.lstrip().startswith(b"{"):
        for no, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise TrafficFormatError(f"not valid JSON: {exc}", line=no) from None
            if obj.get("type") == "site":
                sites[str(obj["sensor"])] = obj
                continue
            if "time" not in obj or "sensor" not in obj:
                raise TrafficFormatError("a plot needs time and sensor", line=no)
            for k in _KEYS:
                cols[k].append(obj.get(k))
    else:
        table = pacsv.read_csv(io.BytesIO(raw), convert_options=pacsv.ConvertOptions(
            column_types={"sensor": pa.string(), "class_hint": pa.string()}))
        for k in _KEYS:
            if k in table.column_names:
                cols[k] = table.column(k).to_pylist()
        if "time" not in table.column_names or "sensor" not in table.column_names:
            raise TrafficFormatError("plots need time and sensor columns")
        cols = {k: v for k, v in cols.items() if len(v) == table.num_rows}
    try:
        times = parse_time([t.isoformat() if hasattr(t, "isoformat") else t
                            for t in cols.pop("time")])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TrafficFormatError(f"unparseable time: {exc}", field="time") from None
    if times.null_count:
        raise TrafficFormatError("missing or unparseable time", field="time")
    return plots_table(cols, times, sites)


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    _, reports = track_plots(TrackerState(), read_plots(path))
    options.stats.rows += reports.num_rows
    yield reports
