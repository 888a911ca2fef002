"""Zones, versioned: every change (put or delete) is a new row in ``zone_versions``; the live
zone of an id is its latest version unless that version is a deletion. The store assigns
versions (1, 2, ...): a ``version`` property in a submitted feature is ignored.

Features are validated by :func:`skyfence.zones.geojson.parse` (a bad one raises its
:class:`~skyfence.errors.ZoneFormatError`) and stored as :func:`to_geojson` writes them
back, so that what is stored always reads back as the same zone.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from skyfence.errors import ZoneFormatError
from skyfence.store.base import NotFoundError, StoreBase, audit
from skyfence.store.schema import zone_versions as zv
from skyfence.zones.geojson import parse, to_geojson
from skyfence.zones.model import Zone, ZoneSet

__all__ = ["ZonesMixin"]


def _validate(feature: dict[str, Any]) -> Zone:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ZoneFormatError("expected one GeoJSON Feature", where="<zone>", field="type")
    try:
        text = json.dumps(feature, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ZoneFormatError(f"not valid JSON: {exc}", where="<zone>") from None
    return parse(text, where="<zone>")[0]


def _canonical(zone: Zone, version: int) -> dict[str, Any]:
    feature: dict[str, Any] = to_geojson(ZoneSet([dataclasses.replace(zone, version=version)])
                                         )["features"][0]
    return feature


def _with_version(feature: dict[str, Any], version: int) -> dict[str, Any]:
    return {**feature, "properties": {**feature.get("properties", {}), "version": version}}


class ZonesMixin(StoreBase):
    def put_zone(self, feature: dict[str, Any], user: str) -> tuple[str, int]:
        """Store a new version of the zone in ``feature``; returns ``(zone id, version)``."""
        zone = _validate(feature)
        with self._write("put_zone") as conn:
            now = self._now()
            version = self._latest_version(conn, zone.id) + 1
            conn.execute(sa.insert(zv).values(
                zone_id=zone.id, version=version, deleted=False,
                feature=_canonical(zone, version), created_at=now, created_by=user))
            audit(conn, now, user, "zone.put", zone.id, {"version": version})
        return zone.id, version

    def delete_zone(self, zone_id: str, user: str) -> int:
        """Delete a live zone (as a new version, so the history keeps it); returns the
        version of the deletion."""
        with self._write("delete_zone") as conn:
            row = conn.execute(
                sa.select(zv.c.version, zv.c.deleted, zv.c.feature)
                .where(zv.c.zone_id == zone_id).order_by(zv.c.version.desc()).limit(1)
            ).first()
            if row is None or row.deleted:
                raise NotFoundError(f"no live zone {zone_id!r}")
            now = self._now()
            version = int(row.version) + 1
            conn.execute(sa.insert(zv).values(
                zone_id=zone_id, version=version, deleted=True,
                feature=_with_version(row.feature, version), created_at=now, created_by=user))
            audit(conn, now, user, "zone.delete", zone_id, {"version": version})
        return version

    def zones(self) -> list[dict[str, Any]]:
        """The live zones as GeoJSON features, by id, each with ``properties.version``."""
        latest = (sa.select(zv.c.zone_id, sa.func.max(zv.c.version).label("version"))
                  .group_by(zv.c.zone_id).subquery())
        query = (
            sa.select(zv.c.feature, zv.c.version)
            .join(latest, sa.and_(zv.c.zone_id == latest.c.zone_id,
                                  zv.c.version == latest.c.version))
            .where(zv.c.deleted == sa.false())
            .order_by(zv.c.zone_id)
        )
        with self._read("zones") as conn:
            rows = conn.execute(query).all()
        return [_with_version(r.feature, int(r.version)) for r in rows]

    def zone_set(self) -> ZoneSet:
        """The live zones as a :class:`ZoneSet`, each zone carrying its stored version."""
        features = self.zones()
        if not features:
            return ZoneSet()
        return parse(json.dumps({"type": "FeatureCollection", "features": features}),
                     where="store")

    def zone_history(self, zone_id: str) -> list[dict[str, Any]]:
        """Every version of a zone, oldest first: ``version``, ``deleted``, ``at``, ``user``,
        ``feature``. Empty for an id never stored."""
        with self._read("zone_history") as conn:
            rows = conn.execute(
                sa.select(zv).where(zv.c.zone_id == zone_id).order_by(zv.c.version)).all()
        return [_history_item(r.version, r.deleted, r.created_at, r.created_by, r.feature)
                for r in rows]

    @staticmethod
    def _latest_version(conn: sa.Connection, zone_id: str) -> int:
        latest = conn.execute(
            sa.select(sa.func.max(zv.c.version)).where(zv.c.zone_id == zone_id)).scalar()
        return int(latest or 0)


def _history_item(version: int, deleted: bool, at: datetime, user: str,
                  feature: dict[str, Any]) -> dict[str, Any]:
    return {"version": int(version), "deleted": bool(deleted), "at": at, "user": user,
            "feature": _with_version(feature, int(version))}
