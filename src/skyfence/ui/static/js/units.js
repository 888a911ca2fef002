// What people read: feet, flight levels and knots (SI everywhere else).
export const FT_PER_M = 1 / 0.3048;
export const KT_PER_MPS = 3600 / 1852;
// above this, altitudes read as flight levels (the transition altitude around Paris is 5000 ft)
const FL_ABOVE_FT = 6000;

export function altitude(alt_m) {
  if (alt_m === null || alt_m === undefined) return "alt ?";
  const ft = alt_m * FT_PER_M;
  if (ft >= FL_ABOVE_FT) return `FL${String(Math.round(ft / 100)).padStart(3, "0")}`;
  return `${Math.round(ft / 100) * 100} ft`;
}

export function speed(gs_mps) {
  return gs_mps === null || gs_mps === undefined ? "" : `${Math.round(gs_mps * KT_PER_MPS)} kt`;
}

export function utcTime(t) {
  const d = typeof t === "number" ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(11, 19) + "Z";
}

export function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// aircraft (icao:, and anything else cooperative), drones (rid:), anonymous plots (plot:)
export function targetClass(targetId) {
  const kind = String(targetId).split(":", 1)[0];
  if (kind === "rid") return "drone";
  if (kind === "plot") return "anonymous";
  return "aircraft";
}
