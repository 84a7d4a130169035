/* prebundle's dashboard: every optimized package with its size, build and importers, a treemap
 * of sizes, a graph of imports and the last runs.
 *
 * Served by the daemon at /@prebundle/, it reads /@prebundle/dashboard.json and reads it again
 * whenever the daemon's events say a run finished. A `prebundle report` file carries the same
 * data in <script type="application/json" id="prebundle-data">, and then nothing is fetched.
 * The page never builds HTML from strings: every text goes in through textContent, so package
 * names and file paths cannot inject markup (the page runs under a strict CSP besides). */
import { init } from "./echarts.min.js";

const DATA_URL = "/@prebundle/dashboard.json";
const EVENTS_URL = "/@prebundle/events";
const APP_NODE = "your app";
/** The app's node in the graph: no package's key (its folder in the deps dir) looks like it. */
const APP_KEY = "\u0000app";
/** How many names a table cell lists before "+N more". */
const LIST_SHOWN = 4;
/** A graph of more nodes than this names only the selected package and its neighbours. */
const CROWDED = 40;
/** How soon the page asks again while the daemon is in a run (no event marks a run's start). */
const BUSY_RETRY_MS = 1000;

const view = {
  data: null,
  sort: { key: "size", descending: true },
  filter: "",
  status: "",
  format: "",
  /** The selected package's key. */
  selected: null,
  /** Each package by key, by id and by name (the first of that name), for the current data. */
  index: { byKey: new Map(), byId: new Map(), byName: new Map() },
  charts: {},
  /** Where the graph put each node (by key): a node stays there when the graph is drawn again. */
  placed: new Map(),
};

// -- formatting --------------------------------------------------------------------------------

const KB = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A size as `prebundle ls` writes it: kB of 1,024 bytes, two decimals. */
function bytes(n) {
  if (n === null || n === undefined) return "–";
  return `${KB.format(n / 1024)} kB`;
}

function duration(ms) {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return isNaN(date) ? iso : date.toLocaleString();
}

function formatName(pkg) {
  if (pkg.format === "cjs") return pkg.interop ? "CommonJS · interop" : "CommonJS";
  return "ESM";
}

function statusName(pkg) {
  return pkg.status ?? "unknown";
}

function fileSize(pkg, file) {
  return pkg.sizes?.[file]?.size;
}

function importerNames(pkg) {
  return [...(pkg.importers?.app ?? []), ...(pkg.importers?.packages ?? [])];
}

function shortList(items) {
  if (items.length <= LIST_SHOWN) return items.join(", ");
  return `${items.slice(0, LIST_SHOWN).join(", ")} +${items.length - LIST_SHOWN} more`;
}

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** An element with attributes/properties and children (strings become text nodes). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

function packages() {
  return view.data?.inventory?.packages ?? [];
}

/** A package's key: its folder in the deps dir (two installed copies of one name are two packages). */
function keyOf(pkg) {
  return pkg.folder ?? pkg.name;
}

function indexPackages() {
  const index = { byKey: new Map(), byId: new Map(), byName: new Map() };
  for (const pkg of packages()) {
    index.byKey.set(keyOf(pkg), pkg);
    for (const id of pkg.ids) index.byId.set(id, pkg);
    if (!index.byName.has(pkg.name)) index.byName.set(pkg.name, pkg);
  }
  view.index = index;
}

function byKey(key) {
  return view.index.byKey.get(key);
}

/** The package of an id (``imports`` lists ids) or of a name (``importers.packages`` lists names). */
function ownerOf(idOrName) {
  return view.index.byId.get(idOrName) ?? view.index.byName.get(idOrName);
}

/** How the charts name a package: its name, with its version when two copies share the name. */
function labelOf(pkg) {
  return packages().filter((other) => other.name === pkg.name).length === 1 ? pkg.name : `${pkg.name}@${pkg.version}`;
}

// -- header, daemon and totals -----------------------------------------------------------------

function renderHeader() {
  const inventory = view.data.inventory;
  const parts = [inventory.root, inventory.mode];
  if (inventory.browserHash) parts.push(`browserHash ${inventory.browserHash}`);
  if (inventory.generatedAt) parts.push(`as of ${when(inventory.generatedAt)}`);
  document.getElementById("project").textContent = parts.filter(Boolean).join(" · ");
  const totals = inventory.totals ?? {};
  const items = [
    ["Packages", totals.packages], ["Ids", totals.ids], ["Files", totals.files],
    ["Size", bytes(totals.size)], ["Gzip", bytes(totals.gzip)],
  ];
  document.getElementById("totals").replaceChildren(
    ...items.map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, String(value ?? "–")))));
  const stale = document.getElementById("stale");
  stale.hidden = !inventory.stale;
  const next = view.data.daemon ? "the daemon replaces it on its next good run" : "run `prebundle` to update it";
  stale.textContent = inventory.stale ? `This output is out of date (${inventory.stale}): ${next}.` : "";
}

function renderDaemon() {
  const daemon = view.data.daemon;
  const section = document.getElementById("daemon");
  section.hidden = !daemon;
  if (!daemon) return;
  const badge = document.getElementById("daemon-state");
  badge.textContent = daemon.state;
  badge.className = `badge ${daemon.state}`;
  const last = daemon.lastRun;
  document.getElementById("daemon-summary").textContent =
    `daemon: ${daemon.runs} run${daemon.runs === 1 ? "" : "s"}` +
    (last ? `, the last ${last.ok ? "succeeded" : "failed"} ${when(last.at)} (${last.trigger})` : "");
  const error = document.getElementById("daemon-error");
  error.hidden = !daemon.error;
  error.textContent = daemon.error ?? "";
}

// -- the table ---------------------------------------------------------------------------------

const SORT_VALUES = {
  name: (pkg) => pkg.name,
  version: (pkg) => pkg.version ?? "",
  ids: (pkg) => pkg.ids.length,
  size: (pkg) => pkg.size,
  gzip: (pkg) => pkg.gzip,
  status: (pkg) => `${statusName(pkg)} ${String(Math.round(pkg.buildMs ?? 0)).padStart(9, "0")}`,
  format: (pkg) => formatName(pkg),
  importers: (pkg) => importerNames(pkg).length,
  imports: (pkg) => pkg.imports.length,
};

function shownPackages() {
  const needle = view.filter.trim().toLowerCase();
  const rows = packages().filter((pkg) => {
    if (view.status && pkg.status !== view.status) return false;
    if (view.format && pkg.format !== view.format) return false;
    if (!needle) return true;
    const haystack = [pkg.name, ...pkg.ids, ...importerNames(pkg), ...pkg.imports].join("\n").toLowerCase();
    return haystack.includes(needle);
  });
  const value = SORT_VALUES[view.sort.key];
  const sign = view.sort.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return sign * order || a.name.localeCompare(b.name) || keyOf(a).localeCompare(keyOf(b));
  });
}

function renderTable() {
  for (const th of document.querySelectorAll("#packages th")) {
    const key = th.dataset.key;
    if (key === view.sort.key) th.setAttribute("aria-sort", view.sort.descending ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
  const rows = shownPackages().map((pkg) => el("tr", {
    "data-package": pkg.name, "data-key": keyOf(pkg), "aria-selected": String(keyOf(pkg) === view.selected),
    on: { click: () => select(keyOf(pkg)) },
  },
    el("td", { class: "name" }, pkg.name),
    el("td", {}, pkg.version ?? ""),
    el("td", { class: "list", title: pkg.ids.join("\n") }, shortList(pkg.ids)),
    el("td", { class: "num", title: `${pkg.size} bytes` }, bytes(pkg.size)),
    el("td", { class: "num", title: `${pkg.gzip} bytes` }, bytes(pkg.gzip)),
    el("td", { class: "nowrap" }, el("span", { class: `tag ${statusName(pkg)}` }, statusName(pkg)),
      pkg.status === "built" && pkg.buildMs !== null ? ` ${duration(pkg.buildMs)}` : ""),
    el("td", { class: "nowrap" }, formatName(pkg)),
    el("td", { class: "list", title: importerNames(pkg).join("\n") }, shortList(importerNames(pkg))),
    el("td", { class: "list", title: pkg.imports.join("\n") }, shortList(pkg.imports)),
  ));
  const body = document.querySelector("#packages tbody");
  if (!rows.length) {
    const why = packages().length ? "No package matches the filter." : "No package is optimized yet.";
    rows.push(el("tr", {}, el("td", { class: "empty", colSpan: 9 }, why)));
  }
  body.replaceChildren(...rows);
  document.getElementById("shown").textContent = `${shownPackages().length} of ${packages().length}`;
}

function bindTable() {
  for (const th of document.querySelectorAll("#packages th")) {
    th.tabIndex = 0;
    const sortBy = () => {
      const key = th.dataset.key;
      view.sort = key === view.sort.key
        ? { key, descending: !view.sort.descending }
        : { key, descending: ["size", "gzip", "ids", "importers", "imports"].includes(key) };
      renderTable();
    };
    th.addEventListener("click", sortBy);
    th.addEventListener("keydown", (event) => (event.key === "Enter" || event.key === " ") && sortBy());
  }
  const filter = document.getElementById("filter");
  filter.addEventListener("input", () => { view.filter = filter.value; renderTable(); });
  const status = document.getElementById("status-filter");
  status.addEventListener("change", () => { view.status = status.value; renderTable(); });
  const format = document.getElementById("format-filter");
  format.addEventListener("change", () => { view.format = format.value; renderTable(); });
}

// -- the selected package ----------------------------------------------------------------------

/** Select the package of ``key`` (again: unselect it; null: unselect). */
function select(key) {
  view.selected = key && key !== view.selected && byKey(key) ? key : null;
  for (const row of document.querySelectorAll("#packages tbody tr[data-key]")) {
    row.setAttribute("aria-selected", String(row.dataset.key === view.selected));
  }
  renderDetails();
  renderGraph();
}

/** An id or a package name, as a button selecting its package when it is optimized. */
function packageLink(idOrName) {
  const pkg = ownerOf(idOrName);
  return pkg
    ? el("button", { class: "link", type: "button", on: { click: () => select(keyOf(pkg)) } }, idOrName)
    : el("code", {}, idOrName);
}

function listOf(items, item, empty) {
  if (!items.length) return el("span", { class: "empty" }, empty);
  return el("ul", {}, items.map((value) => el("li", {}, item(value))));
}

function renderDetails() {
  const section = document.getElementById("details");
  const pkg = view.selected && byKey(view.selected);
  section.hidden = !pkg;
  if (!pkg) return section.replaceChildren();
  const build = {
    built: `built${pkg.buildMs !== null ? ` in ${duration(pkg.buildMs)}` : ""}`,
    reused: "reused from the previous output or the machine-wide cache",
  }[pkg.status] ?? "not known: the run history does not go back to the run that made it";
  section.replaceChildren(
    el("h2", {}, pkg.name, " ", el("span", { class: "muted" }, pkg.version ?? ""),
      " ", el("button", { class: "link", type: "button", on: { click: () => select(null) } }, "close")),
    el("dl", {},
      el("dt", {}, "Build"), el("dd", {}, build),
      el("dt", {}, "Format"), el("dd", {}, formatName(pkg)),
      el("dt", {}, "Size"), el("dd", {}, `${bytes(pkg.size)} (${bytes(pkg.gzip)} gzip)`),
      el("dt", {}, "Ids"), el("dd", {}, listOf(pkg.ids, (id) => el("code", {}, id), "none")),
      el("dt", {}, "Files"), el("dd", {}, listOf(pkg.files, (file) => [el("code", {}, file),
        pkg.sizes?.[file] ? ` ${bytes(pkg.sizes[file].size)} (${bytes(pkg.sizes[file].gzip)} gzip)` : ""], "none")),
      el("dt", {}, "Imported by"), el("dd", { id: "importers" },
        listOf([...pkg.importers.app.map((at) => ["app", at]), ...pkg.importers.packages.map((name) => ["pkg", name])],
          ([kind, value]) => kind === "app" ? el("code", {}, value) : packageLink(value),
          "nothing: it is optimized because the config includes it")),
      el("dt", {}, "Imports"), el("dd", { id: "imports" }, listOf(pkg.imports, packageLink, "no other package")),
    ),
  );
}

// -- the charts --------------------------------------------------------------------------------

function chart(id) {
  if (!view.charts[id]) {
    const node = document.getElementById(id);
    view.charts[id] = init(node, null, { renderer: "canvas" });
    new ResizeObserver(() => view.charts[id].resize()).observe(node);
  }
  return view.charts[id];
}

function tooltipText(lines) {
  // ECharts puts a tooltip's text in as HTML: escape everything that came from the data.
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return lines.map(escape).join("<br>");
}

function renderTreemap() {
  const data = packages().map((pkg) => {
    const children = pkg.files.filter((file) => fileSize(pkg, file) !== undefined)
      .map((file) => ({ name: file, value: fileSize(pkg, file), key: keyOf(pkg) }));
    return { name: labelOf(pkg), value: pkg.size, key: keyOf(pkg), children: children.length ? children : undefined };
  });
  const option = {
    animation: false,
    tooltip: {
      formatter: (info) => {
        const pkg = byKey(info.data?.key);
        if (!pkg) return "";
        const head = info.data.children ? `${pkg.name}@${pkg.version}` : `${info.data.name} (${pkg.name})`;
        return tooltipText([head, bytes(info.value)]);
      },
    },
    series: [{
      id: "sizes", type: "treemap", name: "packages", data, roam: false, nodeClick: "zoomToNode",
      leafDepth: 2, left: 0, width: "100%", height: "88%", top: 0, visibleMin: 30,
      breadcrumb: { show: true, bottom: 0 },
      label: { show: true, formatter: "{b}" },
      upperLabel: { show: true, height: 20 },
      levels: [
        { itemStyle: { borderColor: "#fff", borderWidth: 0, gapWidth: 2 }, upperLabel: { show: false } },
        { itemStyle: { borderColor: "#d0d7de", borderWidth: 2, gapWidth: 1 } },
        { colorSaturation: [0.35, 0.5], itemStyle: { borderColorSaturation: 0.6, gapWidth: 1, borderWidth: 1 } },
      ],
    }],
  };
  chart("treemap").setOption(option, { replaceMerge: ["series"] });
}

/** Positions for the graph's nodes (a force-directed layout, Fruchterman and Reingold's): linked
 * nodes pull together, all push apart, a weak pull to the middle keeps lone nodes near. Nodes
 * placed before stay; new ones start beside a placed neighbour. The layout is deterministic, and
 * the chart fits whatever area it spans into its box. */
function layoutGraph(nodes, links) {
  const count = nodes.length;
  const k = 1 / Math.sqrt(Math.max(count, 1));
  const xs = new Float64Array(count), ys = new Float64Array(count);
  const moving = nodes.map((node) => !view.placed.has(node.key));
  nodes.forEach((node, i) => {
    if (!moving[i]) [xs[i], ys[i]] = view.placed.get(node.key);
  });
  nodes.forEach((node, i) => {
    if (!moving[i]) return;
    const neighbour = links.find((link) =>
      (link.source === i && !moving[link.target]) || (link.target === i && !moving[link.source]));
    const other = neighbour && (neighbour.source === i ? neighbour.target : neighbour.source);
    const angle = 2.399963 * i;  // the golden angle: start points never coincide
    const radius = neighbour ? k / 2 : 0.5 * Math.sqrt((i + 1) / count);
    xs[i] = (neighbour ? xs[other] : 0) + radius * Math.cos(angle);
    ys[i] = (neighbour ? ys[other] : 0) + radius * Math.sin(angle);
  });
  const steps = moving.some(Boolean) ? 200 : 0;
  const sx = new Float64Array(count), sy = new Float64Array(count);
  for (let step = 0; step < steps; step++) {
    sx.fill(0);
    sy.fill(0);
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const dx = xs[i] - xs[j], dy = ys[i] - ys[j];
        const push = (k * k) / Math.max(dx * dx + dy * dy, 1e-6);
        sx[i] += dx * push; sy[i] += dy * push;
        sx[j] -= dx * push; sy[j] -= dy * push;
      }
    }
    for (const { source, target } of links) {
      const dx = xs[source] - xs[target], dy = ys[source] - ys[target];
      const pull = Math.sqrt(dx * dx + dy * dy) / k;
      sx[source] -= dx * pull; sy[source] -= dy * pull;
      sx[target] += dx * pull; sy[target] += dy * pull;
    }
    const limit = 0.1 * (1 - step / steps) + 0.002;
    for (let i = 0; i < count; i++) {
      if (!moving[i]) continue;
      const fx = sx[i] - xs[i] * 0.5, fy = sy[i] - ys[i] * 0.5;
      const length = Math.sqrt(fx * fx + fy * fy) || 1;
      const move = Math.min(length, limit) / length;
      xs[i] += fx * move;
      ys[i] += fy * move;
    }
  }
  nodes.forEach((node, i) => view.placed.set(node.key, [xs[i], ys[i]]));
  return nodes.map((node, i) => [xs[i], ys[i]]);
}

/** The graph's nodes (the app, then each package) and its links (importer -> imported), by index. */
function graphModel() {
  const pkgs = packages();
  const position = new Map(pkgs.map((pkg, i) => [pkg, i + 1]));
  const nodes = [{ key: APP_KEY, name: APP_NODE, kind: "app", size: 0 },
    ...pkgs.map((pkg) => ({ key: keyOf(pkg), name: labelOf(pkg), kind: statusName(pkg), size: pkg.size }))];
  const links = new Map();
  const link = (source, target) => links.set(`${source} ${target}`, { source, target });
  for (const pkg of pkgs) {
    if (pkg.importers.app.length) link(0, position.get(pkg));
    for (const id of pkg.imports) {
      const target = view.index.byId.get(id);
      if (target && target !== pkg) link(position.get(pkg), position.get(target));
    }
  }
  return { nodes, links: [...links.values()] };
}

function renderGraph() {
  const { nodes, links } = graphModel();
  const colors = { app: css("--app"), built: css("--built"), reused: css("--reused"), unknown: css("--muted") };
  const selected = view.selected ? nodes.findIndex((node) => node.key === view.selected) : -1;
  const near = new Set([selected]);
  for (const link of links) {
    if (link.source === selected) near.add(link.target);
    if (link.target === selected) near.add(link.source);
  }
  const largest = Math.max(1, ...nodes.map((node) => node.size));
  const points = layoutGraph(nodes, links);
  const data = nodes.map((node, i) => ({
    id: node.key, name: node.name, value: node.size, x: points[i][0] * 1000, y: points[i][1] * 1000,
    symbolSize: node.kind === "app" ? 22 : 10 + 26 * Math.sqrt(node.size / largest),
    itemStyle: { color: colors[node.kind], opacity: selected < 0 || near.has(i) ? 1 : 0.2,
      borderColor: i === selected ? "#1f2328" : "#fff", borderWidth: i === selected ? 3 : 1 },
    label: { fontWeight: i === selected ? "bold" : "normal", opacity: selected < 0 || near.has(i) ? 1 : 0.3,
      show: selected < 0 || near.has(i) || nodes.length <= CROWDED },
  }));
  const edges = links.map((link) => {
    const role = link.target === selected ? "importer" : link.source === selected ? "import" : "";
    return {
      source: link.source, target: link.target,
      lineStyle: { color: role ? css(`--${role}`) : "#aab4be", width: role ? 2.5 : 1,
        opacity: selected < 0 ? 0.6 : role ? 1 : 0.1, curveness: 0.1 },
    };
  });
  const option = {
    animation: false,
    tooltip: {
      formatter: (info) => {
        if (info.dataType !== "node") return "";
        const pkg = byKey(info.data.id);
        if (!pkg) return tooltipText([APP_NODE]);
        return tooltipText([`${pkg.name}@${pkg.version}`, `${bytes(pkg.size)} · ${statusName(pkg)}`,
          `imported by ${importerNames(pkg).length}, imports ${pkg.imports.length}`]);
      },
    },
    series: [{
      id: "imports", type: "graph", layout: "none", roam: true, data, links: edges,
      top: 24, bottom: 24, left: 24, right: 110, preserveAspect: true,
      edgeSymbol: ["none", "arrow"], edgeSymbolSize: 7,
      label: { show: true, position: "right", fontSize: 11, color: css("--fg") },
      labelLayout: { hideOverlap: true },
      emphasis: { focus: "none", scale: 1.2 },
    }],
  };
  chart("graph").setOption(option, { replaceMerge: ["series"] });
}

function bindCharts() {
  chart("graph").on("click", (info) => {
    if (info.dataType === "node" && byKey(info.data.id)) select(info.data.id);
  });
  chart("treemap").on("click", (info) => {
    if (info.data?.key && info.data.key !== view.selected) select(info.data.key);
  });
}

// -- runs --------------------------------------------------------------------------------------

/** The run history, newest first, with the daemon's last run when the history lacks it (a run
 * that optimized nothing, or failed before it bundled, is not in the history). */
function runs() {
  const list = [...(view.data.inventory.runs ?? [])]; // oldest first
  const last = view.data.daemon?.lastRun;
  const same = (a, b) => Math.abs(new Date(a.at) - new Date(b.at)) <= 2000 && a.ok === b.ok;
  if (last && !list.some((run) => same(run, last))) list.push(last);
  // newest first; runs of the same second keep their order in the history (times are to the second)
  const order = new Map(list.map((run, index) => [run, index]));
  return list.sort((a, b) => new Date(b.at) - new Date(a.at) || order.get(b) - order.get(a));
}

/** What the package cache's tiers did in a run: hits of this machine's cache, then of the team's
 * remote (with the bytes it downloaded and the uploads it was handed), the misses in the title. */
function cacheCell(cache) {
  if (!cache) return el("td", { class: "cache" }, "");
  const bytes = (count) => (count < 1024 * 1024 ? `${(count / 1024).toFixed(1)} kB` : `${(count / 1048576).toFixed(1)} MB`);
  let text = `machine ${cache.local_hits}/${cache.local_hits + cache.local_misses}`;
  let title = `machine-wide cache: ${cache.local_hits} hits (${bytes(cache.local_bytes)}), ${cache.local_misses} misses`;
  if (cache.remote && cache.restored) {
    text += ` · remote: deps dir (${bytes(cache.remote_bytes_down)})`;
    title += `\nremote ${cache.remote}: the whole deps dir in one download (${bytes(cache.remote_bytes_down)})`;
  } else if (cache.remote) {
    text += ` · remote ${cache.remote_hits} (${bytes(cache.remote_bytes_down)})`;
    if (cache.uploads) text += ` · ${cache.uploads} up`;
    title += `\nremote ${cache.remote}: ${cache.remote_hits} hits (${bytes(cache.remote_bytes_down)} down), ` +
      `${cache.remote_misses} misses, ${cache.uploads} uploads`;
    if (cache.remote_skipped) title += `\nskipped: ${cache.remote_skipped}`;
  }
  return el("td", { class: cache.remote_skipped ? "cache skipped" : "cache", title }, text);
}

function renderRuns() {
  const rows = [];
  for (const run of runs()) {
    rows.push(el("tr", { class: run.ok ? "run" : "run failed" },
      el("td", { title: run.at }, when(run.at)),
      el("td", {}, run.detail ? `${run.trigger}: ${run.detail}` : run.trigger),
      el("td", {}, el("span", { class: `badge ${run.ok ? "ok" : "failed"}` }, run.ok ? "ok" : "failed")),
      el("td", { class: "num" }, duration(run.ms)),
      el("td", { class: "list", title: run.built.join("\n") }, shortList(run.built)),
      el("td", { class: "list", title: run.reused.join("\n") }, run.reused.length ? `${run.reused.length}` : ""),
      cacheCell(run.cache),
    ));
    if (run.error) {
      rows.push(el("tr", { class: "run-error" }, el("td", { colSpan: 7 }, el("pre", { class: "error" }, run.error))));
    }
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { class: "empty", colSpan: 7 }, "No run recorded yet.")));
  document.querySelector("#runs tbody").replaceChildren(...rows);
}

// -- packages served as they are --------------------------------------------------------------

function renderServedAsIs() {
  const items = view.data.inventory.servedAsIs ?? [];
  document.getElementById("as-is").hidden = !items.length;
  document.querySelector("#as-is-table tbody").replaceChildren(...items.map((item) => el("tr", {},
    el("td", { class: "name" }, item.id),
    el("td", {}, item.version ?? ""),
    el("td", {}, item.kind === "linked" ? "linked (outside node_modules)" : "excluded in the config"),
    el("td", { class: "list", title: item.importers.join("\n") }, shortList(item.importers)),
  )));
}

// -- data --------------------------------------------------------------------------------------

function render(data) {
  view.data = data;
  indexPackages();
  if (view.selected && !byKey(view.selected)) view.selected = null;
  document.getElementById("load-error").hidden = true;
  renderHeader();
  renderDaemon();
  renderTable();
  renderDetails();
  renderTreemap();
  renderGraph();
  renderRuns();
  renderServedAsIs();
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
}

function showLoadError(message) {
  const node = document.getElementById("load-error");
  node.hidden = false;
  node.textContent = message;
}

const STARTING = "The daemon is optimizing the dependencies: this page fills in when it is done.";
let loading = null;
let again = false;
let busyRetry = 0;

/** Fetch the data and render it; a call during a fetch fetches once more after it. */
async function refresh() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      try {
        const response = await fetch(DATA_URL, { cache: "no-store" });
        const body = await response.json();
        if (body.daemon) {
          view.data = { inventory: view.data?.inventory ?? { packages: [], runs: [] }, daemon: body.daemon };
          renderDaemon();
          clearTimeout(busyRetry);
          if (body.daemon.state === "optimizing") busyRetry = setTimeout(refresh, BUSY_RETRY_MS);
        }
        const why = body.error ?? `${response.status} ${response.statusText}`;
        if (response.ok) render(body);
        else if (body.daemon?.state === "optimizing") showLoadError(STARTING);
        else showLoadError(`Could not read the dashboard's data: ${why}`);
      } catch (error) {
        showLoadError(`Could not read the dashboard's data: ${error.message}`);
      }
    } while (again);
    loading = null;
  })();
  return loading;
}

function listen() {
  const live = document.getElementById("live");
  live.hidden = false;
  const events = new EventSource(EVENTS_URL);
  let hellos = 0;
  events.addEventListener("open", () => { live.className = "live on"; live.textContent = "live"; });
  events.addEventListener("error", (event) => {
    if (event instanceof MessageEvent) return refresh();  // the daemon's `error`: a run failed
    live.className = "live off";  // the stream broke; EventSource reconnects by itself
    live.textContent = "daemon unreachable";
  });
  events.addEventListener("hello", () => { if (hellos++) refresh(); });  // reconnected: catch up
  for (const name of ["reload", "ok"]) events.addEventListener(name, () => refresh());
}

function boot() {
  // The chart instances, for the browser's devtools (and a test that clicks a node where it is drawn).
  globalThis.prebundleDashboard = { charts: view.charts };
  bindTable();
  bindCharts();
  const embedded = document.getElementById("prebundle-data");
  if (embedded) {
    render(JSON.parse(embedded.textContent));
    return;
  }
  listen();
  refresh();
}

boot();
