"""Matching one name against a screening list: pure, no I/O, built once per list version.

Scores run from 0 to 100:

- **exact** (100): the name's normal form (`names.normalise`) equals the normal form of an
  entry's name or of one of its aliases;
- **fuzzy**: the best of two Levenshtein similarities (`rapidfuzz.fuzz.ratio`) over words in
  sorted order: of the normal forms (spelling), and of the sound keys (`names.sound_key`) less
  `SOUND_PENALTY`, since names that only sound alike are a weaker sign than names spelt alike.
  A fuzzy score of `FUZZY_THRESHOLD` (88) or more is a hit. Examples: `Jon Smyth` / `John Smith`
  95 (by sound), `Ivan Petrov` / `Ivan Petrova` 95, `Smith, John` / `John Smith` 99 (word order
  alone is never exact), `Mohammed Al-Rashid` / `Muhammad al Rashid` 88; `John Smith` / `Jane
  Smith` 80, `Li Wei` / `Lu Wei` 83 and `Smith` / `John Smith` 66 are not hits.

Scores are whole numbers (rounded down), so a stored score is never above what was computed. A
list of 10,000 entries is searched with `rapidfuzz.process.extract` and a score cutoff, in C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz, process

from backend.screening.names import normalise, sorted_tokens, sound_key

EXACT_SCORE = 100
FUZZY_THRESHOLD = 88
SOUND_PENALTY = 5
MAX_MATCHES = 5  # per list and name: the best ones, enough for a reviewer to judge
MAX_CANDIDATES = 50  # per pass, before the best form per entry is chosen


@dataclass(frozen=True)
class Entry:
    """One list entry as the matcher sees it: `forms` are (as listed, normal form) pairs, the
    entry's name first, then its aliases."""

    id: str
    forms: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Match:
    entry_id: str
    matched_name: str  # the entry's name or alias that matched, as listed
    score: int
    method: str  # exact | fuzzy


class Matcher:
    """A list's entries indexed for exact lookup and for both fuzzy passes."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = tuple(entries)
        self._exact: dict[str, list[tuple[int, int]]] = {}
        self._owners: list[tuple[int, int]] = []  # choice index -> (entry index, form index)
        spelled, sounded = [], []
        for e, entry in enumerate(self._entries):
            for f, (_, key) in enumerate(entry.forms):
                self._exact.setdefault(key, []).append((e, f))
                self._owners.append((e, f))
                spelled.append(sorted_tokens(key))
                sounded.append(sorted_tokens(sound_key(key)))
        self._spelled, self._sounded = spelled, sounded

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, name: str) -> list[Match]:
        """The entries `name` matches, best first (exact ones lead), at most `MAX_MATCHES`."""
        key = normalise(name)
        if not key:
            return []
        best: dict[int, tuple[int, int, str]] = {}  # entry index -> (score, form index, method)
        for e, f in self._exact.get(key, ()):
            best.setdefault(e, (EXACT_SCORE, f, "exact"))
        passes = ((sorted_tokens(key), self._spelled, 0), (sorted_tokens(sound_key(key)), self._sounded, SOUND_PENALTY))
        for query, choices, penalty in passes:
            for _, raw, index in process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD + penalty, limit=MAX_CANDIDATES):
                e, f = self._owners[index]
                score = min(int(raw - penalty), EXACT_SCORE - 1)
                if score > best.get(e, (-1,))[0]:
                    best[e] = (score, f, "fuzzy")
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_MATCHES]
        return [Match(self._entries[e].id, self._entries[e].forms[f][0], score, method) for e, (score, f, method) in ranked]


def entry(entry_id: str, name: str, aliases: Sequence[str] = ()) -> Entry:
    """An `Entry` from the names as listed (forms that normalise to nothing are left out)."""
    forms = [(shown, normalise(shown)) for shown in (name, *aliases)]
    return Entry(entry_id, tuple((shown, key) for shown, key in forms if key))
