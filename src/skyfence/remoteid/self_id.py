"""Self-ID message, type 3: free text the operator declares (e.g. the purpose of the flight).

::

    byte 0      message type (3) | protocol version
    byte 1      description type: 0 text, 1 emergency, 2 extended status, 201-255 private
    byte 2-24   description, 23 ASCII characters, NUL padded
"""

from __future__ import annotations

import numpy as np

from skyfence.remoteid.fields import U8, Columns, text

__all__ = ["decode"]


def decode(m: U8) -> Columns:
    return {
        "description_type": m[:, 1].astype(np.float64),
        "description": text(m, 2, 25),
    }
