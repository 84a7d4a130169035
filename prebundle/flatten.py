"""Output file names of optimized ids, as Vite 8 flattens them (``react-dom/client`` -> ``react-dom_client``).

Rules, applied in this order: every run of ``_`` gets ``__`` appended (so escapes stay
unambiguous), ``a > b`` nesting becomes ``_n_``, ``/`` becomes ``_``, ``.`` becomes ``__``, and any
character that is unsafe in a file name or URL becomes ``_0<hex>_``. Ids longer than 170
characters are cut to 161 and given ``_`` and 8 hex digits of the SHA-256 of the full flat id.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["flatten_id"]

_UNDERSCORES = re.compile(r"_+")
_NESTED = re.compile(r"\s*>\s*")
_UNSAFE = re.compile(r'[\x00-\x1f"#$%&*+,:;<=>?\[\]^`{|}\x7f]')
MAX_LENGTH = 170
CUT_LENGTH = 161


def flatten_id(id_: str) -> str:
    """The file name stem of an optimized id; distinct ids give distinct names."""
    flat = _UNDERSCORES.sub(lambda m: m.group(0) + "__", id_)
    flat = _NESTED.sub("_n_", flat)
    flat = flat.replace("/", "_").replace(".", "__")
    flat = _UNSAFE.sub(lambda m: f"_0{ord(m.group(0)):x}_", flat)
    if len(flat) > MAX_LENGTH:
        digest = hashlib.sha256(flat.encode()).hexdigest()[:8]
        flat = f"{flat[:CUT_LENGTH]}_{digest}"
    return flat
