"""Name normalisation: spellings of one name meet, different names stay apart."""

from __future__ import annotations

import pytest

from backend.screening.names import normalise, sorted_tokens, sound_key


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("José García", "jose garcia"),
        ("  JOHN\tSMITH ", "john smith"),
        ("Al-Rashid, Muhammad", "al rashid muhammad"),
        ("O'Brien", "obrien"),
        ("Northwind Arms Trading F.Z.E.", "northwind arms trading"),
        ("Acme Ltd", "acme"),
        ("Acme Trading Co. Limited", "acme trading"),
        ("Straße Müller", "strasse muller"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Ｊｏｈｎ Ｓｍｉｔｈ", "john smith"),  # full-width letters fold by NFKD
        ("Limited", "limited"),  # a suffix alone is the name
        ("!!! ...", ""),
    ],
)
def test_normalise_folds_accents_case_punctuation_spacing_and_company_suffixes(written, normal):
    assert normalise(written) == normal


def test_word_order_and_sound_are_left_to_the_matcher():
    assert normalise("Smith John") != normalise("John Smith")
    assert sorted_tokens(normalise("Smith John")) == sorted_tokens(normalise("John Smith"))
    assert sound_key(normalise("Jon Smyth")) == sound_key(normalise("John Smith")) == "jon smit"
    assert sound_key(normalise("Philip Schmidt")) == sound_key(normalise("Filip Shmidt"))
    assert sound_key(normalise("Katherine Meyer")) == sound_key(normalise("Catherine Meier"))
    assert sound_key(normalise("Jane Smith")) != sound_key(normalise("John Smith"))
