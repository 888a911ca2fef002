"""Copy the web map's front-end dependencies from npm into the package's static files.

    python scripts/build_web.py            # npm ci in web/, then copy
    python scripts/build_web.py --no-install   # copy from an existing web/node_modules

The versions are pinned in ``web/package.json`` and ``web/package-lock.json``; what this copies
lands in ``src/skyfence/ui/static/vendor/`` and is committed, so ``pip install`` needs no
Node.js and the page fetches nothing from a CDN. Run it again after changing a version, and
commit the result. What is copied, and why each file:

- Leaflet (BSD-2-Clause): ``leaflet.js`` (minified, ~150 KB), ``leaflet.css`` and its
  ``images/`` (the layer control's icons);
- topojson-client (ISC): ``topojson-client.min.js`` (~7 KB), to turn the borders into GeoJSON
  in the browser;
- world-atlas (ISC; the data is Natural Earth, public domain): ``countries-110m.json``, country
  borders at 1:110 million as TopoJSON (~105 KB), the offline basemap. 1:50m would be ~750 KB
  for borders nobody reads at the zoom levels of a zone map.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
VENDOR = ROOT / "src" / "skyfence" / "ui" / "static" / "vendor"

# (package, path inside the package, path under vendor/)
FILES = [
    ("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet", "dist/images", "leaflet/images"),
    ("leaflet", "LICENSE", "leaflet/LICENSE"),
    ("topojson-client", "dist/topojson-client.min.js", "topojson-client/topojson-client.min.js"),
    ("topojson-client", "LICENSE", "topojson-client/LICENSE"),
    ("world-atlas", "countries-110m.json", "world-atlas/countries-110m.json"),
    ("world-atlas", "LICENSE", "world-atlas/LICENSE"),
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-install", action="store_true",
                   help="do not run 'npm ci'; copy from the existing web/node_modules")
    args = p.parse_args(argv)
    if not args.no_install:
        npm = shutil.which("npm")
        if npm is None:
            print("npm not found: install Node.js, or use the committed vendor files",
                  file=sys.stderr)
            return 1
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    modules = WEB / "node_modules"
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    versions = {}
    for package, src, dst in FILES:
        origin = modules / package / src
        if not origin.exists():
            print(f"missing {origin}: run without --no-install", file=sys.stderr)
            return 1
        target = VENDOR / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target)
        else:
            shutil.copy2(origin, target)
        meta = json.loads((modules / package / "package.json").read_text(encoding="utf-8"))
        versions[package] = {"version": meta["version"], "license": meta.get("license")}
    (VENDOR / "versions.json").write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n",
                                          encoding="utf-8")
    size = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file())
    print(f"copied {len(FILES)} items into {VENDOR.relative_to(ROOT)} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
