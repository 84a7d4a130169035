"""The deps dir's JSON files are written by orjson: the same bytes as ``json.dumps(value,
indent=2, ensure_ascii=False) + "\\n"`` (what they were, and Vite's ``JSON.stringify(value,
null, 2)``), on any value such files hold and on a real deps dir's files."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle import load_config
from prebundle.metadata import IMPORTMAP, MANIFEST, METADATA, _json
from prebundle.optimizer import optimize
from tests.support.apps import make_app

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # no lone surrogates: not UTF-8
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=30)


def as_json_module_writes(value) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=500, deadline=None)
@given(VALUES)
def test_the_bytes_of_json_dumps_with_indent_2(value):
    assert _json(value) == as_json_module_writes(value)


def test_a_real_deps_dir_s_files_are_written_as_before(tmp_path):
    source = "import React from 'react'\nimport cn from 'classnames'\nimport { chunk } from 'lodash-es'\n"
    result = optimize(load_config(make_app(tmp_path / "app", source)))
    for name in (METADATA, IMPORTMAP, MANIFEST):
        data = (result.deps_dir / name).read_bytes()
        assert data == as_json_module_writes(json.loads(data)), name


def test_the_metadata_a_run_wrote_reads_back_as_the_run_holds_it(tmp_path):
    from prebundle import metadata as metadata_module
    from prebundle.metadata import parse_metadata, read_metadata

    source = "import React from 'react'\nimport cn from 'classnames'\nimport { chunk } from 'lodash-es'\n"
    result = optimize(load_config(make_app(tmp_path / "app", source)))
    written = (result.deps_dir / METADATA).read_bytes()
    assert metadata_module._last_read is not None and metadata_module._last_read[0] == written
    held = read_metadata(result.deps_dir)
    assert held is metadata_module._last_read[1]  # the run's own object: no parse
    parsed = parse_metadata(written.decode("utf-8"))
    assert parsed == held
    assert list(parsed.packages) == list(held.packages) and list(parsed.optimized) == list(held.optimized)
    for key, record in parsed.packages.items():
        assert list(record.files) == list(held.packages[key].files)
