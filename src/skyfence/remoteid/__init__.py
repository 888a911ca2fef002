"""ASTM F3411-22a / ASD-STAN prEN 4709-002 broadcast Remote ID: payloads in, ``Reports`` out.

One module per message type, each opening with its byte layout: ``basic_id`` (0),
``location`` (1), ``auth`` (2, carried, not verified), ``self_id`` (3), ``system`` (4),
``operator_id`` (5), ``pack`` (0xF). ``decode_payloads`` gives one row per message;
``to_reports`` joins a transmitter's messages into ``Reports`` rows (``rid:<serial>``);
``reader`` registers sniffer JSONL logs (``*.rid.jsonl``) as a traffic format.
"""

from skyfence.remoteid.assemble import to_reports
from skyfence.remoteid.messages import MESSAGE_TABLE, decode_payloads

__all__ = ["MESSAGE_TABLE", "decode_payloads", "to_reports"]
