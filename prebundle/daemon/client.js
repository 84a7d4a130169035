// prebundle client: reloads the page when the daemon's import map changes or a file the page
// loaded changes, swaps changed stylesheets in place, shows an overlay while the last
// re-optimization failed or an app module does not compile, and carries messages between the
// page and plugins.
// Include it with <script type="module" src="http://<daemon>/@prebundle/client.js"></script>
// (the daemon adds it to the pages it serves). A module of the page may import it, by the same
// URL, for messages (docs/plugins.md, "Messages between plugins and pages"):
//   import { on, off, send } from "/@prebundle/client.js";
//   on("my:greeting", (data) => ...);       // a plugin's server.ws.send("my:greeting", data)
//   await send("my:from-page", { n: 1 });   // a plugin's server.ws.on("my:from-page", handler)
//
// What the page loaded, for `update` events (the URL paths of changed files): the modules the
// daemon compiled record themselves in globalThis.__prebundle_loaded; other files are found in
// resource timing (the daemon's pages raise its 250-entry buffer before anything loads; here it
// is raised again for pages served elsewhere) and in the page's <script>, <link> and <style>.
const origin = new URL(import.meta.url).origin;
const events = new EventSource(origin + "/@prebundle/events");
const OVERLAY_ID = "prebundle-error-overlay";
const STYLE_ATTRIBUTE = "data-prebundle-css";
let hello = null;
let markConnected;
const connected = new Promise((resolve) => (markConnected = resolve));
const listeners = new Map(); // event name -> Map(callback -> the listener added for it)
const failedModules = new Set(); // URL paths of app modules that did not compile
let overlayKind = null; // "deps" or "app" while an overlay shows

performance.setResourceTimingBufferSize?.(100000);
performance.addEventListener?.("resourcetimingbufferfull", () =>
  performance.setResourceTimingBufferSize(2 * performance.getEntriesByType("resource").length),
);

function hideOverlay() {
  document.getElementById(OVERLAY_ID)?.remove();
  overlayKind = null;
}

function showOverlay(message, kind = "deps") {
  hideOverlay();
  overlayKind = kind;
  const box = document.createElement("div");
  box.id = OVERLAY_ID;
  box.dataset.kind = kind;
  box.setAttribute("role", "alert");
  box.style.cssText =
    "position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,20,.92);color:#ffb4b4;" +
    "font:14px/1.5 ui-monospace,monospace;padding:32px;overflow:auto;white-space:pre-wrap";
  const title = document.createElement("strong");
  title.textContent =
    kind === "app"
      ? "prebundle: an error in the app's own code (not in its dependencies)\n\n"
      : "prebundle: dependency optimization failed\n\n";
  title.style.color = "#fff";
  const text = document.createElement("div");
  text.textContent = message;
  const hint = document.createElement("div");
  hint.textContent =
    kind === "app"
      ? "\nFix the file and save: the page reloads."
      : "\nThe page keeps the previous dependencies; it reloads when the cause is fixed.";
  hint.style.color = "#aaa";
  box.append(title, text, hint);
  (document.body || document.documentElement).append(box);
}

/** A failed run's message followed by the code frames of the places it names. */
function withFrame(message, frame) {
  return frame ? `${message}\n\n${frame}` : message;
}

function showAppError(error) {
  if (error.url) failedModules.add(error.url);
  if (overlayKind !== "deps") showOverlay(error.message, "app");
}

function data(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return { message: event.data };
  }
}

/** The decoded URL path of `url` when the daemon serves it, else null. */
function daemonPath(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === origin ? decodeURIComponent(parsed.pathname) : null;
  } catch {
    return null;
  }
}

/** The URL paths (decoded) of the daemon's files this page loaded. */
function loadedPaths() {
  const paths = new Set();
  const add = (url) => {
    const path = daemonPath(url);
    if (path !== null) paths.add(path);
  };
  for (const path of globalThis.__prebundle_loaded ?? []) add(origin + path);
  for (const entry of performance.getEntriesByType("resource")) add(entry.name);
  for (const element of document.querySelectorAll("script[src], link[href]")) add(element.src || element.href);
  const page = new URL(location.href);
  if (page.pathname.endsWith("/")) page.pathname += "index.html";
  add(page.href);
  return paths;
}

function stylesheetLinks() {
  return [...document.querySelectorAll('link[rel~="stylesheet"][href]')].filter((link) => daemonPath(link.href));
}

function swapLink(link) {
  const url = new URL(link.href);
  url.searchParams.set("t", Date.now());
  const next = link.cloneNode();
  next.href = url.href;
  const done = () => link.remove();
  next.addEventListener("load", done, { once: true });
  next.addEventListener("error", done, { once: true });
  link.after(next);
}

/** Swap a changed stylesheet in place; whether the page uses it. */
function updateStylesheet(path, loaded) {
  let found = false;
  for (const style of document.querySelectorAll(`style[${STYLE_ATTRIBUTE}]`)) {
    if (style.getAttribute(STYLE_ATTRIBUTE) === path) found = true;
  }
  if (found) import(`${origin}${encodeURI(path)}?import&t=${Date.now()}`); // its module fills the <style> again
  const links = stylesheetLinks().filter((link) => daemonPath(link.href) === path);
  for (const link of links) swapLink(link);
  if (!found && !links.length && loaded.has(path)) {
    for (const link of stylesheetLinks()) swapLink(link); // one of them @imports it
  }
  return found || links.length > 0 || loaded.has(path);
}

function onUpdate(paths) {
  const loaded = loadedPaths();
  let reload = false;
  for (const path of paths) {
    if (path.endsWith(".css") && !failedModules.has(path)) updateStylesheet(path, loaded);
    else if (loaded.has(path) || failedModules.has(path)) reload = true;
  }
  if (reload) location.reload();
}

events.addEventListener("hello", (event) => {
  const info = data(event);
  // A reconnect to a daemon whose import map changed meanwhile, or to another daemon (a
  // restart: it knows nothing of what this page loaded), reloads the page.
  if (hello !== null && (info.importmap !== hello.importmap || info.instance !== hello.instance)) location.reload();
  // The first: a page served while a run went on (the daemon's first, with --open) got the import
  // map from before it; the run's reload came before this page listened.
  const served = document.querySelector('meta[name="prebundle-importmap"]');
  if (hello === null && served && served.content !== info.importmap) location.reload();
  hello = info;
  globalThis.__prebundle = { connected: true, state: info.state, client: info.client };
  markConnected();
  if (info.state === "error" && info.error) showOverlay(withFrame(info.error, info.frame));
  else if (info.appErrors?.length) {
    hideOverlay();
    for (const error of info.appErrors) showAppError(error);
  } else hideOverlay();
});
events.addEventListener("reload", () => {
  hideOverlay();
  location.reload();
});
events.addEventListener("update", (event) => onUpdate(data(event).paths ?? []));
events.addEventListener("error", (event) => {
  if (event.data === undefined) return; // the connection, not an event
  const error = data(event);
  if (error.kind === "app") showAppError(error);
  else showOverlay(withFrame(error.message || String(event.data), error.frame));
});
events.addEventListener("ok", () => {
  if (overlayKind === "deps") hideOverlay();
});

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
