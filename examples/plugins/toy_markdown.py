"""Example plugin 2: compile a custom file type (``.tmd``, a toy markdown) to JavaScript.

A ``.tmd`` file may start with front matter naming packages it needs::

    ---
    import: dayjs
    ---
    # Hello

The plugin turns it into a module whose default export is the HTML, and which imports those
packages, so prebundle scans and pre-bundles them like any other import.
"""

import html
import json

from prebundle import Plugin


def toy_markdown(*, heading_class: str = "title"):
    def transform(code: str, id: str):
        if not id.endswith(".tmd"):
            return None
        front, _, body = code.partition("---\n")[2].partition("---\n") if code.startswith("---\n") else ("", "", code)
        packages = [line.split(":", 1)[1].strip() for line in front.splitlines() if line.startswith("import:")]
        lines = []
        for line in body.strip().splitlines():
            if line.startswith("# "):
                lines.append(f'<h1 class="{heading_class}">{html.escape(line[2:])}</h1>')
            elif line.strip():
                lines.append(f"<p>{html.escape(line)}</p>")
        imports = "".join(f"import {json.dumps(name)};\n" for name in packages)
        return {"code": f"{imports}export default {json.dumps(''.join(lines))};\n", "map": None}

    return Plugin("toy-markdown", enforce="pre", transform=transform)
