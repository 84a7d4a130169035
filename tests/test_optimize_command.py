"""A plain ``prebundle [ROOT]`` line the fast path cannot answer is parsed without click
(``optimize_command.parse_optimize``) and means exactly what click makes of it; any other line
is left to click, which answers as it always did. A run so started does not load click, prints
what the click command printed, and leaves the memo of the fast path as before."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle.commands import cli, optimize
from prebundle.optimize_command import parse_optimize
from tests.support.cli_lines import CLICK_ONLY, PREBUNDLE, assert_read_as_before, make_places, probe, small_app



@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, str]:
    return make_places(tmp_path_factory.mktemp("places"))


def click_parse(argv: list[str]) -> dict[str, object] | None:
    """``optimize``'s parameters as click parses ``prebundle <argv>`` (its usage errors raised);
    None when click runs another command."""
    context = cli.make_context("prebundle", list(argv))
    with warnings.catch_warnings():  # where click keeps the command's words, as click 8 does
        warnings.simplefilter("ignore", DeprecationWarning)
        words = [*context.protected_args, *context.args]
    name, _command, rest = cli.resolve_command(context, words)
    if name != "optimize":
        return None
    return optimize.make_context("optimize", rest, parent=context).params


def expected(argv: list[str]) -> dict[str, object]:
    """What the fast parser must return for a line click reads as this: click's values, with
    ``mode`` at its default (a line with it is click's)."""
    params = dict(click_parse(argv) or {})
    assert params.pop("mode") is None
    return params


FAST, CLICK = "fast", "click"
LINES = [
    ([], FAST),
    (["{app}"], FAST),
    (["optimize"], FAST),
    (["optimize", "{app}"], FAST),
    (["{app}", "--log-level", "warning"], FAST),
    (["--log-level=silent", "{app}", "--config", "{config}"], FAST),
    (["--config={missing}", "{app}"], FAST),  # a missing config file is the loader's to report
    (["optimize", "--log-level", "info", "{app}"], FAST),
    (["--log-level", "info", "optimize", "{app}"], CLICK),  # "info" is the first word: click says "extra argument"
    (["--force", "{app}"], FAST),
    (["optimize", "{app}", "--force", "--log-level", "warning"], FAST),
    (["--force", "--force"], CLICK),
    (["scan", "{app}", "--json", "--force"], CLICK),
    (["{app}", "--mode", "production"], CLICK),
    (["--help"], CLICK),
    (["-h"], CLICK),
    (["--version"], CLICK),
    (["{app}", "{app}"], CLICK),
    (["--log-level", "info", "--log-level=debug"], CLICK),
    (["--config"], CLICK),
    (["{app}", "--log-level"], CLICK),
    (["--log-level", "loud"], CLICK),
    (["--log-level=INFO"], CLICK),
    (["--bogus"], CLICK),
    (["--", "{app}"], CLICK),
    (["--config", "-x"], CLICK),
    (["--config="], CLICK),
    (["-"], CLICK),
    ([""], CLICK),
    (["{file}"], CLICK),  # click says it is a file
    (["{missing}"], CLICK),  # the config loader says it is missing
    (["--config", "{app}"], CLICK),  # click says it is a directory
    (["scan", "{app}"], CLICK),
    (["build", "{app}"], CLICK),
    (["ls"], CLICK),
]


@pytest.mark.parametrize(("line", "parser"), LINES, ids=[" ".join(line) or "(empty)" for line, _ in LINES])
def test_the_fast_parser_says_what_click_says_or_leaves_the_line_to_click(places, line, parser):
    argv = [token.format(**places) for token in line]
    parsed = parse_optimize(argv)
    if parser == CLICK:
        assert parsed is None
    else:
        assert parsed == expected(argv)


TOKENS = ["{app}", "{file}", "{missing}", "{config}", ".", "optimize", "scan", "warning", "LOUD", "", "-", "--",
          "-x", "-h", "--help", "--bogus", "--force", "--mode", "production", "--log-level", "--log-level=info",
          "--log-level=LOUD", "--config", "--config={config}", "--config={app}"]


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=6))
def test_any_line_the_fast_parser_takes_click_parses_the_same(places, tokens):
    """Lines no table thought of: whatever the fast parser accepts, click runs ``optimize`` on,
    with the same values."""
    argv = [token.format(**places) for token in tokens]
    parsed = parse_optimize(argv)
    if parsed is not None:
        assert parsed == expected(argv)


REFUSED_OR_ANSWERED = [
    (["--log-level", "loud"], 2, "Error: Invalid value for '--log-level': 'loud' is not one of"),
    (["--bogus"], 2, "Error: No such option '--bogus'"),
    (["--config"], 2, "Error: Option '--config' requires an argument"),
    (["one", "two"], 2, "Error: Got unexpected extra argument (two)"),
    (["--help"], 0, "Usage: prebundle [OPTIONS] COMMAND [ARGS]..."),
]


@pytest.mark.parametrize(("args", "code", "says"), REFUSED_OR_ANSWERED,
                         ids=[" ".join(args) for args, _, _ in REFUSED_OR_ANSWERED])
def test_lines_click_refuses_or_answers_read_as_before(tmp_path: Path, args: list[str], code: int, says: str):
    """Through the console script: the same output and exit code as the click commands alone."""
    assert_read_as_before([*args], tmp_path, code, says)


def test_a_plain_run_loads_no_click_and_says_what_the_click_command_says(tmp_path: Path):
    """The first run (packages built) without click; the next run is the fast path's no-op,
    answered from the memo this run left; a run through click prints the same lines."""
    root = small_app(tmp_path / "app")
    done, loaded = probe(str(root))
    assert done.returncode == 0, done.stderr
    assert "click" not in loaded
    assert "2 packages built" in done.stdout, done.stdout
    assert (root / "node_modules" / ".vite" / "deps" / "importmap.json").is_file()

    again, loaded = probe(str(root), "--log-level", "info")
    assert again.returncode == 0 and "click" not in loaded
    assert "up to date" in again.stdout, again.stdout

    shutil.rmtree(root / "node_modules" / ".vite")
    plain, loaded = probe(str(root))
    assert plain.returncode == 0 and "click" not in loaded, plain.stderr
    shutil.rmtree(root / "node_modules" / ".vite")
    through_click = subprocess.run([sys.executable, "-c", CLICK_ONLY, str(root)], capture_output=True, text=True,
                                   timeout=180)
    assert through_click.returncode == 0, through_click.stderr
    assert _lines(plain.stdout) == _lines(through_click.stdout)
    assert "2 reused" in plain.stdout, plain.stdout

    forced, loaded = probe(str(root), "--force")  # re-bundles, still without click
    assert forced.returncode == 0 and "click" not in loaded, forced.stderr
    assert "2 packages built" in forced.stdout, forced.stdout
    forced_by_click = subprocess.run([sys.executable, "-c", CLICK_ONLY, str(root), "--force"], capture_output=True,
                                     text=True, timeout=180)
    assert forced_by_click.returncode == 0, forced_by_click.stderr
    assert _lines(forced.stdout) == _lines(forced_by_click.stdout)


def _lines(output: str) -> list[str]:
    """What a run printed, without the probe's line and the times, which differ from run to run."""
    return [re.sub(r"\d+ ms", "? ms", line) for line in output.splitlines() if not line.startswith("loaded:")]


def test_a_failing_plain_run_reports_as_the_click_command(tmp_path: Path):
    """An import that cannot be resolved: one error line and exit 1, with or without click."""
    root = small_app(tmp_path / "app")
    (root / "src" / "main.js").write_text('import missing from "no-such-package"\n')
    done = subprocess.run([str(PREBUNDLE), str(root)], capture_output=True, text=True, timeout=120)
    before = subprocess.run([sys.executable, "-c", CLICK_ONLY, str(root)], capture_output=True, text=True,
                            timeout=120)
    assert done.returncode == before.returncode == 1, (done.stderr, before.stderr)
    assert done.stderr == before.stderr
    assert "no-such-package" in done.stderr
