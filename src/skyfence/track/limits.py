"""Every threshold of the integrity checks, with its number and why.

Two target classes: *aircraft* (``icao:``, ``plot:`` and anything else) and *drones*
(``rid:`` targets, ASTM F3411 / ASD-STAN prEN 4709-002 Remote ID). Speeds in m/s, lengths
in metres, times in seconds, SI as everywhere inside skyfence.
"""

from __future__ import annotations

__all__ = [
    "ACCEL_CATCHUP",
    "ACCEL_MARGIN_MPS",
    "ALT_MARGIN_M",
    "BARO_GNSS_BASE_M",
    "BARO_GNSS_FRAC",
    "DUP_WINDOW_S",
    "FUTURE_TOL_S",
    "GS_BASELINE_S",
    "GS_JITTER",
    "GS_NOISE_M",
    "GS_TOL_FRAC",
    "GS_TOL_MPS",
    "JUMP_FACTOR",
    "JUMP_MARGIN_M",
    "MAX_ACCEL_AIRCRAFT",
    "MAX_ACCEL_DRONE",
    "MAX_LAT_ACCEL_AIRCRAFT",
    "MAX_LAT_ACCEL_DRONE",
    "MAX_SPEED_AIRCRAFT",
    "MAX_SPEED_DRONE",
    "MAX_VRATE_AIRCRAFT",
    "MAX_VRATE_DRONE",
    "MIN_ACCURACY",
    "ORDER_TOL_S",
    "OUTLIER_N",
    "PAIR_MAX_S",
    "RESET_S",
    "SPEED_MARGIN_M",
    "STALE_S",
    "SWITCH_N",
    "TRACK_NOISE_DEG",
    "TURN_MIN_SPEED_AIRCRAFT",
    "TURN_MIN_SPEED_DRONE",
    "G",
]

KT = 1852.0 / 3600.0
FT = 0.3048
G = 9.80665
"""Standard gravity, m/s²."""

# --- speed envelopes -------------------------------------------------------------------
MAX_SPEED_AIRCRAFT = 1333.0 * KT
"""1,333 kt (686 m/s): above Concorde's Mach 2.04 cruise (~1,170 kt) and any sustained
fighter dash; a ground speed beyond it is not flown by anything that transmits ADS-B."""
MAX_SPEED_DRONE = 100.0
"""100 m/s (194 kt) for ``rid:`` targets: multirotors top out near 30-60 m/s and racing
drones near 70 m/s; F3411 can encode up to 254.25 m/s, so the field itself does not bound it."""
SPEED_MARGIN_M = 1500.0
"""Position noise allowed before a position-derived speed counts: clean recordings (traffic's
featured flights, 1 s sampling) show up to ~1.1 km between consecutive positions beyond
speed x time (recorder latency, OpenSky merging), 10 s samples up to ~3 km (x1.5 covers it)."""

# --- acceleration and turns ------------------------------------------------------------
MAX_ACCEL_AIRCRAFT = 3.0 * G
"""3 g along track (29.4 m/s²): a carrier catapult launch gives ~3-4 g for 2 s, a fighter in
full afterburner under 1.5 g, an airliner's take-off roll ~0.3 g."""
MAX_ACCEL_DRONE = 5.0 * G
"""5 g: racing quadcopters reach ~4 g; camera drones far less."""
ACCEL_MARGIN_MPS = 5.0
"""Ground speed noise between two velocity messages (1 kt resolution, NACv >= 1: < 10 m/s
95 %) before an acceleration counts."""
ACCEL_CATCHUP = 0.5 * G
"""A speed held by a recorder (repeated, unchanged) may have changed meanwhile at up to 0.5 g
(airliners: <= 0.3 g on the take-off roll, ~0.5 g braking), for at most ``STALE_S``: a spike
after a long steady cruise is still caught."""
MAX_LAT_ACCEL_AIRCRAFT = 9.0 * G
"""Turns: lateral acceleration ``v x omega`` beyond 9 g (fighter structural limit; airliners
are limited to 2.5 g). At 250 kt (129 m/s) that is 0.69 rad/s, 39 deg/s."""
MAX_LAT_ACCEL_DRONE = 5.0 * G
"""Drones turn by tilting; 5 g as for their longitudinal acceleration."""
TURN_MIN_SPEED_AIRCRAFT = 50.0
"""Below 50 m/s (97 kt) the track over ground of an aircraft is noisy (taxiing, hovering
helicopters turn on the spot), so turns are not checked."""
TURN_MIN_SPEED_DRONE = 10.0
"""Below 10 m/s a multirotor's track means little (it can fly sideways)."""
TRACK_NOISE_DEG = 10.0
"""Track angle noise allowed on top of the turn bound (1 deg resolution, and a velocity and
a position message of slightly different age)."""

# --- positions -------------------------------------------------------------------------
JUMP_FACTOR = 2.0
"""A position is a jump when it lies further than ``2 x speed x time + JUMP_MARGIN_M`` from
the last accepted one: twice the reported speed covers wind-free speed changes during a gap
(clean data: ratio up to 2.4 over 10 s with the margin)."""
JUMP_MARGIN_M = 1500.0
"""Same noise as :data:`SPEED_MARGIN_M`."""
DUP_WINDOW_S = 30.0
"""Two tracks under one address count as *both alive* when each has been heard within 30 s:
ADS-B positions come every 0.5 s, OpenSky state vectors every 5-10 s."""
SWITCH_N = 3
"""A second track that stays self-consistent for 3 positions while the first one is silent
replaces it (the first was the outlier, or the target really moved: a new CPR zone, a
coasting tracker catching up)."""
PAIR_MAX_S = 120.0
"""A jump candidate older than 2 minutes is forgotten."""

# --- vertical --------------------------------------------------------------------------
MAX_VRATE_AIRCRAFT = 1000.0 * FT
"""1,000 ft/s (305 m/s, 60,000 ft/min): beyond a fighter's zoom climb (~50,000 ft/min) and
anything but a falling ballistic object."""
MAX_VRATE_DRONE = 50.0
"""50 m/s: F3411 encodes vertical speed up to +/-62 m/s; real multirotors climb < 20 m/s."""
ALT_MARGIN_M = 60.0
"""Altitude noise before a step counts: 25 ft (Q-bit) or 100 ft (Gillham) quanta, two of
them."""
OUTLIER_N = 3
"""An altitude off the track that reverts at the next value is an *outlier*
(``alt_outlier``, data quality): Mode S altitude replies (DF 0/4/16/20) carry their address
only in the parity, so a reply of another aircraft, or a corrupted one, can land on this
address (recordings show single reports at other aircraft's cruise levels: 55 of 213
quickstart flights). It becomes ``climb`` when it persists (a second value at the new
level, or the same value still reported after ``STALE_S``) or recurs: 3 outliers within
``DUP_WINDOW_S`` (30 s) are a second altitude source alive next to the first, as two
transmitters interleaved under one address are (ADS-B every 0.5 s, OpenSky every 5-10 s)."""
BARO_GNSS_BASE_M = 600.0
BARO_GNSS_FRAC = 0.15
"""Geometric minus barometric altitude may reach ``600 m + 15 % of the altitude``: pressure
altitude is referred to 1013.25 hPa (QNH 960-1050 hPa: +/-450 m at the surface) and to the
ISA temperature profile (+/-30 K at altitude: ~13 % of the height), and GNSS height is above
the ellipsoid (geoid undulation +/-100 m)."""

# --- ground speed vs positions ---------------------------------------------------------
GS_BASELINE_S = 8.0
"""Positions at least 8 s apart are needed to derive a speed with 1.5 km noise; short enough
that a lie about ground speed is caught within 10 s."""
GS_TOL_MPS = 40.0
GS_TOL_FRAC = 0.2
"""Derived speed may differ from the reported one by ``40 m/s + 20 %`` (speed changes within
the baseline, wind-free by construction since both are over ground)."""
GS_NOISE_M = 1500.0
"""Position noise spread over the baseline (adds 1,500 m / baseline to the tolerance). Only a
derived speed *above* the reported one is flagged: recorders hold stale positions (OpenSky
state vectors: up to ~15 s), which makes derived speeds look low, never high."""
GS_JITTER = 0.5
"""Positions of sampled feeds (OpenSky state vectors every 10 s) are stamped with the sample
time, not the measurement's: up to half an update interval of flight (1.2 km at 240 m/s and
10 s) is added to :data:`GS_NOISE_M`."""

# --- time ------------------------------------------------------------------------------
ORDER_TOL_S = 0.0
"""Any timestamp older than the latest one of the same target is out of order: the track
stage reads reports in arrival order."""
FUTURE_TOL_S = 5.0
"""Receiver clocks are NTP or GNSS disciplined (ms); 5 s absorbs a badly synced feeder."""
STALE_S = 15.0
"""Recorders repeat a value until a new one arrives (OpenSky state vectors: positions up to
~15 s old), so a value's age is the time since it last *changed*; but a value repeated for
longer than 15 s is taken as really constant (level flight), else a spike after a long level
leg would be excused by all that time."""
RESET_S = 1800.0
"""A target silent for 30 minutes starts afresh (and leaves the state)."""

# --- integrity levels ------------------------------------------------------------------
MIN_ACCURACY: dict[int, tuple[int, int, int]] = {1: (7, 8, 2), 2: (7, 8, 3)}
"""(NIC, NACp, SIL) minima by ADS-B version. Version 2 (DO-260B): 14 CFR 91.227(c)(1):
NACp < 0.05 NM (NACp >= 8), NIC < 0.2 NM (NIC >= 7), SIL 3 (1e-7 per hour); NIC < 7 is
also what public GNSS interference maps (gpsjam.org) count as "bad". Version 1 (DO-260A):
same NIC and NACp; SIL had no probability basis before DO-260B, and version-1 avionics
commonly report 2, so 2 is the floor. Version 0 (DO-260) sent NUC, not NIC/NACp/SIL: not
checked. An unknown version checks NIC only (its meaning is the same in versions 1 and 2)."""
