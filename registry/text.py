"""Text folding for search: the one function used on both the stored side and the query side."""

import re
import unicodedata

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Zero-width and other format characters (ZWSP, ZWNJ, ZWJ, BOM, soft hyphen) carry no letters; also dropped
# from stored one-line text (registry.plain_text).
INVISIBLE_CHARACTERS = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Fold text for accent- and case-insensitive Vietnamese search.

    Lower case; NFC and NFD input give the same result; combining marks are dropped
    (``ế`` → ``e``); ``đ``/``Đ`` become ``d``, which Unicode decomposition alone does not do;
    runs of white space become one space.

    >>> fold("Phần mềm Kế toán")
    'phan mem ke toan'
    >>> fold("Đà Nẵng")
    'da nang'
    """
    if not text:
        return ""
    text = INVISIBLE_CHARACTERS.sub("", text)
    # NFKC first: full-width and other compatibility forms become plain letters and digits.
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    # ð (U+00F0, from Ð) is a frequent mis-encoding of đ.
    text = _COMBINING.sub("", text).replace("đ", "d").replace("ð", "d")
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def fold_join(*parts: str | None) -> str:
    """Fold several texts into one searchable string. Parts are separated by a newline, which ``fold``
    turns into a space in any query, so a query can neither match the separator nor span two parts."""
    return "\n".join(folded for folded in (fold(part) for part in parts) if folded)


def search_terms(query: str | None) -> list[str]:
    """The folded, de-duplicated words of a search query, in order."""
    seen: dict[str, None] = {}
    for word in fold(query).split(" "):
        if word:
            seen.setdefault(word, None)
    return list(seen)
