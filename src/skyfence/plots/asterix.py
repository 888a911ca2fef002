"""ASTERIX CAT048 recordings (``*.ast``, raw data blocks) as a traffic format.

CAT048 carries neither the radar's position nor the date, so a sites file next to the
recording (``<name>.sites.json`` or ``<name>.sites.toml``, as for CSV plots) names each radar
by its SAC/SIC and gives the UTC date of the first record::

    {"date": "2025-06-01",
     "radar1": {"sac": 25, "sic": 10, "lat": 50.0, "lon": 19.9, "alt_m": 250,
                "sigma_range_m": 40, "sigma_az_deg": 0.08}}

A site without noise gets ``DEFAULT_SIGMA_RANGE_M`` = 70 m and ``DEFAULT_SIGMA_AZ_DEG`` =
0.08 deg, a monopulse secondary radar's usual accuracy (0.08 deg is 130 m at 50 NM).

Plots with an aircraft address (I048/220, Mode S) are reports of ``icao:<address>`` with
their flight level, callsign, squawk and the radar's speed and heading. The others
(primary-only and Mode A/C plots) are anonymous: :func:`read` runs them through the tracker
with the addressed reports as cooperative targets, so a plot near an addressed aircraft
joins it (as plots near an ADS-B target do) and the rest form ``plot:<n>`` tracks.

Geometry: the elevation of a plot follows from its height ``h`` (I048/110, else the flight
level taken as height: the 40-50 m geoid separation and the pressure-altitude error are
ignored) and the site's height ``h0`` by the triangle earth centre - site - target on a
sphere of radius ``R`` = ``EARTH_RADIUS_M``:
``sin(el) = ((R + h)^2 - (R + h0)^2 - rho^2) / (2 (R + h0) rho)``. A plot with no height is
placed on the site's horizon (``h = h0``) and its ``alt_m`` is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.errors import TrafficFormatError
from skyfence.plots.cat048 import CatRecords, decode_cat048, iter_blocks
from skyfence.plots.convert import Site, plots_table
from skyfence.plots.reader import sidecar, sites_of
from skyfence.plots.schema import PLOTS
from skyfence.readers.registry import ReadOptions, open_binary
from skyfence.schema.reports import REPORTS
from skyfence.schema.types import conform
from skyfence.tracker import TrackerState, track_plots

__all__ = ["DEFAULT_SIGMA_AZ_DEG", "DEFAULT_SIGMA_RANGE_M", "EARTH_RADIUS_M", "elevation_deg",
           "read", "read_asterix", "sniff", "utc_times"]

F64 = npt.NDArray[np.float64]
EARTH_RADIUS_M = 6_371_000.0  # mean radius; 20 km either way moves el by < 2e-5 rad at 50 NM
DEFAULT_SIGMA_RANGE_M = 70.0
DEFAULT_SIGMA_AZ_DEG = 0.08
_DAY_S = 86_400.0
# categories a surveillance recording may mix with CAT048 (radar, MLAT, ADS-B, tracks, service)
_CATEGORIES = frozenset({1, 2, 4, 8, 10, 11, 17, 18, 19, 20, 21, 23, 25, 30, 31, 32, 34, 48,
                         62, 63, 65, 240, 247, 252})


def utc_times(tod_s: F64, date: dt.date) -> pa.Array:
    """UTC timestamps of times of day (seconds, in record order) from ``date`` on: a jump of
    more than 12 h is a midnight (forward: the next day; back: a late record of the day
    before)."""
    midnight = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp()
    t = midnight + np.unwrap(np.asarray(tod_s, np.float64), period=_DAY_S)
    return pa.array(np.round(t * 1e6).astype(np.int64)).cast(pa.timestamp("us")).cast(
        REPORTS.field("time").type)


def elevation_deg(rho_m: F64, h_m: F64, site_h_m: F64) -> F64:
    """Elevation of targets at slant range ``rho_m`` and height ``h_m`` from a site at
    height ``site_h_m`` (module docstring); NaN ``h_m``: on the site's horizon."""
    r0 = EARTH_RADIUS_M + site_h_m
    r1 = EARTH_RADIUS_M + np.where(np.isnan(h_m), site_h_m, h_m)
    s = (r1**2 - r0**2 - rho_m**2) / (2 * r0 * np.maximum(rho_m, 1.0))
    return np.asarray(np.degrees(np.arcsin(np.clip(s, -1.0, 1.0))), dtype=np.float64)


def _date(value: object, path: Path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise TrafficFormatError(f"date {value!r}: expected YYYY-MM-DD",
                                     field="date") from None
    raise TrafficFormatError(
        "ASTERIX carries the time of day only: give the recording's UTC date as \"date\" "
        f"in {path.name.split('.')[0]}.sites.json or .sites.toml", field="date")


def _floats(values: list[Any]) -> F64:
    return np.array([np.nan if v is None else v for v in values], np.float64)


def read_asterix(path: Path, *, date: dt.date | None = None,
                 sites: Mapping[str, Site] | None = None) -> tuple[pa.Table, pa.Table]:
    """(anonymous ``Plots``, ``Reports`` of the addressed plots) of a CAT048 recording.
    ``date`` and ``sites`` default to the sites file's (module docstring)."""
    extra = sidecar(path) if date is None or sites is None else {}
    sites = dict(sites if sites is not None else sites_of(extra))
    day = date if date is not None else _date(extra.get("date"), path)
    with open_binary(path) as fh:
        raw = fh.read()
    recs = CatRecords()
    for offset, cat, body in iter_blocks(raw):
        if cat == 48:
            decode_cat048(body, offset, recs)
    if not len(recs):
        return PLOTS.empty_table(), REPORTS.empty_table()
    c = recs.cols
    names = {(int(s["sac"]), int(s["sic"])): k for k, s in sites.items() if "sac" in s}
    sensors = [names.get((a, b), f"{a}/{b}") for a, b in zip(c["sac"], c["sic"], strict=True)]
    missing = sorted(set(sensors) - set(sites))
    if missing:
        raise TrafficFormatError(f"plots from radars without a site (SAC/SIC {missing}): give "
                                 "each a site with its \"sac\" and \"sic\"", field="sac")
    sites = {k: {"sigma_range_m": DEFAULT_SIGMA_RANGE_M, "sigma_az_deg": DEFAULT_SIGMA_AZ_DEG,
                 **s} for k, s in sites.items()}
    rho = _floats(c["rho_m"])
    height = _floats(c["h3d_m"])
    height = np.where(np.isnan(height), _floats(c["fl_m"]), height)
    site_h = np.array([float(sites[s].get("alt_m", 0.0)) for s in sensors])
    el = elevation_deg(rho, height, site_h)
    table = plots_table({"sensor": sensors, "range_m": rho.tolist(),
                         "azimuth_deg": c["theta_deg"], "elevation_deg": el.tolist()},
                        utc_times(_floats(c["tod_s"]), day), sites)
    alt = np.where(np.isnan(height), np.nan, table.column("alt_m").to_numpy())
    table = table.set_column(table.schema.get_field_index("alt_m"), "alt_m",
                             pa.array(alt, from_pandas=True))
    addressed = pa.array([a is not None for a in c["address"]])
    reports = pa.table({
        "time": table.column("time"), "target_id": pa.array(c["address"], pa.string()),
        "id_kind": pa.array(["icao"] * len(recs)), "lat": table.column("lat"),
        "lon": table.column("lon"), "alt_baro_m": pa.array(c["fl_m"], pa.float64()),
        "gs_mps": pa.array(c["gs_mps"], pa.float64()),
        "track_deg": pa.array(c["track_deg"], pa.float64()),
        "callsign": pa.array(c["callsign"], pa.string()),
        "squawk": pa.array(c["squawk"], pa.string()), "source": table.column("sensor_id"),
    })
    return (table.filter(pc.invert(addressed)),
            conform(reports.filter(addressed), REPORTS))


def read(path: Path, options: ReadOptions) -> Iterator[pa.Table]:
    plots, addressed = read_asterix(path)
    _, tracked = track_plots(TrackerState(), plots, addressed)
    reports = pa.concat_tables([addressed, tracked])
    reports = reports.take(pc.sort_indices(reports, [("time", "ascending")]))
    options.stats.rows += reports.num_rows
    yield reports


def sniff(head: bytes, path: Path) -> bool:
    """Data blocks of known categories chained from the first byte, one of them CAT048, in
    a head that is not text."""
    off, blocks, cat048 = 0, 0, False
    while off + 3 <= len(head):
        length = int.from_bytes(head[off + 1:off + 3], "big")
        if head[off] not in _CATEGORIES or length < 4:
            return False
        cat048 |= head[off] == 48
        blocks += 1
        off += length
    binary = any(b < 9 or 13 < b < 32 or b > 126 for b in head[:512])
    return cat048 and binary and (off == len(head) or blocks >= 3)
