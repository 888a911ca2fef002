"""``IncursionBuilder``: detector output, batch after batch, into ``Incursions`` rows.

With ``integrity``, three more columns (:data:`INCURSIONS_INTEGRITY`): ``integrity``
(``verified`` when at least one report the episode rests on passed every check with enough
track confidence, else ``unverified``), ``checks`` (the checks that fired on its reports) and
``min_confidence``.

``exempt`` is true when the zone's exemptions match the target id or the callsign at entry,
or when the target squawked an emergency code (7500, 7600, 7700) at entry or exit and the
zone treats emergencies as "report, flagged". ``alt`` values are barometric altitude where
reported, else geometric (metres).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.batch import Rows
from skyfence.detect.depth import DepthCalculator, circle_candidates, depth_calculator
from skyfence.detect.episodes import FROM_STATE, N_STATS, OpenEpisode, walk
from skyfence.detect.step import Detection, forward_filled
from skyfence.schema.incursions import INCURSIONS, INCURSIONS_INTEGRITY
from skyfence.track.checks import check_names
from skyfence.track.grading import GRADING_CHECKS, VERIFIED_MIN_CONFIDENCE
from skyfence.zones.model import EMERGENCY_SQUAWKS, ZoneSet

__all__ = ["IncursionBuilder"]

CROSSING_SAMPLES = 33  # points along a crossing's path where its depth is measured

I8 = npt.NDArray[np.int64]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


class IncursionBuilder:
    """Accumulates episodes; :meth:`update` returns those closed by a batch, :meth:`finish`
    those still open at the end (``exit_time`` null)."""

    def __init__(self, zones: ZoneSet, integrity: bool = False) -> None:
        self.zones = zones
        self.schema = INCURSIONS_INTEGRITY if integrity else INCURSIONS
        self.open: dict[tuple[str, int], OpenEpisode] = {}
        self._depth = DepthCalculator()  # the zone index's, from the first batch on

    def update(self, det: Detection) -> pa.Table:
        self._depth = depth_calculator(det.index)
        nz = max(len(self.zones), 1)
        rows, codes = det.rows, det.codes
        # inside samples, sorted by (group, time): rows are sorted by (target, time)
        s_g = codes[det.in_row].astype(np.int64) * nz + det.in_zone
        so = np.argsort(s_g, kind="stable")
        s_row, s_g = det.in_row[so], s_g[so]
        s_zone = det.in_zone[so]
        # transitions sorted by (group, time, kind)
        t_g = codes[det.tr_row].astype(np.int64) * nz + det.tr_zone
        to = np.lexsort((det.tr_kind, det.tr_time, t_g))
        need = circle_candidates(det.index.circles, s_zone, rows.lat[s_row], rows.lon[s_row],
                                 s_g, rows.t[s_row], t_g[to], det.tr_time[to],
                                 det.tr_kind[to])
        s_depth = self._depths(det, s_row, s_zone, need)
        # episodes carried in, for targets present in this batch
        names = det.names
        keys = list(self.open)
        init_g = np.zeros(0, np.int64)
        init_stats = np.zeros((0, N_STATS))
        carried: dict[int, tuple[str, int]] = {}
        if keys:
            idx = pc.index_in(pa.array([k[0] for k in keys], pa.string()), value_set=names)
            pos = np.asarray(idx.fill_null(-1), dtype=np.int64)
            have = np.flatnonzero(pos >= 0)
            gs = pos[have] * nz + np.array([keys[h][1] for h in have], dtype=np.int64)
            order = np.argsort(gs)
            init_g = gs[order]
            init_stats = np.array(
                [[e.n_inside, e.min_alt, e.max_alt, e.max_depth, e.clean, e.flags, e.min_conf]
                 for e in (self.open[keys[have[o]]] for o in order)]
            ).reshape(-1, N_STATS)
            carried = {int(g): keys[have[o]] for g, o in zip(init_g, order, strict=True)}
        cap = len(to) + len(init_g) + 64
        while True:
            ints, stats, n_closed = walk(
                s_g, rows.t[s_row], rows.alt_p[s_row], s_depth, _integrity_of(rows, s_row),
                t_g[to], det.tr_time[to], det.tr_kind[to],
                _transition_integrity(rows, det.tr_a[to], det.tr_b[to]),
                init_g, init_stats, cap,
            )
            if n_closed >= 0:
                break
            cap *= 4
        return self._collect(det, ints, stats, int(n_closed), to, s_row, carried)

    def _depths(self, det: Detection, s_row: I8, s_zone: npt.NDArray[np.int32],
                need: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        rows = det.rows
        out = np.full(len(s_row), np.nan)
        if len(s_row) == 0:
            return out
        by_zone = np.argsort(s_zone, kind="stable")
        zs = s_zone[by_zone]
        bounds = np.flatnonzero(np.r_[True, zs[1:] != zs[:-1], True])
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            z = int(zs[lo])
            zone = self.zones[z]
            sel = by_zone[lo:hi]
            r = s_row[sel]
            if zone.circle is not None:
                keep = need[sel]  # the others cannot be their episode's deepest
                sel, r = sel[keep], r[keep]
            else:
                b = self._depth.bucket_s(z, zone)
                # a target's first row, or a new bucket since its previous row
                prev = np.maximum(r - 1, 0)
                first = (r == 0) | (det.codes[r] != det.codes[prev]) | (
                    np.floor(rows.t[r] / b) != np.floor(rows.t[prev] / b))
                sel, r = sel[first], r[first]
            out[sel] = self._depth.depth_m(z, zone, rows.lat[r], rows.lon[r])
        return out

    def _collect(
        self, det: Detection, ints: I8, stats: npt.NDArray[np.float64], n_closed: int,
        to: I8, s_row: I8, carried: dict[int, tuple[str, int]],
    ) -> pa.Table:
        rows, nz = det.rows, max(len(self.zones), 1)
        entry_rows = np.zeros(len(ints), np.int64)
        by_tr = ints[:, 1] >= 0
        by_sample = ints[:, 1] <= -2
        entry_rows[by_tr] = det.tr_row[to[ints[by_tr, 1]]]
        entry_rows[by_sample] = s_row[-2 - ints[by_sample, 1]]
        callsigns = forward_filled(rows, rows.callsign, det.codes, entry_rows).to_pylist()
        squawks = forward_filled(rows, rows.squawk, det.codes, entry_rows).to_pylist()
        exits = ints[:n_closed, 2]
        exit_squawks = forward_filled(rows, rows.squawk, det.codes,
                                      det.tr_row[to[exits]]).to_pylist()
        out: list[dict[str, object]] = []
        for k in range(len(ints)):
            g, entry, exit_ = (int(v) for v in ints[k])
            code, z = divmod(g, nz)
            target = str(det.names[code])
            n, mn, mx, depth, clean, fl, conf = stats[k]
            if entry == FROM_STATE:
                prev = self.open.pop(carried[g])
                ep = OpenEpisode(prev.entry_time, prev.entry_lat, prev.entry_lon,
                                 prev.entry_alt, int(n), mn, mx, depth, prev.callsign,
                                 prev.squawk, clean, fl, conf)
            else:
                if entry >= 0:
                    i = to[entry]
                    e_t, e_lat, e_lon, e_alt = (det.tr_time[i], det.tr_lat[i], det.tr_lon[i],
                                                det.tr_alt[i])
                else:
                    r = s_row[-2 - entry]
                    e_t, e_lat, e_lon, e_alt = rows.t[r], rows.lat[r], rows.lon[r], rows.alt_p[r]
                ep = OpenEpisode(float(e_t), float(e_lat), float(e_lon), float(e_alt), int(n),
                                 mn, mx, depth, callsigns[k], squawks[k], clean, fl, conf)
            if k >= n_closed:
                self.open[(target, z)] = ep
                continue
            x = to[exit_]
            lost = det.tr_kind[x] == 3
            out.append(self._row(target, z, ep, None if lost else x, det, exit_squawks[k]))
        return _table(out, self.schema)

    def _row(self, target: str, z: int, ep: OpenEpisode, x: int | None,
             det: Detection | None, exit_squawk: str | None) -> dict[str, object]:
        zone = self.zones[z]
        ex = zone.exemptions
        emergency = ex.emergency_squawks and (
            ep.squawk in EMERGENCY_SQUAWKS or exit_squawk in EMERGENCY_SQUAWKS
        )
        exempt = bool(emergency or ex.matches(target, ep.callsign))
        row: dict[str, object] = {
            "target_id": target, "callsign": ep.callsign, "zone_id": zone.id,
            "zone_name": zone.name, "entry_time": _us(ep.entry_time), "exit_time": None,
            "duration_s": None, "entry_lat": ep.entry_lat, "entry_lon": ep.entry_lon,
            "entry_alt_m": _finite(ep.entry_alt), "exit_lat": None, "exit_lon": None,
            "exit_alt_m": None, "max_depth_m": _finite(ep.max_depth),
            "min_alt_m": _finite(ep.min_alt), "max_alt_m": _finite(ep.max_alt),
            "n_reports_inside": ep.n_inside, "exempt": exempt,
        }
        alts = [ep.min_alt, ep.max_alt, ep.entry_alt]
        if x is not None and det is not None:
            x_lat, x_lon = float(det.tr_lat[x]), float(det.tr_lon[x])
            row.update(
                exit_time=_us(float(det.tr_time[x])),
                duration_s=round(float(det.tr_time[x]) - ep.entry_time, 3),
                exit_lat=x_lat, exit_lon=x_lon, exit_alt_m=_finite(float(det.tr_alt[x])),
            )
            alts.append(float(det.tr_alt[x]))
            if ep.n_inside == 0:
                # a crossing between two reports: how deep the straight path went
                f = np.linspace(0.0, 1.0, CROSSING_SAMPLES)
                lat = ep.entry_lat + f * (x_lat - ep.entry_lat)
                lon = ep.entry_lon + f * (x_lon - ep.entry_lon)
                row["max_depth_m"] = float(self._depth.depth_m(z, zone, lat, lon).max())
        finite = [a for a in alts if math.isfinite(a)]
        row["min_alt_m"] = min(finite) if finite else None
        row["max_alt_m"] = max(finite) if finite else None
        if self.schema is INCURSIONS_INTEGRITY:
            row["integrity"] = "verified" if ep.clean > 0 else "unverified"
            row["checks"] = ",".join(check_names(np.array([int(ep.flags)], np.uint32)))
            row["min_confidence"] = _finite(ep.min_conf)
        return row

    def finish(self) -> pa.Table:
        """Episodes still open: the target was inside at the end of its data."""
        out = [self._row(t, z, ep, None, None, None) for (t, z), ep in self.open.items()]
        self.open.clear()
        return _table(out, self.schema)


def _integrity_of(rows: Rows, idx: I8) -> npt.NDArray[np.float64]:
    """``(clean, flags, confidence)`` per row: clean = no check fired and confidence high
    enough to verify (see :func:`skyfence.track.grading.grade`)."""
    flags, conf = rows.flags[idx], rows.conf[idx]
    clean = ((flags & np.uint32(GRADING_CHECKS)) == 0) & (conf >= VERIFIED_MIN_CONFIDENCE)
    return np.column_stack([clean.astype(np.float64), flags.astype(np.float64), conf])


def _transition_integrity(rows: Rows, a: I8, b: I8) -> npt.NDArray[np.float64]:
    """A transition rests on both ends of its segment: clean if both are."""
    ia, ib = _integrity_of(rows, a), _integrity_of(rows, b)
    out = np.minimum(ia, ib)
    out[:, 1] = (ia[:, 1].astype(np.int64) | ib[:, 1].astype(np.int64)).astype(np.float64)
    return out


def _us(t: float) -> int:
    return round(t * 1e6)


def _table(rows: list[dict[str, object]], schema: pa.Schema) -> pa.Table:
    if not rows:
        return schema.empty_table()
    cols = {f.name: [r[f.name] for r in rows] for f in schema}
    return pa.Table.from_pydict(
        {k: pa.array(v, type=schema.field(k).type) for k, v in cols.items()}, schema=schema,
    )
