"""The CLI's fast path: answer a warm ``prebundle scan --json`` and a no-op ``prebundle`` from
stamps, before click, the config loader, the resolver, the optimizer or the esbuild client is
imported (together they cost several times what the answer does).

A full run that ends well leaves a *memo* in the default cache dir,
``<root>/node_modules/.vite/fastpath.bin``: the config it loaded (keyed by the command line and
the config file's bytes), where the scan snapshot is, and, after ``prebundle [ROOT]``, every
input the "up to date" decision read, each with its stamp (lockfiles and ``package.json``,
patches, the esbuild binary and the files that give its version, the deps dir and every file
of it), plus the line it printed. A later run with the same command line answers when all of
that still holds: the memo's code stamp (prebundle's own files), the config file's bytes, the
environment that finds esbuild, every stamp, the scan snapshot (:mod:`.scanner.snapshot`: one
``stat`` per source file) and the deps dir's lock. Anything else, and any doubt, falls back to
the full path, which decides as it always did and writes a new memo (``fastpath_record.py``).

The memo is written only after the full path re-checked its decision against the stamps it
records (hashes recomputed from the files, the output verified), so a file that changed during
the run makes the next run slow, never wrong. A stamp taken within ``RACY_NS`` of its file's
change (the output a run just wrote) could survive a second change in the same tick of the file
system's clock: it is recorded with a digest of the content, which must match too, until an
answer finds it old enough to be trusted alone. Projects whose config is Python code, has
plugins or ``include``, or moves the cache dir elsewhere always take the full path.

This module imports only the standard library's lightest parts and ``scanner.packed`` and
``scanner.snapshot``; ``PREBUNDLE_FASTPATH_DEBUG=1`` says why it fell back.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import sys
import time

TYPE_CHECKING = False  # typing costs more than some answers
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = ["FORMAT", "MEMO_NAME", "ConfigSource", "answer", "code_stamp", "config_source", "deps_signature",
           "environment", "fall", "last_reason", "memo_key", "memo_path", "read_memo", "scan_snapshot", "stamp",
           "FILE_HASH", "content_digest", "folder_names", "racy_stamp", "read_memo_file", "restamped", "settled",
           "stamps_hold", "try_lock", "write_memo"]

FORMAT = 1
"""Version of the memo's shape."""
MEMO_NAME = "fastpath.bin"
"""The memo's name inside ``<root>/node_modules/.vite``."""
ENV_NAMES = ("ESBUILD_BINARY_PATH", "PREBUNDLE_ESBUILD_DOWNLOAD", "PREBUNDLE_CACHE_DIR", "XDG_CACHE_HOME", "HOME")
"""The environment that decides which esbuild runs (and so ``configHash``)."""
_COMMANDS = ("scan", "optimize", "daemon", "esbuild", "build", "ls", "why", "report", "outdated", "audit", "init", "cache")
"""The CLI's commands: a first word among them is a command, never the ROOT of ``prebundle [ROOT]``."""
last_reason = ""
"""Why the last :func:`answer` fell back to the full path (for tests and debugging;
``PREBUNDLE_FASTPATH_DEBUG=1`` prints it to stderr)."""
_LOG_LEVELS = ("debug", "info", "warning", "error", "silent")
_VALUE_OPTIONS = ("--log-level", "--config")


class ConfigSource:
    """What ``load_config`` will read, found the way it finds it, without loading it."""

    __slots__ = ("root", "path", "data", "eligible")

    def __init__(self, root: str, path: str | None, data: bytes | None, eligible: bool) -> None:
        self.root = root
        """The project folder, resolved as ``Config.root`` is."""
        self.path = path
        """The config file it reads (``prebundle.config.py``, else ``pyproject.toml``), if any."""
        self.data = data
        """That file's bytes, read before the config is loaded."""
        self.eligible = eligible
        """False for a Python config (code may read anything) or an unreadable one."""


def config_source(root: str, config_file: str | None) -> ConfigSource | None:
    """The config file ``load_config(root, config_file=...)`` reads, and its bytes; None when
    the root is not a folder or an explicit config file is missing (the full path says so)."""
    root_path = os.path.realpath(root or ".")
    if not os.path.isdir(root_path):
        return None
    if config_file:
        path: str | None = os.path.realpath(config_file)
        if not os.path.isfile(path):
            return None
    elif os.path.isfile(os.path.join(root_path, "prebundle.config.py")):
        path = os.path.join(root_path, "prebundle.config.py")
    elif os.path.isfile(os.path.join(root_path, "pyproject.toml")):
        path = os.path.join(root_path, "pyproject.toml")
    else:
        path = None
    if path is None:
        return ConfigSource(root_path, None, None, True)
    if path.endswith(".py"):
        return ConfigSource(root_path, path, None, False)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return ConfigSource(root_path, path, None, False)
    return ConfigSource(root_path, path, data, True)


# -- the command line ---------------------------------------------------------------------------

class _Args:
    __slots__ = ("command", "root", "config_file", "log_level", "json", "force")

    def __init__(self) -> None:
        self.command = "optimize"
        self.root = "."
        self.config_file: str | None = None
        self.log_level: str | None = None
        self.json = False
        self.force = False


def parse_plain(argv: list[str], *, force: bool = False) -> _Args | None:
    """The plain forms only: ``[optimize] [ROOT] [--log-level L] [--config F]`` and
    ``scan [ROOT] --json [--log-level L] [--config F]``; None for anything else. ``force``:
    the first form may also hold ``--force`` (once): a line the fast path never answers, which
    the full run parses the same way."""
    args = _Args()
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    tokens = list(argv)
    if first in _COMMANDS:  # as click's DefaultGroup decides: the first non-option word
        if first not in ("scan", "optimize") or argv[0] != first:
            return None  # options before a command's name are the group's (click refuses them)
        args.command = first
        tokens = tokens[1:]
    positional: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, has_value, value = token.partition("=")
        if name in _VALUE_OPTIONS:
            if not has_value:
                if i + 1 >= len(tokens):
                    return None
                i += 1
                value = tokens[i]
            if name in seen or not value:
                return None
            seen.add(name)
            if name == "--log-level":
                if value not in _LOG_LEVELS:
                    return None
                args.log_level = value
            else:
                args.config_file = value
        elif token == "--json" and args.command == "scan" and "--json" not in seen:
            seen.add(token)
            args.json = True
        elif token == "--force" and force and args.command != "scan" and "--force" not in seen:
            seen.add(token)
            args.force = True
        elif token.startswith("-") or not token:
            return None  # --force, --mode, --help, --version, --, anything else
        else:
            positional.append(token)
        i += 1
    if len(positional) > 1 or (args.command == "scan" and not args.json):
        return None
    if positional:
        args.root = positional[0]
    return args


# -- the memo ------------------------------------------------------------------------------------

def memo_path(root: str) -> str:
    return os.path.join(root, "node_modules", ".vite", MEMO_NAME)


def memo_key(source: ConfigSource, log_level: str | None) -> tuple:
    return (source.root, source.path, log_level)


_EXTRACTOR_PACKAGES = ("tree_sitter", "tree_sitter_javascript", "tree_sitter_typescript")
"""Installed packages whose upgrade changes what a scan finds (their files are stamped)."""


def code_stamp() -> tuple:
    """Stamps of prebundle's own files and of the parser packages, and the Python running
    them: other code, other decisions (an editable install, an upgrade)."""
    from importlib.util import find_spec

    out: list[tuple] = [(sys.version, sys.prefix)]
    folders = [os.path.dirname(os.path.abspath(__file__))]
    for name in _EXTRACTOR_PACKAGES:
        spec = find_spec(name)
        if spec is None or not spec.origin:
            out.append((name, None))
            continue
        folder = os.path.dirname(spec.origin)
        for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
            if entry.is_file():
                st = entry.stat()
                out.append((entry.path, st.st_size, st.st_mtime_ns))
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            out.append((entry.path, st.st_size, st.st_mtime_ns))
    return tuple(out)


def read_memo_file(path: str) -> Any:
    """What ``write_memo`` wrote at ``path``; None when there is nothing readable."""
    try:
        with open(path, "rb") as handle:
            return marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def read_memo(source: ConfigSource, log_level: str | None) -> dict | None:
    memo = read_memo_file(memo_path(source.root))
    if not isinstance(memo, dict) or memo.get("format") != FORMAT:
        return None
    if memo.get("key") != memo_key(source, log_level) or memo.get("config") != source.data:
        return None
    if memo.get("code") != code_stamp():
        return None
    return memo


def stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_ctime_ns, st.st_mtime_ns, st.st_size, st.st_ino)


def environment() -> tuple:
    values = [(name, os.environ.get(name)) for name in ENV_NAMES]
    configured = os.environ.get("ESBUILD_BINARY_PATH")
    values.append(("realpath", os.path.realpath(configured) if configured else None))
    return tuple(values)


# -- answering -----------------------------------------------------------------------------------

def answer(argv: list[str]) -> int | None:
    """Answer the command line from the memo and print what the full path would; the exit
    code, or None to run the full path (nothing printed then, but the reason with
    ``PREBUNDLE_FASTPATH_DEBUG``)."""
    global last_reason
    try:
        last_reason = "not a plain scan --json or optimize command line"
        args = parse_plain(argv)
        if args is None:
            return fall(last_reason)
        source = config_source(args.root, args.config_file)
        if source is None or not source.eligible:
            return fall("no project folder, or a config the fast path cannot read")
        memo = read_memo(source, args.log_level)
        if memo is None:
            return fall("no memo of a full run for this command line, config and code")
        output = _answer_scan(memo) if args.command == "scan" else _answer_optimize(memo)
    except Exception as error:  # any doubt, the full path decides
        return fall(f"{type(error).__name__}: {error}")
    if output is None:
        return None
    out, err = output  # printed once the answer is certain, as the full path prints it
    if err:
        sys.stderr.write(err)
        sys.stderr.flush()
    if out:
        sys.stdout.write(out)
        sys.stdout.flush()
    return 0


def fall(reason: str) -> None:
    """Fall back to the full path, saying why."""
    global last_reason
    last_reason = reason
    if os.environ.get("PREBUNDLE_FASTPATH_DEBUG"):
        sys.stderr.write(f"prebundle fast path: {reason}; running the full path\n")
    return None


def scan_snapshot(memo: dict, *, refresh: bool, listed: dict | None = None) -> dict | None:
    """The scan snapshot the memo points at when it still holds (no missing imports); with
    ``refresh``, files whose content changed without changing their imports are re-read.
    ``listed``: folders (path -> ``(ignored names, names)``) whose names but the ignored ones,
    not their stamps, decide (a build's output swapped in beside the sources moves the stamp
    of its folder, not what a crawl reads there)."""
    from .scanner.packed import DETAIL, HEAD, decode, encode, read_parts, write_parts
    from .scanner.snapshot import check, split_snapshot
    from .scanner.snapshot import refresh as refresh_snapshot

    scan = memo.get("scan")
    if not scan:
        return fall("no scan snapshot remembered")
    started_ns = time.time_ns()
    path = scan["file"]
    snapshot = decode((read_parts(path, (HEAD,)) or {}).get(HEAD))
    verdict = check(_as_listed(snapshot, listed) if listed else snapshot, scan["key"])
    if not verdict.reusable:
        return fall(f"scan snapshot: {verdict.reason}")
    if verdict.changed:
        if not refresh:
            return fall("scan snapshot: a source file changed")
        detail = decode((read_parts(path, (DETAIL,)) or {}).get(DETAIL))
        if not isinstance(detail, dict):
            return fall("scan snapshot: no detail")
        refreshed = refresh_snapshot({**snapshot, **detail}, verdict.changed, started_ns)
        if not refreshed.holds:
            return fall("scan snapshot: a changed file imports something else")
        snapshot = refreshed.snapshot
        if refreshed.worth_saving:
            head, detail = split_snapshot(snapshot)
            try:
                write_parts(path, [encode(head), encode(detail)])
            except OSError:
                pass
    if snapshot["result"][2]:
        return fall("missing imports: the full path reports them")
    return snapshot


def _as_listed(snapshot: object, listed: dict) -> object:
    """``snapshot`` with the stamps of the ``listed`` folders whose names are as recorded taken
    now (for the check only: the file keeps its own)."""
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("tree"), tuple):
        return snapshot
    paths, values = snapshot["tree"]
    values = list(values)
    for i, path in enumerate(paths):
        if path in listed:
            ignored, names = listed[path]
            if folder_names(path, ignored) == names:
                values[i] = stamp(path)
    return {**snapshot, "tree": (paths, tuple(values))}


def folder_names(path: str, ignored: tuple) -> tuple | None:
    """The sorted names in a folder but those in ``ignored`` or starting with one of its
    entries that end with ``*``; None when it cannot be listed."""
    prefixes = tuple(name[:-1] for name in ignored if name.endswith("*"))
    try:
        names = os.listdir(path)
    except (OSError, ValueError):
        return None
    return tuple(sorted(name for name in names if name not in ignored and not name.startswith(prefixes)))


def _answer_scan(memo: dict) -> tuple[str, str] | None:
    """(stdout, stderr) of ``prebundle scan --json``, or None to fall back."""
    snapshot = scan_snapshot(memo, refresh=True)
    if snapshot is None:
        return None
    return snapshot["json"] + "\n", ""


def _answer_optimize(memo: dict) -> tuple[str, str] | None:
    """(stdout, stderr) of a no-op ``prebundle [ROOT]``, or None to fall back."""
    level = memo["log_level"]
    noop = memo.get("optimize")
    if not noop:
        return fall("no up-to-date decision remembered")
    if level == "debug" or sys.platform == "win32":
        return fall("debug output, or no flock")
    if noop["env"] != environment():
        return fall("the environment that finds esbuild changed")
    cache_dir = memo["cache_dir"]
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return fall("no cache dir")
    if "daemon.json" in names:
        return fall("a daemon may serve this project")
    if any(n.startswith(("deps_temp_", "deps_old_")) for n in names):
        return fall("a killed run left work to recover")
    lock = try_lock(os.path.join(cache_dir, "deps.lock"))
    if lock is None:
        return fall("another run holds the deps dir")
    try:
        paths, stamps = noop["stamps"]
        racy = stamps_hold(paths, stamps)
        if racy is None:
            return None
        snapshot = scan_snapshot(memo, refresh=False)
        if snapshot is None:
            return None
        if deps_signature(snapshot["result"]) != noop["deps"]:
            return fall("the scan found other dependencies")
        if racy:
            _settle(memo, paths, stamps)
    finally:
        os.close(lock)
    warnings = snapshot["result"][4] if level in ("info", "warning") else ()
    err = "".join(f"warning: {warning}\n" for warning in warnings)
    return ("" if level in ("error", "silent") else noop["line"] + "\n"), err


def stamps_hold(paths: tuple, stamps: tuple) -> int | None:
    """How many of the recorded ``stamps`` of ``paths`` hold only with their content checked
    (racy ones whose content is as expected); None, having said why, when one does not hold."""
    racy = 0
    for path, value in zip(paths, stamps):
        current = stamp(path)
        if current == value:
            continue
        if not _is_racy(value) or current != value[1] or not _content_is(path, value[2]):
            return fall(f"{path} changed")
        racy += 1
    return racy


def restamped(paths: tuple, stamps: tuple, only: frozenset[str]) -> tuple:
    """``stamps`` with those of the paths in ``only`` taken again where nothing but the change
    time moved: a hard link to the file was made or removed, which leaves its content as it was
    (a write moves the modification time too). A racy stamp stays racy, with its digest."""
    out = []
    for path, value in zip(paths, stamps):
        if path in only:
            racy = _is_racy(value)
            recorded = value[1] if racy else value
            current = stamp(path)
            if type(recorded) is tuple and current is not None and current[1:] == recorded[1:]:
                value = racy_stamp(current, value[2]) if racy else current
        out.append(value)
    return tuple(out)


def racy_stamp(value: tuple, digest: bytes) -> tuple:
    """The record of a stamp taken too soon after its file changed to be trusted alone: it
    holds when the stamp is the same *and* the content has this digest."""
    return ("racy", value, digest)


def _is_racy(value: object) -> bool:
    return type(value) is tuple and len(value) == 3 and value[0] == "racy"


FILE_HASH = "fileHash"
"""Marks a racy stamp's expected content given as ``_metadata.json``'s ``fileHash`` (8 hex
digits of the file's SHA-256) instead of a digest of ours."""


def _content_is(path: str, expected: object) -> bool:
    """Whether the file's content is what a racy stamp expects of it."""
    if type(expected) is tuple and len(expected) == 2 and expected[0] == FILE_HASH:
        import hashlib

        try:
            with open(path, "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()[:8] == expected[1]
        except (OSError, ValueError):
            return False
    return content_digest(path) == expected


def content_digest(path: str) -> bytes | None:
    """A digest of a file's bytes, or of a folder's sorted names; None when unreadable."""
    import hashlib

    try:
        if os.path.isdir(path):
            return hashlib.blake2b("\0".join(sorted(os.listdir(path))).encode(), digest_size=16).digest()
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).digest()
    except (OSError, ValueError):
        return None


def _settle(memo: dict, paths: tuple, stamps: tuple) -> None:
    """Once every racy stamp of the memo is old enough to be trusted alone, store them as plain
    stamps, so later answers need no digests. Best effort."""
    plain = settled(stamps)
    if plain is None:
        return
    memo["optimize"] = {**memo["optimize"], "stamps": (paths, plain)}
    write_memo(memo_path(memo["key"][0]), memo)


def settled(stamps: tuple) -> tuple | None:
    """``stamps`` with every racy stamp (checked by content just now) as a plain one, once all
    of them are old enough to be trusted alone; None while one is not."""
    from .scanner.snapshot import RACY_NS

    racy_after = time.time_ns() - RACY_NS
    plain = []
    for value in stamps:
        if _is_racy(value):
            if max(value[1][0], value[1][1]) >= racy_after:
                return None
            value = value[1]
        plain.append(value)
    return tuple(plain)


def write_memo(path: str, memo: dict) -> None:
    """Write the memo atomically (temp file, then rename); best effort."""
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temp, "wb") as handle:
            handle.write(marshal.dumps(memo, 4))
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


def try_lock(path: str) -> int | None:
    """The deps dir's lock, taken as ``OutputLock`` takes it, without waiting."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError:
        pass
    return fd


def deps_signature(result: tuple) -> tuple:
    """What of a scan result the plan and the import map are made of: each dependency, linked
    and excluded package, and its entry file."""
    return tuple((spec, src) for records in (result[1], result[3], *result[5:6]) for spec, src, *_rest in records)
