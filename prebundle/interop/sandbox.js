// Runs a CommonJS module graph inside QuickJS with browser-like globals and returns
// JSON {names, esModule} for the entry's module.exports. The host (Python) has already read
// every file the graph can reach; nothing here can touch the file system or the network.
(function (graph, entryId, nodeEnv) {
  "use strict";
  var keys = Object.keys, stringify = JSON.stringify, parseJSON = JSON.parse;
  var FunctionCtor = Function, create = Object.create;
  var g = globalThis;
  var noop = function () {};
  var timerId = 0;
  var timer = function () { timerId += 1; return timerId; };

  function element() {
    return {
      style: {}, dataset: {}, attributes: [], childNodes: [], children: [],
      firstChild: null, lastChild: null, parentNode: null, textContent: "", innerHTML: "",
      classList: { add: noop, remove: noop, toggle: noop, contains: function () { return false; } },
      setAttribute: noop, getAttribute: function () { return null; }, removeAttribute: noop,
      hasAttribute: function () { return false; },
      appendChild: function (c) { return c; }, removeChild: function (c) { return c; },
      insertBefore: function (c) { return c; }, cloneNode: function () { return element(); },
      addEventListener: noop, removeEventListener: noop, dispatchEvent: function () { return true; },
      getContext: function () { return null; },
      querySelector: function () { return null; }, querySelectorAll: function () { return []; },
      getElementsByTagName: function () { return []; },
      getBoundingClientRect: function () { return { top: 0, left: 0, right: 0, bottom: 0, width: 0, height: 0 }; }
    };
  }
  var location = {
    href: "http://localhost/", origin: "http://localhost", protocol: "http:", host: "localhost",
    hostname: "localhost", port: "", pathname: "/", search: "", hash: ""
  };
  var document = element();
  document.nodeType = 9;
  document.readyState = "complete";
  document.cookie = "";
  document.location = location;
  document.documentElement = element();
  document.head = element();
  document.body = element();
  document.createElement = element;
  document.createElementNS = element;
  document.createTextNode = element;
  document.createComment = element;
  document.createDocumentFragment = element;
  document.getElementById = function () { return null; };

  g.window = g; g.self = g; g.global = g;
  g.document = document;
  g.location = location;
  g.navigator = { userAgent: "Mozilla/5.0 (prebundle)", language: "en-US", languages: ["en-US"], platform: "", vendor: "" };
  g.process = {
    env: { NODE_ENV: nodeEnv }, browser: true, platform: "browser", version: "", versions: {},
    argv: [], cwd: function () { return "/"; }, nextTick: noop, on: noop
  };
  g.console = {};
  ["log", "info", "warn", "error", "debug", "trace", "dir", "group", "groupCollapsed",
   "groupEnd", "time", "timeEnd", "assert", "table", "count"].forEach(function (k) { g.console[k] = noop; });
  g.setTimeout = timer; g.setInterval = timer; g.setImmediate = timer;
  g.clearTimeout = noop; g.clearInterval = noop; g.clearImmediate = noop;
  g.requestAnimationFrame = timer; g.cancelAnimationFrame = noop;
  g.queueMicrotask = noop;
  g.addEventListener = noop; g.removeEventListener = noop; g.dispatchEvent = function () { return true; };
  g.performance = { now: function () { return 0; }, mark: noop, measure: noop };
  g.MessageChannel = function () {
    this.port1 = { onmessage: null, postMessage: noop, close: noop };
    this.port2 = { onmessage: null, postMessage: noop, close: noop };
  };
  g.getComputedStyle = function () { return {}; };
  g.matchMedia = function () { return { matches: false, addListener: noop, removeListener: noop, addEventListener: noop, removeEventListener: noop }; };
  g.localStorage = g.sessionStorage = { getItem: function () { return null; }, setItem: noop, removeItem: noop, clear: noop };

  var cache = create(null);
  var stubs = create(null);

  function load(id) {
    var cached = cache[id];
    if (cached) return cached.exports;
    var rec = graph[id];
    var module = { id: id, filename: rec.filename, loaded: false, children: [], paths: [], exports: {} };
    cache[id] = module;
    if (rec.json) {
      module.exports = parseJSON(rec.src);
    } else {
      var require = function (spec) {
        var to = rec.deps[spec];
        if (typeof to !== "string" || !graph[to]) return stubs[spec] || (stubs[spec] = {});
        return load(to);
      };
      require.resolve = function (spec) { return spec; };
      require.cache = cache;
      module.require = require;
      var fn = new FunctionCtor("exports", "require", "module", "__filename", "__dirname", rec.src);
      fn.call(module.exports, module.exports, require, module, rec.filename, rec.dirname);
    }
    module.loaded = true;
    return module.exports;
  }

  var value = load(entryId);
  var type = typeof value;
  var names = value !== null && (type === "object" || type === "function") ? keys(value) : [];
  var esModule = false;
  try { esModule = !!(value && value.__esModule); } catch (e) { esModule = false; }
  return stringify({ names: names, esModule: esModule });
})
