// The skyfence web map: sign in, then the live picture (REST for the start, the WebSocket
// for changes), the alerts panel, the zone editor (admins) and replays from the archive.
/* global L */
import { api, ApiError, liveSocket, stream, token } from "./api.js";
import { AlertPanel } from "./alerts.js";
import { ZoneEditor } from "./editor.js";
import { createMap, TrackLayer, ZoneLayer } from "./map.js";
import { utcTime } from "./units.js";

const $ = (id) => document.getElementById(id);
const RANK = { viewer: 0, operator: 1, admin: 2 };
const ZONES_POLL_MS = 30000;  // zones and their schedule state: changes elsewhere show up

const app = { config: null, map: null, zones: null, tracks: null, alerts: null, editor: null,
              socket: null, replay: null, mode: "live" };
window.skyfence = app;  // for the curious, and for the browser tests

function may(role) { return app.config && RANK[app.config.role] >= RANK[role]; }

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text || state;
}

async function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  token.set(value);
  if (app.alerts) app.alerts.unlockAudio();
  try {
    await start();
    $("signin").close();
  } catch (e) {
    token.clear();
    $("signin-msg").textContent = e instanceof ApiError && e.status === 401
      ? "unknown or revoked token" : e.message;
  }
}

async function loadZones() {
  const [fc, state] = await Promise.all([
    api("/zones"),
    api(app.mode === "replay" && app.replay && app.replay.at
      ? `/ui/zones/active?at=${encodeURIComponent(app.replay.at)}` : "/ui/zones/active"),
  ]);
  app.zones.active = state.active;
  app.zones.setZones(fc.features);
  if (!app.fitted && fc.features.length) {
    app.fitted = true;  // once: afterwards the view is the user's
    app.map.fitBounds(L.geoJSON(fc).getBounds(), { padding: [20, 20] });
  }
}

async function loadLive() {
  const [tracks, alerts] = await Promise.all([api("/tracks"), api("/alerts?limit=500")]);
  app.tracks.clear();
  tracks.forEach((t) => app.tracks.update(t));
  app.alerts.reset(alerts, false);
}

function onMessage(m) {
  if (m.type === "track") {
    app.tracks.update(m);
    if (app.mode === "replay") $("clock").textContent = `replay ${utcTime(m.time)}`;
  } else if (m.type === "alert") {
    app.alerts.handle(m);
  }
}

function goLive() {
  app.mode = "live";
  document.body.dataset.mode = "live";
  $("clock").textContent = "";
  app.socket = liveSocket((m) => { if (app.mode === "live") onMessage(m); },
                          (s) => { if (app.mode === "live") setStatus(s); });
  return Promise.all([loadLive(), loadZones()]);
}

async function start() {
  app.config = await api("/ui/config");
  document.body.dataset.role = app.config.role;
  $("who").textContent = `${app.config.name} (${app.config.role})`;
  if (!app.map) {
    app.map = await createMap($("map"), app.config.tile_url);
    app.zones = new ZoneLayer(app.map, (f) => { showEditor(true); app.editor.load(f); });
    app.tracks = new TrackLayer(app.map);
    app.alerts = new AlertPanel($("alerts"), $("alert-count"), {
      onFocus: focusAlert,
      onAct: (id, action) => api(`/alerts/${encodeURIComponent(id)}/${action}`, { method: "POST" }),
      onChange: (states) => app.zones.setIncursions(states),
      callsign: (id) => { const tr = app.tracks.get(id); return tr ? tr.last.callsign : null; },
    });
    app.alerts.unlockAudio();
    if (may("admin")) app.editor = new ZoneEditor(app.map, () => loadZones());
    setInterval(() => loadZones().catch(() => {}), ZONES_POLL_MS);
  }
  muteButton();
  fillReplayForm();
  await goLive();
}

function focusAlert(a) {
  const tr = app.tracks.get(a.target_id);
  const pos = tr ? tr.marker.getLatLng() : (a.lat !== null && a.lat !== undefined ? [a.lat, a.lon] : null);
  if (pos) app.map.setView(pos, Math.max(app.map.getZoom(), 11));
  if (tr) tr.marker.openTooltip();
}

function muteButton() {
  $("mute-btn").textContent = app.alerts.muted ? "Sound off" : "Sound on";
}

function showEditor(show) {
  if (!may("admin")) return;
  $("editor-box").hidden = !show;
}

// ---- replay ---------------------------------------------------------------------------

const toInput = (iso) => (iso ? iso.replace("Z", "").slice(0, 19) : "");
const fromInput = (v) => (v.length === 16 ? `${v}:00Z` : `${v}Z`);

function fillReplayForm() {
  const range = app.config.archive;
  $("archive-range").textContent = range
    ? `archive: ${range.first} to ${range.last}` : "the archive is empty";
  if (range && !$("replay-from").value) {
    $("replay-from").value = toInput(range.first);
    const end = new Date(Date.parse(range.first) + 30 * 60 * 1000).toISOString();
    $("replay-to").value = toInput(end);
  }
}

async function playReplay() {
  const from = fromInput($("replay-from").value);
  const to = fromInput($("replay-to").value);
  const speed = $("replay-speed").value;
  if (app.socket) { app.socket.close(); app.socket = null; }
  if (app.replay) app.replay.abort.abort();
  app.mode = "replay";
  app.replay = { abort: new AbortController(), at: from };
  document.body.dataset.mode = "replay";
  setStatus("replay", `replay ${speed}x`);
  $("replay-stop").disabled = false;
  $("replay-msg").textContent = "";
  app.tracks.clear();
  app.alerts.reset([], true);
  await loadZones();
  const q = new URLSearchParams({ from, to, speed });
  try {
    await stream(`/replay?${q}`, (m) => {
      if (m.type === "replay") {
        $("replay-msg").className = "msg ok";
        $("replay-msg").textContent = `${m.reports} reports`;
      } else if (m.type === "end") $("replay-msg").textContent += " - replay ended";
      else onMessage(m);
    }, app.replay.abort.signal);
  } catch (e) {
    if (e.name !== "AbortError") {
      $("replay-msg").className = "msg";
      $("replay-msg").textContent = e.message;
    }
  }
}

async function stopReplay() {
  if (app.replay) app.replay.abort.abort();
  app.replay = null;
  $("replay-stop").disabled = true;
  await goLive();
}

// ---- wiring ---------------------------------------------------------------------------

function wire() {
  $("signin-form").addEventListener("submit", signIn);
  $("signout-btn").onclick = () => { token.clear(); location.reload(); };
  $("mute-btn").onclick = () => { app.alerts.setMuted(!app.alerts.muted); muteButton(); };
  $("replay-toggle").onclick = () => { $("replay-box").hidden = !$("replay-box").hidden; };
  $("editor-toggle").onclick = () => showEditor($("editor-box").hidden);
  $("replay-play").onclick = () => playReplay();
  $("replay-stop").onclick = () => stopReplay();
  // drag and drop of zone files, anywhere on the page (admins)
  let depth = 0;
  window.addEventListener("dragenter", (e) => { e.preventDefault(); if (may("admin") && ++depth) $("drop-hint").hidden = false; });
  window.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; $("drop-hint").hidden = true; } });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("drop-hint").hidden = true;
    if (!may("admin") || !app.editor) return;
    showEditor(true);
    for (const f of e.dataTransfer.files) app.editor.importFile(f);
  });
}

async function main() {
  wire();
  if (token.get()) {
    try { await start(); return; } catch { token.clear(); }
  }
  $("signin").showModal();
}

main();
