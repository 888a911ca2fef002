"""Message Pack, type 0xF: up to nine 25-byte messages in one frame (Wi-Fi Beacon/NAN and
Bluetooth 5 Long Range carry packs; Bluetooth 4 legacy advertising carries single messages).

::

    byte 0      message type (0xF) | protocol version
    byte 1      single message size, always 25
    byte 2      number of messages, 1-9
    byte 3-227  the messages, 25 bytes each

A pack never contains another pack.
"""

from __future__ import annotations

from skyfence.remoteid.fields import MESSAGE_SIZE

__all__ = ["MAX_MESSAGES", "unpack"]

MAX_MESSAGES = 9


def unpack(frame: bytes) -> tuple[list[bytes], str | None]:
    """The messages of one pack, or ``([], error)``."""
    if len(frame) < 3:
        return [], "message pack shorter than its 3-byte header"
    size, count = frame[1], frame[2]
    if size != MESSAGE_SIZE:
        return [], f"message pack with message size {size}, expected {MESSAGE_SIZE}"
    if not 1 <= count <= MAX_MESSAGES:
        return [], f"message pack with {count} messages, expected 1-{MAX_MESSAGES}"
    if len(frame) < 3 + count * MESSAGE_SIZE:
        return [], f"message pack of {count} messages truncated at {len(frame)} bytes"
    msgs = [frame[3 + k * MESSAGE_SIZE : 3 + (k + 1) * MESSAGE_SIZE] for k in range(count)]
    if any(m[0] >> 4 == 0xF for m in msgs):
        return [], "message pack inside a message pack"
    return msgs, None
