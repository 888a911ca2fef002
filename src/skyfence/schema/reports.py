"""``Reports``: one row per observation of a target.

Every column any stage may emit is declared here; a drift test fails on anything else.
Missing values are nulls, never sentinel numbers.

Identity
    ``target_id`` is ``<kind>:<id>``: ``icao:3c6444`` (lower-case hex ICAO 24-bit address),
    ``rid:<serial or session id>``, ``plot:<sensor>``; ``id_kind`` repeats the prefix.
Kinematics (SI)
    ``lat``/``lon`` degrees WGS84, ``alt_baro_m`` pressure altitude (1013.25 hPa) in metres,
    ``alt_geo_m`` geometric (GNSS, WGS84 ellipsoid) altitude in metres, ``gs_mps`` ground
    speed, ``track_deg`` true track over ground, ``vrate_mps`` vertical rate (positive up).
Tracking
    ``track_id``, ``flags`` (integrity bitmask, :mod:`skyfence.track.checks`) and
    ``confidence`` (track confidence 0-1 from those flags) are filled by the track stage.
Remote ID, plots, classification
    ``height_m`` above ``height_ref`` (``takeoff`` or ``ground``), ``ua_type``, the operator's
    position (``operator_lat``/``operator_lon``/``operator_alt_geo_m``) from Remote ID;
    ``target_class`` (``drone``, ``light_aircraft``, ``airliner``, ``unknown``) with
    ``class_confidence`` in 0..1; ``track_quality`` in 0..1 for tracks built from plots.
Decoding
    the ``df``..``cpr_ambiguity`` block is filled by the Mode S decoder (``cpr_decoding``: how
    the CPR position was resolved, ``cpr_ambiguity``: why it may be a zone off, see
    :mod:`skyfence.decode.cpr`); ``error`` is non-null for a row that could not be decoded
    (the row stays, aligned with its input frame).
"""

from __future__ import annotations

import pyarrow as pa

__all__ = ["REPORTS", "TIME_TYPE", "empty_reports"]

TIME_TYPE = pa.timestamp("us", tz="UTC")

REPORTS = pa.schema(
    [
        pa.field("time", TIME_TYPE, nullable=False),
        pa.field("target_id", pa.string()),
        pa.field("id_kind", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("alt_baro_m", pa.float64()),
        pa.field("alt_geo_m", pa.float64()),
        pa.field("gs_mps", pa.float64()),
        pa.field("track_deg", pa.float64()),
        pa.field("vrate_mps", pa.float64()),
        pa.field("callsign", pa.string()),
        pa.field("squawk", pa.string()),
        pa.field("on_ground", pa.bool_()),
        pa.field("source", pa.string()),
        # integrity as reported by the target (ADS-B version dependent)
        pa.field("nic", pa.int8()),
        pa.field("nacp", pa.int8()),
        pa.field("sil", pa.int8()),
        # filled by the track stage
        pa.field("track_id", pa.int64()),
        pa.field("flags", pa.uint32()),
        pa.field("confidence", pa.float64()),
        # filled by the Mode S decoder
        pa.field("df", pa.int8()),
        pa.field("tc", pa.int8()),
        pa.field("category", pa.string()),
        pa.field("emergency", pa.string()),
        pa.field("adsb_version", pa.int8()),
        pa.field("nic_supplement", pa.int8()),
        pa.field("ias_mps", pa.float64()),
        pa.field("tas_mps", pa.float64()),
        pa.field("heading_deg", pa.float64()),
        pa.field("geo_minus_baro_m", pa.float64()),
        pa.field("mlat_ticks", pa.int64()),
        pa.field("signal_dbfs", pa.float64()),
        # how CPR placed the position: global | local | receiver (null: no position)
        pa.field("cpr_decoding", pa.string()),
        # why that position may be a CPR zone off (null: unambiguous), see decode/cpr.py
        pa.field("cpr_ambiguity", pa.string()),
        pa.field("error", pa.string()),
        # Remote ID, sensor plots and classification (remoteid/, plots/, tracker/)
        pa.field("height_m", pa.float64()),  # Remote ID height above height_ref
        pa.field("height_ref", pa.string()),  # "takeoff" | "ground"
        pa.field("ua_type", pa.string()),  # Remote ID UA type, e.g. "helicopter_or_multirotor"
        pa.field("operator_lat", pa.float64()),
        pa.field("operator_lon", pa.float64()),
        pa.field("operator_alt_geo_m", pa.float64()),
        pa.field("target_class", pa.string()),  # drone | light_aircraft | airliner | unknown
        pa.field("class_confidence", pa.float64()),  # 0..1
        pa.field("track_quality", pa.float64()),  # 0..1, plot tracks: recent hit ratio
    ]
)


def empty_reports() -> pa.Table:
    """A ``Reports`` table with no rows."""
    return REPORTS.empty_table()
