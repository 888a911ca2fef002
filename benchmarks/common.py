"""Shared helpers of the benchmarks: the corpus, the zone sets, timing, memory, versions.

Importing this module pins every engine to one core (``NUMBA_NUM_THREADS``,
``OMP_NUM_THREADS``, ``RAYON_NUM_THREADS`` = 1, unless already set) before numba, shapely or
any peer is imported: import it first.

Corpus: the three real recordings shipped with the ``traffic`` package (``quickstart``: Paris
area, 2021-10-07, 284,505 reports; ``switzerland``: 2018-08-01, 139,098; ``savan``: a
calibration flight over France, 2022, 193,447), read with skyfence's own reader, each sorted
by time (the order of a recording or a live feed) and concatenated: 617,050 reports. It is
replicated to the size asked: replica ``k`` is the whole base with every time shifted by
``k x REPLICA_SHIFT`` and every ``target_id`` suffixed with ``~k``, so replicas are distinct
targets and each target stays in time order. Positions are not changed: replicas fly the
same tracks, so every replica meets the zones exactly as the base does.
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "RAYON_NUM_THREADS",
             "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import contextlib  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from skyfence.readers import read_traffic  # noqa: E402
from skyfence.zones import Circle, Kind, Zone, ZoneSet, load_zones, parse_limit  # noqa: E402
from skyfence.zones.geometry import circle_polygon  # noqa: E402

COLLECTIONS = ("quickstart", "switzerland", "savan")
# savan spans 30 days: shifting replicas by 40 days keeps any two replicas apart in time
REPLICA_SHIFT = timedelta(days=40)
AIRPORT_RADIUS_M = 5_000.0
N_AIRPORTS = 10_000
RESULTS = Path(__file__).resolve().parent / "results"


# -- data ---------------------------------------------------------------------------------

def traffic_data_dir() -> Path:
    """The ``data`` folder of the installed ``traffic`` package (found without importing
    it: importing traffic creates cache folders and loads pandas)."""
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        raise RuntimeError("the 'traffic' package is needed for the corpus: "
                           "pip install -e '.[bench]'")
    return Path(spec.origin).parent / "data"


def collection_path(name: str) -> Path:
    return traffic_data_dir() / "samples" / "collections" / f"{name}.json.gz"


def base_reports(names: Sequence[str] = COLLECTIONS) -> pa.Table:
    """The recordings as one ``Reports`` table, each recording sorted by time."""
    parts = []
    for name in names:
        t = pa.concat_tables(list(read_traffic(collection_path(name))))
        idx = pc.sort_indices(t, sort_keys=[("time", "ascending")])
        parts.append(t.take(idx))
    return pa.concat_tables(parts).combine_chunks()


def replica(base: pa.Table, k: int) -> pa.Table:
    """Replica ``k`` of ``base``: times shifted by ``k x REPLICA_SHIFT``, ids suffixed."""
    if k == 0:
        return base
    shift = pa.scalar(REPLICA_SHIFT * k, pa.duration("us"))
    t = base.set_column(base.schema.get_field_index("time"), "time",
                        pc.add(base.column("time"), shift))
    ids = pc.binary_join_element_wise(base.column("target_id"), pa.scalar(f"~{k}"), "")
    t = t.set_column(t.schema.get_field_index("target_id"), "target_id", ids)
    return pa.Table.from_arrays(t.columns, schema=base.schema)  # keep "not null" on time


def replicated(base: pa.Table, n_reports: int, chunk_rows: int) -> Iterator[pa.Table]:
    """``n_reports`` rows of replicas of ``base`` (the last one cut short), in tables of
    ``chunk_rows`` rows."""
    done = 0
    k = 0
    while done < n_reports:
        rep = replica(base, k)
        rep = rep.slice(0, min(rep.num_rows, n_reports - done))
        for off in range(0, rep.num_rows, chunk_rows):
            yield rep.slice(off, chunk_rows)
        done += rep.num_rows
        k += 1


def point_arrays(base: pa.Table, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` positions (float64 lat, lon, C-contiguous): the base's positioned reports
    repeated (replicas only differ in time and id, so their positions are the base's)."""
    lat = pc.fill_null(base.column("lat"), np.nan).to_numpy()
    lon = pc.fill_null(base.column("lon"), np.nan).to_numpy()
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    reps = math.ceil(n / len(lat))
    return (np.ascontiguousarray(np.tile(lat, reps)[:n]),
            np.ascontiguousarray(np.tile(lon, reps)[:n]))


# -- zones --------------------------------------------------------------------------------

def fir_zones() -> ZoneSet:
    """(a) The 58 European FIRs shipped with ``traffic`` (EUROCONTROL)."""
    return load_zones([traffic_data_dir() / "eurocontrol" / "eurofirs.json"])


def _airports() -> list[tuple[str, dict[str, Any]]]:
    import airportsdata

    table = airportsdata.load()  # keyed by ICAO code
    return sorted(table.items())


def _km_to_nearest(lat: np.ndarray, lon: np.ndarray, plat: np.ndarray,
                   plon: np.ndarray) -> np.ndarray:
    """Great-circle distance (km, spherical) from each airport to the nearest traffic
    position, the positions first gathered into 0.2-degree cells (their centres)."""
    cells = np.unique(np.column_stack([np.floor(plat / 0.2), np.floor(plon / 0.2)]), axis=0)
    clat = np.radians((cells[:, 0] + 0.5) * 0.2)
    clon = np.radians((cells[:, 1] + 0.5) * 0.2)
    a_lat, a_lon = np.radians(lat), np.radians(lon)
    out = np.empty(len(lat))
    for s in range(0, len(lat), 512):
        la, lo = a_lat[s:s + 512, None], a_lon[s:s + 512, None]
        h = (np.sin((clat - la) / 2) ** 2
             + np.cos(la) * np.cos(clat) * np.sin((clon - lo) / 2) ** 2)
        out[s:s + 512] = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h.min(axis=1), 0, 1)))
    return out


def airport_zones(which: str, plat: np.ndarray | None = None, plon: np.ndarray | None = None,
                  count: int = N_AIRPORTS) -> ZoneSet:
    """(b) ``count`` 5 km circles around airports of ``airportsdata``, SFC to 1,500 ft AGL.

    ``which="near"``: the ``count`` airports nearest to the traffic (distance to the nearest
    0.2-degree cell holding a traffic position, ties by ICAO code), so the benchmark hits
    zones; ``which="world"``: every (28,298 / count)-th airport in ICAO order, spread over
    the world as airports are.
    """
    airports = _airports()
    if which == "world":
        pick = np.round(np.arange(count) * len(airports) / count).astype(int)
        chosen = [airports[i] for i in pick]
    elif which == "near":
        if plat is None or plon is None:
            raise ValueError("'near' needs the traffic positions")
        lat = np.array([a["lat"] for _, a in airports])
        lon = np.array([a["lon"] for _, a in airports])
        d = np.round(_km_to_nearest(lat, lon, plat, plon), 1)
        order = np.lexsort((np.arange(len(airports)), d))  # ICAO order breaks ties
        chosen = [airports[i] for i in order[:count]]
    else:
        raise ValueError(f"unknown airport set {which!r}")
    zones = []
    ceiling = parse_limit("1500 ft AGL")
    floor = parse_limit("SFC")
    for icao, a in chosen:
        zones.append(Zone(
            id=f"{icao}-UAS", name=f"{a['name']} 5 km",
            geometry=circle_polygon(a["lat"], a["lon"], AIRPORT_RADIUS_M),
            circle=Circle(a["lat"], a["lon"], AIRPORT_RADIUS_M),
            floor=floor, ceiling=ceiling, ground_elevation_m=float(a["elevation"]) * 0.3048,
            kind=Kind.DRONE,
        ))
    return ZoneSet(zones)


# -- measuring ----------------------------------------------------------------------------

def _status_kb(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def _malloc_trim() -> None:
    # not glibc: nothing to hand back this way
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def reset_peak(trim: bool = True) -> int:
    """Reset the kernel's peak-RSS mark (``VmHWM``) to the current RSS (Linux
    ``clear_refs`` 5); return the current RSS in bytes. With ``trim``, freed heap memory is
    handed back first (``malloc_trim``), so that a run does not silently reuse pages a
    previous one left resident."""
    gc.collect()
    if trim:
        _malloc_trim()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status_kb("VmRSS:") * 1024


def peak_rss() -> int:
    """Peak RSS in bytes since the last :func:`reset_peak`."""
    return _status_kb("VmHWM:") * 1024


@dataclass
class Timing:
    """Runs of one engine: ``n`` inputs per run, wall seconds of each timed run."""

    n: int
    times: list[float] = field(default_factory=list)
    warmup_s: float = 0.0
    peak_extra: int = 0  # bytes above the RSS before the run, worst run
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def rate(self) -> float:
        return self.n / self.median

    @property
    def spread(self) -> str:
        return f"{min(self.times):.3g}-{max(self.times):.3g} s"


def measure(fn: Callable[[int], Any], n_max: int, *, runs: int = 3, budget_s: float = 5.0,
            calib_n: int = 200_000, trim: bool = True) -> Timing:
    """Time ``fn(n)`` (which processes the first ``n`` inputs): a warm-up on ``calib_n``
    inputs that also estimates the rate, then ``runs`` timed runs on ``n`` inputs: all of
    them (``n_max``) unless the estimate says one run would take more than ``budget_s``;
    then as many as fit (at least ``calib_n``). Peak memory: ``VmHWM`` above the RSS before
    each run, the largest; freed memory is handed back before each run unless not
    ``trim`` (then the runs follow one another as the batches of one long run do)."""
    c = min(calib_n, n_max)
    t0 = time.perf_counter()
    fn(c)
    warm = time.perf_counter() - t0
    n = n_max if warm * n_max / c <= budget_s else max(c, int(budget_s * c / warm))
    timing = Timing(n=n, warmup_s=warm)
    for _ in range(runs):
        timing.result = None
        base = reset_peak(trim)
        t0 = time.perf_counter()
        res = fn(n)
        timing.times.append(time.perf_counter() - t0)
        timing.peak_extra = max(timing.peak_extra, peak_rss() - base)
        timing.result = res
        del res
    return timing


# -- describing ---------------------------------------------------------------------------

def versions(names: Sequence[str] = ("skyfence", "numpy", "numba", "pyarrow", "shapely",
                                     "geopandas", "pandas", "duckdb",
                                     "duckdb-extension-spatial", "sedonadb", "traffic",
                                     "airportsdata")) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            out[n] = "not installed"
    try:
        import shapely

        out["GEOS"] = shapely.geos_version_string
    except ImportError:
        pass
    return out


def machine() -> dict[str, str]:
    model = platform.processor() or "?"
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    mem = _meminfo_gb()
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem:.0f} GB" if mem else "?",
        "os": f"{platform.system()} {platform.release()}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _meminfo_gb() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def md_dict(d: dict[str, str]) -> str:
    return md_table(["", ""], [(k, v) for k, v in d.items()])


def mps(rate: float) -> str:
    """A rate in millions per second, 3 significant figures."""
    return f"{rate / 1e6:.3g} M/s"


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"
