"""``installed_version`` reads a distribution's version from its ``.dist-info`` folder rather than
import ``importlib.metadata``; it must say what ``importlib.metadata.version`` says, for the
grammars whose versions key the scan cache and for any other distribution, however its name is
spelled and wherever on ``sys.path`` it lies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from prebundle.scanner.run import installed_version


@pytest.mark.parametrize("name", [
    "tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript",  # the scanner's grammars
    "tree_sitter", "Tree-Sitter", "tree.sitter_JavaScript",  # spelled otherwise, as metadata accepts
    "click", "opendal", "markdown-it-py", "Django",  # what the package and its test extras install
    "jsonschema", "jsonschema-specifications",  # one name the start of another's
])
def test_the_version_importlib_metadata_reports(name: str):
    assert installed_version(name) == metadata.version(name)


@pytest.mark.parametrize("name", ["no-such-distribution", "tree", "tree-sitter-java", "jsonschema-spec", "sitter"])
def test_a_distribution_not_installed_is_none(name: str):
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version(name)
    assert installed_version(name) is None


def dist_info(entry: Path, folder: str, name: str, version: str) -> Path:
    """A ``.dist-info`` (or ``.egg-info``) folder as an installer leaves it, in the path entry ``entry``."""
    info = entry / folder
    info.mkdir(parents=True)
    kind = "PKG-INFO" if folder.endswith(".egg-info") else "METADATA"
    (info / kind).write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return entry


def both_versions(path: list[Path], names: list[str]) -> list[list[str | None]]:
    """``[installed_version(name), metadata.version(name)]`` for each name, in a Python whose
    ``sys.path`` begins with ``path`` (``PYTHONPATH``)."""
    code = ("import json, sys\nfrom importlib import metadata\nfrom prebundle.scanner.run import installed_version\n"
            "def reported(name):\n    try:\n        return metadata.version(name)\n"
            "    except metadata.PackageNotFoundError:\n        return None\n"
            "print(json.dumps([[installed_version(name), reported(name)] for name in sys.argv[1:]]))\n")
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}, cwd=path[0].parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_earlier_path_entry_wins(tmp_path: Path):
    first = dist_info(tmp_path / "first", "click-1.0.dist-info", "click", "1.0")
    dist_info(first, "Django-2.0.dist-info", "Django", "2.0")  # a name not normalized by its installer
    assert both_versions([first], ["click", "django", "tree-sitter"]) == [
        ["1.0", "1.0"], ["2.0", "2.0"], [metadata.version("tree-sitter")] * 2]


def test_a_zip_archive_and_an_egg_are_read_as_importlib_reads_them(tmp_path: Path):
    archive = tmp_path / "vendored.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("click-0.5.dist-info/METADATA", "Metadata-Version: 2.1\nName: click\nVersion: 0.5\n")
    eggs = dist_info(tmp_path / "eggs", "opendal-0.7-py3.11.egg-info", "opendal", "0.7")
    assert both_versions([archive], ["click"]) == [["0.5", "0.5"]]
    assert both_versions([eggs], ["opendal"]) == [["0.7", "0.7"]]


def test_a_dotted_dist_info_name_alone_is_found(tmp_path: Path):
    """Older installers kept a dotted name as it was (``zope.interface-5.4.0.dist-info``)."""
    entry = dist_info(tmp_path / "old", "zope.interface-5.4.0.dist-info", "zope.interface", "5.4.0")
    assert both_versions([entry], ["zope.interface", "zope-interface"]) == [["5.4.0", "5.4.0"]] * 2


def test_a_dotted_dist_info_name_shadows_a_later_one(tmp_path: Path):
    earlier = dist_info(tmp_path / "earlier", "zope.interface-5.4.0.dist-info", "zope.interface", "5.4.0")
    later = dist_info(tmp_path / "later", "zope_interface-6.0.dist-info", "zope.interface", "6.0")
    assert both_versions([earlier, later], ["zope.interface"]) == [["5.4.0", "5.4.0"]]
