"""Real packages: our names ⊇ the names Node.js itself gives ``import * as m from spec``."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from prebundle.interop import analyze

from ._support import NPM, node_modules_require

SPECS = [
    "react",
    "react-dom",
    "react-dom/client",
    "react/jsx-runtime",
    "scheduler",
    "lodash",
    "moment",
    "dayjs",
    "classnames",
    "prop-types",
    "object-assign",
    "react-is",
]

# Names the sandbox must find where Node's static lexer finds nothing.
EVALUATED = {
    "lodash": {"map", "debounce", "VERSION", "templateSettings"},
    "moment": {"utc", "duration", "isMoment", "locale"},
    "dayjs": {"extend", "unix", "isDayjs", "locale"},
    "prop-types": {"string", "shape", "checkPropTypes"},
}


@pytest.fixture(scope="module")
def node_names() -> dict[str, list[str]]:
    """One Node process: ``Object.keys(await import(spec))`` for every spec."""
    script = (
        "const out = {};"
        f"for (const spec of {json.dumps(SPECS)}) out[spec] = Object.keys(await import(spec));"
        "console.log(JSON.stringify(out));"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=NPM.parent, capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout)


def _analyze(spec: str, mode: str = "development"):
    entry = node_modules_require(spec, NPM.parent / "index.js")
    name = spec.split("/")[0]
    return analyze(entry, mode=mode, package_dir=NPM / name, package_name=name,
                   resolve_require=node_modules_require)


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS)
def test_superset_of_node(spec: str, node_names: dict[str, list[str]]) -> None:
    started = time.perf_counter()
    info = _analyze(spec)
    seconds = time.perf_counter() - started
    assert info.needs_interop
    expected = set(node_names[spec]) - {"default", "module.exports"}
    missing = expected - set(info.names)
    assert not missing, f"{spec}: Node exports {sorted(missing)} that we miss"
    assert set(EVALUATED.get(spec, ())) <= set(info.names)
    assert info.evaluated is (spec in EVALUATED or spec in ("classnames", "object-assign"))
    assert not {"default", "__esModule", "module.exports"} & set(info.names)
    print(f"{spec}: {len(info.names)} names, evaluated={info.evaluated}, {seconds:.3f}s")


@pytest.mark.slow
def test_production_follows_production_files() -> None:
    info = _analyze("react", mode="production")
    assert {"useState", "createElement", "Component"} <= set(info.names)
    assert not info.evaluated


@pytest.mark.slow
def test_react_dom_client_evaluates_with_react_resolved() -> None:
    """The sandbox can load a package whose code requires another package."""
    from prebundle.interop.evaluate import evaluate_exports

    entry = NPM / "react-dom" / "client.js"
    result = evaluate_exports(entry, mode="production", resolve_require=node_modules_require)
    assert result.ok, result.error
    assert {"createRoot", "hydrateRoot", "version"} <= set(result.names)
