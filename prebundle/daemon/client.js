// prebundle client: reloads the page when the daemon's import map changes, shows an overlay
// while the last re-optimization failed, and carries messages between the page and plugins.
// Include it with <script type="module" src="http://<daemon>/@prebundle/client.js"></script>
// (the daemon adds it to the pages it serves). A module of the page may import it, by the same
// URL, for messages (docs/plugins.md, "Messages between plugins and pages"):
//   import { on, off, send } from "/@prebundle/client.js";
//   on("my:greeting", (data) => ...);       // a plugin's server.ws.send("my:greeting", data)
//   await send("my:from-page", { n: 1 });   // a plugin's server.ws.on("my:from-page", handler)
const origin = new URL(import.meta.url).origin;
const events = new EventSource(origin + "/@prebundle/events");
const OVERLAY_ID = "prebundle-error-overlay";
let hello = null;
let markConnected;
const connected = new Promise((resolve) => (markConnected = resolve));
const listeners = new Map(); // event name -> Map(callback -> the listener added for it)

function hideOverlay() {
  document.getElementById(OVERLAY_ID)?.remove();
}

function showOverlay(message) {
  hideOverlay();
  const box = document.createElement("div");
  box.id = OVERLAY_ID;
  box.setAttribute("role", "alert");
  box.style.cssText =
    "position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.92);color:#ffb4b4;" +
    "font:14px/1.5 ui-monospace,monospace;padding:32px;overflow:auto;white-space:pre-wrap";
  const title = document.createElement("strong");
  title.textContent = "prebundle: dependency optimization failed\n\n";
  title.style.color = "#fff";
  const text = document.createElement("div");
  text.textContent = message;
  const hint = document.createElement("div");
  hint.textContent = "\nThe page keeps the previous dependencies; it reloads when the cause is fixed.";
  hint.style.color = "#aaa";
  box.append(title, text, hint);
  (document.body || document.documentElement).append(box);
}

function data(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return { message: event.data };
  }
}

events.addEventListener("hello", (event) => {
  const info = data(event);
  // A reconnect to a daemon whose import map changed meanwhile (e.g. it restarted): reload.
  if (hello !== null && info.importmap !== hello.importmap) location.reload();
  hello = info;
  globalThis.__prebundle = { connected: true, state: info.state, client: info.client };
  markConnected();
  if (info.state === "error" && info.error) showOverlay(info.error);
  else hideOverlay();
});
events.addEventListener("reload", () => {
  hideOverlay();
  location.reload();
});
events.addEventListener("error", (event) => {
  if (event.data !== undefined) showOverlay(data(event).message || String(event.data));
});
events.addEventListener("ok", hideOverlay);

/** Call `callback(data)` for each `event` a plugin sends (`server.ws.send(event, data)`). */
export function on(event, callback) {
  let byCallback = listeners.get(event);
  if (!byCallback) listeners.set(event, (byCallback = new Map()));
  if (byCallback.has(callback)) return;
  const listener = (message) => {
    if (message.data !== undefined) callback(JSON.parse(message.data)); // not a connection error
  };
  byCallback.set(callback, listener);
  events.addEventListener(event, listener);
}

/** Stop calling `callback` for `event`. */
export function off(event, callback) {
  const listener = listeners.get(event)?.get(callback);
  if (!listener) return;
  listeners.get(event).delete(callback);
  events.removeEventListener(event, listener);
}

/** Send `event` with `data` (JSON) to the plugins' `server.ws.on(event, handler)`; resolves to
 * `{ok, handled}` once their handlers ran, rejects with the error when one failed. */
export async function send(event, data = null) {
  await connected; // the client id comes with the first hello
  const response = await fetch(origin + "/@prebundle/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ event, data, client: hello.client ?? null }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `prebundle: sending ${event} failed: HTTP ${response.status}`);
  return answer;
}

/** `on`, `off` and `send` in one object, shaped like Vite's `import.meta.hot`. */
export const hot = { on, off, send };
