"""Batch decoding of Mode S frames into ``Reports``: parity, dispatch by DF, CPR.

Frame formats by DF (first five bits; DF 24-31 are all Comm-D, only two format bits)::

    DF  0  short air-air surveillance (ACAS)     altitude            -> surveillance
    DF  4  surveillance altitude reply           altitude            -> surveillance
    DF  5  surveillance identity reply           squawk              -> surveillance
    DF 11  all-call reply                        address             -> allcall
    DF 16  long air-air surveillance (ACAS)      altitude            -> surveillance
    DF 17  extended squitter (ADS-B)             ME by type code     -> adsb
    DF 18  extended squitter, non-transponder    ME by type code     -> adsb
    DF 20  Comm-B altitude reply                 altitude, BDS 2,0   -> surveillance
    DF 21  Comm-B identity reply                 squawk, BDS 2,0     -> surveillance

DF 0-11 are 56-bit frames and DF 16-24 112-bit ones. Some receivers pad short frames to 112
bits; the DF decides, and the padding is ignored. Any other DF, a frame too short for its DF,
a failed parity check, or a reply from an address never heard in clear (``state``) gives a
row with ``error`` set and no target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.decode import adsb, allcall, cpr, integrity, surveillance
from skyfence.decode.bits import FRAME_BYTES, U8, Fields, frames_from_hex
from skyfence.decode.columns import ERRORS, Out, ok_time
from skyfence.decode.crc import remainder, repair_one_bit
from skyfence.decode.state import Addresses, DecoderState
from skyfence.decode.status import EMERGENCIES

__all__ = ["DF_TABLE", "decode_frames", "decode_hex"]

Family = Callable[[Fields, npt.NDArray[np.intp], Out], None]

DF_TABLE: dict[int, Family] = {
    0: surveillance.altitude_reply,
    4: surveillance.altitude_reply,
    5: surveillance.identity_reply,
    11: allcall.decode,
    16: surveillance.altitude_reply,
    17: adsb.decode,
    18: adsb.decode,
    20: surveillance.altitude_reply,
    21: surveillance.identity_reply,
}

_SUPPORTED = np.zeros(32, dtype=np.bool_)
_SUPPORTED[list(DF_TABLE)] = True
_E_LENGTH = np.int8(ERRORS.index("bad length"))
_E_CRC = np.int8(ERRORS.index("crc"))
_E_DF = np.int8(ERRORS.index("unsupported df"))
_E_UNCONFIRMED = np.int8(ERRORS.index("unconfirmed address"))
_E_TIME = np.int8(ERRORS.index("bad time"))


def _checked(fx: Fields, repair: bool) -> tuple[Fields, npt.NDArray[np.uint32], npt.NDArray[
        np.int8]]:
    """Parity check: returns (fields, address, error code) per frame."""
    df = fx.df.astype(np.intp)
    need = np.where(df < 16, 7, 14)
    error = np.zeros(df.size, dtype=np.int8)
    error[~_SUPPORTED[df]] = _E_DF
    error[fx.lengths < need] = _E_LENGTH
    rem = remainder(fx.frames, need.astype(np.uint8))
    squitter = (df == 17) | (df == 18)
    if repair:
        frames = fx.frames.copy()
        rem = repair_one_bit(frames, need.astype(np.uint8), rem, squitter & (error == 0))
        fx = Fields.of(frames, fx.lengths)
    bad = (squitter & (rem != 0)) | ((df == 11) & ((rem >> np.uint32(7)) != 0))
    error[bad & (error == 0)] = _E_CRC
    aa = (fx.head & np.uint64(0xFFFFFF)).astype(np.uint32)
    clear = squitter | (df == 11)
    return fx, np.where(clear, aa, rem).astype(np.uint32), error


def decode_frames(
    frames: U8,
    lengths: npt.NDArray[np.integer] | None,
    times: npt.NDArray[np.float64],
    *,
    reference: tuple[float, float] | None = None,
    state: DecoderState | None = None,
    repair: bool = False,
    confirm: bool = True,
    source: str | None = None,
    mlat_ticks: npt.NDArray[np.int64] | None = None,
    signal_dbfs: npt.NDArray[np.float64] | None = None,
) -> tuple[pa.Table, DecoderState]:
    """Decode a batch of frames; one ``Reports`` row per frame, in input order.

    ``frames`` is ``(N, 14) uint8`` (short frames left-aligned), ``lengths`` bytes per frame
    (7 or 14; ``None``: all 14), ``times`` reception times in epoch seconds (UTC).
    ``reference`` (lat, lon) is the receiver position, used for surface positions; ``state``
    carries memory between batches (``None``: start empty) and the new state is returned
    with the table. ``repair`` fixes single-bit errors in DF 17/18 frames (off by default).
    ``confirm`` rejects replies whose address/parity address was not heard in clear (see
    ``state``); ``False`` trusts every address. ``source`` fills the ``source`` column (the
    feed, e.g. ``beast``); ``mlat_ticks`` and ``signal_dbfs`` come from the framer.
    """
    frames = np.ascontiguousarray(frames, dtype=np.uint8).reshape(-1, FRAME_BYTES)
    n = frames.shape[0]
    lens = (np.full(n, FRAME_BYTES, np.uint8) if lengths is None
            else np.asarray(lengths).astype(np.uint8))
    t = np.asarray(times, dtype=np.float64)
    if lens.shape != (n,) or t.shape != (n,):
        raise ValueError(f"{n} frames but {lens.shape} lengths and {t.shape} times")
    state = state if state is not None else DecoderState.empty()
    out = Out(n)
    fx, out.icao, out.error = _checked(Fields.of(frames, lens), repair)
    out.error[(out.error == 0) & ~ok_time(t)] = _E_TIME
    good = out.error == 0
    out.i8["df"][good] = fx.df[good]
    df = np.where(good, fx.df, -1)
    for code, family in DF_TABLE.items():
        rows = np.flatnonzero(df == code)
        if rows.size:
            family(fx, rows, out)
    finite = t[np.isfinite(t)]
    now = float(finite.max()) if finite.size else np.nan
    addresses = _confirm(fx, out, t, state, confirm, now)
    versions = integrity.resolve(out, t, state.versions, now)
    rows = np.flatnonzero((out.cpr_kind >= 0) & (out.error == 0))
    res = cpr.resolve(
        out.icao[rows], t[rows], out.cpr_kind[rows] == 1, out.cpr_odd[rows] == 1,
        out.cpr_lat[rows], out.cpr_lon[rows], state.cpr, reference,
    )
    out.f["lat"][rows], out.f["lon"][rows] = res.lat, res.lon
    out.cpr_decoding[rows], out.cpr_ambiguity[rows] = res.decoding, res.ambiguity
    if mlat_ticks is not None:
        out.mlat_ticks[:] = mlat_ticks
    if signal_dbfs is not None:
        out.f["signal_dbfs"][:] = signal_dbfs
    return out.to_table(t, EMERGENCIES, source), DecoderState(res.state, addresses, versions)


def _confirm(fx: Fields, out: Out, t: npt.NDArray[np.float64], state: DecoderState,
             confirm: bool, now: float) -> Addresses:
    """Update the confirmed addresses; flag replies from unconfirmed ones."""
    df = fx.df
    ok = out.error == 0
    clear = ok & ((df == 11) | (df == 17) | (df == 18))
    addresses = state.addresses.updated(out.icao[clear], t[clear], now)
    if confirm:
        ap = np.flatnonzero(ok & ~((df == 11) | (df == 17) | (df == 18)))
        out.error[ap[~addresses.known(out.icao[ap])]] = _E_UNCONFIRMED
    return addresses


def decode_hex(
    hexes: Sequence[str],
    times: Sequence[float] | npt.NDArray[np.float64],
    *,
    reference: tuple[float, float] | None = None,
    state: DecoderState | None = None,
    repair: bool = False,
    confirm: bool = True,
) -> tuple[pa.Table, DecoderState]:
    """``decode_frames`` over hex strings (a string that is not 14 or 28 hex digits gives a
    ``bad length`` row)."""
    frames, lengths = frames_from_hex(hexes)
    return decode_frames(frames, lengths, np.asarray(times, dtype=np.float64),
                         reference=reference, state=state, repair=repair, confirm=confirm)
