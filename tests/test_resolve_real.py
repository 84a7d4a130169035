"""The resolver over the real npm packages in ``fixtures/npm``, and under load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from prebundle.resolve import BuiltinModule, ResolveError, Resolver


@pytest.fixture(scope="module")
def nm(npm_modules: Path) -> Path:
    return npm_modules.resolve()


@pytest.fixture(scope="module")
def importer(nm: Path) -> Path:
    return nm.parent / "src" / "main.js"


@pytest.mark.parametrize(
    ("specifier", "entry", "version_major"),
    [
        ("react", "react/index.js", "19"),
        ("react/jsx-runtime", "react/jsx-runtime.js", "19"),
        ("react/jsx-dev-runtime", "react/jsx-dev-runtime.js", "19"),
        ("react/package.json", "react/package.json", "19"),
        ("react-dom", "react-dom/index.js", "19"),
        ("react-dom/client", "react-dom/client.js", "19"),
        ("react-dom/server", "react-dom/server.browser.js", "19"),
        ("preact", "preact/dist/preact.mjs", "11"),
        ("preact/hooks", "preact/hooks/dist/hooks.mjs", "11"),
        ("preact/compat/server", "preact/compat/server.browser.mjs", "11"),
        ("preact/compat/client", "preact/compat/client.mjs", "11"),
        ("lodash-es", "lodash-es/lodash.js", "4"),
        ("lodash/debounce", "lodash/debounce.js", "4"),
        ("lodash/fp/map", "lodash/fp/map.js", "4"),
        ("moment", "moment/moment.js", "2"),
        ("dayjs", "dayjs/dayjs.min.js", "1"),
        ("dayjs/plugin/utc", "dayjs/plugin/utc.js", "1"),
        ("classnames", "classnames/index.js", "2"),
        ("prop-types", "prop-types/index.js", "15"),
        ("scheduler", "scheduler/index.js", "0"),
    ],
)
def test_real_packages(
    nm: Path, importer: Path, specifier: str, entry: str, version_major: str
) -> None:
    res = Resolver(nm.parent).resolve(specifier, importer)
    assert res.entry == nm / entry
    assert res.package_dir == nm / res.package_name
    assert res.version is not None and res.version.split(".")[0] == version_major
    assert not res.linked and not res.ignored


def test_real_package_errors(importer: Path, nm: Path) -> None:
    resolver = Resolver(nm.parent)
    message = 'package "react" does not export "./cjs/react.development.js"'
    with pytest.raises(ResolveError, match=message):
        resolver.resolve("react/cjs/react.development.js", importer)
    with pytest.raises(ResolveError, match='package "preact" does not export "./src/index.js"'):
        resolver.resolve("preact/src/index.js", importer)
    with pytest.raises(BuiltinModule):
        resolver.resolve("node:path", importer)


def test_dependency_of_a_package_from_inside_it(nm: Path) -> None:
    resolver = Resolver(nm.parent)
    importer = nm / "react-dom" / "cjs" / "react-dom-client.development.js"
    res = resolver.resolve("scheduler", importer)
    assert res.entry == nm / "scheduler" / "index.js"


SPECIFIERS = [
    "react", "react-dom/client", "react/jsx-runtime", "preact/hooks", "lodash-es",
    "lodash/debounce", "moment", "dayjs", "classnames", "prop-types", "fs", "missing-pkg",
]


def _outcome(resolver: Resolver, specifier: str, importer: Path) -> object:
    try:
        return resolver.resolve(specifier, importer)
    except ResolveError as exc:
        return (type(exc), str(exc))


def test_ten_thousand_cached_resolves(nm: Path, importer: Path) -> None:
    resolver = Resolver(nm.parent)
    first = {s: _outcome(resolver, s, importer) for s in SPECIFIERS}
    for i in range(10_000):
        specifier = SPECIFIERS[i % len(SPECIFIERS)]
        assert _outcome(resolver, specifier, importer) == first[specifier]


def test_threads_share_a_resolver(nm: Path) -> None:
    importers = [nm.parent / "src" / f"f{i}.js" for i in range(8)] + [nm / "react-dom" / "index.js"]
    expected = {
        (s, i): _outcome(Resolver(nm.parent), s, i) for s in SPECIFIERS for i in importers
    }
    resolver = Resolver(nm.parent)
    jobs = [key for key in expected for _ in range(20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda key: _outcome(resolver, *key), jobs))
    assert results == [expected[key] for key in jobs]
