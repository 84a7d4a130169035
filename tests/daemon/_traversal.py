"""Path-traversal attempts for the security tests: Vite's advisories replayed, and a generated set.

A *site* is a folder served under some URL; ``targets`` are paths of secret files relative to
it (``../`` allowed for files beside or above it). ``generated_attempts`` builds request targets
(path and query, as sent on the wire) that try to reach them through every trick the advisories
and the usual traversal lists use: encoded and double-encoded dots and slashes, backslashes, NUL,
overlong UTF-8, ``;``, ``#``, ``?``, Windows name aliases, and mixed case on the deny list.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Attempt", "Probe", "VITE_ADVISORY_SHAPES", "find_leaks", "generated_attempts", "vite_advisory_attempts"]

UPS = (
    "../", "..%2f", "..%2F", "%2e%2e/", "%2E%2E/", "%2e%2e%2f", ".%2e/", "%2e./", "..%5c", "..%5C", "..\\",
    "%2e%2e%5c", "%252e%252e%252f", "..%252f", "%252e%252e/", "%c0%ae%c0%ae/", "%c0%ae%c0%ae%c0%af",
    "..%c0%af", "..%e0%80%af", "%e0%80%ae%e0%80%ae/", "..;/", "....//", "..%00/", "%00../", ".../", "..//",
    "./../", "%ef%bc%8e%ef%bc%8e/", "%uff0e%uff0e/", "..%u2216", "%2e%2e%u2215", "..%255c", "/..", ".%00./",
)
"""One step up, as written by attackers (raw, encoded once or twice, overlong, fullwidth, ...)."""

SEPARATORS = ("/", "/", "/", "%2f", "%2F", "\\", "%5c", "//", "/./", "%252f", "%c0%af", ";/", "/%2e/")
"""Between the segments of a target."""

QUERIES = (
    "", "", "", "?raw", "?import&raw", "?raw??", "?import&raw??", "??", "?raw?import", "?inline&import",
    "?import&?inline=1.wasm?init", "?.svg", "?.svg?.wasm?init", "?url", "?v=1", "?import", "?%23",
    "?/../../../etc/passwd", "#", "#/../", "?raw#", "?html-proxy&index=0.js",
)
"""The query strings of Vite's advisories, which must change nothing."""


def _encode_all(segment: str) -> str:
    return "".join(f"%{byte:02x}" for byte in segment.encode())


def _double_first(segment: str) -> str:
    return f"%25{ord(segment[0]):02x}{segment[1:]}" if segment else segment


MUTATIONS: tuple[Callable[[str], str], ...] = (
    lambda s: s, lambda s: s, lambda s: s,
    str.upper, str.title, str.swapcase,
    lambda s: s.replace(".", "%2e", 1), lambda s: s.replace(".", "%2E"), _encode_all, _double_first,
    lambda s: s.replace(".", "%c0%ae", 1), lambda s: s.replace(".", "%ef%bc%8e", 1),
    lambda s: s + ".", lambda s: s + "%20", lambda s: s + "%00", lambda s: s + "::$DATA", lambda s: s + "::%24DATA",
    lambda s: s + ";.js", lambda s: s + "%3b.js", lambda s: s + "/", lambda s: s + "/.", lambda s: s + "%2f",
    lambda s: s + "#", lambda s: s + "%23", lambda s: s + "?", lambda s: s + "%3f", lambda s: s + "%3F.svg",
    lambda s: s + "\\", lambda s: s + "%5c", lambda s: s.upper() + ".",
)
"""What happens to one segment of the target (the file name or a folder name)."""


@dataclass(frozen=True)
class Attempt:
    target: str
    """The request target as sent: path and query, byte for byte (latin-1)."""
    why: str
    """Where it comes from (an advisory, or ``generated``)."""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


VITE_ADVISORY_SHAPES: tuple[tuple[str, str], ...] = (
    # CVE-2024-45811: ?import&raw bypassed server.fs.deny.
    ("CVE-2024-45811", "{fs}{site}/{secret}?import&raw"),
    ("CVE-2024-45811", "{fs}{outside}?import&raw"),
    ("CVE-2024-45811", "{mount}{secret}?import&raw"),
    # CVE-2025-30208: trailing ?? after ?raw / ?import&raw.
    ("CVE-2025-30208", "{fs}{site}/{secret}?raw??"),
    ("CVE-2025-30208", "{fs}{outside}?raw??"),
    ("CVE-2025-30208", "{fs}{outside}?import&raw??"),
    ("CVE-2025-30208", "{mount}{secret}?raw??"),
    ("CVE-2025-30208", "{mount}{secret}?import&raw??"),
    ("CVE-2025-30208", "{mount}{dotenv}?raw??"),
    # CVE-2025-31125: ?inline&import, ?raw?import, ?import&?inline=1.wasm?init.
    ("CVE-2025-31125", "{mount}{secret}?inline&import"),
    ("CVE-2025-31125", "{mount}{secret}?raw?import"),
    ("CVE-2025-31125", "{mount}{secret}?import&?inline=1.wasm?init"),
    ("CVE-2025-31125", "{fs}{outside}?import&?inline=1.wasm?init"),
    ("CVE-2025-31125", "{mount}{dotenv}?raw?import"),
    # CVE-2025-31486: .svg and relative paths after ?.
    ("CVE-2025-31486", "{mount}{secret}?.svg?.wasm?init"),
    ("CVE-2025-31486", "{fs}{outside}?.svg?.wasm?init"),
    ("CVE-2025-31486", "{mount}?/../{secret}?import&?raw"),
    ("CVE-2025-31486", "{mount}x/?/../../{secret}?import&?raw"),
    ("CVE-2025-31486", "{fs}{site}/x/?/../../../{outside_rel}?import&?raw"),
    ("CVE-2025-31486", "{mount}{dotenv}?.svg"),
    ("CVE-2025-31486", "{mount}src/{dotenv}?.svg"),
    # CVE-2025-32395: '#' in the request target.
    ("CVE-2025-32395", "{fs}{site}/#/../../{outside_rel}"),
    ("CVE-2025-32395", "{mount}#/../{secret}"),
    ("CVE-2025-32395", "{mount}#/../{dotenv}"),
    ("CVE-2025-32395", "{mount}x/#/../../{secret}"),
    ("CVE-2025-32395", "{mount}{secret}#"),
    # CVE-2025-46565: '/.' after a denied name.
    ("CVE-2025-46565", "{mount}{dotenv}/."),
    ("CVE-2025-46565", "{mount}{secret}/."),
    ("CVE-2025-46565", "{mount}{secret}/"),
    ("CVE-2025-46565", "{mount}{dotenv}/./"),
    ("CVE-2025-46565", "{mount}{git}/."),
    # CVE-2024-23331: the deny list was case-sensitive on case-insensitive file systems.
    ("CVE-2024-23331", "{mount}{secret_upper}"),
    ("CVE-2024-23331", "{mount}{dotenv_upper}"),
    ("CVE-2024-23331", "{mount}{secret_title}?raw"),
    # Windows backslashes (CVE-2025-62522 and the classic forms).
    ("backslash", "{mount}{secret}\\"),
    ("backslash", "{mount}{secret}%5c"),
    ("backslash", "{mount}x\\..\\{secret}"),
    ("backslash", "{mount}x%5c..%5c{secret}"),
    ("backslash", "{mount}..\\..\\{outside_rel_back}"),
    # The classic encodings of '..' and '/'.
    ("encoding", "{mount}%2e%2e/{outside_rel}"),
    ("encoding", "{mount}..%2f{outside_rel}"),
    ("encoding", "{mount}%2e%2e%2f{outside_rel}"),
    ("encoding", "{mount}..%252f{outside_rel}"),
    ("encoding", "{mount}%c0%ae%c0%ae/{outside_rel}"),
    ("encoding", "{mount}{dotenv_encoded}"),
    ("encoding", "{mount}{secret}%00.js"),
    ("encoding", "{mount}{secret};.js"),
    ("encoding", "/{fs_bare}/{outside_abs}"),
    ("encoding", "//{outside_abs}"),
)
"""Request shapes of Vite's advisories (placeholders filled by ``vite_advisory_attempts``)."""


def vite_advisory_attempts(*, mount: str, site_abs: str, secret: str, dotenv: str, git: str,
                           outside_rel: str, outside_abs: str) -> list[Attempt]:
    """``VITE_ADVISORY_SHAPES`` for one site: ``mount`` is its URL (``/`` or ``/static/x/``),
    ``secret`` a denied file in it (``server.pem``), ``dotenv`` its ``.env``, ``git`` a file of
    its ``.git``, ``outside_rel`` a file beside or above it (``../../outside/secret.txt``)."""
    fields = {
        "mount": mount, "fs": "/@fs", "fs_bare": "@fs", "site": site_abs, "secret": secret, "dotenv": dotenv,
        "git": git, "outside": outside_abs, "outside_abs": outside_abs.lstrip("/"), "outside_rel": outside_rel,
        "outside_rel_back": outside_rel.replace("/", "\\"), "secret_upper": secret.upper(),
        "dotenv_upper": dotenv.upper(), "secret_title": secret.title(),
        "dotenv_encoded": dotenv.replace(".", "%2e"),
    }
    return [Attempt(shape.format(**fields), why) for why, shape in VITE_ADVISORY_SHAPES]


def generated_attempts(mounts: Sequence[tuple[str, int]], targets: Sequence[str], *, count: int,
                       seed: int = 2025) -> list[Attempt]:
    """``count`` distinct request targets reaching for ``targets`` from ``mounts``.

    ``mounts`` are ``(url, depth)``: a URL inside the site (``/src/``) and how many folders below
    the site's root it is (1); the first is the site's root. Two in five attempts name the target
    from there (only its name disguised), the others climb from any mount. Deterministic for one
    ``seed``.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    found: list[Attempt] = []
    while len(found) < count:
        direct = rng.random() < 0.4
        url, depth = mounts[0] if direct else rng.choice(mounts)
        target = rng.choice(targets)
        segments = target.split("/")
        climbs = sum(1 for seg in segments if seg == "..")
        names = [seg for seg in segments if seg != ".."]
        up = rng.choice(UPS)
        steps = depth + climbs + (0 if direct else rng.choice((0, 0, 0, 1, 3)))
        index = rng.randrange(len(names)) if rng.random() < 0.3 else len(names) - 1
        names[index] = rng.choice(MUTATIONS)(names[index])
        separator = rng.choice(SEPARATORS)
        attempt = url + up * steps + separator.join(names) + rng.choice(QUERIES)
        if " " in attempt or "\r" in attempt or "\n" in attempt or attempt in seen:
            continue
        seen.add(attempt)
        found.append(Attempt(attempt, "generated"))
    return found


@dataclass(frozen=True)
class Probe:
    attempt: Attempt
    status: int
    body: bytes


def find_leaks(probes: Iterable[Probe], markers: Iterable[bytes]) -> list[str]:
    """``"<status> <target> (<why>): <marker>"`` for each answer whose body holds a marker."""
    markers = [marker for marker in markers if marker]
    leaks = []
    for probe in probes:
        for marker in markers:
            if marker in probe.body:
                leaks.append(f"{probe.status} {probe.attempt.target!r} ({probe.attempt.why}): {marker!r}")
                break
    return leaks

