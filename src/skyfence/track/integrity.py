"""The integrity stage: ``(IntegrityState, Observations) -> (IntegrityState, flags, confidence)``.

Pure: everything remembered between batches is in :class:`IntegrityState` (one row of
numbers per live target, see :mod:`skyfence.track.kernel`), so a stream cut into any batches
gives the same flags and confidence as one batch. Reports are taken in *arrival order* within
each target (that is what makes ``time_order`` meaningful); flags and confidence come back
aligned with the input rows. Rows without a ``target_id`` get flags 0 and confidence NaN.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.track.checks import ALL_CHECKS
from skyfence.track.confidence import weight_vector
from skyfence.track.kernel import NCOLS, PEN, SEEN, walk
from skyfence.track.limits import MIN_ACCURACY, RESET_S

__all__ = ["IntegrityState", "Observations", "check_batch", "integrity_step", "observations"]

F8 = npt.NDArray[np.float64]


def _empty_state() -> F8:
    return np.zeros((0, NCOLS))


@dataclass(frozen=True)
class IntegrityState:
    """Per target (``ids``, unique strings) a row of ``values`` (see the kernel's columns)."""

    ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    values: F8 = field(default_factory=_empty_state)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Observations:
    """The columns the checks read, aligned with a ``Reports`` table (SI units, NaN for
    null; ``t`` UTC epoch seconds; integrity levels and version as floats)."""

    target_id: pa.Array
    t: F8
    lat: F8
    lon: F8
    alt_baro_m: F8
    alt_geo_m: F8
    geo_minus_baro_m: F8
    gs_mps: F8
    track_deg: F8
    vrate_mps: F8
    nic: F8
    nacp: F8
    sil: F8
    adsb_version: F8
    cpr_ambiguous: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    """The decoder's ``cpr_ambiguity`` is set (the position may be a CPR zone off); empty
    means none is (reports from sources without CPR)."""

    def __len__(self) -> int:
        return len(self.t)


def _f8(table: pa.Table, name: str) -> F8:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    # one conversion: nulls become NaN (integers with nulls come back as float64 already);
    # cast then fill_null then asarray took three Arrow calls a column, ~0.5 ms a batch
    return np.asarray(table.column(name).to_numpy(), dtype=np.float64)


def observations(reports: pa.Table) -> Observations:
    """The :class:`Observations` of a ``Reports`` table (missing columns are all null)."""
    n = reports.num_rows
    t = np.asarray(
        reports.column("time").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        .fill_null(0), dtype=np.int64
    ).astype(np.float64) * 1e-6
    ids = (reports.column("target_id").combine_chunks().cast(pa.string())
           if "target_id" in reports.column_names else pa.nulls(n, pa.string()))
    lat, lon = _f8(reports, "lat"), _f8(reports, "lon")
    bad = ~((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0))
    lat, lon = np.where(bad, np.nan, lat), np.where(bad, np.nan, lon)
    cpr = (np.asarray(reports.column("cpr_ambiguity").is_valid(), dtype=np.bool_)
           if "cpr_ambiguity" in reports.column_names else np.zeros(n, np.bool_))
    return Observations(
        ids, t, lat, lon, alt_baro_m=_f8(reports, "alt_baro_m"),
        alt_geo_m=_f8(reports, "alt_geo_m"), geo_minus_baro_m=_f8(reports, "geo_minus_baro_m"),
        gs_mps=_f8(reports, "gs_mps"), track_deg=_f8(reports, "track_deg"),
        vrate_mps=_f8(reports, "vrate_mps"), nic=_f8(reports, "nic"),
        nacp=_f8(reports, "nacp"), sil=_f8(reports, "sil"),
        adsb_version=_f8(reports, "adsb_version"), cpr_ambiguous=cpr,
    )


@functools.cache
def _minima() -> F8:
    """(NIC, NACp, SIL) minima by ADS-B version (the kernel only reads it)."""
    out = np.full((3, 3), -np.inf)
    for version, values in MIN_ACCURACY.items():
        out[version] = values
    return out


@functools.lru_cache(maxsize=16)
def _weights(mask: int) -> F8:
    """:func:`weight_vector` of a mask (the kernel only reads it)."""
    return weight_vector(mask)


def check_batch(
    state: IntegrityState, obs: Observations, now: float | None = None,
    mask: int = ALL_CHECKS,
) -> tuple[IntegrityState, npt.NDArray[np.uint32], F8]:
    """Run the checks on one batch. ``now`` (UTC epoch seconds) enables ``time_future``;
    ``mask`` keeps only some checks (disabled ones neither flag nor lower confidence).
    Returns the new state, ``flags`` (uint32) and ``confidence`` (0..1), row-aligned."""
    n = len(obs)
    flags = np.zeros(n, np.uint32)
    conf = np.full(n, np.nan)
    # one code per distinct id over the state's ids and this batch's
    both = pa.concat_arrays([state.ids.cast(pa.string()), obs.target_id])
    enc = both.dictionary_encode()
    idx = np.asarray(enc.indices.fill_null(-1), dtype=np.int64)
    n_ids = len(enc.dictionary)
    values = np.full((n_ids, NCOLS), np.nan)
    values[idx[: len(state)]] = state.values
    codes = idx[len(state):]
    rows = np.flatnonzero(codes >= 0)
    order = rows[np.argsort(codes[rows], kind="stable")]
    if len(order):
        drone = np.asarray(pc.fill_null(pc.starts_with(obs.target_id, "rid:"), False),
                           dtype=np.bool_)
        cpr = (obs.cpr_ambiguous if len(obs.cpr_ambiguous) == n
               else np.zeros(n, np.bool_))
        walk(
            order, codes, obs.t, obs.lat, obs.lon, obs.alt_baro_m, obs.alt_geo_m,
            obs.geo_minus_baro_m, obs.gs_mps, obs.track_deg, obs.vrate_mps, obs.nic,
            obs.nacp, obs.sil, obs.adsb_version, drone, cpr,
            np.nan if now is None else float(now), _minima(), _weights(int(mask)), int(mask),
            values, flags, conf,
        )
    # forget targets silent for RESET_S before the latest time known (they would start
    # afresh anyway; only a report delayed by more than RESET_S behind the others can tell)
    seen = values[:, SEEN]
    latest = np.nanmax(seen) if np.isfinite(seen).any() else np.nan
    keep = np.flatnonzero(~(seen < latest - RESET_S) & ~np.isnan(values[:, PEN]))
    new_state = IntegrityState(enc.dictionary.take(pa.array(keep, pa.int64())), values[keep])
    return new_state, flags, conf


def integrity_step(
    state: IntegrityState, reports: pa.Table, now: float | None = None,
    mask: int = ALL_CHECKS,
) -> tuple[IntegrityState, pa.Table, F8]:
    """:func:`check_batch` on a ``Reports`` table: returns the table with its ``flags``
    column filled (OR-ed into any flags already there) and the confidence per row."""
    state, flags, conf = check_batch(state, observations(reports), now, mask)
    if "flags" in reports.column_names:
        old = np.asarray(pc.fill_null(reports.column("flags").cast(pa.uint32()), 0),
                         dtype=np.uint32)
        flags = flags | old
        reports = reports.set_column(reports.column_names.index("flags"), "flags",
                                     pa.array(flags, pa.uint32()))
    else:
        reports = reports.append_column("flags", pa.array(flags, pa.uint32()))
    return state, reports, conf
