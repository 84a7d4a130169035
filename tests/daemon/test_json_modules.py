"""A JSON file imported by a module (``import data from "./data.json"``) is, in the page, the
value ``JSON.parse`` gives, with its top-level keys that are names as named exports; Node runs
the module the daemon writes, as a browser would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from prebundle.app.dev_wrappers import json_module


def _imported(tmp_path: Path, text: str) -> dict:
    """What a module importing the JSON file ``text`` sees: its default export as JSON, whether
    that has its own ``__proto__`` key, and the names exported."""
    (tmp_path / "data.mjs").write_text(json_module(text))
    code = ("const m = await import('./data.mjs');\n"
            "console.log(JSON.stringify({value: m.default, ownProto: Object.hasOwn(m.default ?? {}, '__proto__'),"
            " names: Object.keys(m).filter((k) => k !== 'default').sort()}));\n")
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_keys_that_are_names_are_exported_and_others_are_not(tmp_path: Path) -> None:
    seen = _imported(tmp_path, '{"a": 1, "a\\n": 2, "b-c": 3, "class": 4, "data": 5, "$ok": [6]}')
    assert seen["value"] == {"a": 1, "a\n": 2, "b-c": 3, "class": 4, "data": 5, "$ok": [6]}
    assert seen["names"] == ["$ok", "a"]  # "a\n" is no name, and would have exported "a" twice


def test_a_proto_key_is_a_key_as_json_parse_makes_it(tmp_path: Path) -> None:
    seen = _imported(tmp_path, '{"__proto__": {"polluted": true}, "NaN": 1, "Infinity": 2}')
    assert seen["ownProto"] is True and seen["value"] == {"__proto__": {"polluted": True}, "NaN": 1, "Infinity": 2}
    assert "__proto__" not in seen["names"]


def test_what_json_parse_would_refuse_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NaN is not a JSON value"):
        json_module('{"n": NaN}')


def test_numbers_are_what_json_parse_makes_of_the_files_text(tmp_path: Path) -> None:
    seen = _imported(tmp_path, '\ufeff{"big": 1e400, "exact": 12345678901234567890, "tiny": 1e-400}')
    assert seen["value"] == {"big": None, "exact": 12345678901234567000, "tiny": 0}  # Infinity is null in JSON
    assert seen["names"] == ["big", "exact", "tiny"]
