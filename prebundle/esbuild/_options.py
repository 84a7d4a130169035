"""Options (esbuild's names in snake_case) to the service's command-line flags.

A table-driven port of main.js 0.28.2 (``pushLogFlags``, ``pushCommonFlags``,
``flagsForBuildOptions``, ``flagsForTransformOptions``). Validation is strict: an unknown
option is a ``TypeError``, a wrongly typed one too, and a comma inside a joined list is a
``ValueError``, so that nothing malformed reaches the shared service.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Mapping

__all__ = ["build_request", "transform_request", "go_regexp", "BUILD_OPTIONS", "TRANSFORM_OPTIONS"]


def _check(value: Any, types: type | tuple, name: str, what: str) -> Any:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise TypeError(f"option {name!r} must be {what}, got bool")
    if not isinstance(value, types):
        raise TypeError(f"option {name!r} must be {what}, got {type(value).__name__}")
    return value


def _switch(flag: str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        return [flag] if _check(value, bool, name, "a bool") else []
    return emit


def _bool_value(flag: str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        return [f"{flag}={'true' if _check(value, bool, name, 'a bool') else 'false'}"]
    return emit


def _string(flag: str, *, keep_empty: bool = False) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        value = _check(value, (str, os.PathLike), name, "a str")
        value = os.fspath(value)
        return [f"{flag}={value}"] if (value or keep_empty) else []
    return emit


def _integer(flag: str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        return [f"{flag}={_check(value, int, name, 'an int')}"] if value else []
    return emit


def _strings(name: str, value: Any, *, allow_str: bool = False) -> list[str]:
    if allow_str and isinstance(value, str):
        value = [value]
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"option {name!r} must be a list of str, got {type(value).__name__}")
    return [os.fspath(_check(v, (str, os.PathLike), name, "a list of str")) for v in value]


def _joined(flag: str, *, allow_str: bool = False) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        items = _strings(name, value, allow_str=allow_str)
        for item in items:
            if "," in item:
                raise ValueError(f"invalid {name} value {item!r}: it contains a comma")
        return [f"{flag}={','.join(items)}"]
    return emit


def _each(flag: str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        return [f"{flag}:{item}" for item in _strings(name, value)]
    return emit


def _mapping(flag: str, value_type: type = str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        _check(value, Mapping, name, "a dict")
        flags = []
        for key, item in value.items():
            if not isinstance(key, str) or "=" in key:
                raise ValueError(f"invalid key {key!r} in option {name!r}")
            _check(item, value_type, f"{name}[{key!r}]", value_type.__name__)
            text = ("true" if item else "false") if value_type is bool else item
            flags.append(f"{flag}:{key}={text}")
        return flags
    return emit


def _regexp(flag: str) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        return [f"{flag}={go_regexp(value, name)}"]
    return emit


def _tsconfig_raw(name: str, value: Any) -> list[str]:
    _check(value, (str, Mapping), name, "a str or dict")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return [f"--tsconfig-raw={text}"] if text else []


def _sourcemap(transform: bool) -> Callable:
    def emit(name: str, value: Any) -> list[str]:
        _check(value, (bool, str), name, "a bool or str")
        if value is False or value == "":
            return []
        if value is True:
            return ["--sourcemap=external"] if transform else ["--sourcemap"]
        return [f"--sourcemap={value}"]
    return emit


_FLAG_TYPES = (bool, str, int, list, tuple, Mapping, re.Pattern)

_COMMON: dict[str, Callable] = {
    "legal_comments": _string("--legal-comments"),
    "source_root": _string("--source-root", keep_empty=True),
    "sources_content": _bool_value("--sources-content"),
    "target": _joined("--target", allow_str=True),
    "format": _string("--format"),
    "global_name": _string("--global-name"),
    "platform": _string("--platform"),
    "tsconfig_raw": _tsconfig_raw,
    "minify": _switch("--minify"),
    "minify_syntax": _switch("--minify-syntax"),
    "minify_whitespace": _switch("--minify-whitespace"),
    "minify_identifiers": _switch("--minify-identifiers"),
    "line_limit": _integer("--line-limit"),
    "charset": _string("--charset"),
    "tree_shaking": _bool_value("--tree-shaking"),
    "ignore_annotations": _switch("--ignore-annotations"),
    "drop": _each("--drop"),
    "drop_labels": _joined("--drop-labels"),
    "abs_paths": _joined("--abs-paths"),
    "mangle_props": _regexp("--mangle-props"),
    "reserve_props": _regexp("--reserve-props"),
    "mangle_quoted": _bool_value("--mangle-quoted"),
    "jsx": _string("--jsx"),
    "jsx_factory": _string("--jsx-factory"),
    "jsx_fragment": _string("--jsx-fragment"),
    "jsx_import_source": _string("--jsx-import-source"),
    "jsx_dev": _switch("--jsx-dev"),
    "jsx_side_effects": _switch("--jsx-side-effects"),
    "define": _mapping("--define"),
    "log_override": _mapping("--log-override"),
    "supported": _mapping("--supported", bool),
    "pure": _each("--pure"),
    "keep_names": _switch("--keep-names"),
}

_BUILD_ONLY: dict[str, Callable] = {
    "sourcemap": _sourcemap(transform=False),
    "bundle": _switch("--bundle"),
    "allow_overwrite": _switch("--allow-overwrite"),
    "splitting": _switch("--splitting"),
    "preserve_symlinks": _switch("--preserve-symlinks"),
    "metafile": _switch("--metafile"),
    "outfile": _string("--outfile"),
    "outdir": _string("--outdir"),
    "outbase": _string("--outbase"),
    "tsconfig": _string("--tsconfig"),
    "packages": _string("--packages"),
    "resolve_extensions": _joined("--resolve-extensions"),
    "public_path": _string("--public-path"),
    "entry_names": _string("--entry-names"),
    "chunk_names": _string("--chunk-names"),
    "asset_names": _string("--asset-names"),
    "main_fields": _joined("--main-fields"),
    "conditions": _joined("--conditions"),
    "external": _each("--external"),
    "alias": _mapping("--alias"),
    "banner": _mapping("--banner"),
    "footer": _mapping("--footer"),
    "inject": _each("--inject"),
    "loader": _mapping("--loader"),
    "out_extension": _mapping("--out-extension"),
}

_TRANSFORM_ONLY: dict[str, Callable] = {
    "sourcemap": _sourcemap(transform=True),
    "sourcefile": _string("--sourcefile"),
    "loader": _string("--loader"),
    "banner": _string("--banner"),
    "footer": _string("--footer"),
}

_LOG = ("color", "log_level", "log_limit", "log_style")
_BUILD_EXTRA = ("entry_points", "abs_working_dir", "stdin", "write", "mangle_cache",
                "node_paths", "plugins")

BUILD_OPTIONS = frozenset((*_LOG, *_COMMON, *_BUILD_ONLY, *_BUILD_EXTRA))
"""Every option name ``build()``/``context()`` accept."""
TRANSFORM_OPTIONS = frozenset((*_LOG, *_COMMON, *_TRANSFORM_ONLY, "mangle_cache"))
"""Every option name ``transform()`` accepts."""


def _reject_unknown(options: Mapping, allowed: frozenset, call: str) -> None:
    for name in options:
        if name not in allowed:
            raise TypeError(f"{call}() got an unknown option {name!r}")


def _log_flags(options: Mapping, default_level: str, tty: bool) -> list[str]:
    flags = []
    color = options.get("color")
    if color is not None:
        flags.append(f"--color={'true' if _check(color, bool, 'color', 'a bool') else 'false'}")
    elif tty:
        flags.append("--color=true")
    level = options.get("log_level") or default_level
    flags.append(f"--log-level={_check(level, str, 'log_level', 'a str')}")
    flags.append(f"--log-limit={_check(options.get('log_limit') or 0, int, 'log_limit', 'an int')}")
    if options.get("log_style"):
        flags.append(f"--log-style={_check(options['log_style'], str, 'log_style', 'a str')}")
    return flags


def _table_flags(options: Mapping, table: Mapping[str, Callable]) -> list[str]:
    flags: list[str] = []
    for name, emit in table.items():
        value = options.get(name)
        if value is not None:
            flags += emit(name, value)
    return flags


def _mangle_cache(value: Any) -> dict | None:
    if value is None:
        return None
    _check(value, Mapping, "mangle_cache", "a dict")
    for key, item in value.items():
        if not isinstance(item, str) and item is not False:
            raise TypeError(f"mangle_cache[{key!r}] must be a str or False")
    return dict(value)


def _entries(value: Any) -> list[list[str]]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if isinstance(value, Mapping):
        return [[_check(out, str, "entry_points", "a dict of str"),
                 os.fspath(_check(src, (str, os.PathLike), "entry_points", "a dict of str"))]
                for out, src in value.items()]
    entries = []
    for item in _check(value, (list, tuple), "entry_points", "a list or dict"):
        if isinstance(item, Mapping):
            if set(item) != {"in", "out"}:
                raise TypeError("an entry point dict needs exactly the keys 'in' and 'out'")
            entries.append([item["out"], os.fspath(item["in"])])
        else:
            entries.append(["", os.fspath(_check(item, (str, os.PathLike), "entry_points", "str"))])
    return entries


def _stdin(value: Any, flags: list[str]) -> tuple[bytes | None, str | None]:
    if value is None:
        return None, None
    _check(value, Mapping, "stdin", "a dict")
    unknown = set(value) - {"contents", "resolve_dir", "sourcefile", "loader"}
    if unknown:
        raise TypeError(f"stdin got an unknown option {sorted(unknown)[0]!r}")
    contents = _check(value.get("contents", b""), (str, bytes), "stdin.contents", "str or bytes")
    if value.get("sourcefile"):
        flags.append(f"--sourcefile={value['sourcefile']}")
    if value.get("loader"):
        flags.append(f"--loader={value['loader']}")
    resolve_dir = value.get("resolve_dir")
    # Must be bytes: a str here is silently ignored by the service.
    data = contents.encode("utf-8") if isinstance(contents, str) else bytes(contents)
    return data, (os.fspath(resolve_dir) if resolve_dir is not None else None)


def build_request(options: Mapping, *, log_level: str = "warning", tty: bool = False,
                  cwd: str | None = None) -> dict:
    """The ``build`` request for these options, without ``key``, ``context`` and ``plugins``."""
    _reject_unknown(options, BUILD_OPTIONS, "build")
    flags = _log_flags(options, log_level, tty)
    flags += _table_flags(options, _COMMON)
    flags += _table_flags(options, _BUILD_ONLY)
    stdin_contents, stdin_dir = _stdin(options.get("stdin"), flags)
    write = options.get("write", True)
    request = {
        "command": "build",
        "entries": _entries(options.get("entry_points")),
        "flags": flags,
        "write": _check(write, bool, "write", "a bool"),
        "stdinContents": stdin_contents,
        "stdinResolveDir": stdin_dir,
        "absWorkingDir": os.path.abspath(options.get("abs_working_dir") or cwd or os.getcwd()),
        "nodePaths": _strings("node_paths", options.get("node_paths") or []),
    }
    mangle_cache = _mangle_cache(options.get("mangle_cache"))
    if mangle_cache is not None:
        request["mangleCache"] = mangle_cache
    return request


def transform_request(code: str | bytes, options: Mapping, *, log_level: str = "silent",
                      tty: bool = False) -> dict:
    """The ``transform`` request for ``code``; the input is always sent inline as bytes."""
    _reject_unknown(options, TRANSFORM_OPTIONS, "transform")
    _check(code, (str, bytes), "code", "str or bytes")
    flags = _log_flags(options, log_level, tty)
    flags += _table_flags(options, _COMMON)
    flags += _table_flags(options, _TRANSFORM_ONLY)
    request = {
        "command": "transform",
        "flags": flags,
        "inputFS": False,
        "input": code.encode("utf-8") if isinstance(code, str) else bytes(code),
    }
    mangle_cache = _mangle_cache(options.get("mangle_cache"))
    if mangle_cache is not None:
        request["mangleCache"] = mangle_cache
    return request


# --- Go RE2 regular expressions -------------------------------------------------------------

_RE2_UNSUPPORTED = [
    (re.compile(r"\(\?<?[=!]"), "lookaround assertions"),
    (re.compile(r"\(\?>"), "atomic groups"),
    (re.compile(r"\(\?P="), "named backreferences"),
    (re.compile(r"\\k<"), "named backreferences"),
    (re.compile(r"\\[1-9]"), "backreferences"),
    (re.compile(r"(?:[*+?}])\+"), "possessive quantifiers"),
]


def _strip_escapes_and_classes(pattern: str) -> str:
    """The pattern with character classes blanked out, so that ``[(?=]`` is not flagged.

    Escapes outside classes are kept (``\\1`` matters) but ``\\\\`` pairs are blanked.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("  " if in_class or not (nxt.isdigit() or nxt == "k") else ch + nxt)
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
            out.append(" ")
        elif ch == "[":
            in_class = True
            out.append(" ")
            if pattern[i + 1:i + 2] == "]":  # "[]" starts a class holding "]"
                i += 1
                out.append(" ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def go_regexp(pattern: str | re.Pattern, what: str = "filter") -> str:
    """A plugin filter or mangle pattern as Go RE2 source; ``ValueError`` if RE2 can't take it.

    A compiled ``re.Pattern`` contributes its ``.pattern`` and its ``I``/``S``/``M`` flags.
    """
    flags = ""
    if isinstance(pattern, re.Pattern):
        if pattern.flags & re.VERBOSE:
            raise ValueError(f"{what} {pattern.pattern!r}: re.VERBOSE has no Go equivalent")
        flags = "".join(c for f, c in ((re.I, "i"), (re.M, "m"), (re.S, "s")) if pattern.flags & f)
        pattern = pattern.pattern
        if isinstance(pattern, bytes):
            raise TypeError(f"{what} must be a str pattern, not bytes")
    if not isinstance(pattern, str):
        raise TypeError(f"{what} must be a str or re.Pattern, got {type(pattern).__name__}")
    if not pattern:
        raise ValueError(f"{what} must not be empty")
    visible = _strip_escapes_and_classes(pattern)
    for check, feature in _RE2_UNSUPPORTED:
        if check.search(visible):
            raise ValueError(
                f"{what} {pattern!r} is not a valid Go (RE2) regular expression: "
                f"RE2 has no {feature}"
            )
    return f"(?{flags}){pattern}" if flags else pattern
