"""The sandbox: browser-like globals, host-loaded requires, limits, fallback, and the cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from prebundle.interop import InteropCache, analyze
from prebundle.interop.evaluate import evaluate_exports, stats

from ._support import CJS, node_modules_require, saver_package


def _analyze(name: str, entry: str = "index.js", **kw):
    return analyze(
        CJS / name / entry,
        mode=kw.pop("mode", "development"),
        package_dir=CJS / name,
        package_name=name,
        **kw,
    )


def test_umd_with_bare_require_browser_globals_and_mode() -> None:
    dev = evaluate_exports(CJS / "umd-bare" / "index.js", mode="development", resolve_require=node_modules_require)
    assert dev.ok, dev.error
    assert set(dev.names) == {"version", "fromOtherCopy", "isBrowser", "hasNavigator"}
    prod = evaluate_exports(CJS / "umd-bare" / "index.js", mode="production", resolve_require=node_modules_require)
    assert "prodFlag" in prod.names


def test_umd_that_reads_a_dom_interface_while_loading(tmp_path: Path) -> None:
    # file-saver: `"download" in HTMLAnchorElement.prototype`, then `module.exports = g` with `g.saveAs = g`
    result = evaluate_exports(saver_package(tmp_path / "node_modules"), mode="development")
    assert result.ok, result.error
    assert result.names == ("saveAs",)


LOAD_TIME_CODE = {
    "custom element": 'class Button extends HTMLElement {} customElements.define("x-button", Button); new Button();',
    "microtask queue": 'new MutationObserver(function () {}).observe(document.createTextNode(""), { characterData: true });',
    "observers": "new ResizeObserver(function () {}).observe(document.body);"
                 " new IntersectionObserver(function () {}).disconnect();",
    "blob": 'if (!(new File([], "f") instanceof Blob)) throw new Error("File");',
    "url and encoding": 'new URL(location.href); new URLSearchParams(""); new TextEncoder(); new TextDecoder("utf-8");',
    "event targets": 'new XMLHttpRequest().addEventListener("load", function () {}); new Worker("w.js"); new FileReader();',
    "events": 'document.createElement("a").dispatchEvent(new MouseEvent("click")); new KeyboardEvent("keydown");',
    "instances": 'if (!(new Image() instanceof HTMLImageElement && document.createElement("canvas") instanceof Node)) throw 0;',
    "inheritance": "if (!(HTMLAnchorElement.prototype instanceof Element && document instanceof Document)) throw 0;",
    # Not in the table: stubs because the names have a DOM interface's shape.
    "element by name": "if (!(SVGFEBlendElement.prototype instanceof SVGElement"
                       " && HTMLMarqueeElement.prototype instanceof HTMLElement)) throw 0;",
    "event by name": 'if (!(new DeviceOrientationEvent("x") instanceof Event)) throw 0;',
    "screen (leaflet)": "var retina = (window.devicePixelRatio || window.screen.deviceXDPI / window.screen.logicalXDPI) > 1;",
    "intl (pixi.js)": 'if (typeof Intl?.Segmenter === "function") throw 0;',
}
"""What modules do with browser globals while they load, each of which used to stop the sandbox."""


@pytest.mark.parametrize("code", LOAD_TIME_CODE.values(), ids=LOAD_TIME_CODE.keys())
def test_browser_globals_modules_touch_while_loading(code: str, tmp_path: Path) -> None:
    (tmp_path / "entry.js").write_text(f"{code}\nexports.loaded = true;\n")
    result = evaluate_exports(tmp_path / "entry.js", mode="development")
    assert result.ok, result.error
    assert result.names == ("loaded",)


FEATURE_DETECTED = {
    "encoder": "var e = typeof TextEncoder !== 'undefined' ? new TextEncoder() : null; exports.bytes = e ? e.encode('x') : [];",
    "intl": "exports.format = typeof Intl !== 'undefined' ? new Intl.NumberFormat('en-US') : null;",
    "search params": "exports.a = typeof URLSearchParams !== 'undefined' && new URLSearchParams('a=1').get('a');",
}
"""Code that finds an API and calls it at once, else takes a fallback: a stub must not be found."""


@pytest.mark.parametrize("code", FEATURE_DETECTED.values(), ids=FEATURE_DETECTED.keys())
def test_code_that_detects_an_api_takes_its_fallback(code: str, tmp_path: Path) -> None:
    (tmp_path / "detects.js").write_text(code)
    result = evaluate_exports(tmp_path / "detects.js", mode="development")
    assert result.ok, result.error
    assert len(result.names) == 1


def test_other_unknown_globals_stay_unknown(tmp_path: Path) -> None:
    (tmp_path / "probe.js").write_text(
        "HTMLElement.prototype;"  # the run with the DOM stubs
        " try { notAGlobal; } catch (e) { exports[e.name] = 1; }"
        " exports['lower_' + typeof someElement] = 1; exports['widget_' + typeof FooWidget] = 1;"
        " exports['enumerable_' + (Object.keys(window).indexOf('HTMLElement') >= 0)] = 1;"
    )
    result = evaluate_exports(tmp_path / "probe.js", mode="development")
    assert set(result.names) == {"ReferenceError", "lower_undefined", "widget_undefined", "enumerable_false"}


def test_throwing_package_falls_back_to_static_names(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="prebundle.interop"):
        result = _analyze("throws")
    assert result.needs_interop
    assert result.names == ("early",)
    assert not result.evaluated
    assert any("does not load outside its app" in r.getMessage() for r in caplog.records)


def test_infinite_loop_is_cut_by_time_limit() -> None:
    result = evaluate_exports(CJS / "spin" / "index.js", mode="development", time_limit=0.3)
    assert not result.ok
    assert "interrupted" in (result.error or "")
    assert result.seconds < 3


def test_memory_limit(tmp_path: Path) -> None:
    (tmp_path / "hog.js").write_text("var a = []; for (;;) a.push(new Array(100000).fill(1));")
    result = evaluate_exports(tmp_path / "hog.js", mode="development", memory_limit=32 * 1024 * 1024)
    assert not result.ok
    assert "memory" in (result.error or "")


def test_deep_recursion_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.js").write_text("function f(n) { return f(n + 1) + 1 } module.exports = f(0);")
    assert not evaluate_exports(tmp_path / "deep.js", mode="development").ok


def test_node_builtins_are_empty_stubs() -> None:
    result = evaluate_exports(CJS / "usesfs" / "index.js", mode="development", resolve_require=node_modules_require)
    assert result.ok, result.error
    assert set(result.names) == {"fs_undefined", "path_undefined", "stubKeys"}


def test_no_host_access(tmp_path: Path) -> None:
    (tmp_path / "probe.js").write_text(
        "module.exports = (function () { var o = {};"
        " o['std_' + typeof std] = 1; o['os_' + typeof os] = 1; o['fetch_' + typeof fetch] = 1;"
        " o['req_' + typeof require('child_process').exec] = 1;"
        # XMLHttpRequest, WebSocket and Worker exist (code tests for them) but can send nothing
        " var xhr = new XMLHttpRequest(); o['xhr_' + typeof xhr.open + '_' + typeof xhr.send] = 1;"
        " o['ws_' + typeof new WebSocket('ws://localhost/').send] = 1;"
        " o['worker_' + typeof new Worker('w.js').postMessage] = 1;"
        " return o; })();"
    )
    result = evaluate_exports(tmp_path / "probe.js", mode="development")
    assert set(result.names) == {"std_undefined", "os_undefined", "fetch_undefined", "req_undefined",
                                 "xhr_undefined_undefined", "ws_undefined", "worker_undefined"}


def test_cache_hit_does_not_evaluate_again(tmp_path: Path) -> None:
    cache = InteropCache(tmp_path)
    before = stats.runs
    first = _analyze("umd-bare", cache=cache, resolve_require=node_modules_require)
    assert first.evaluated and stats.runs == before + 1
    second = _analyze("umd-bare", cache=cache, resolve_require=node_modules_require)
    assert stats.runs == before + 1
    assert second.names == first.names and second.evaluated
    assert len(list(tmp_path.glob("*.json"))) == 1
    # Another mode is another key.
    _analyze("umd-bare", cache=cache, resolve_require=node_modules_require, mode="production")
    assert stats.runs == before + 2


def test_failures_are_cached_too(tmp_path: Path) -> None:
    before = stats.runs
    for _ in range(2):
        result = _analyze("throws", cache=InteropCache(tmp_path))
        assert result.names == ("early",)
    assert stats.runs == before + 1


def test_static_only_when_static_answer_is_complete() -> None:
    before = stats.runs
    result = _analyze("babel", "lib/index.js")
    assert stats.runs == before
    assert not result.evaluated
    assert result.es_module
    assert "Main" in result.names and "default" not in result.names and "__esModule" not in result.names


def test_evaluate_false_never_runs_the_sandbox() -> None:
    before = stats.runs
    result = _analyze("umd-bare", evaluate=False, resolve_require=node_modules_require)
    assert stats.runs == before
    assert result.names == ()


def test_analyze_union_of_static_and_evaluated() -> None:
    result = _analyze("umd-bare", resolve_require=node_modules_require)
    assert result.evaluated
    assert "fromOtherCopy" in result.names
