"""How names are compared: one normal form for spelling, one rough key for sound.

Lists and payment requests write the same party many ways: accents or none (`José`/`Jose`),
punctuation (`Al-Rashid`, `F.Z.E.`), case, spacing, a company suffix or none (`Acme Ltd`/`Acme
Limited`/`Acme`). `normalise` removes those differences, so two spellings of one name become the
same string (an exact match). `sound_key` goes further for fuzzy matching only: it folds common
spelling variants of one sound (`ph`/`f`, `y`/`i`, `w`/`v`, silent `h`, doubled letters), so
`Jon Smyth` and `John Smith` share a key. Word order is handled by the matcher, which compares
tokens sorted (`sorted_tokens`).
"""

from __future__ import annotations

import re
import unicodedata

# Legal-form words dropped from the end of a name of two words or more.
COMPANY_SUFFIXES = frozenset(
    {
        "ltd", "limited", "llc", "inc", "incorporated", "corp", "corporation", "co", "company", "plc",
        "gmbh", "ag", "sa", "sarl", "bv", "nv", "fze", "fzco", "fzc", "lp", "llp", "pte", "pty", "srl", "spa",
    }
)
# Letters that are not decomposed by NFKD but have a plain spelling.
FOLDED = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
DROPPED = re.compile(r"[.'’`ʼ]")  # joined, not split: `F.Z.E.` -> `fze`, `O'Brien` -> `obrien`
SEPARATORS = re.compile(r"[\W_]+")
SOUNDS = (("sch", "sh"), ("ph", "f"), ("ck", "k"), ("q", "k"), ("x", "ks"), ("z", "s"), ("w", "v"), ("y", "i"))
HARD_C = re.compile(r"c(?=[aou])")
DOUBLED = re.compile(r"(.)\1+")


def normalise(name: str) -> str:
    """The form names are compared in: accents stripped (NFKD), case folded, dots and
    apostrophes removed, other punctuation turned into spaces, whitespace collapsed, and trailing
    company suffixes dropped while another word remains. `""` when nothing comparable is left."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(FOLDED))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = SEPARATORS.sub(" ", DROPPED.sub("", plain)).split()
    while len(tokens) > 1 and tokens[-1] in COMPANY_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def sorted_tokens(normalised: str) -> str:
    """The words in alphabetical order, so `Smith John` and `John Smith` compare equal."""
    return " ".join(sorted(normalised.split()))


def sound_key(normalised: str) -> str:
    """A rough key of how a normalised name sounds, word by word: common spelling variants of one
    sound folded, `h` dropped after a word's first letter, doubled letters made single."""
    return " ".join(_sound(token) for token in normalised.split())


def _sound(token: str) -> str:
    for written, heard in SOUNDS:
        token = token.replace(written, heard)
    token = HARD_C.sub("k", token)
    token = token[0] + token[1:].replace("h", "")
    return DOUBLED.sub(r"\1", token)
