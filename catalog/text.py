"""Russian text normalization shared by indexing and querying (both databases)."""

import functools
import re
import threading
from collections.abc import Iterable

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_WORD = re.compile(r"[0-9a-zа-я]+")
_local = threading.local()

# Function words that carry no meaning in a catalog query («кружок для детей в центре»).
STOPWORDS = frozenset(
    [
        "а",
        "без",
        "более",
        "бы",
        "был",
        "была",
        "были",
        "было",
        "быть",
        "в",
        "вам",
        "вас",
        "весь",
        "во",
        "вот",
        "все",
        "всех",
        "вы",
        "где",
        "да",
        "даже",
        "для",
        "до",
        "его",
        "ее",
        "ей",
        "ему",
        "если",
        "есть",
        "еще",
        "же",
        "за",
        "и",
        "из",
        "или",
        "им",
        "их",
        "к",
        "как",
        "ко",
        "когда",
        "кто",
        "ли",
        "либо",
        "мне",
        "может",
        "мы",
        "на",
        "над",
        "нам",
        "нас",
        "не",
        "него",
        "нее",
        "нет",
        "ни",
        "них",
        "но",
        "ну",
        "о",
        "об",
        "однако",
        "он",
        "она",
        "они",
        "оно",
        "от",
        "очень",
        "по",
        "под",
        "при",
        "с",
        "со",
        "так",
        "также",
        "такой",
        "там",
        "те",
        "тем",
        "то",
        "того",
        "тоже",
        "той",
        "только",
        "том",
        "ты",
        "у",
        "уже",
        "хотя",
        "чего",
        "чей",
        "чем",
        "что",
        "чтобы",
        "чье",
        "чья",
        "эта",
        "эти",
        "это",
        "я",
        "лет",
        "год",
        "года",
        "годы",
    ]
)


# Words families type around what they want («кружок по робототехнике для детей»). They describe
# every program, so a query drops them instead of requiring them in the document.
QUERY_NOISE_STEMS = frozenset({"кружок", "кружк", "секц", "занят", "дет", "ребенок", "ребенк", "школьник"})


# Names the catalog writes in Latin letters and families type in Cyrillic, or the other way round:
# each query word is also looked for in its other spelling («ардуино» finds «Arduino»).
SPELLINGS = (
    ("arduino", "ардуино"),
    ("scratch", "скретч"),
    ("python", "питон"),
    ("lego", "лего"),
    ("minecraft", "майнкрафт"),
    ("roblox", "роблокс"),
    ("unity", "юнити"),
    ("blender", "блендер"),
    ("javascript", "джаваскрипт"),
    ("java", "джава"),
    ("photoshop", "фотошоп"),
    ("3d", "3д"),
)


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """Meaningful words of a text, normalized, in order."""
    return [w for w in _WORD.findall(normalize(text)) if w not in STOPWORDS]


def query_words(text: str) -> list[str]:
    """The words of a search query that must match, in order."""
    return [w for w in words(text) if stem(w) not in QUERY_NOISE_STEMS]


def _stemmer() -> snowballstemmer.stemmer:
    # Snowball stemmers keep state between calls: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("russian")
    return stemmer


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A word's Snowball stem; remembered, as searches repeat the catalog's words."""
    return str(_stemmer().stemWord(word))


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


@functools.cache
def _other_spellings() -> dict[str, tuple[str, ...]]:
    # Keyed by stem, so that inflected forms («на скретче», «питона») find the other spelling too.
    found: dict[str, tuple[str, ...]] = {}
    for latin, cyrillic in SPELLINGS:
        found[stem(latin)] = (*found.get(stem(latin), ()), cyrillic)
        found[stem(cyrillic)] = (*found.get(stem(cyrillic), ()), latin)
    return found


def spellings(word: str) -> tuple[str, ...]:
    """The query word and its other spellings."""
    return (word, *_other_spellings().get(stem(word), ()))


_VOWELS = frozenset("аеиоуыэюя")


def fleeting_vowel_stems(lexeme: str) -> tuple[str, ...]:
    """The stems of the word's other forms when its last vowel comes and goes: «танец» — «танцы»
    (танец, танц), «кружок» — «кружка», «сказка» — «сказок». Snowball leaves these as two stems."""
    if len(lexeme) < 3 or lexeme[-1] in _VOWELS:
        return ()
    if lexeme[-2] not in _VOWELS:
        return (f"{lexeme[:-1]}е{lexeme[-1]}", f"{lexeme[:-1]}о{lexeme[-1]}")
    if len(lexeme) >= 4 and lexeme[-2] in "ео" and lexeme[-3] not in _VOWELS:
        return (lexeme[:-2] + lexeme[-1],)
    return ()


def typo_edits(word: str) -> int:
    """How many edits a typo may make in a word: one in a short word (else «елка» becomes «дела»),
    two in a longer one, three in a long one. Two letters swapped count as one edit."""
    return 1 if len(word) <= 5 else 2 if len(word) <= 9 else 3


def closest_word(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate fewest edits away from `word`, within what a typo changes; of equally close
    ones the first (candidates come most similar or most frequent first)."""
    found = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=typo_edits(word))
    return found[0] if found else None
