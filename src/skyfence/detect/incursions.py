"""``IncursionBuilder``: detector output, batch after batch, into ``Incursions`` rows.

With ``integrity``, three more columns (:data:`INCURSIONS_INTEGRITY`): ``integrity``
(``verified`` when at least one report the episode rests on passed every check with enough
track confidence, else ``unverified``), ``checks`` (the checks that fired on its reports) and
``min_confidence``.

``exempt`` is true when the zone's exemptions match the target id or the callsign at entry,
or when the target squawked an emergency code (7500, 7600, 7700) at entry or exit and the
zone treats emergencies as "report, flagged". ``alt`` values are barometric altitude where
reported, else geometric (metres). Episodes are kept and turned into rows as whole columns
(:mod:`skyfence.detect.episode_table`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from skyfence.detect.depth import (
    DepthCalculator,
    circle_candidates,
    depth_calculator,
    sample_runs,
)
from skyfence.detect.episode_table import Episodes, Exits, ZoneColumns, incursion_table
from skyfence.detect.episodes import FROM_STATE, walk
from skyfence.detect.step import LOST, Detection, forward_filled
from skyfence.schema.incursions import INCURSIONS, INCURSIONS_INTEGRITY
from skyfence.track.grading import GRADING_CHECKS, VERIFIED_MIN_CONFIDENCE
from skyfence.zones.model import ZoneSet

__all__ = ["IncursionBuilder"]

I8 = npt.NDArray[np.int64]


class IncursionBuilder:
    """Accumulates episodes batch by batch (:meth:`update`); :meth:`finish` returns them all
    as rows, those still open at the end with ``exit_time`` null. Closed episodes are kept
    as columns and made into rows once, at the end: rows cost a fixed overhead per call
    that would otherwise recur with every batch."""

    def __init__(self, zones: ZoneSet, integrity: bool = False) -> None:
        self.zones = zones
        self.schema = INCURSIONS_INTEGRITY if integrity else INCURSIONS
        self.open = Episodes.empty()
        self.closed: list[tuple[Episodes, Exits]] = []
        self._zone_columns: ZoneColumns | None = None
        self._depth = DepthCalculator()  # the zone index's, from the first batch on

    def update(self, det: Detection) -> None:
        self._depth = depth_calculator(det.index)
        nz = max(len(self.zones), 1)
        rows, codes = det.rows, det.codes
        # inside samples, sorted by (group, time): rows are sorted by (target, time)
        s_g = codes[det.in_row].astype(np.int64) * nz + det.in_zone
        so = np.argsort(s_g, kind="stable")
        s_row, s_g = det.in_row[so], s_g[so]
        s_zone = det.in_zone[so]
        # transitions sorted by (group, time, kind)
        to = np.lexsort((det.tr_kind, det.tr_time,
                         codes[det.tr_row].astype(np.int64) * nz + det.tr_zone))
        t_g = codes[det.tr_row[to]].astype(np.int64) * nz + det.tr_zone[to]
        t_t, t_kind = det.tr_time[to], det.tr_kind[to]
        # episodes carried in, for targets present in this batch
        open_ = self.open
        init_g = np.zeros(0, np.int64)
        init_rows = np.zeros(0, np.int64)
        if len(open_):
            idx = pc.index_in(open_.target, value_set=det.names)
            pos = np.asarray(idx.fill_null(-1), dtype=np.int64)
            have = np.flatnonzero(pos >= 0)
            gs = pos[have] * nz + open_.zone[have]
            order = np.argsort(gs)
            init_g, init_rows = gs[order], have[order]
        init_stats = open_.stats[init_rows]
        run, floor = sample_runs(s_g, s_row, rows.t, t_g, t_t, t_kind, init_g,
                                 np.ascontiguousarray(init_stats[:, 3]))
        s_depth = self._depths(det, s_row, s_zone, run, floor)
        t_a, t_b = det.tr_a[to], det.tr_b[to]
        cap = len(to) + len(init_g) + 64
        while True:
            ints, stats, n_closed = walk(
                s_g, s_row, s_depth, t_g, t_t, t_kind, t_a, t_b, rows.t, rows.alt_p,
                rows.flags, rows.conf, GRADING_CHECKS, VERIFIED_MIN_CONFIDENCE, init_g,
                init_stats, cap,
            )
            if n_closed >= 0:
                break
            cap *= 4
        self._collect(det, ints, stats, int(n_closed), to, s_row, init_g, init_rows)

    def _depths(self, det: Detection, s_row: I8, s_zone: npt.NDArray[np.int32], run: I8,
                floor: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each inside sample's depth where it is measured (it can be its episode's
        deepest), NaN elsewhere."""
        rows = det.rows
        out = np.full(len(s_row), np.nan)
        if len(s_row) == 0:
            return out
        need = circle_candidates(det.index.circles, s_zone, s_row, rows.lat, rows.lon, run,
                                 floor)
        by_zone = np.argsort(s_zone, kind="stable")
        zs = s_zone[by_zone]
        bounds = np.flatnonzero(np.concatenate(([True], zs[1:] != zs[:-1], [True])))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            z = int(zs[lo])
            zone = self.zones[z]
            sel = by_zone[lo:hi]
            r = s_row[sel]
            if zone.circle is not None:
                keep = need[sel]  # the others cannot be their episode's deepest
                sel, r = sel[keep], r[keep]
                out[sel] = self._depth.depth_m(z, zone, rows.lat[r], rows.lon[r])
            else:
                out[sel] = self._depth.polygon_depths(z, zone, r, det.codes, rows.t,
                                                      rows.lat, rows.lon, run[sel], floor)
        return out

    def _collect(
        self, det: Detection, ints: I8, stats: npt.NDArray[np.float64], n_closed: int,
        to: I8, s_row: I8, init_g: I8, init_rows: I8,
    ) -> None:
        """The walk's episodes as columns, closed and still open, kept."""
        rows, nz = det.rows, max(len(self.zones), 1)
        g, entry = ints[:, 0], ints[:, 1]
        by_tr, by_sample, carried = entry >= 0, entry <= -2, entry == FROM_STATE
        entry_rows = np.zeros(len(ints), np.int64)
        entry_rows[by_tr] = det.tr_row[to[entry[by_tr]]]
        entry_rows[by_sample] = s_row[-2 - entry[by_sample]]
        tr = to[entry[by_tr]]
        sr = entry_rows[by_sample]
        entry_num = np.empty((len(ints), 4))
        entry_num[by_tr] = np.column_stack(
            [det.tr_time[tr], det.tr_lat[tr], det.tr_lon[tr], det.tr_alt[tr]])
        entry_num[by_sample] = np.column_stack(
            [rows.t[sr], rows.lat[sr], rows.lon[sr], rows.alt_p[sr]])
        callsign = forward_filled(rows, rows.callsign, det.codes, entry_rows)
        squawk = forward_filled(rows, rows.squawk, det.codes, entry_rows)
        open_ = self.open
        consumed = np.zeros(0, np.int64)
        if carried.any():
            # episodes carried in keep their entry; the walk brought their statistics
            src = np.zeros(len(ints), np.int64)
            consumed = init_rows[np.searchsorted(init_g, g[carried])]
            src[carried] = consumed
            entry_num[carried] = open_.entry[consumed]
            mask = pa.array(carried)
            ia = pa.array(src, pa.int64())
            callsign = pc.if_else(mask, open_.callsign.take(ia), callsign.cast(pa.string()))
            squawk = pc.if_else(mask, open_.squawk.take(ia), squawk.cast(pa.string()))
        codes, zone = np.divmod(g, nz)
        eps = Episodes(det.names.take(pa.array(codes, pa.int64())).cast(pa.string()),
                       zone.astype(np.int32), entry_num, stats,
                       callsign.cast(pa.string()), squawk.cast(pa.string()))
        keep = np.ones(len(open_), np.bool_)
        keep[consumed] = False
        still_open = eps.take(np.arange(n_closed, len(ints), dtype=np.int64))
        self.open = Episodes.concat(open_.take(np.flatnonzero(keep)), still_open)
        closed = eps.take(np.arange(n_closed, dtype=np.int64))
        x = to[ints[:n_closed, 2]]
        exits = Exits(
            lost=det.tr_kind[x] == LOST, time=det.tr_time[x], lat=det.tr_lat[x],
            lon=det.tr_lon[x], alt=det.tr_alt[x],
            squawk=forward_filled(rows, rows.squawk, det.codes, det.tr_row[x]),
        )
        if len(closed):
            self.closed.append((closed, exits))

    def _columns(self) -> ZoneColumns:
        if self._zone_columns is None:
            self._zone_columns = ZoneColumns.of(self.zones)
        return self._zone_columns

    def finish(self) -> pa.Table:
        """All episodes as ``Incursions`` rows: the closed ones, then those still open (the
        target was inside at the end of its data)."""
        zc = self._columns()
        parts = [incursion_table(zc, self.schema, self._depth, self.open, None)]
        if self.closed:
            closed = Episodes.concat(*(e for e, _ in self.closed))
            exits = Exits.concat([x for _, x in self.closed])
            parts.insert(0, incursion_table(zc, self.schema, self._depth, closed, exits))
        self.open, self.closed = Episodes.empty(), []
        return pa.concat_tables(parts)
