"""Compact Position Reporting (CPR) decoding (DO-260B 2.2.3.2.3.7 and A.1.7; ICAO Annex 10).

A position is sent as 17-bit fractions ``YZ``, ``XZ`` of a latitude/longitude zone, in
alternating even (``i = 0``) and odd (``i = 1``) frames whose zones differ in size:

- latitude zone ``Dlat_i = 360 / (4 NZ - i)`` degrees (airborne; surface: 90 instead of 360),
  ``NZ = 15``;
- longitude zone ``Dlon_i = 360 / max(NL(lat) - i, 1)``, where ``NL(lat)``, from 59 at the
  equator down to 1 above 87 degrees, is the number of even longitude zones at that latitude:
  ``NL = floor(2 pi / acos(1 - (1 - cos(pi / (2 NZ))) / cos^2(pi lat / 180)))``.

Global decoding takes one even and one odd airborne frame received within 10 s: the latitude
zone index ``j = floor(59 YZ_0 - 60 YZ_1 + 1/2)`` resolves the ambiguity, and both latitudes
must fall in the same NL band, else the pair straddles a band edge and is not used. Local
decoding takes one frame and a reference within half a zone (180 NM airborne, 45 NM surface):
``j = floor(ref / Dlat) + floor(1/2 + (ref mod Dlat) / Dlat - YZ)``, and the same for the
longitude. Surface frames are always decoded locally, against the aircraft's last position
or the receiver reference.

The decoder is a pure function of its ``CprState``: the last even and odd airborne frames and
the last position of each aircraft, carried from one batch to the next.

Each position also says how it was resolved (:data:`DECODINGS`) and, where it could be a
whole zone off, why (:data:`AMBIGUITIES`); the positions themselves do not depend on it:

- ``pair_inconsistent``: a global decoding whose even and odd positions lie further apart
  than an aircraft flies in the time between the two frames (:data:`MAX_SPEED_MPS`): the
  frames do not come from one transmitter at one place (a corrupted frame, two transmitters
  under one address), so the zone index drawn from them may be wrong;
- ``global_local_disagree``: a local decoding whose frame also pairs with a recent frame of
  the other parity, and the global solution lies elsewhere (a real disagreement is at least
  a zone: 6 degrees of latitude or 360/NL of longitude); the local solution is kept, since
  the chain of local positions may equally be the right one;
- ``receiver_far``: a surface position decoded against the receiver reference that lies
  more than :data:`SURFACE_RANGE_M` from it, beyond any ground-level radio horizon, so the
  reference is not within the 45 NM half-zone of the target and the position may be a
  surface zone (90 NM) off;
- ``local_jump``: a local decoding that lands further from the aircraft's previous position
  than it flies in the time since (:data:`MAX_SPEED_MPS`): one of the two is a zone off
  (e.g. surface positions resolved against a misplaced receiver reference, then the first
  airborne one, whose zones are four times larger, resolved right);
- ``doubtful_reference``: a local decoding against a position that was itself ambiguous
  (the doubt is carried until a global solution confirms the chain);
- ``nl_straddle``: no position: the pair straddles an NL band edge and no reference is fresh.

A local decoding is otherwise unambiguous: its reference is the aircraft's own position of at
most ``LOCAL_MAX_S`` (airborne: 10 s, <= 7 km at Mach 2, against a 180 NM half-zone) or
``SURFACE_REF_MAX_S`` (surface: 10 min at <= 100 m/s, 60 km, against 45 NM = 83 km) ago.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

__all__ = [
    "AMBIGUITIES",
    "DECODINGS",
    "MAX_SPEED_MPS",
    "PAIR_MAX_S",
    "SURFACE_RANGE_M",
    "CprState",
    "Resolved",
    "airborne_global",
    "airborne_pair",
    "local",
    "nl",
    "resolve",
]

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
NZ = 15
CPR_SCALE = 131072.0  # 2**17
PAIR_MAX_S = 10.0
"""An even and an odd frame further apart than this (10 s) may belong to different zones
(an aircraft at Mach 0.9 flies 1.5 NM in 10 s), so they are not paired."""
LOCAL_MAX_S = 10.0
"""A position older than this is not used as the reference of an airborne local decoding."""
SURFACE_REF_MAX_S = 600.0
"""A surface frame is decoded against the aircraft's own last position if it is younger than
this (10 min taxiing stays well inside 45 NM), else against the receiver reference."""
STATE_MAX_AGE_S = 600.0
"""Aircraft silent for 10 min are dropped from the state so it does not grow forever."""
MAX_SPEED_MPS = 700.0
"""An even and an odd position further apart than 700 m/s (1,360 kt, beyond Concorde's
Mach 2.04 cruise) times the time between the frames, plus :data:`PAIR_NOISE_M`, do not
describe one aircraft: the pair is inconsistent."""
PAIR_NOISE_M = 100.0
"""CPR quantisation (airborne: 6 deg / 2**17, about 5 m) and receiver time-stamping."""
SURFACE_RANGE_M = 55_560.0
"""30 NM: a receiver hears surface traffic within the radio horizon between its antenna and
one a few metres above the ground (a 100 m mast: 4.12 km x (sqrt(100) + sqrt(5)) = 50 km,
27 NM). A surface position decoded further than this from the receiver reference lies in
the outer third of the 45 NM half-zone: the reference is doubtful, the position may be a
zone off."""
DISAGREE_DEG = 0.01
"""Global and local solutions of one frame resolved into the same zone are equal up to
rounding; different zones are degrees apart. 0.01 deg (1.1 km) separates the two."""
DECODINGS = ("global", "local", "receiver")
"""How a position was resolved (``cpr_decoding``): from an even/odd pair; against the
aircraft's own previous position; against the receiver reference (surface)."""
AMBIGUITIES = ("pair_inconsistent", "global_local_disagree", "receiver_far",
               "doubtful_reference", "nl_straddle", "local_jump")
"""Why a resolution may be a zone off (``cpr_ambiguity``, see the module docstring)."""
_GLOBAL, _LOCAL, _RECEIVER = 0, 1, 2
_PAIR, _DISAGREE, _FAR, _CHAIN, _STRADDLE, _JUMP = 0, 1, 2, 3, 4, 5
_M_PER_DEG = 111_195.0


@numba.njit(cache=True, nogil=True)
def nl(lat: float) -> int:  # pragma: no cover - compiled
    """Number of even longitude zones at a latitude (1..59)."""
    a = abs(lat)
    if a < 1e-9:
        return 59
    if a > 87.0:
        return 1
    if a == 87.0:
        return 2
    c = math.cos(math.pi / 180.0 * a)
    x = 1.0 - (1.0 - math.cos(math.pi / (2.0 * NZ))) / (c * c)
    return math.floor(2.0 * math.pi / math.acos(x))


@numba.njit(cache=True, nogil=True)
def _mod(a: float, b: float) -> float:  # pragma: no cover - compiled
    return a - b * math.floor(a / b)


@numba.njit(cache=True, nogil=True)
def airborne_pair(
    lat_e: int, lon_e: int, lat_o: int, lon_o: int
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """Positions of the even frame and of the odd frame of an airborne pair (lat_e, lon_e,
    lat_o, lon_o); NaN if the two frames lie in different NL bands."""
    ye, xe = lat_e / CPR_SCALE, lon_e / CPR_SCALE
    yo, xo = lat_o / CPR_SCALE, lon_o / CPR_SCALE
    j = math.floor(59.0 * ye - 60.0 * yo + 0.5)
    rlat_e = 360.0 / 60.0 * (_mod(j, 60.0) + ye)
    rlat_o = 360.0 / 59.0 * (_mod(j, 59.0) + yo)
    if rlat_e >= 270.0:
        rlat_e -= 360.0
    if rlat_o >= 270.0:
        rlat_o -= 360.0
    nl_e = nl(rlat_e)
    if nl_e != nl(rlat_o):
        return math.nan, math.nan, math.nan, math.nan
    m = math.floor(xe * (nl_e - 1) - xo * nl_e + 0.5)
    ne, no = max(nl_e, 1), max(nl_e - 1, 1)
    rlon_e = 360.0 / ne * (_mod(m, ne) + xe)
    rlon_o = 360.0 / no * (_mod(m, no) + xo)
    if rlon_e >= 180.0:
        rlon_e -= 360.0
    if rlon_o >= 180.0:
        rlon_o -= 360.0
    return rlat_e, rlon_e, rlat_o, rlon_o


@numba.njit(cache=True, nogil=True)
def airborne_global(
    lat_e: int, lon_e: int, lat_o: int, lon_o: int, latest_odd: bool
) -> tuple[float, float]:  # pragma: no cover - compiled
    """Position from an even/odd airborne pair, for the most recent frame; NaN if the two
    frames lie in different NL bands."""
    a, b, c, d = airborne_pair(lat_e, lon_e, lat_o, lon_o)
    return (c, d) if latest_odd else (a, b)


@numba.njit(cache=True, nogil=True)
def _apart_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:  # pragma: no cover
    """Distance on a local flat earth (the pair's positions are at most a few km apart, or
    the pair is inconsistent anyway)."""
    dlon = abs(lon1 - lon2)
    dlon = min(dlon, 360.0 - dlon) * math.cos(math.radians(0.5 * (lat1 + lat2)))
    return _M_PER_DEG * math.hypot(lat1 - lat2, dlon)


@numba.njit(cache=True, nogil=True)
def local(
    cpr_lat: int, cpr_lon: int, odd: bool, ref_lat: float, ref_lon: float, surface: bool
) -> tuple[float, float]:  # pragma: no cover - compiled
    """Position from one frame and a reference within half a zone."""
    span = 90.0 if surface else 360.0
    i = 1 if odd else 0
    y, x = cpr_lat / CPR_SCALE, cpr_lon / CPR_SCALE
    dlat = span / (4 * NZ - i)
    j = math.floor(ref_lat / dlat) + math.floor(0.5 + _mod(ref_lat, dlat) / dlat - y)
    lat = dlat * (j + y)
    dlon = span / max(nl(lat) - i, 1)
    m = math.floor(ref_lon / dlon) + math.floor(0.5 + _mod(ref_lon, dlon) / dlon - x)
    lon = dlon * (m + x)
    if lon >= 180.0:
        lon -= 360.0
    return lat, lon


@dataclass(frozen=True)
class CprState:
    """Per-aircraft CPR memory, one row per ICAO address (sorted).

    ``even_*``/``odd_*``: last airborne frame of each parity and its time (NaN: none);
    ``pos_*``: last decoded position and its time; ``seen_t``: last position frame;
    ``doubt``: whether that position was ambiguous (local decodings from it inherit it)."""

    icao: npt.NDArray[np.uint32]
    even: npt.NDArray[np.int32]  # (n, 2) lat, lon
    odd: npt.NDArray[np.int32]
    times: F64  # (n, 4): even_t, odd_t, pos_t, seen_t
    pos: F64  # (n, 2)
    doubt: npt.NDArray[np.bool_]

    @classmethod
    def empty(cls) -> CprState:
        return cls._sized(np.zeros(0, dtype=np.uint32))

    @classmethod
    def _sized(cls, icao: npt.NDArray[np.uint32]) -> CprState:
        n = icao.size
        return cls(
            icao=icao,
            even=np.zeros((n, 2), dtype=np.int32),
            odd=np.zeros((n, 2), dtype=np.int32),
            times=np.full((n, 4), np.nan),
            pos=np.full((n, 2), np.nan),
            doubt=np.zeros(n, dtype=np.bool_),
        )

    def __len__(self) -> int:
        return int(self.icao.size)

    def _grown(self, icao: npt.NDArray[np.uint32]) -> CprState:
        merged = np.union1d(self.icao, icao).astype(np.uint32)
        new = CprState._sized(merged)
        where = np.searchsorted(merged, self.icao)
        for name in ("even", "odd", "times", "pos", "doubt"):
            getattr(new, name)[where] = getattr(self, name)
        return new

    def _pruned(self, now: float) -> CprState:
        keep = ~(now - self.times[:, 3] > STATE_MAX_AGE_S)
        if keep.all():
            return self
        return CprState(self.icao[keep], self.even[keep], self.odd[keep], self.times[keep],
                        self.pos[keep], self.doubt[keep])


@numba.njit(cache=True, nogil=True)
def _global(
    ylat: int, xlon: int, odd: bool, t: float, other: npt.NDArray[np.int32], t_other: float
) -> tuple[float, float, int]:  # pragma: no cover - compiled
    """Global solution of a frame with the last frame of the other parity (received at
    ``t_other``): (lat, lon, ambiguity code or -1)."""
    if odd:
        lat_e, lon_e, lat_o, lon_o = airborne_pair(other[0], other[1], ylat, xlon)
    else:
        lat_e, lon_e, lat_o, lon_o = airborne_pair(ylat, xlon, other[0], other[1])
    if math.isnan(lat_e):
        return math.nan, math.nan, _STRADDLE
    amb = -1
    if _apart_m(lat_e, lon_e, lat_o, lon_o) > MAX_SPEED_MPS * abs(t - t_other) + PAIR_NOISE_M:
        amb = _PAIR
    return (lat_o, lon_o, amb) if odd else (lat_e, lon_e, amb)


@numba.njit(cache=True, nogil=True)
def _own(lat: float, lon: float, tr: float, s: int, times: F64, pos: F64,
         doubt: npt.NDArray[np.bool_]) -> int:  # pragma: no cover - compiled
    """Ambiguity of a local decoding against the aircraft's own last position."""
    age = abs(tr - times[s, 2])
    if _apart_m(lat, lon, pos[s, 0], pos[s, 1]) > MAX_SPEED_MPS * age + PAIR_NOISE_M:
        return _JUMP
    return _CHAIN if doubt[s] else -1


@numba.njit(cache=True, nogil=True)
def _airborne(
    r: int, s: int, tr: float, odd: npt.NDArray[np.bool_], ylat: npt.NDArray[np.int32],
    xlon: npt.NDArray[np.int32], even_s: npt.NDArray[np.int32], odd_s: npt.NDArray[np.int32],
    times: F64, pos: F64, doubt: npt.NDArray[np.bool_],
) -> tuple[float, float, int, int]:  # pragma: no cover - compiled
    """One airborne frame: (lat, lon, decoding, ambiguity), codes -1 for none."""
    o = odd[r]
    k = 0 if o else 1  # the other parity's column in ``times``
    paired = abs(tr - times[s, k]) <= PAIR_MAX_S
    glat, glon, gamb = math.nan, math.nan, -1
    if paired:
        glat, glon, gamb = _global(ylat[r], xlon[r], o, tr, even_s[s] if o else odd_s[s],
                                   times[s, k])
    if abs(tr - times[s, 2]) <= LOCAL_MAX_S:
        lat, lon = local(ylat[r], xlon[r], o, pos[s, 0], pos[s, 1], False)
        if not math.isnan(glat) and gamb < 0:
            if abs(glat - lat) > DISAGREE_DEG or abs(glon - lon) > DISAGREE_DEG:
                return lat, lon, _LOCAL, _DISAGREE
            return lat, lon, _LOCAL, -1  # confirmed by an independent global solution
        return lat, lon, _LOCAL, _own(lat, lon, tr, s, times, pos, doubt)
    if paired:
        return glat, glon, _GLOBAL, gamb
    return math.nan, math.nan, -1, -1


@numba.njit(cache=True, nogil=True)
def _run(
    slot: npt.NDArray[np.intp], t: F64, surface: npt.NDArray[np.bool_],
    odd: npt.NDArray[np.bool_], ylat: npt.NDArray[np.int32], xlon: npt.NDArray[np.int32],
    even_s: npt.NDArray[np.int32], odd_s: npt.NDArray[np.int32], times: F64, pos: F64,
    doubt: npt.NDArray[np.bool_], ref_lat: float, ref_lon: float, out_lat: F64,
    out_lon: F64, out_how: I8, out_amb: I8,
) -> None:  # pragma: no cover - compiled
    for r in range(slot.size):
        s, tr = slot[r], t[r]
        lat, lon, how, amb = math.nan, math.nan, -1, -1
        times[s, 3] = tr
        if surface[r]:
            if abs(tr - times[s, 2]) <= SURFACE_REF_MAX_S:
                lat, lon = local(ylat[r], xlon[r], odd[r], pos[s, 0], pos[s, 1], True)
                how, amb = _LOCAL, _own(lat, lon, tr, s, times, pos, doubt)
            elif not math.isnan(ref_lat):
                lat, lon = local(ylat[r], xlon[r], odd[r], ref_lat, ref_lon, True)
                how = _RECEIVER
                if _apart_m(lat, lon, ref_lat, ref_lon) > SURFACE_RANGE_M:
                    amb = _FAR
        else:
            lat, lon, how, amb = _airborne(r, s, tr, odd, ylat, xlon, even_s, odd_s, times,
                                           pos, doubt)
            k = 1 if odd[r] else 0
            if odd[r]:
                odd_s[s, 0], odd_s[s, 1] = ylat[r], xlon[r]
            else:
                even_s[s, 0], even_s[s, 1] = ylat[r], xlon[r]
            times[s, k] = tr
        out_amb[r] = amb
        if not math.isnan(lat):
            pos[s, 0], pos[s, 1], times[s, 2] = lat, lon, tr
            doubt[s] = amb >= 0
            out_lat[r], out_lon[r], out_how[r] = lat, lon, how


class Resolved(NamedTuple):
    """What :func:`resolve` returns: per frame the position, its decoding and ambiguity
    (indices into :data:`DECODINGS` and :data:`AMBIGUITIES`, -1 for none), and the state."""

    lat: F64
    lon: F64
    decoding: I8
    ambiguity: I8
    state: CprState


def resolve(
    icao: npt.NDArray[np.uint32], t: F64, surface: npt.NDArray[np.bool_],
    odd: npt.NDArray[np.bool_], ylat: npt.NDArray[np.int32], xlon: npt.NDArray[np.int32],
    state: CprState, reference: tuple[float, float] | None,
) -> Resolved:
    """Positions of a sequence of CPR frames (in reception order) and the state after them."""
    n = icao.size
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    how, amb = np.full(n, -1, dtype=np.int8), np.full(n, -1, dtype=np.int8)
    if n == 0:
        return Resolved(lat, lon, how, amb, state)
    st = state._grown(np.unique(icao))
    slot = np.searchsorted(st.icao, icao).astype(np.intp)
    ref = reference if reference is not None else (math.nan, math.nan)
    _run(slot, t.astype(np.float64), surface, odd, ylat, xlon, st.even, st.odd, st.times,
         st.pos, st.doubt, float(ref[0]), float(ref[1]), lat, lon, how, amb)
    finite = t[np.isfinite(t)]
    return Resolved(lat, lon, how, amb,
                    st._pruned(float(finite.max())) if finite.size else st)
