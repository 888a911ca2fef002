"""Operator ID message, type 5: the operator's registration number.

::

    byte 0      message type (5) | protocol version
    byte 1      operator ID type: 0 operator ID, 201-255 private use
    byte 2-21   operator ID, 20 ASCII characters, NUL padded
    byte 22-24  reserved
"""

from __future__ import annotations

import numpy as np

from skyfence.remoteid.fields import U8, Columns, text

__all__ = ["decode"]


def decode(m: U8) -> Columns:
    return {
        "operator_id_type": m[:, 1].astype(np.float64),
        "operator_id": text(m, 2, 22),
    }
