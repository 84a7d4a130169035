// prebundle reload client: reloads the page when the daemon's import map changes, and shows
// an overlay while the last re-optimization failed. Include it with
// <script type="module" src="http://<daemon>/@prebundle/client.js"></script>.
const origin = new URL(import.meta.url).origin;
const events = new EventSource(origin + "/@prebundle/events");
const OVERLAY_ID = "prebundle-error-overlay";
let hello = null;

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
  globalThis.__prebundle = { connected: true, state: info.state };
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
