"""The inverted index of program search documents (SearchPosting): kept here, read by search.

PostgreSQL analyses the text (the `russian` configuration builds each program's tsvector) and
this module turns the lexemes into one bitmap over program ids per lexeme. SQLite stores stems
computed in Python (catalog.text), so the same postings come out of both databases.
"""

from collections.abc import Iterable, Iterator, Sequence

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


# A short word with a lexeme this short is a whole word to match, not a beginning: «лего» (лег) must
# not find «лёгкая» (легк), nor «кот» «который». Unless the catalog has no such word: then it is a
# word being typed, and its letters as typed begin the words it finds («роб» — «робототехника»,
# «изо» — «изобразительное», not every «изучение» that its lexeme «из» begins). A longer word with a
# short lexeme finds the words its lexeme begins («химия», хим — «химический», «химик»).
WHOLE_WORD_BELOW = 4
SHORT_WORD_BELOW = 5

# Each query word's lexeme, as the documents' configuration analyses it (a stop word has none; a word
# in Latin letters has its English stem: «unity», uniti), and the postings of the lexemes beginning
# with it, as a range [lexeme, lexeme with its last letter's successor), or of the lexeme alone, as
# [lexeme, lexeme + chr(1)): one round trip for the whole query. The pattern operators compare bytes
# whatever the collation and use the prefix index with values bound on the server (a LIKE pattern
# would need them at planning); UTF-8 orders bytes as code points, so the successor bounds the range.
# A word with a lexeme but no postings comes back once, with NULLs. Several spellings of one word
# share its position n; a stem of its other forms (`exact`) is a lexeme already, matched whole.
_PG_MATCHES_SQL = """
SELECT w.n, p.programs, p.title_programs
FROM unnest(%s::int[], %s::text[], %s::bool[]) AS w(n, word, exact)
CROSS JOIN LATERAL (
    SELECT CASE WHEN w.exact THEN w.word ELSE (tsvector_to_array(to_tsvector('russian', w.word)))[1] END AS lexeme
) l
CROSS JOIN LATERAL (
    SELECT NOT w.exact AND length(l.lexeme) < %s AND length(w.word) < %s AS short
) k
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN k.short AND NOT EXISTS (SELECT FROM catalog_searchposting e WHERE e.lexeme = l.lexeme)
        THEN w.word ELSE l.lexeme END AS low,
        w.exact OR k.short AND EXISTS (SELECT FROM catalog_searchposting e WHERE e.lexeme = l.lexeme) AS whole
) s
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN s.whole THEN s.low || chr(1)
        ELSE left(s.low, -1) || chr(ascii(right(s.low, 1)) + 1)
    END AS bound
) b
LEFT JOIN catalog_searchposting p ON p.lexeme ~>=~ s.low AND p.lexeme ~<~ b.bound
WHERE l.lexeme IS NOT NULL
"""
# SQLite compares text byte by byte: the same ranges with plain operators, statements per stem.
_SQLITE_RANGE_SQL = "SELECT programs, title_programs FROM catalog_searchposting WHERE lexeme >= %s AND lexeme < %s"
_SQLITE_WHOLE_SQL = "SELECT programs, title_programs FROM catalog_searchposting WHERE lexeme = %s"


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
            cursor.execute(
                _PG_MATCHES_SQL, [*map(list, zip(*spelled, strict=True)), WHOLE_WORD_BELOW, SHORT_WORD_BELOW]
            )
            for n, programs, titles in cursor.fetchall():
                found.setdefault(n, []).append((programs, titles))
            return found
        for n, spelling, exact in spelled:
            lexeme = spelling if exact else text.stem(spelling)
            if not lexeme:
                continue
            rows = []
            short = not exact and len(lexeme) < WHOLE_WORD_BELOW and len(spelling) < SHORT_WORD_BELOW
            if exact or short:
                cursor.execute(_SQLITE_WHOLE_SQL, [lexeme])
                rows = cursor.fetchall()
            if not rows and not exact:
                low = spelling if short else lexeme
                cursor.execute(_SQLITE_RANGE_SQL, [low, low[:-1] + chr(ord(low[-1]) + 1)])
                rows = cursor.fetchall()
            found.setdefault(n, []).extend(rows)
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
