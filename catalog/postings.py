"""The inverted index of program search documents (SearchPosting): kept here, read by search.

PostgreSQL analyses the text (the `russian` configuration builds each program's tsvector) and
this module turns the lexemes into one bitmap over program ids per lexeme. SQLite stores stems
computed in Python (catalog.text), so the same postings come out of both databases.
"""

from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any

from django.db import connection, transaction

from catalog import text
from catalog.models import MAX_LEXEME, Program, SearchPosting
from core import rawsql

CHUNK = 500  # programs or lexemes per statement: SQLite takes at most 999 parameters

Lexemes = dict[int, tuple[set[str], set[str]]]  # program id → (all lexemes, lexemes of the title)


def document_lexemes(program_ids: Sequence[int] | None = None) -> Iterator[tuple[int, set[str], set[str]]]:
    """(program id, lexemes of its document, lexemes of its title) for the given programs (all)."""
    chunks: Iterable[Sequence[int] | None] = (
        [None] if program_ids is None else (program_ids[i : i + CHUNK] for i in range(0, len(program_ids), CHUNK))
    )
    for chunk in chunks:
        if connection.vendor == "postgresql":
            sql = (
                "SELECT id, tsvector_to_array(search_document), tsvector_to_array(ts_filter(search_document, '{a}')) "
                "FROM catalog_program"
            )
            with connection.cursor() as cursor:
                if chunk is None:
                    cursor.execute(sql)
                else:
                    cursor.execute(sql + " WHERE id = ANY(%s)", [list(chunk)])
                for pid, lexemes, title in cursor.fetchall():
                    yield pid, _short(lexemes), _short(title)
            continue
        queryset = Program.objects.all() if chunk is None else Program.objects.filter(pk__in=chunk)
        for pid, document, title in queryset.values_list("id", "search_document", "title").iterator(chunk_size=2000):
            yield pid, _short(document.split()), _short(text.stems(title))


def _short(lexemes: Iterable[str]) -> set[str]:
    return {lexeme for lexeme in lexemes if len(lexeme) <= MAX_LEXEME}


def _set_bit(bitmap: bytearray, bit: int, value: bool) -> None:
    if len(bitmap) <= bit >> 3:
        if not value:
            return
        bitmap.extend(bytes((bit >> 3) + 1 - len(bitmap)))
    if value:
        bitmap[bit >> 3] |= 1 << (bit & 7)
    else:
        bitmap[bit >> 3] &= ~(1 << (bit & 7)) & 0xFF


def rebuild_postings() -> int:
    """The whole index from the documents; returns the number of lexemes."""
    programs: dict[str, bytearray] = {}
    titles: dict[str, bytearray] = {}
    for pid, lexemes, title in document_lexemes():
        for lexeme in lexemes:
            _set_bit(programs.setdefault(lexeme, bytearray()), pid, True)
        for lexeme in title:
            _set_bit(titles.setdefault(lexeme, bytearray()), pid, True)
    with transaction.atomic():
        SearchPosting.objects.all().delete()
        SearchPosting.objects.bulk_create(
            [
                SearchPosting(lexeme=lexeme, programs=bytes(bitmap), title_programs=bytes(titles.get(lexeme, b"")))
                for lexeme, bitmap in programs.items()
            ],
            batch_size=1000,
        )
    return len(programs)


def update_postings(before: Lexemes, after: Lexemes) -> None:
    """Move the programs' bits from the lexemes they had to the ones they have now. Rows are
    locked in lexeme order, so concurrent edits neither lose bits nor deadlock."""
    changes: dict[str, list[tuple[int, bool, bool]]] = {}  # lexeme → (program, in document, in title)
    for pid in before.keys() | after.keys():
        old_all, old_title = before.get(pid, (set(), set()))
        new_all, new_title = after.get(pid, (set(), set()))
        for lexeme in (old_all ^ new_all) | (old_title ^ new_title):
            changes.setdefault(lexeme, []).append((pid, lexeme in new_all, lexeme in new_title))
    if not changes:
        return
    lexemes = sorted(changes)
    with transaction.atomic():
        SearchPosting.objects.bulk_create([SearchPosting(lexeme=lexeme) for lexeme in lexemes], ignore_conflicts=True)
        for start in range(0, len(lexemes), CHUNK):
            chunk = lexemes[start : start + CHUNK]
            rows = list(SearchPosting.objects.select_for_update().filter(lexeme__in=chunk).order_by("lexeme"))
            for row in rows:
                programs, titles = bytearray(row.programs), bytearray(row.title_programs)
                for pid, in_document, in_title in changes[row.lexeme]:
                    _set_bit(programs, pid, in_document)
                    _set_bit(titles, pid, in_title)
                row.programs, row.title_programs = bytes(programs), bytes(titles)
            SearchPosting.objects.bulk_update(rows, ["programs", "title_programs"])


# A word's lexeme begins the words it finds («робот» — «робототехника»), unless the lexeme is this short:
# then it is matched whole, and a longer word whose lexeme a consonant follows finds the words beginning
# as it does up to that consonant («конный», кон — «конноспортивный», not «конструирование»; a vowel
# may come and go: «песен», пес — «песня», so the lexeme begins the words «песен» finds). A short word
# finds itself whole («опыт», whose lexeme is «оп»); if the catalog lacks its lexeme it is being typed,
# and its letters as typed begin the words it finds («роб» — «робототехника», «изо» — «изобразительное»,
# not every «изучение» that its lexeme «из» begins) — unless it is two letters («ит» begins a thousand
# words). A whole word of four letters begins only the words of titles: «гита», «воле», «мате» are typed
# on the way to «гитара», «волейбол», «математика», but «пони» is no «понимание» of a description.
WHOLE_WORD_BELOW = 4
SHORT_WORD_BELOW = 5
TYPED_BEGINNING_FROM = 3


class Begins(StrEnum):
    """Which words a short word the catalog lacks begins, as typed."""

    NONE = "none"
    TITLES = "titles"
    ANY = "any"


def typed_beginning(word: str) -> Begins:
    if len(word) < TYPED_BEGINNING_FROM:
        return Begins.NONE
    if len(word) == SHORT_WORD_BELOW - 1 and text.is_dictionary_word(word):
        return Begins.TITLES
    return Begins.ANY


# Each query word's lexeme, as the documents' configuration analyses it (a stop word has none; a word
# in Latin letters has its English stem: «unity», uniti), and the postings of the lexemes in the ranges
# (above) it matches: [start, start with its last letter's successor), or a lexeme alone, [lexeme,
# lexeme + chr(1)); one round trip for the whole query. The pattern operators compare bytes whatever
# the collation and use the prefix index with values bound on the server (a LIKE pattern would need them
# at planning); UTF-8 orders bytes as code points, so the successor bounds the range. A word with a
# lexeme but no postings comes back once, with NULLs. Several spellings of one word share its position
# n; a stem of its other forms (`exact`) is a lexeme already, matched whole.
_PG_MATCHES_SQL = """
SELECT w.n, CASE WHEN r.titles_only THEN p.title_programs ELSE p.programs END, p.title_programs
FROM unnest(%(n)s::int[], %(word)s::text[], %(exact)s::bool[], %(begins)s::text[]) AS w(n, word, exact, begins)
CROSS JOIN LATERAL (
    SELECT CASE WHEN w.exact THEN w.word ELSE (tsvector_to_array(to_tsvector('russian', w.word)))[1] END AS lexeme
) l
CROSS JOIN LATERAL (
    SELECT
        NOT w.exact AND length(l.lexeme) < %(whole_below)s AS short,
        length(w.word) >= %(short_below)s AS long_word,
        strpos(%(vowels)s, substr(w.word, length(l.lexeme) + 1, 1)) > 0 AS vowel_next
) k
CROSS JOIN LATERAL (
    SELECT l.lexeme AS low, w.exact OR k.short AND NOT (k.long_word AND k.vowel_next) AS whole, false AS titles_only
    UNION ALL
    SELECT left(w.word, length(l.lexeme) + 1), false, false WHERE k.short AND k.long_word AND NOT k.vowel_next
    UNION ALL
    SELECT w.word, true, false WHERE k.short AND NOT k.long_word
    UNION ALL
    SELECT w.word, false, w.begins = %(titles)s WHERE k.short AND NOT k.long_word AND w.begins <> %(none)s
        AND NOT EXISTS (SELECT FROM catalog_searchposting e WHERE e.lexeme = l.lexeme)
) r
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.whole THEN r.low || chr(1) ELSE left(r.low, -1) || chr(ascii(right(r.low, 1)) + 1) END AS bound
) b
LEFT JOIN catalog_searchposting p ON p.lexeme ~>=~ r.low AND p.lexeme ~<~ b.bound
WHERE l.lexeme IS NOT NULL
"""
# SQLite compares text byte by byte: the same ranges with plain operators, statements per range.
_SQLITE_RANGE_SQL = "SELECT programs, title_programs FROM catalog_searchposting WHERE lexeme >= %s AND lexeme < %s"


def _sqlite_ranges(cursor: Any, spelling: str, exact: bool) -> list[tuple[str, str, bool]]:
    """The ranges [low, bound) of lexemes a spelling matches (above), each with whether only its
    titles count, for SQLite."""
    lexeme = spelling if exact else text.stem(spelling)
    if not lexeme:
        return []
    if exact:
        return [(*_whole(lexeme), False)]
    if len(lexeme) >= WHOLE_WORD_BELOW:
        return [(*_beginning(lexeme), False)]
    if len(spelling) >= SHORT_WORD_BELOW:
        if spelling[len(lexeme)] in text.VOWELS:
            return [(*_beginning(lexeme), False)]
        return [(*_whole(lexeme), False), (*_beginning(spelling[: len(lexeme) + 1]), False)]
    ranges = [(*_whole(lexeme), False), (*_whole(spelling), False)]
    begins = typed_beginning(spelling)
    if begins != Begins.NONE:
        cursor.execute(_SQLITE_RANGE_SQL, _whole(lexeme))
        if not cursor.fetchall():
            ranges.append((*_beginning(spelling), begins == Begins.TITLES))
    return ranges


def _whole(lexeme: str) -> tuple[str, str]:
    return lexeme, lexeme + chr(1)


def _beginning(start: str) -> tuple[str, str]:
    return start, start[:-1] + chr(ord(start[-1]) + 1)


def _postings_by_word(words: Sequence[str]) -> dict[int, list[tuple[bytes | None, bytes | None]]]:
    """Query word's position → the postings of the lexemes it matches, in any of its spellings and
    forms; stop words left out."""
    # (position, word or lexeme, whether it is a lexeme to match whole)
    spelled = [(n, spelling, False) for n, word in enumerate(words) for spelling in text.spellings(word)]
    spelled += [(n, other, True) for n, word in enumerate(words) for other in text.other_form_stems(text.stem(word))]
    found: dict[int, list[tuple[bytes | None, bytes | None]]] = {}
    if not spelled:
        return found  # no words (the statement's arrays cannot be empty columns)
    with rawsql.cursor() as cursor:
        if connection.vendor == "postgresql":
            positions, spellings, exact = map(list, zip(*spelled, strict=True))
            begins = [
                Begins.NONE if whole else typed_beginning(word) for word, whole in zip(spellings, exact, strict=True)
            ]
            cursor.execute(
                _PG_MATCHES_SQL,
                {
                    "n": positions,
                    "word": spellings,
                    "exact": exact,
                    "begins": begins,
                    "titles": Begins.TITLES,
                    "none": Begins.NONE,
                    "whole_below": WHOLE_WORD_BELOW,
                    "short_below": SHORT_WORD_BELOW,
                    "vowels": "".join(sorted(text.VOWELS)),
                },
            )
            for n, programs, titles in cursor.fetchall():
                found.setdefault(n, []).append((programs, titles))
            return found
        for n, spelling, whole in spelled:
            if ranges := _sqlite_ranges(cursor, spelling, whole):
                rows = found.setdefault(n, [])
                for low, bound, titles_only in ranges:
                    cursor.execute(_SQLITE_RANGE_SQL, [low, bound])
                    rows.extend((titles if titles_only else programs, titles) for programs, titles in cursor.fetchall())
    return found


def matches(words: Sequence[str]) -> tuple[int, int]:
    """Bitsets over program ids: programs whose document has a word beginning with every query
    word, and those where every such word is in the title («робот» finds «Робототехника»)."""
    everything: int | None = None
    in_titles: int | None = None
    for postings in _postings_by_word(words).values():
        found, titled = 0, 0
        for programs, titles in postings:
            found |= int.from_bytes(programs or b"", "little")
            titled |= int.from_bytes(titles or b"", "little")
        everything = found if everything is None else everything & found
        in_titles = titled if in_titles is None else in_titles & titled
    return everything or 0, in_titles or 0
