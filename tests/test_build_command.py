"""A plain ``prebundle build`` line is parsed without click (``build_command.parse_build``) and
means exactly what click makes of it; any other line is left to click, which answers as it
always did. A build so started loads neither click nor asyncio, and still runs every plugin of
the config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle.build_command import parse_build
from prebundle.commands import build, cli
from tests.support.cli_lines import PREBUNDLE, assert_read_as_before, make_places, probe, small_app



@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, str]:
    return make_places(tmp_path_factory.mktemp("places"))


def click_parse(args: list[str]) -> dict[str, object]:
    """The ``build`` command's parameters as click parses ``prebundle build <args>`` (its usage
    errors raised)."""
    parent = cli.make_context("prebundle", ["build"])
    return build.make_context("build", list(args), parent=parent).params


FAST, CLICK = "fast", "click"
LINES = [
    (["build"], FAST),
    (["build", "{app}"], FAST),
    (["build", "{app}", "--out-dir", "public/build"], FAST),
    (["build", "--out-dir=public/build", "{app}"], FAST),
    (["build", "--log-level", "warning", "{app}"], FAST),
    (["build", "{app}", "--log-level=silent", "--config", "{config}", "--out-dir", "out"], FAST),
    (["build", "--config={missing}"], FAST),  # a missing config file is the loader's to report
    (["build", "--out-dir=a=b"], FAST),
    (["build", "--out-dir", "with space", "{app}"], FAST),
    (["build", "--help"], CLICK),
    (["build", "-h"], CLICK),
    (["build", "--version"], CLICK),
    (["build", "--out-dir", "a", "--out-dir", "b"], CLICK),
    (["build", "--log-level", "info", "--log-level=debug"], CLICK),
    (["build", "{app}", "{app}"], CLICK),
    (["build", "--out-dir"], CLICK),
    (["build", "{app}", "--log-level"], CLICK),
    (["build", "--log-level", "loud"], CLICK),
    (["build", "--log-level=INFO"], CLICK),
    (["build", "--bogus"], CLICK),
    (["build", "--out"], CLICK),
    (["build", "--", "{app}"], CLICK),
    (["build", "--out-dir", "-x"], CLICK),
    (["build", "--out-dir", "--log-level", "info"], CLICK),
    (["build", "--out-dir="], CLICK),
    (["build", "-"], CLICK),
    (["build", ""], CLICK),
    (["build", "{file}"], CLICK),  # click says it is a file
    (["build", "{missing}"], CLICK),  # the config loader says it is missing
    (["build", "--config", "{app}"], CLICK),  # click says it is a directory
    (["scan", "{app}"], CLICK),
    (["{app}"], CLICK),
    (["--version"], CLICK),
    ([], CLICK),
]


@pytest.mark.parametrize(("line", "parser"), LINES, ids=[" ".join(line) or "(empty)" for line, _ in LINES])
def test_the_fast_parser_says_what_click_says_or_leaves_the_line_to_click(places, line, parser):
    argv = [token.format(**places) for token in line]
    parsed = parse_build(argv)
    if parser == CLICK:
        assert parsed is None
    else:
        assert parsed == click_parse(argv[1:])


TOKENS = ["{app}", "{file}", "{missing}", "{config}", ".", "out", "warning", "LOUD", "a=b", "", "-", "--", "-x",
          "-h", "--help", "--bogus", "--out-dir", "--out-dir=out", "--out-dir=", "--log-level", "--log-level=info",
          "--log-level=LOUD", "--config", "--config={config}", "--config={app}"]


@settings(max_examples=300, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=6))
def test_any_line_the_fast_parser_takes_click_parses_the_same(places, tokens):
    """Lines no table thought of: whatever the fast parser accepts, click accepts with the same values."""
    argv = ["build", *(token.format(**places) for token in tokens)]
    parsed = parse_build(argv)
    if parsed is not None:
        assert parsed == click_parse(argv[1:])


def test_shell_completion_is_still_clicks(tmp_path: Path):
    """Completing ``prebundle build --l`` lists the option instead of building the app."""
    root = small_app(tmp_path / "app")
    env = {**os.environ, "_PREBUNDLE_COMPLETE": "bash_complete", "COMP_WORDS": "prebundle build --l",
           "COMP_CWORD": "2"}
    done = subprocess.run([str(PREBUNDLE), "build", str(root)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout) == (0, "plain,--log-level\n"), done.stderr
    assert not (root / "dist").exists()


REFUSED_OR_ANSWERED = [
    (["--log-level", "loud"], 2, "Error: Invalid value for '--log-level': 'loud' is not one of"),
    (["--log-level=INFO"], 2, "Error: Invalid value for '--log-level': 'INFO' is not one of"),
    (["--bogus"], 2, "Error: No such option '--bogus'"),
    (["--out-dir"], 2, "Error: Option '--out-dir' requires an argument"),
    (["one", "two"], 2, "Error: Got unexpected extra argument (two)"),
    (["--help"], 0, "Usage: prebundle build [OPTIONS] [ROOT]"),
]


@pytest.mark.parametrize(("args", "code", "says"), REFUSED_OR_ANSWERED,
                         ids=[" ".join(args) for args, _, _ in REFUSED_OR_ANSWERED])
def test_lines_click_refuses_or_answers_read_as_before(tmp_path: Path, args: list[str], code: int, says: str):
    """Through the console script: the same output and exit code as the click commands alone."""
    assert_read_as_before(["build", *args], tmp_path, code, says)


# -- what a build started so loads ------------------------------------------------------------

BANNER_CONFIG = """\
from pathlib import Path
from prebundle import Plugin, define_config

RUNS = Path(__file__).with_name("runs.txt")


def banner():
    def build_start(options):
        with RUNS.open("a") as runs:
            runs.write("build_start\\n")

    def transform(code, id):
        if id.endswith("dayjs.min.js"):
            return code + "\\nglobalThis.__banner = 'from the banner plugin';\\n"
        return None

    return Plugin("banner", build_start=build_start, transform=transform)


config = define_config(plugins=[banner()])
"""


def test_a_build_loads_neither_click_nor_asyncio(tmp_path: Path):
    """The first build (deps bundled) and the next one (deps remembered) alike."""
    root = small_app(tmp_path / "app")
    _, loaded = probe("build", str(root), "--help")
    assert "click" in loaded  # the probe sees click when the line is click's
    for reused in (False, True):
        done, loaded = probe("build", str(root))
        assert done.returncode == 0, done.stderr
        assert ("reused in" in done.stdout) is reused, done.stdout
        assert (root / "dist" / ".prebundle" / "manifest.json").is_file()
        assert loaded == set()


def test_a_build_still_runs_the_plugins_of_the_config(tmp_path: Path):
    """Laziness never skips a plugin: its hooks run on every build, its change is in the deps."""
    root = small_app(tmp_path / "app")
    (root / "prebundle.config.py").write_text(BANNER_CONFIG)
    for runs in (1, 2):
        done, loaded = probe("build", str(root))
        assert done.returncode == 0, done.stderr
        assert (root / "runs.txt").read_text() == "build_start\n" * runs
        dayjs = list((root / "dist" / "deps").glob("dayjs-*.js"))
        assert len(dayjs) == 1 and "from the banner plugin" in dayjs[0].read_text()
        assert "click" not in loaded
