"""String helpers: vectorised concatenation over object arrays, slugs, phones and data-entry slips."""

from __future__ import annotations

import unicodedata
from functools import reduce

import numpy as np

from workbench.sandbox.names import NICKNAMES

Strings = np.ndarray  # 1-d object array of str


def as_text(values: np.ndarray) -> Strings:
    """Any 1-d array as an object array of ``str`` (ints without a decimal point)."""
    if values.dtype == object:
        return values
    return values.astype(str).astype(object)


def cat(*parts: np.ndarray | str) -> Strings:
    """Element-wise concatenation of arrays and constant strings (at least one array)."""
    arrays = [as_text(p) if isinstance(p, np.ndarray) else p for p in parts]
    return reduce(np.add, arrays)  # type: ignore[arg-type]


def pick(options: tuple[str, ...] | list[str], codes: np.ndarray) -> Strings:
    """``options[codes]`` as an object array."""
    return np.asarray(options, dtype=object)[codes]


def slug(name: str) -> str:
    """Lower-case ASCII letters and digits only (``Núñez`` -> ``nunez``, ``O'Brien`` -> ``obrien``)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def slugs(values: Strings) -> Strings:
    """:func:`slug` of every value, computed once per distinct value."""
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    return np.asarray([slug(u) for u in uniq], dtype=object)[inverse]


def initials(values: Strings) -> Strings:
    """First letter of each slug (``x`` when the slug is empty)."""
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    return np.asarray([(slug(u) or "x")[0] for u in uniq], dtype=object)[inverse]


#: (before the exchange, between exchange and line, after) -- ``{a}`` is the area code.
PHONE_STYLES = (("({a}) ", "-", ""), ("{a}-", "-", ""), ("{a}.", ".", ""), ("{a}", "", ""), ("{a} ", " ", ""))


def phones(area: str, numbers: np.ndarray, styles: np.ndarray) -> Strings:
    """Seven-digit ``numbers`` formatted with ``PHONE_STYLES[styles]``: ``(555) 201-3344`` and kin."""
    pre = as_text(numbers // 10000)
    suf = as_text(np.char.zfill((numbers % 10000).astype(str), 4))
    out = np.empty(len(numbers), dtype=object)
    for i, (head, mid, tail) in enumerate(PHONE_STYLES):
        m = styles == i
        if m.any():
            out[m] = cat(head.format(a=area), pre[m], mid, suf[m], tail)
    return out


def typo(name: str, r: float) -> str:
    """One keyboard slip in ``name``, chosen by ``r`` in [0, 1): swap, drop or double a letter."""
    if len(name) < 4:
        return name + name[-1]
    i = 1 + int(r * 1000) % (len(name) - 2)
    kind = int(r * 3)
    if kind == 0:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == 1:
        return name[:i] + name[i + 1:]
    return name[:i] + name[i] + name[i:]


def nickname(name: str, r: float) -> str | None:
    """A short form of ``name`` (chosen by ``r``), or None when it has none."""
    options = NICKNAMES.get(name)
    return options[int(r * len(options))] if options else None


def case_variant(name: str, r: float) -> str:
    """Upper case, lower case, or stray spaces, as typed in a hurry."""
    kind = int(r * 4)
    if kind == 0:
        return name.upper()
    if kind == 1:
        return name.lower()
    if kind == 2:
        return name + " "
    return name.replace(" ", "  ") if " " in name else " " + name
