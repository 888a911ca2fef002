"""Write ``BENCHMARKS.md`` from the result files the benchmarks leave in ``results/``.

Each benchmark script measures skyfence and its peers in the same run and writes one
markdown file; this script only puts them together, in a fixed order, under one heading.

    python benchmarks/collect.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
ORDER = ["decode", "zones", "audit", "live", "distributed", "integrity", "tracker"]
SCRIPTS = {
    "decode": "bench_decode.py", "zones": "bench_zones.py", "audit": "bench_audit.py",
    "live": "bench_live.py", "distributed": "bench_distributed.py",
    "integrity": "bench_integrity.py", "tracker": "bench_tracker.py",
}


def main() -> None:
    parts = [
        "# Benchmarks",
        "",
        "Measured on this project's machine (2-core AMD EPYC VM, shared: other work ran at",
        "the same time, so figures move by 10-30 % between runs). Every benchmark runs the",
        "peers in the same process on the same data as skyfence; each section says its",
        "corpus, method and versions. Re-run with `python benchmarks/<script>` and collect",
        "with `python benchmarks/collect.py`.",
        "",
    ]
    for name in ORDER:
        path = RESULTS / f"{name}.md"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8").strip()
        lines = text.splitlines()
        if lines and lines[0].startswith("# "):
            lines[0] = "#" + lines[0]  # demote to a section
        lines = [("#" + ln if ln.startswith("## ") else ln) for ln in lines[1:]]
        title = text.splitlines()[0].lstrip("# ") if text else name
        parts += [f"## {title}", "", f"Script: `benchmarks/{SCRIPTS[name]}`.", "", *lines, ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
