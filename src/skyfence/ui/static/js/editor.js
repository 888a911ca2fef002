// The zone editor (admins): draw a polygon or a circle, fill in the zone's properties, save
// with PUT /zones/{id}; or drop a GeoJSON (POST /zones) or OpenAir/other file
// (POST /zones/import) on the map.
/* global L */
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);

function list(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

export class ZoneEditor {
  constructor(map, onSaved) {
    this.map = map;
    this.onSaved = onSaved;
    this.mode = null;        // "polygon" | "circle" | null
    this.points = [];        // [lat, lon]
    this.center = null;
    this.geometry = null;    // geometry of a zone being edited, when no shape was drawn
    this.preview = L.layerGroup().addTo(map);
    map.on("click", (e) => this.click(e.latlng));
    $("draw-polygon").onclick = () => this.start("polygon");
    $("draw-circle").onclick = () => this.start("circle");
    $("draw-finish").onclick = () => this.finish();
    $("zone-save").onclick = () => this.save();
    $("zone-cancel").onclick = () => this.clear();
    $("zone-radius").oninput = () => this.draw();
  }

  message(text, ok = false) {
    $("editor-msg").textContent = text;
    $("editor-msg").className = ok ? "msg ok" : "msg";
  }

  start(mode) {
    this.clear();
    this.mode = mode;
    this.drawing(true);
    $("draw-finish").disabled = mode !== "polygon";
    $("draw-hint").textContent = mode === "polygon"
      ? "Click the corners on the map, then Finish shape."
      : "Click the centre on the map; the radius is in NM below.";
  }

  drawing(on) {
    this.map.getContainer().classList.toggle("drawing", on);
    if (on) this.map.doubleClickZoom.disable();
    else this.map.doubleClickZoom.enable();
  }

  click(latlng) {
    if (this.mode === "polygon") this.points.push([latlng.lat, latlng.lng]);
    else if (this.mode === "circle") {
      this.center = [latlng.lat, latlng.lng];
      this.mode = null;
      this.drawing(false);
    } else return;
    this.draw();
  }

  finish() {
    if (this.points.length < 3) { this.message("a polygon needs at least 3 corners"); return; }
    this.mode = null;
    this.drawing(false);
    $("draw-finish").disabled = true;
    $("draw-hint").textContent = "Shape done: fill in the zone and save.";
    this.draw();
  }

  draw() {
    this.preview.clearLayers();
    const style = { color: "#0a7", dashArray: "4 4", weight: 2, className: "zone-draft" };
    if (this.points.length) {
      const shape = this.points.length >= 3 ? L.polygon(this.points, style) : L.polyline(this.points, style);
      shape.addTo(this.preview);
      for (const p of this.points) L.circleMarker(p, { radius: 3, color: "#0a7" }).addTo(this.preview);
    }
    if (this.center) {
      const nm = parseFloat($("zone-radius").value) || 0;
      L.circle(this.center, { ...style, radius: nm * 1852 }).addTo(this.preview);
    }
  }

  clear() {
    this.mode = null;
    this.points = [];
    this.center = null;
    this.geometry = null;
    this.preview.clearLayers();
    this.drawing(false);
    $("draw-finish").disabled = true;
    this.message("");
  }

  // fill the form from an existing zone (its shape is kept unless a new one is drawn)
  load(feature) {
    this.clear();
    const p = feature.properties || {};
    $("zone-id").value = p.id ?? feature.id ?? "";
    $("zone-name").value = p.name || "";
    $("zone-kind").value = p.kind || "custom";
    $("zone-severity").value = p.severity || "warning";
    $("zone-floor").value = p.floor ?? "SFC";
    $("zone-ceiling").value = p.ceiling ?? "UNL";
    $("zone-schedule").value = typeof p.schedule === "string" ? p.schedule : "";
    $("zone-exempt-ids").value = ((p.exemptions || {}).target_ids || []).join(", ");
    $("zone-exempt-callsigns").value = ((p.exemptions || {}).callsigns || []).join(", ");
    this.geometry = feature;
    this.message(`editing ${$("zone-id").value}: draw a new shape or keep this one`, true);
  }

  feature() {
    const id = $("zone-id").value.trim();
    if (!id) throw new Error("the zone needs an id");
    const props = {
      id, name: $("zone-name").value.trim() || id, kind: $("zone-kind").value,
      severity: $("zone-severity").value, floor: $("zone-floor").value.trim() || "SFC",
      ceiling: $("zone-ceiling").value.trim() || "UNL",
    };
    const schedule = $("zone-schedule").value.trim();
    if (schedule) props.schedule = schedule;
    const ids = list($("zone-exempt-ids").value);
    const callsigns = list($("zone-exempt-callsigns").value);
    if (ids.length || callsigns.length) props.exemptions = { target_ids: ids, callsigns };
    let geometry;
    if (this.center) {
      geometry = { type: "Point", coordinates: [this.center[1], this.center[0]] };
      props.radius = parseFloat($("zone-radius").value);
      props.radius_unit = "NM";
    } else if (this.points.length >= 3 && this.mode === null) {
      const ring = this.points.map(([lat, lon]) => [lon, lat]);
      ring.push(ring[0]);
      geometry = { type: "Polygon", coordinates: [ring] };
    } else if (this.geometry) {
      const old = this.geometry.properties || {};
      for (const k of ["shape", "center", "radius_m", "line", "width_m", "ground_elevation_m",
                       "margin_m", "lookahead_s", "remarks"]) {
        if (old[k] !== undefined) props[k] = old[k];
      }
      geometry = this.geometry.geometry;
    } else {
      throw new Error("draw a polygon or a circle first");
    }
    return { type: "Feature", properties: props, geometry };
  }

  async save() {
    let feature;
    try { feature = this.feature(); } catch (e) { this.message(e.message); return; }
    try {
      const r = await api(`/zones/${encodeURIComponent(feature.properties.id)}`,
                          { method: "PUT", body: feature, type: "application/geo+json" });
      this.clear();
      this.message(`saved ${r.id}, version ${r.version}`, true);
      await this.onSaved([r.id]);
    } catch (e) {
      this.message(e.message);
    }
  }

  // a dropped file: GeoJSON goes to POST /zones as features, anything else to /zones/import
  async importFile(file) {
    const text = await file.text();
    let doc = null;
    try { doc = JSON.parse(text); } catch { doc = null; }
    try {
      const geo = doc && (doc.type === "FeatureCollection" || doc.type === "Feature");
      const r = geo
        ? await api("/zones", { method: "POST", body: doc, type: "application/geo+json" })
        : await api(`/zones/import?name=${encodeURIComponent(file.name)}`, { method: "POST", body: text });
      this.message(`imported ${r.length} zone(s) from ${file.name}: ${r.map((z) => z.id).join(", ")}`, true);
      await this.onSaved(r.map((z) => z.id));
    } catch (e) {
      this.message(`${file.name}: ${e.message}`);
    }
  }
}
