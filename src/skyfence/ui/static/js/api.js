// The REST API, with the token kept in sessionStorage (this tab only, gone when it closes).
const KEY = "skyfence.token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${token.get()}`, ...extra };
}

// fetch `path`; JSON bodies for objects, text as is; the answer as JSON (or ApiError)
export async function api(path, { method = "GET", body, type } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    const text = typeof body === "string";
    init.body = text ? body : JSON.stringify(body);
    init.headers["Content-Type"] = type || (text ? "text/plain" : "application/json");
  }
  const r = await fetch(path, init);
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const detail = data && data.detail !== undefined ? data.detail : r.statusText;
    throw new ApiError(r.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return data;
}

// GET `path` as JSON Lines, calling onMessage(object) per line; `signal` aborts
export async function stream(path, onMessage, signal) {
  const r = await fetch(path, { headers: headers(), signal });
  if (!r.ok) {
    const data = await r.json().catch(() => null);
    throw new ApiError(r.status, (data && data.detail) || r.statusText);
  }
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onMessage(JSON.parse(line));
    }
  }
}

// the live WebSocket (browsers cannot set headers: the token goes as ?token=), reconnecting
export function liveSocket(onMessage, onState) {
  let ws = null;
  let stopped = false;
  let delay = 500;
  const open = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token.get())}`);
    ws.onopen = () => { delay = 500; onState("live"); };
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = () => {
      ws = null;
      if (stopped) return;
      onState("offline");
      setTimeout(() => { if (!stopped) open(); }, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return { close() { stopped = true; if (ws) ws.close(); } };
}
