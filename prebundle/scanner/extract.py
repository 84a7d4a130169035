"""Turn one file's bytes into the imports it makes: the scanner's per-file step.

JavaScript and TypeScript are parsed with tree-sitter. Rather than visit every node in
Python, the extractor finds each ``import``/``export``/``require`` keyword with a byte
search, walks a tree cursor down to the token there, and reads the few nodes around it: a
keyword inside a comment, string, regex or JSX text is not a token of its own and drops out.
(A tree-sitter query over the whole tree was measured slower: on a 1.2 MB bundle the query
cursor alone cost 40% of the parse, and on export-heavy files more than the parse.)
Where tree-sitter could only recover an ``ERROR`` node around a keyword, a small regular
expression reads the statement from the source text instead.

HTML, Vue and Svelte files are split into ``<script>`` blocks first (:mod:`.blocks`).

In TypeScript, ``import('x')`` in a type (``let s: import('x').T``) imports nothing, and a bare
import whose bindings are used only as types is marked ``elidable`` (:mod:`.elision`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence

from tree_sitter import Node, Tree, TreeCursor

from ..specifiers import is_bare
from . import grammars
from .blocks import Flavor, script_blocks
from .elision import binding_names, bindings_used_as_values, in_type
from .grammars import Dialect
from .records import FileImports, ImportKind, ImportRecord

__all__ = ["MAX_PARSE_BYTES", "SOURCE_DIALECTS", "SourceImports", "extract_file", "extract_source"]

MAX_PARSE_BYTES = 5 * 1024 * 1024
"""Files larger than this are not parsed; they yield a warning and no imports."""

PARSE_SECONDS = 3.0
PARSE_SECONDS_PER_MB = 2.0
"""A parse of a source over 32 KB gets ``PARSE_SECONDS`` plus this per MB of CPU time before it
is abandoned: tree-sitter's error recovery can take very long on binary or garbled input. CPU
time of the parsing thread, not wall time, so a busy machine does not abandon good files."""

_TIMED_PARSE_BYTES = 32 * 1024
_READ_CHUNK = 256 * 1024

SOURCE_DIALECTS: dict[str, Dialect] = {
    ".js": "js",
    ".mjs": "js",
    ".cjs": "js",
    ".jsx": "js",
    ".ts": "ts",
    ".mts": "ts",
    ".cts": "ts",
    ".tsx": "tsx",
}
"""Script extensions and the grammar that parses each."""

_DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")
_JSX_SOURCE = re.compile(rb"@jsxImportSource\s+([^\s*]+)")
_TEMPLATE_MARKS = ("{{", "{%", "{#", "<%", "${")
"""How template engines' placeholders start (Jinja, Django, ERB and EJS, template literals)."""
_CJS_EXTS = frozenset({".cjs", ".cts"})
_ESM_EXTS = frozenset({".mjs", ".mts"})
_CONTAINERS: dict[str, Flavor] = {".html": "html", ".htm": "html", ".vue": "vue", ".svelte": "svelte"}
_LANGS: dict[str, Dialect] = {"": "js", "js": "js", "javascript": "js", "jsx": "js", "ts": "ts", "typescript": "ts", "tsx": "tsx"}
_JS_TYPES = frozenset({"", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript", "text/babel", "text/typescript", "text/ts"})
_KEYWORDS = (b"import", b"export", b"require")
# ASCII bytes that continue an identifier. (A keyword glued to a non-ASCII identifier
# character passes this check but is not a token of its own, so the tree rejects it.)
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_BOM = b"\xef\xbb\xbf"
_EXPORT_DECLARATION = re.compile(
    rb"export[ \t\r\n]+(?:const|let|var|function|class|default|async|interface|enum|abstract|declare"
    rb"|namespace)(?![A-Za-z0-9_$])"
)
"""An ``export`` that declares (``export const x``, ``export default``): it imports nothing
itself, so once a source that parsed without errors is known to be a module (``esm``), such a
keyword need not be looked up in the tree. (An import inside it has a keyword of its own. Not
``export type``: ``export type { A }`` may go on with ``from`` on the next line.)"""


class SourceImports:
    """What one script source (a file or a ``<script>`` block) imports."""

    __slots__ = ("records", "esm", "error_line", "abandoned", "explained")

    def __init__(self, *, abandoned: bool = False) -> None:
        self.records: list[ImportRecord] = []
        """Every import found, in source order, ``require`` calls included."""
        self.esm = False
        """Whether the source has an ESM ``import``/``export`` statement."""
        self.error_line: int | None = None
        """1-based line of the first syntax error, if any."""
        self.abandoned = abandoned
        """Whether parsing ran out of time (nothing was extracted)."""
        self.explained: list[tuple[int, int]] = []
        """Byte ranges read from the text where the grammar is wrong: errors there are not
        syntax errors."""


def extract_file(path: str, data: bytes, *, max_bytes: int = MAX_PARSE_BYTES) -> FileImports:
    """The imports of the file at ``path`` whose content is ``data``.

    The extension picks the format; unknown extensions and TypeScript declaration files
    (``.d.ts``) yield nothing. Never raises: a file that cannot be scanned yields a warning
    instead.
    """
    if len(data) > max_bytes:
        return FileImports(warnings=(f"{path}:1: file is larger than {max_bytes} bytes; not scanned",))
    ext = os.path.splitext(path)[1].lower()
    try:
        dialect = SOURCE_DIALECTS.get(ext)
        if dialect is not None:
            if path.lower().endswith(_DECLARATION_SUFFIXES):
                return FileImports()  # types only: nothing is imported at run time
            return _script_file(path, data, dialect, ext)
        flavor = _CONTAINERS.get(ext)
        if flavor is not None:
            if ext in (".html", ".htm") and b"\0" in data[:8192]:  # no page has NUL bytes
                return FileImports(warnings=(f"{path}:1: skipped: binary data, not HTML",))
            return _container_file(path, data, flavor)
        return FileImports()
    except Exception as exc:  # the scan must go on whatever one file contains
        return FileImports(warnings=(f"{path}:1: could not scan ({type(exc).__name__}: {exc})",))


def _page_url(src: str) -> str | None:
    """A module script's ``src`` as the import the crawl follows: a URL relative to the page, as
    the browser reads it (``main.js`` is ``./main.js``, never a package). None for a URL a template engine fills in (``{% static 'main.js' %}``,
    ``{{ url_for('static', filename='main.js') }}``): its script is reached through ``entries``
    (what ``prebundle init`` writes for a framework's static folders)."""
    src = src.strip()
    if not src or any(mark in src for mark in _TEMPLATE_MARKS):
        return None
    if is_bare(src) or (src.startswith(".") and not src.startswith(("./", "../"))):
        return "./" + src  # ``main.js``, ``.hidden.js``: files beside the page
    return src  # a path, or a URL (``https:``, ``//cdn``, ``data:``) left to the browser


def _script_file(path: str, data: bytes, dialect: Dialect, ext: str) -> FileImports:
    found = extract_source(data, dialect, elide=dialect != "js")
    cjs = ext in _CJS_EXTS or (ext not in _ESM_EXTS and not found.esm)
    records = found.records if cjs else [r for r in found.records if r.kind != "require"]
    return FileImports(tuple(records), _error_warnings(path, found, 1))


def _container_file(path: str, data: bytes, flavor: Flavor) -> FileImports:
    records: list[ImportRecord] = []
    warnings: list[str] = []
    reported_error = False
    esm = flavor == "html"  # only module scripts are read from HTML
    for block in script_blocks(data, flavor):
        kind = block.attrs.get("type", "").strip().lower()
        if flavor == "html" and kind != "module":
            continue
        if kind not in _JS_TYPES:
            continue
        src = block.attrs.get("src")
        if src is not None:
            specifier = _page_url(src) if flavor == "html" else src.strip()
            if specifier:
                records.append(ImportRecord(specifier, block.src_line, "script" if flavor == "html" else "static"))
            continue
        lang = block.attrs.get("lang", "").strip().lower()
        dialect = _LANGS.get(lang)
        if dialect is None:
            warnings.append(f'{path}:{block.line}: <script lang="{lang}"> is not scanned')
            continue
        found = extract_source(data[block.start : block.end], dialect, line_offset=block.line - 1,
                               elide=dialect != "js" and _elides(flavor, block.attrs))
        records.extend(found.records)
        esm = esm or found.esm
        if not reported_error:
            problems = _error_warnings(path, found, block.line)
            reported_error = bool(problems)
            warnings[:0] = problems
    if esm:
        records = [r for r in records if r.kind != "require"]
    return FileImports(tuple(records), tuple(warnings))


def _elides(flavor: Flavor, attrs: dict[str, str]) -> bool:
    """Whether a TypeScript block's type-only imports are dropped. Not in Svelte and Vue
    ``<script setup>``: the markup uses their imports, unseen by TypeScript (Vite's scanner
    keeps every import there too)."""
    return flavor == "html" or (flavor == "vue" and "setup" not in attrs)


def _error_warnings(path: str, found: SourceImports, first_line: int) -> tuple[str, ...]:
    if found.abandoned:
        return (f"{path}:{first_line}: parsing took too long; not scanned",)
    if found.error_line is not None:
        return (f"{path}:{found.error_line}: syntax error; imports recovered where possible",)
    return ()


def extract_source(data: bytes, dialect: Dialect, *, line_offset: int = 0, elide: bool = False) -> SourceImports:
    """The imports of one script source; ``line_offset`` is added to every line number. With
    ``elide`` (TypeScript), a bare import whose bindings are used only as types is ``elidable``."""
    positions = _keyword_positions(data)
    if not positions:
        return SourceImports()  # nothing can import: no need to parse
    if data.startswith(_BOM):
        data = b"   " + data[3:]  # keeps offsets and lines
    tree = _parse(data, dialect)
    if tree is None:
        return SourceImports(abandoned=True)
    root = tree.root_node
    out = SourceImports()
    # Not in a broken tree: error recovery can misplace the uses of a binding.
    reader = _Reader(data, line_offset, out, root if elide and not root.has_error else None)
    cursor = root.walk()
    skip_to = 0
    clean = not root.has_error  # error recovery may hang a later statement on a declaration
    for pos in positions:
        if pos < skip_to:
            continue
        if out.esm and clean and _EXPORT_DECLARATION.match(data, pos) is not None:
            continue  # `export const …`: imports nothing, and the source is known to be a module
        leaf = _token_at(cursor, root, pos)
        if leaf is not None:
            skip_to = reader.keyword(cursor, leaf, pos)
    if b"@jsxImportSource" in data:
        _jsx_sources(data, root, line_offset, out)
    if root.has_error:
        row = _first_error_row(root, out.explained)
        if row is not None:
            out.error_line = row + 1 + line_offset
    return out


def _jsx_sources(data: bytes, root: Node, line_offset: int, out: SourceImports) -> None:
    """A ``/** @jsxImportSource @emotion/react */`` comment: esbuild compiles the file's JSX with
    that package's runtime, so the crawl records it (kind ``jsx``)."""
    for match in _JSX_SOURCE.finditer(data):
        node = root.descendant_for_byte_range(match.start(), match.start())
        if node is not None and node.type == "comment":
            line = data.count(b"\n", 0, match.start()) + 1 + line_offset
            out.records.append(ImportRecord(match.group(1).decode("utf-8", "replace"), line, "jsx"))


def _parse(data: bytes, dialect: Dialect) -> Tree | None:
    """Parse ``data``; ``None`` when a large source runs out of its time budget."""
    parser = grammars.parser(dialect)
    if len(data) <= _TIMED_PARSE_BYTES:
        return parser.parse(data)
    deadline = time.thread_time() + PARSE_SECONDS + PARSE_SECONDS_PER_MB * len(data) / 1e6
    try:
        return parser.parse(
            lambda offset, _point: data[offset : offset + _READ_CHUNK],
            progress_callback=lambda *_: time.thread_time() > deadline,
        )
    except ValueError:  # cancelled by the progress callback
        parser.reset()  # a cancelled parser would otherwise resume this parse next time
        return None


def _keyword_positions(data: bytes) -> list[int]:
    """Offsets of every whole-word ``import``, ``export`` and ``require``, in order."""
    positions: list[int] = []
    for word in _KEYWORDS:
        size = len(word)
        at = data.find(word)
        while at != -1:
            end = at + size
            if (at == 0 or data[at - 1] not in _IDENT) and (end >= len(data) or data[end] not in _IDENT):
                positions.append(at)
            at = data.find(word, end)
    positions.sort()
    return positions


def _token_at(cursor: TreeCursor, root: Node, pos: int) -> Node | None:
    """The token starting exactly at ``pos``, with ``cursor`` left on it; else ``None``."""
    cursor.reset(root)
    while cursor.goto_first_child_for_byte(pos) is not None:
        pass
    node = cursor.node
    if node is None or node.start_byte != pos:
        return None
    return node


class _Reader:
    """Reads the import a keyword token belongs to and appends it to ``out``."""

    __slots__ = ("data", "line_offset", "out", "elide_in")

    def __init__(self, data: bytes, line_offset: int, out: SourceImports, elide_in: Node | None) -> None:
        self.data = data
        self.line_offset = line_offset
        self.out = out
        self.elide_in = elide_in
        """The tree's root when type-only imports are ``elidable`` (TypeScript), else None."""

    def keyword(self, cursor: TreeCursor, leaf: Node, pos: int) -> int:
        """Handle the token at ``pos``; returns the offset up to which later keywords are covered."""
        kind = leaf.type
        if kind == "identifier":  # `require`, or a keyword lexed as a name inside ERROR
            is_function = cursor.field_name == "function"
            if not cursor.goto_parent():
                return 0
            parent = cursor.node
            if parent.type == "call_expression" and is_function and self.data[pos : pos + 7] == b"require":
                self._first_argument(parent, "require")
            elif parent.type == "ERROR":
                return self._recover(leaf, pos)
            elif parent.type == "expression_statement" and parent.child_count == 1 \
                    and self.data[pos : pos + 6] == b"export":
                return self._lone_export(leaf, pos)
            return 0
        if kind not in ("import", "export") or not cursor.goto_parent():
            return 0
        parent = cursor.node
        ptype = parent.type
        if ptype in ("import_statement", "export_statement"):
            # Statements inside TS `declare module '...' {}` or a namespace are types only.
            if cursor.goto_parent() and cursor.node.type not in ("program", "ERROR"):
                return 0
            if ptype == "import_statement":
                self._import_statement(parent)
            else:
                return self._export_statement(parent)
        elif ptype == "import" and cursor.goto_parent() and cursor.node.type == "call_expression":
            call = cursor.node
            if not in_type(cursor):  # `type T = import('x').T` imports nothing
                self._first_argument(call, "dynamic")
        elif ptype == "meta_property":
            self._glob(cursor)
        elif ptype == "ERROR":
            return self._recover(leaf, pos)
        return 0

    # -- statements -------------------------------------------------------------------

    def _import_statement(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        type_only = False
        clause = None
        for child in node.children:
            ctype = child.type
            if ctype in ("type", "typeof") and not child.is_named:
                type_only = True
            elif ctype == "import_clause":
                clause = child
                type_only = type_only or _all_type_specifiers(child, "named_imports", "import_specifier")
            elif ctype == "import_require_clause":
                # TS `import x = require('a')`: a runtime import, but CommonJS-style.
                if not type_only:
                    self._add_string(child.child_by_field_name("source"), "static")
                return
        self.out.esm = True
        if source is not None:
            self._attributes_on_next_line(node)
            if not type_only:
                self._add_string(source, "elidable" if self._elidable(node, clause, source) else "static")

    def _elidable(self, node: Node, clause: Node | None, source: Node) -> bool:
        """Whether TypeScript drops this import: a bare one with an import clause whose bindings
        are used only as types. (Relative imports are not checked: the crawl follows them
        anyway, and most of an app's imports are relative.)"""
        root = self.elide_in
        if root is None or clause is None or source.type != "string":
            return False
        start, end = source.start_byte, source.end_byte
        if not is_bare(_unescape(self.data[start + 1 : end - 1])):
            return False
        names = binding_names(clause)
        if b"React" in names:
            return False  # classic JSX refers to React unseen; React is never types only
        return not bindings_used_as_values(self.data, root, node, names)

    def _export_statement(self, node: Node) -> int:
        """Record a re-export; returns the offset up to which later keywords are covered."""
        self.out.esm = True
        source = node.child_by_field_name("source")
        if source is None and node.children[-1].type != "export_clause":
            return 0  # a declaration, or `export {x};`
        if not self._type_only_export(node):
            if source is None:
                return self._split_export_from(node, record=True)
            self._add_string(source, "static")
        elif source is None:
            return self._split_export_from(node, record=False)
        if source is not None:
            self._attributes_on_next_line(node)
        return 0

    def _attributes_on_next_line(self, node: Node) -> None:
        """``with { type: 'json' }`` on the line after an import's (or re-export's) string:
        part of the statement (no semicolon is inserted before ``with``), which the grammars
        end at the line break. The grammar's error there is not reported as a syntax error."""
        end = node.end_byte
        if self.data[end - 1 : end] == b";":
            return  # the statement ended: what follows is another one
        m = _ATTRIBUTES_ON_NEXT_LINE.match(self.data, end)
        if m is not None:
            self.out.explained.append((end, m.end()))

    @staticmethod
    def _type_only_export(node: Node) -> bool:
        """Whether an export statement exports types only (``export type``, ``{ type A }``)."""
        for child in node.children:
            ctype = child.type
            if ctype == "type" and not child.is_named:
                return True
            if ctype == "ERROR" and child.text == b"type":  # `export type * from` (TS 5)
                return True
            if ctype == "export_clause" and _all_type_specifiers(node, "export_clause", "export_specifier"):
                return True
        return False

    def _lone_export(self, leaf: Node, pos: int) -> int:
        """``export`` alone on its line, then ``{x} from 'm'`` (or ``* from 'm'``): one
        re-export, which the grammars read as the name ``export`` and a block. Read from the
        text; the grammar's missing ``;`` before the string is not reported as a syntax error."""
        m = _EXPORT_FROM.match(self.data, pos)
        if m is None:
            return 0
        self.out.esm = True
        self._add_matched(m, leaf.start_point.row, pos, "static")
        self.out.explained.append((pos, m.start("spec")))
        return m.end()

    def _split_export_from(self, node: Node, *, record: bool) -> int:
        """``export {x}`` with ``from 'm'`` on the next line: one re-export (no semicolon is
        inserted before ``from``), which the grammars end at the line break, leaving ``from``
        and the string as two statements. Read from the text (``record``: False for a
        type-only export, read and not recorded); the grammar's missing ``;`` there is not
        reported as a syntax error."""
        end = node.end_byte
        m = _FROM_ON_NEXT_LINE.match(self.data, end)
        if m is None:
            return 0
        if record:
            self._add_matched(m, node.end_point.row, end, "static")
        self.out.explained.append((end, m.start("spec")))
        return m.end()

    # -- calls ------------------------------------------------------------------------

    def _first_argument(self, call: Node, kind: ImportKind) -> None:
        argument = _first_argument(call)
        if argument is not None:
            self._add_string(argument, kind)

    def _glob(self, cursor: TreeCursor) -> None:
        # import.meta.glob(...): meta_property < member_expression < call_expression
        meta = cursor.node
        if not cursor.goto_parent():
            return
        member = cursor.node
        prop = member.child_by_field_name("property")
        if member.type != "member_expression" or prop is None:
            return
        if prop.text == b"url":
            self._worker(member)
            return
        if prop.text != b"glob":
            return
        if not meta.text.endswith(b"meta") or not cursor.goto_parent():
            return
        call = cursor.node
        if call.type != "call_expression":
            return
        argument = _first_argument(call)
        if argument is None:
            return
        if argument.type == "array":
            for element in argument.named_children:
                self._add_string(element, "glob")
        else:
            self._add_string(argument, "glob")

    def _worker(self, member: Node) -> None:
        """``new Worker(new URL("./w.ts", import.meta.url), ...)`` (or ``SharedWorker``): the
        worker's module is code of the app, crawled as a static import is (Vite bundles it so)."""
        url_args = member.parent
        url_call = url_args.parent if url_args is not None else None
        if url_args is None or url_call is None or url_call.type != "new_expression" \
                or _constructor(url_call) != b"URL":
            return
        arguments = url_args.named_children
        if len(arguments) < 2 or arguments[1] != member:
            return
        worker_args = url_call.parent
        worker_call = worker_args.parent if worker_args is not None else None
        if worker_call is None or worker_call.type != "new_expression" \
                or _constructor(worker_call) not in (b"Worker", b"SharedWorker") \
                or worker_args.named_children[0] != url_call:
            return
        before = len(self.out.records)
        self._add_string(arguments[0], "static")
        if len(self.out.records) > before and not self.out.records[-1].specifier.startswith(("./", "../")):
            self.out.records.pop()  # only a file beside the code: a URL or a package's file is the browser's

    # -- helpers ----------------------------------------------------------------------

    def _add_string(self, node: Node | None, kind: ImportKind) -> None:
        """Record the literal ``node`` (a string, or a template without substitutions)."""
        if node is None:
            return
        ntype = node.type
        if ntype == "template_string":
            if any(child.type == "template_substitution" for child in node.named_children):
                return
        elif ntype != "string":
            return
        start, end = node.start_byte, node.end_byte
        raw = self.data[start + 1 : end - 1 if end - start >= 2 else end]
        specifier = _unescape(raw)
        if specifier:
            line = node.start_point.row + 1 + self.line_offset
            self.out.records.append(ImportRecord(specifier, line, kind))

    def _recover(self, leaf: Node, pos: int) -> int:
        """Read an import from the text of an ERROR region; returns the end of what was read."""
        for pattern, kind in _RECOVERY:
            m = pattern.match(self.data, pos)
            if m is None:
                continue
            if kind is None:  # type-only
                return m.end()
            self.out.esm = self.out.esm or kind == "static"
            self._add_matched(m, leaf.start_point.row, pos, kind)
            return m.end()
        return 0

    def _add_matched(self, m: re.Match[bytes], row: int, pos: int, kind: ImportKind) -> None:
        """Record the ``spec`` of a match read from the text; ``pos`` is on 0-based ``row``."""
        specifier = _unescape(m.group("spec"))
        if specifier:
            row += self.data.count(b"\n", pos, m.start("spec"))
            self.out.records.append(ImportRecord(specifier, row + 1 + self.line_offset, kind))


def _all_type_specifiers(node: Node, list_type: str, item_type: str) -> bool:
    """Whether ``node`` holds a ``{...}`` list whose specifiers are all ``type X`` and nothing else.

    For an import clause, a default or namespace import next to the list is a value import.
    """
    items = 0
    for child in node.named_children:
        ctype = child.type
        if ctype == list_type:
            for item in child.named_children:
                if item.type != item_type:
                    continue
                items += 1
                first = item.child(0)
                if first is None or first.type != "type" or first.is_named:
                    return False
        elif ctype in ("identifier", "namespace_import"):
            return False
    return items > 0


def _constructor(new: Node) -> bytes | None:
    """The name a ``new`` expression constructs (``Worker``), when it is a plain name."""
    constructor = new.child_by_field_name("constructor")
    return constructor.text if constructor is not None and constructor.type == "identifier" else None


def _first_argument(call: Node) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return None
    for child in arguments.named_children:
        if child.type != "comment":
            return child
    return None


_Q = rb"""(?P<q>['"])(?P<spec>[^'"\\\n]*(?:\\.[^'"\\\n]*)*)(?P=q)"""
_EXPORTED_FROM = rb"(?:\*\s*(?:as\s+[\w$]+\s*)?|\{[^}'\"]*\}\s*)from\s*" + _Q
"""What follows ``export`` in a re-export: ``* from 'm'``, ``* as ns from 'm'``, ``{...} from 'm'``."""
_STATEMENT_END = rb"(?=[ \t]*(?:;|\r|\n|$|//|/\*|\}))"
"""After a string that must end its statement."""
_EXPORT_FROM = re.compile(rb"export[ \t]*\r?\n\s*" + _EXPORTED_FROM + _STATEMENT_END)
"""A re-export whose ``export`` ends its line (see ``_Reader._lone_export``)."""
_ATTRIBUTES_ON_NEXT_LINE = re.compile(rb"[ \t]*\r?\n\s*(?:with|assert)\s*\{[^{}]*\}")
"""Import attributes that start on the line after the statement's string."""
_FROM_ON_NEXT_LINE = re.compile(rb"[ \t]*\r?\n\s*from\s*" + _Q + _STATEMENT_END)
"""What follows ``export {x}`` when its ``from`` clause starts on the next line: up to the
string, which must end the statement (import attributes after it are not read: the grammars
make an ``ERROR`` of them there, and such a file keeps its syntax-error warning)."""
_RECOVERY: tuple[tuple[re.Pattern[bytes], ImportKind | None], ...] = (
    (re.compile(rb"import\s*\(\s*(?P<q>['\"`])(?P<spec>[^'\"`\\\n$]*)(?P=q)"), "dynamic"),
    (re.compile(rb"(?:import|export)\s+type\s+(?!from\b)[\w${*]"), None),
    (re.compile(rb"import\s*(?:[\w$]+\s*,?\s*)?(?:\*\s*as\s+[\w$]+\s*|\{[^}'\"]*\}\s*)?(?:from\s*)?" + _Q), "static"),
    (re.compile(rb"export\s*" + _EXPORTED_FROM), "static"),
    (re.compile(rb"require\s*\(\s*" + _Q + rb"\s*\)"), "require"),
)

_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(raw: bytes) -> str:
    """The value of a JS string literal's body (escapes resolved, bad bytes replaced)."""
    text = raw.decode("utf-8", "replace")
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_resolve_escape, text)


def _resolve_escape(m: re.Match[str]) -> str:
    body = m.group(1)
    if body[0] in "ux" and len(body) > 1:
        code = int(body[2:-1] if body[1] == "{" else body[1:], 16)
        return "\ufffd" if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else chr(code)
    if body in ("\n", "\r", "\r\n", "\u2028", "\u2029"):
        return ""  # line continuation
    return _SIMPLE_ESCAPES.get(body, body)


def _first_error_row(root: Node, explained: Sequence[tuple[int, int]] = ()) -> int | None:
    """0-based row of the first ERROR or MISSING node, found without recursion.

    An ERROR that is only the ``type`` of TS 5's ``export type * from`` is not counted: the
    grammar predates that syntax. Nor is a MISSING node inside an ``explained`` byte range, or
    an ERROR wholly inside one.
    """
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, parent_type = stack.pop()
        if node.is_missing:
            if any(start <= node.start_byte < end for start, end in explained):
                continue
            return node.start_point.row
        if node.is_error:
            if parent_type == "export_statement" and node.text == b"type":
                continue
            if any(start <= node.start_byte and node.end_byte <= end for start, end in explained):
                continue
            return node.start_point.row
        ntype = node.type
        stack.extend((child, ntype) for child in reversed(node.children) if child.has_error or child.is_missing)
    return None
