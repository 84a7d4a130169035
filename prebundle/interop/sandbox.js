// Runs a CommonJS module graph inside QuickJS with browser-like globals and returns
// JSON {names, esModule} for the entry's module.exports. The host (Python) has already read
// every file the graph can reach; nothing here can touch the file system or the network.
// `domStubs`: the DOM interfaces (and a few window values) as stubs too; the host asks for them
// only when a run without them failed, since code that finds a stub may call it while it loads.
(function (graph, entryId, nodeEnv, domStubs) {
  "use strict";
  var keys = Object.keys, stringify = JSON.stringify, parseJSON = JSON.parse;
  var FunctionCtor = Function, create = Object.create, assign = Object.assign;
  var defineProperty = Object.defineProperty, setPrototypeOf = Object.setPrototypeOf;
  var g = globalThis;
  var noop = function () {};
  var timerId = 0;
  var timer = function () { timerId += 1; return timerId; };

  // The standard interfaces code touches while it loads (`"download" in
  // HTMLAnchorElement.prototype`, `class extends HTMLElement`, `typeof MutationObserver`,
  // `new Blob(...)`), by parent: "" heads the ones that inherit from no other. Each is a stub
  // constructor whose prototype chain is its parent's, as in a browser, and which does nothing.
  // `fetch` and its Request/Response/Headers stay absent: code that finds them tends to use them
  // at once.
  var INTERFACES = {
    "": "EventTarget Event Blob URL URLSearchParams FormData TextEncoder TextDecoder DOMParser " +
        "XMLSerializer Range Selection NodeList HTMLCollection NamedNodeMap DOMTokenList " +
        "DOMRectReadOnly DOMPointReadOnly DOMMatrixReadOnly DOMException CSSStyleDeclaration " +
        "StyleSheet CSSRule MutationObserver ResizeObserver IntersectionObserver PerformanceObserver " +
        "NodeFilter TreeWalker NodeIterator FileList DataTransfer ImageData ImageBitmap Path2D " +
        "CanvasRenderingContext2D CanvasGradient CanvasPattern TextMetrics WebGLRenderingContext " +
        "WebGL2RenderingContext Storage History Location Navigator Screen Touch TouchList",
    EventTarget: "Node XMLHttpRequestEventTarget FileReader Worker SharedWorker MessagePort " +
        "BroadcastChannel WebSocket EventSource AbortSignal MediaQueryList OffscreenCanvas",
    XMLHttpRequestEventTarget: "XMLHttpRequest XMLHttpRequestUpload",
    Node: "Element Document DocumentFragment CharacterData Attr DocumentType",
    Document: "HTMLDocument XMLDocument",
    DocumentFragment: "ShadowRoot",
    CharacterData: "Text Comment ProcessingInstruction",
    Text: "CDATASection",
    Element: "HTMLElement SVGElement MathMLElement",
    HTMLElement: "HTMLAnchorElement HTMLAreaElement HTMLBRElement HTMLBaseElement HTMLBodyElement " +
        "HTMLButtonElement HTMLCanvasElement HTMLDListElement HTMLDataElement HTMLDataListElement " +
        "HTMLDetailsElement HTMLDialogElement HTMLDivElement HTMLEmbedElement HTMLFieldSetElement " +
        "HTMLFormElement HTMLHRElement HTMLHeadElement HTMLHeadingElement HTMLHtmlElement " +
        "HTMLIFrameElement HTMLImageElement HTMLInputElement HTMLLIElement HTMLLabelElement " +
        "HTMLLegendElement HTMLLinkElement HTMLMapElement HTMLMediaElement HTMLMenuElement " +
        "HTMLMetaElement HTMLMeterElement HTMLModElement HTMLOListElement HTMLObjectElement " +
        "HTMLOptGroupElement HTMLOptionElement HTMLOutputElement HTMLParagraphElement " +
        "HTMLPictureElement HTMLPreElement HTMLProgressElement HTMLQuoteElement HTMLScriptElement " +
        "HTMLSelectElement HTMLSlotElement HTMLSourceElement HTMLSpanElement HTMLStyleElement " +
        "HTMLTableCaptionElement HTMLTableCellElement HTMLTableColElement HTMLTableElement " +
        "HTMLTableRowElement HTMLTableSectionElement HTMLTemplateElement HTMLTextAreaElement " +
        "HTMLTimeElement HTMLTitleElement HTMLTrackElement HTMLUListElement HTMLUnknownElement",
    HTMLMediaElement: "HTMLAudioElement HTMLVideoElement",
    SVGElement: "SVGGraphicsElement",
    SVGGraphicsElement: "SVGSVGElement SVGGElement SVGGeometryElement SVGImageElement SVGUseElement " +
        "SVGForeignObjectElement SVGTextContentElement",
    SVGGeometryElement: "SVGPathElement SVGRectElement SVGCircleElement SVGEllipseElement " +
        "SVGLineElement SVGPolylineElement SVGPolygonElement",
    Event: "UIEvent CustomEvent MessageEvent ErrorEvent ProgressEvent AnimationEvent TransitionEvent " +
        "ClipboardEvent PopStateEvent HashChangeEvent StorageEvent PageTransitionEvent " +
        "BeforeUnloadEvent PromiseRejectionEvent SubmitEvent CloseEvent",
    UIEvent: "MouseEvent KeyboardEvent FocusEvent InputEvent TouchEvent CompositionEvent",
    MouseEvent: "PointerEvent WheelEvent DragEvent",
    Blob: "File",
    DOMRectReadOnly: "DOMRect",
    DOMPointReadOnly: "DOMPoint",
    DOMMatrixReadOnly: "DOMMatrix",
    StyleSheet: "CSSStyleSheet"
  };
  // What code that finds an interface tends to call on it at once (MutationObserver's
  // `observe`, for a microtask queue), as methods that do nothing.
  var returnsTrue = function () { return true; };
  var returnsList = function () { return []; };
  var METHODS = {
    EventTarget: { addEventListener: noop, removeEventListener: noop, dispatchEvent: returnsTrue },
    MutationObserver: { observe: noop, disconnect: noop, takeRecords: returnsList },
    ResizeObserver: { observe: noop, unobserve: noop, disconnect: noop },
    IntersectionObserver: { observe: noop, unobserve: noop, disconnect: noop, takeRecords: returnsList },
    PerformanceObserver: { observe: noop, disconnect: noop, takeRecords: returnsList }
  };
  // Constructors named for an element, sharing its prototype (`new Image()`).
  var NAMED_CONSTRUCTORS = { Image: "HTMLImageElement", Audio: "HTMLAudioElement", Option: "HTMLOptionElement" };

  function defineInterface(name, parent, prototype) {
    var ctor = function () {};
    defineProperty(ctor, "name", { value: name });
    ctor.prototype = prototype || create(parent ? parent.prototype : Object.prototype);
    if (!prototype) defineProperty(ctor.prototype, "constructor", { value: ctor, writable: true, configurable: true });
    if (parent) setPrototypeOf(ctor, parent);
    defineProperty(g, name, { value: ctor, writable: true, configurable: true });  // not enumerable, as in a browser
  }
  if (domStubs) {
    keys(INTERFACES).forEach(function (parent) {
      INTERFACES[parent].split(" ").forEach(function (name) { defineInterface(name, g[parent]); });
    });
    keys(METHODS).forEach(function (name) {
      var methods = METHODS[name], prototype = g[name].prototype;
      keys(methods).forEach(function (method) {
        defineProperty(prototype, method, { value: methods[method], writable: true, configurable: true });
      });
    });
    keys(NAMED_CONSTRUCTORS).forEach(function (name) {
      defineInterface(name, null, g[NAMED_CONSTRUCTORS[name]].prototype);
    });
  }
  function proto(name) {  // an interface's prototype, when the stubs are there
    var ctor = g[name];
    return ctor ? ctor.prototype : Object.prototype;
  }

  // Any other name in a module's source that looks like a DOM interface (HTMLFooElement,
  // SVGFooElement, FooElement, FooEvent) becomes a stub as well, before the module runs: a
  // browser has far more of them than the table lists. A scan of the text, not a Proxy behind
  // the global object: QuickJS reads an unknown global through a Proxy as undefined, never as
  // the ReferenceError other code relies on.
  function isIdentifierChar(c) {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
  }
  function defineInterfacesNamedIn(src) {
    ["Element", "Event"].forEach(function (suffix) {
      for (var at = src.indexOf(suffix); at !== -1; at = src.indexOf(suffix, at + 1)) {
        var start = at, end = at + suffix.length;
        if (isIdentifierChar(src.charCodeAt(end))) continue;
        while (start > 0 && isIdentifierChar(src.charCodeAt(start - 1))) start -= 1;
        var name = src.slice(start, end);
        if (!/^[A-Z][A-Za-z0-9]*$/.test(name) || name in g) continue;
        var parent = suffix === "Event" ? g.Event
          : /^HTML/.test(name) ? g.HTMLElement : /^SVG/.test(name) ? g.SVGElement : g.Element;
        defineInterface(name, parent);
      }
    });
  }

  function element(prototype) {
    return assign(create(prototype || proto("HTMLElement")), {
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
    });
  }
  var location = {
    href: "http://localhost/", origin: "http://localhost", protocol: "http:", host: "localhost",
    hostname: "localhost", port: "", pathname: "/", search: "", hash: ""
  };
  var document = element(proto("HTMLDocument"));
  document.nodeType = 9;
  document.readyState = "complete";
  document.cookie = "";
  document.location = location;
  document.documentElement = element();
  document.head = element();
  document.body = element();
  document.createElement = document.createElementNS = function () { return element(); };
  document.createTextNode = function () { return element(proto("Text")); };
  document.createComment = function () { return element(proto("Comment")); };
  document.createDocumentFragment = function () { return element(proto("DocumentFragment")); };
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
  if (domStubs) {
    g.screen = { width: 1280, height: 720, availWidth: 1280, availHeight: 720, colorDepth: 24, pixelDepth: 24 };
    g.devicePixelRatio = 1; g.innerWidth = g.outerWidth = 1280; g.innerHeight = g.outerHeight = 720;
    g.customElements = { define: noop, get: noop, upgrade: noop, whenDefined: function () { return new Promise(noop); } };
    g.Intl = {};  // QuickJS is built without it; code that checks for Intl.Segmenter finds none
  }
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
      if (domStubs) defineInterfacesNamedIn(rec.src);
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
