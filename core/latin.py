"""One Latin key space for Cyrillic and for whatever Latin people type: «Соловьёв», "Solovyov" and
"Solov'ev" meet (the registry's matching of names), «шахматы» and "shahmaty" too (the Navigator's search
of a query typed in Latin letters). ICAO 9303 with ad-hoc spellings folded."""

import functools
import re
import unicodedata

_ICAO_9303 = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "e", "ґ": "g",  # Ukrainian and Belarusian letters in imported lists
}  # fmt: skip
_TO_LATIN = str.maketrans(_ICAO_9303)
# Ad-hoc Latin spellings folded onto one form, longest first: "Shchukin"/"Schukin", "Yegor"/"Egor",
# "Tatyana"/"Tatiana", "Yuliya"/"Julia", "Artyom"/"Artem", "Alexandr"/"Aleksandr", "Dmitriy"/"Dmitrij".
_LATIN_FOLDS = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("ts", "c"), ("tz", "c"),
    ("ph", "f"), ("ck", "k"), ("x", "ks"), ("w", "v"), ("q", "k"),
    ("yo", "e"), ("jo", "e"), ("ye", "e"), ("je", "e"), ("ya", "ia"), ("ja", "ia"), ("yu", "iu"), ("ju", "iu"),
    ("y", "i"), ("j", "i"),
)  # fmt: skip
_MARKS = re.compile(r"[\u0300-\u036f]")  # combining accents: й→и, ё→е, ë→e after NFD
_NOT_LETTER = re.compile(r"[^a-z]+")
_REPEATS = re.compile(r"(.)\1+")  # "Kirill"/"Kiril", "Mariia"/"Maria": doubled letters carry no identity


@functools.lru_cache(maxsize=1 << 18)
def spelling(text: str) -> str:
    """A word or name as typed, in the Latin key space: lower case, without accents or punctuation."""
    latin = _NOT_LETTER.sub("", _MARKS.sub("", unicodedata.normalize("NFD", text.lower())).translate(_TO_LATIN))
    for written, folded in _LATIN_FOLDS:
        if written in latin:
            latin = latin.replace(written, folded)
    return latin


@functools.lru_cache(maxsize=1 << 18)
def key(text: str) -> str:
    """The key of a word or name: lower case, Latin, without accents, punctuation or doubled letters.
    Typos are counted on the word as typed (`spelling`), where «Иаан» (Иван mistyped) is no «Ян»."""
    return without_repeats(spelling(text))


def without_repeats(spelled: str) -> str:
    """The key of a `spelling`."""
    return _REPEATS.sub(r"\1", spelled)
