"""Mode S / ADS-B decoding: frames in, ``Reports`` out, vectorised over a batch.

``decode_frames(frames, lengths, times, reference=..., state=...)`` returns a ``Reports``
table aligned with its input (one row per frame, ``error`` set where a frame could not be
used) and the ``DecoderState`` (CPR memory, confirmed addresses) to pass to the next
batch. One module per message family, each opening with its bit layout; ``frames.DF_TABLE``
and ``adsb.TC_TABLE`` dispatch to them.
"""

from skyfence.decode.bits import frames_from_hex
from skyfence.decode.cpr import CprState
from skyfence.decode.crc import crc24
from skyfence.decode.frames import DF_TABLE, decode_frames, decode_hex
from skyfence.decode.state import DecoderState

__all__ = [
    "DF_TABLE",
    "CprState",
    "DecoderState",
    "crc24",
    "decode_frames",
    "decode_hex",
    "frames_from_hex",
]
