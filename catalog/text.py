"""Russian text normalization shared by indexing and querying (both databases)."""

import functools
import re
import threading

import snowballstemmer

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
