"""WhiteNoise and prebundle: far-future caching for the files named by their content, and a
compressed manifest storage that does not hash them twice.

    from prebundle.integrations.django.whitenoise import immutable_file_test

    MIDDLEWARE = ["django.middleware.security.SecurityMiddleware",
                  "whitenoise.middleware.WhiteNoiseMiddleware", ...]
    STORAGES = {"staticfiles": {
        "BACKEND": "prebundle.integrations.django.whitenoise.CompressedManifestStaticFilesStorage"}}
    WHITENOISE_IMMUTABLE_FILE_TEST = immutable_file_test

The setting must be the function itself: WhiteNoise reads a string there as a regular expression.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from whitenoise import storage as whitenoise_storage

from ...metadata import METADATA, parse_metadata
from ...static import _named_by_content
from .storage import KeepPrebundleNames, prebundle_prefixes

__all__ = ["CompressedManifestStaticFilesStorage", "immutable_file_test"]

BUILD_HASHED = re.compile(r"(?:.*/)?[^/]+-[A-Za-z0-9_]{8}(?:\.[A-Za-z0-9]+)+")
"""A file of an app build, outside its deps: esbuild's ``[name]-[hash]`` (``assets/main-3F9A1C2B.js``)."""
DJANGO_HASHED = re.compile(r"(?P<name>.+)\.[0-9a-f]{12}(?P<ext>\.[^./]+)?")
"""A name ``ManifestStaticFilesStorage`` hashed: ``css/site.0123456789ab.css``."""

_lock = threading.Lock()
_named: dict[Path, tuple[tuple[int, int, int], frozenset[str]]] = {}


def immutable_file_test(path: str, url: str) -> bool:
    """WhiteNoise's ``immutable_file_test``: True for a file whose name changes with its content,
    which browsers may then keep for ten years. Under a frontend's static folder those are the
    files ``_metadata.json`` records as named by content (chunks, assets, every file of a
    production build) and a build's hashed files; elsewhere the names Django's manifest storage
    hashed, as WhiteNoise's own test answers."""
    static = _static_url_path()
    if not url.startswith(static):
        return False
    name = url[len(static):]
    for prefix in prebundle_prefixes():
        if name.startswith(prefix):
            return _named_by_prebundle(Path(path), name[len(prefix):])
    return _hashed_by_django(name, url)


def _static_url_path() -> str:
    path = urlsplit(settings.STATIC_URL or "/static/").path
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


def _named_by_prebundle(path: Path, relative: str) -> bool:
    """Whether ``relative`` (a path inside a frontend's static folder, whose file is ``path``) is
    named by its content: looked up in the deps dir's ``_metadata.json`` (the folder itself, or a
    build's deps folder inside it), else a build's ``[name]-[hash]`` file."""
    folder = path
    for _ in relative.split("/"):
        folder = folder.parent
    head, _, rest = relative.partition("/")
    for deps, inside in ((folder, relative), (folder / head, rest)):
        if inside and (deps / METADATA).is_file():
            return inside in _content_named(deps)
    return bool(BUILD_HASHED.fullmatch(relative))


def _content_named(deps: Path) -> frozenset[str]:
    """The content-named files of a deps dir, re-read when its ``_metadata.json`` changes."""
    metadata = deps / METADATA
    try:
        st = metadata.stat()
    except OSError:
        return frozenset()
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _lock:
        cached = _named.get(deps)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    try:
        names = _named_by_content(parse_metadata(metadata.read_text(encoding="utf-8")))
    except (OSError, ValueError):  # MetadataError is a ValueError: nothing is called immutable
        names = frozenset()
    with _lock:
        _named[deps] = (stamp, names)
    return names


def _hashed_by_django(name: str, url: str) -> bool:
    """WhiteNoise's own answer for other static files: the storage maps the unhashed name to this one."""
    match = DJANGO_HASHED.fullmatch(name)
    if match is None:
        return False
    try:
        hashed = staticfiles_storage.url(match["name"] + (match["ext"] or ""))
    except ValueError:  # not in the manifest
        return False
    return posixpath.basename(urlsplit(hashed).path) == posixpath.basename(url)


class CompressedManifestStaticFilesStorage(KeepPrebundleNames,
                                           whitenoise_storage.CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, leaving prebundle's files as they are: not hashed again, not
    rewritten, never deleted by ``WHITENOISE_KEEP_ONLY_HASHED_FILES``, and compressed like the rest."""

    def post_process_with_compression(self, files: Iterable[tuple]) -> Iterator[tuple]:
        kept = ((name, name, True) for name in self._kept)
        yield from super().post_process_with_compression(itertools.chain(files, kept))
