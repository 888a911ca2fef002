// The alerts panel: open alerts first, acknowledge/close for operators, a beep and a
// browser notification on new ones (muted with the header's button, remembered).
import { escape, utcTime } from "./units.js";

const ORDER = { open: 0, acknowledged: 1, closed: 2 };
const MAX_CLOSED = 50;   // closed alerts shown below the live ones
const MUTE_KEY = "skyfence.muted";

export class AlertPanel {
  constructor(list, count, { onFocus, onAct, onChange, callsign }) {
    this.list = list;
    this.count = count;
    this.onFocus = onFocus;
    this.onAct = onAct;
    this.onChange = onChange;
    this.callsign = callsign;  // target id -> the live track's callsign (alerts may lack one)
    this.alerts = new Map();
    this.readonly = false;   // replays: nothing to acknowledge
    this.muted = localStorage.getItem(MUTE_KEY) === "1";
    this.audio = null;
  }

  // must run in a user gesture (the sign-in click) for browsers to allow sound
  unlockAudio() {
    try {
      this.audio = this.audio || new AudioContext();
      if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
    } catch { this.audio = null; }
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(() => {});
    }
  }

  setMuted(muted) {
    this.muted = muted;
    localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
  }

  reset(alerts, readonly) {
    this.alerts = new Map(alerts.map((a) => [a.id, a]));
    this.readonly = readonly;
    this.render();
  }

  // a {"type": "alert", "change", "alert"} message from the WebSocket or a replay
  handle(message) {
    const a = message.alert;
    const known = this.alerts.has(a.id);
    this.alerts.set(a.id, a);
    this.render();
    if (!known && (message.change === "opened" || message.change === "escalated")) this.announce(a);
    if (known && message.change === "escalated") this.announce(a);
  }

  liveZones() {
    // zone id -> "incursion" (a target inside now) or "predicted" (about to enter)
    const out = new Map();
    for (const a of this.alerts.values()) {
      if (a.status === "closed" || a.exited_at) continue;
      if (a.kind === "incursion") out.set(a.zone_id, "incursion");
      else if (!out.has(a.zone_id)) out.set(a.zone_id, "predicted");
    }
    return out;
  }

  announce(a) {
    if (this.muted) return;
    this.beep(a.severity === "critical" ? 880 : 660);
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification(`skyfence: ${a.kind} in ${a.zone_id}`,
                         { body: `${a.callsign || a.target_id} (${a.severity})`, tag: a.id });
      } catch { /* some browsers only notify from a service worker */ }
    }
  }

  beep(freq) {
    if (!this.audio) return;
    const ctx = this.audio;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.08, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  }

  sorted() {
    const all = [...this.alerts.values()].sort((a, b) =>
      (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3)
      || String(b.opened_at).localeCompare(String(a.opened_at)));
    const live = all.filter((a) => a.status !== "closed");
    return live.concat(all.filter((a) => a.status === "closed").slice(0, MAX_CLOSED));
  }

  render() {
    const items = this.sorted();
    const open = items.filter((a) => a.status === "open").length;
    this.count.textContent = `(${open} open, ${items.length - open} other)`;
    this.list.replaceChildren(...items.map((a) => this.item(a)));
    this.onChange(this.liveZones());
  }

  item(a) {
    const li = document.createElement("li");
    li.className = `alert-item sev-${a.severity} status-${a.status}`;
    li.dataset.alertId = a.id;
    li.dataset.status = a.status;
    const ttb = a.kind === "predicted" && a.time_to_boundary_s !== null && a.time_to_boundary_s !== undefined
      ? ` &middot; boundary in ${Math.round(a.time_to_boundary_s)} s` : "";
    const who = a.acknowledged_by ? ` &middot; ack ${escape(a.acknowledged_by)}` : "";
    li.innerHTML = `
      <div class="top"><span><span class="badge ${escape(a.severity)}">${escape(a.severity)}</span>
        ${escape(a.zone_id)}</span><span>${escape(a.status)}</span></div>
      <div class="sub">${escape(a.callsign || this.callsign(a.target_id) || "")} ${escape(a.target_id)} &middot; ${escape(a.kind)}${ttb}</div>
      <div class="sub">opened ${utcTime(a.opened_at)}${a.exited_at ? ` &middot; left ${utcTime(a.exited_at)}` : ""}${who}</div>`;
    if (!this.readonly && a.status !== "closed") {
      const row = document.createElement("div");
      row.className = "need-operator";
      if (a.status === "open") row.append(this.button("Acknowledge", "ack-btn", a, "acknowledge"));
      row.append(this.button("Close", "close-btn", a, "close"));
      li.append(row);
    }
    li.addEventListener("click", () => this.onFocus(a));
    return li;
  }

  button(text, cls, a, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.addEventListener("click", async (e) => {
      e.stopPropagation();
      b.disabled = true;
      try {
        const updated = await this.onAct(a.id, action);
        this.alerts.set(updated.id, updated);
        this.render();
      } catch (err) {
        b.disabled = false;
        b.title = err.message;
      }
    });
    return b;
  }
}
