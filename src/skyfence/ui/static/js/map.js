// The map: Natural Earth borders (bundled, offline), optional online tiles, zones and tracks.
/* global L, topojson */
import { altitude, escape, speed, targetClass } from "./units.js";

const TRAIL_POINTS = 40;   // positions kept per track: ~40 s of ADS-B at 1 Hz
const STALE_S = 60;        // a track silent this long (data time) leaves the map
const REDRAW_MS = 250;     // tracks are redrawn at most 4 times a second, not per message

export async function createMap(element, tileUrl) {
  const map = L.map(element, { center: [48.85, 2.35], zoom: 8, worldCopyJump: true });
  const topo = await fetch("vendor/world-atlas/countries-110m.json").then((r) => r.json());
  const borders = L.geoJSON(topojson.feature(topo, topo.objects.countries), {
    style: { color: "#7b8794", weight: 1, fillColor: "#eef0e6", fillOpacity: 1 },
    interactive: false,
  });
  const layers = { "Borders (Natural Earth, offline)": borders };
  if (tileUrl) {
    layers["Online tiles"] = L.tileLayer(tileUrl, { maxZoom: 18, attribution: "tiles: see settings" });
  }
  borders.addTo(map);
  L.control.layers(layers, {}, { position: "topleft" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.innerHTML = `<i style="border-color:#e08a00;background:#e08a0033"></i>zone active<br>
      <i style="border-color:#888;border-style:dashed"></i>inactive (schedule)<br>
      <i style="border-color:#d00;background:#d0000066"></i>incursion in progress<br>
      &#9650; aircraft &nbsp; &#9670; drone &nbsp; &#9679; anonymous &nbsp; <span style="color:#c00">&#9711;</span> flagged`;
    return div;
  };
  legend.addTo(map);
  return map;
}

// ---- zones ---------------------------------------------------------------------------

const KIND_COLOUR = { prohibited: "#b0001a", restricted: "#d04000", danger: "#d07800", drone: "#8a4fbf" };

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, "_");
}

export class ZoneLayer {
  constructor(map, onEdit) {
    this.map = map;
    this.onEdit = onEdit;
    this.group = L.layerGroup().addTo(map);
    this.features = [];
    this.active = {};
    this.incursions = new Map();  // zone id -> "incursion" | "predicted"
  }

  setZones(features) { this.features = features; this.draw(); }
  setActive(active) { this.active = active || {}; this.draw(); }
  setIncursions(states) { this.incursions = states; this.draw(); }

  state(id) {
    const s = this.incursions.get(id);
    if (s === "incursion") return "incursion";
    if (this.active[id] === false) return "inactive";
    return s === "predicted" ? "predicted" : "active";
  }

  draw() {
    this.group.clearLayers();
    for (const f of this.features) {
      const p = f.properties || {};
      const id = p.id ?? f.id;
      const state = this.state(id);
      const colour = KIND_COLOUR[p.kind] || "#e08a00";
      const style = {
        inactive: { color: "#888", dashArray: "6 5", fillOpacity: 0.03, weight: 1.5 },
        active: { color: colour, fillColor: colour, fillOpacity: 0.12, weight: 2 },
        predicted: { color: "#e0a000", fillColor: "#ffd000", fillOpacity: 0.3, weight: 3 },
        incursion: { color: "#d00", fillColor: "#d00", fillOpacity: 0.4, weight: 3 },
      }[state];
      const layer = L.geoJSON(f, {
        style: { ...style, className: `zone zone-${state} zone-id-${cssId(id)}` },
      });
      layer.bindPopup(() => this.popup(f, state));
      layer.on("popupopen", (e) => {
        const btn = e.popup.getElement().querySelector(".zone-edit");
        if (btn) btn.onclick = () => { this.map.closePopup(); this.onEdit(f); };
      });
      layer.addTo(this.group);
    }
  }

  popup(f, state) {
    const p = f.properties || {};
    const schedule = typeof p.schedule === "string" ? p.schedule
      : p.schedule ? JSON.stringify(p.schedule) : "always";
    const rows = [
      ["id", p.id], ["kind", p.kind || "custom"], ["severity", p.severity || "warning"],
      ["floor", p.floor ?? "SFC"], ["ceiling", p.ceiling ?? "UNL"], ["schedule", schedule],
      ["state", state], ["version", p.version],
    ];
    if (p.exemptions) rows.push(["exemptions", JSON.stringify(p.exemptions)]);
    if (p.remarks) rows.push(["remarks", p.remarks]);
    return `<div class="zone-popup"><strong>${escape(p.name || p.id)}</strong><table>${
      rows.map(([k, v]) => `<tr><td>${k}</td><td>${escape(v)}</td></tr>`).join("")
    }</table><button type="button" class="zone-edit need-admin">Edit</button></div>`;
  }
}

// ---- tracks --------------------------------------------------------------------------

function shape(kind) {
  if (kind === "drone") return '<path d="M0,-7 L7,0 L0,7 L-7,0 Z" fill="#ff7a00" stroke="#5a2a00"/>';
  if (kind === "anonymous") return '<circle r="5" fill="#9aa3ad" stroke="#333"/>';
  return '<path d="M0,-9 L6,7 L0,3 L-6,7 Z" fill="#1f5fbf" stroke="#0a2050"/>';
}

function icon(kind, heading, flagged) {
  const rot = heading === null || heading === undefined ? 0 : Math.round(heading);
  const svg = `<svg width="22" height="22" viewBox="-11 -11 22 22">
    <circle class="ring" r="10" fill="none" stroke="#d00" stroke-width="2"/>
    <g transform="rotate(${rot})">${shape(kind)}</g></svg>`;
  return L.divIcon({ html: svg, className: `track-icon track-${kind}${flagged ? " flagged" : ""}`,
                     iconSize: [22, 22], iconAnchor: [11, 11] });
}

function label(t) {
  const name = t.callsign || t.target_id;
  const flags = Array.isArray(t.flags) ? t.flags.join(",") : t.flags;
  return `${escape(name)}${flags ? " &#9873;" : ""}<br>${altitude(t.alt_m)} ${speed(t.gs_mps)}`;
}

export class TrackLayer {
  constructor(map) {
    this.map = map;
    this.group = L.layerGroup().addTo(map);
    this.tracks = new Map();  // target id -> {marker, trail, last, key}
    this.pending = new Map();
    this.latest = 0;
    setInterval(() => this.flush(), REDRAW_MS);
  }

  update(t) {
    this.pending.set(t.target_id, t);
    if (t.time > this.latest) this.latest = t.time;
  }

  clear() {
    this.group.clearLayers();
    this.tracks.clear();
    this.pending.clear();
    this.latest = 0;
  }

  get(targetId) { return this.tracks.get(targetId); }

  flush() {
    for (const t of this.pending.values()) this.apply(t);
    this.pending.clear();
    for (const [id, tr] of this.tracks) {
      if (tr.last.time < this.latest - STALE_S) {
        this.group.removeLayer(tr.marker);
        this.group.removeLayer(tr.trail);
        this.tracks.delete(id);
      }
    }
  }

  apply(t) {
    const kind = targetClass(t.target_id);
    const flagged = Boolean(t.flags && (t.flags.length === undefined || t.flags.length));
    const heading = t.track_deg === null || t.track_deg === undefined ? null : Math.round(t.track_deg / 5) * 5;
    const key = `${kind}/${heading}/${flagged}`;
    const pos = [t.lat, t.lon];
    let tr = this.tracks.get(t.target_id);
    if (!tr) {
      const marker = L.marker(pos, { icon: icon(kind, heading, flagged), keyboard: false });
      marker.bindTooltip(label(t), { permanent: true, direction: "right", offset: [8, 0],
                                     className: `track-label${flagged ? " flagged" : ""}` });
      const trail = L.polyline([pos], { color: kind === "drone" ? "#ff7a00" : "#1f5fbf",
                                        weight: 1.5, opacity: 0.6, interactive: false });
      trail.addTo(this.group);
      marker.addTo(this.group);
      tr = { marker, trail, last: t, key };
      this.tracks.set(t.target_id, tr);
    } else {
      tr.marker.setLatLng(pos);
      if (tr.key !== key) tr.marker.setIcon(icon(kind, heading, flagged));
      tr.marker.setTooltipContent(label(t));
      const pts = tr.trail.getLatLngs();
      pts.push(L.latLng(pos));
      if (pts.length > TRAIL_POINTS) pts.splice(0, pts.length - TRAIL_POINTS);
      tr.trail.setLatLngs(pts);
      tr.last = t;
      tr.key = key;
    }
  }
}
