"""The form in which text people type is stored, and the characters refused in it.

Every text field a person fills in (names, addresses, titles, notes, descriptions) passes ``stored_text``
when its model is validated (``TimeStampedModel.clean_fields``), however it arrives: the API, the admin or
the seed loader. What is done, and why:

* Unicode NFC. Vietnamese can be written composed (“ế” one character) or decomposed (“e” and two combining
  marks, as text copied from some PDFs and macOS applications is). Stored composed, one name is one string:
  it compares, counts its length and finds its duplicate as the same name. (Search folds both forms alike
  anyway: ``registry.text.fold``.)
* In one-line text (a ``CharField``): zero-width and other invisible format characters are dropped, and the
  white space around the text trimmed. They arrive by copying from web pages and PDFs, show nothing, and
  would make two names that look the same different strings.

Refused, with a message naming the character (the text is stored as written otherwise; HTML is text like
any other and is escaped wherever it is shown, never removed here):

* control characters (C0, DEL, C1), but tab, line feed and carriage return in multi-line text (a
  ``TextField``): they show nothing or break the lines of lists, logs and CSV files, and PostgreSQL cannot
  even store NUL;
* lone surrogates, which are halves of a UTF-16 pair, not characters (UTF-8 cannot encode them);
* in one-line text, direction overrides and isolates (U+202A-U+202E, U+2066-U+2069): they display the
  text in an order other than it is stored, so that one name can read as another;
* in one-line text, a word that mixes Latin with Cyrillic or Greek letters. Cyrillic “а”, “о”, “М”, “І” and
  Greek “ο”, “Α” look like Latin letters, and mixing them inside a word is how a name is made to look like
  another company's (browsers refuse such internationalised domain names for the same reason). A word
  wholly in one alphabet is fine (a Russian partner's name, “β” on its own), and so is any other script.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from .text import INVISIBLE_CHARACTERS

MULTILINE_CONTROLS = frozenset("\t\n\r")
DIRECTION_CONTROL_CHARACTERS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LOOK_ALIKE_ALPHABETS = ("LATIN", "CYRILLIC", "GREEK")
_WORD = re.compile(r"\w+")


def stored_text(value: str, *, multiline: bool = False) -> str:
    """``value`` in the form it is stored in; ``ValidationError`` naming what cannot be stored."""
    problems = []
    surrogate = next((character for character in value if unicodedata.category(character) == "Cs"), None)
    if surrogate is not None:
        problems.append(f"{_code(surrogate)} is half of a UTF-16 surrogate pair, not a character: send valid UTF-8.")
        value = "".join(character for character in value if unicodedata.category(character) != "Cs")
    text = unicodedata.normalize("NFC", value)
    if not multiline:
        text = INVISIBLE_CHARACTERS.sub("", text).strip()
    control = next((character for character in text if _is_refused_control(character, multiline)), None)
    if control is not None:
        if control in MULTILINE_CONTROLS:
            problems.append(f"A line break or tab ({_code(control)}) has no place in a one-line field.")
        else:
            problems.append(f"Remove the control character {_code(control)}: it is not text.")
    if not multiline:
        direction = DIRECTION_CONTROL_CHARACTERS.search(text)
        if direction is not None:
            problems.append(
                f"Remove the direction control {_code(direction.group())}: it makes the text display in another "
                "order than it is written."
            )
        problems.extend(
            f"The word “{word}” mixes {' and '.join(alphabets)} letters, which look alike: write each word in one "
            "alphabet."
            for word, alphabets in _mixed_alphabet_words(text)
        )
    if problems:
        raise ValidationError(problems, code="invalid_text")
    return text


def _code(character: str) -> str:
    return f"U+{ord(character):04X}"


def _is_refused_control(character: str, multiline: bool) -> bool:
    if unicodedata.category(character) != "Cc":
        return False
    return not (multiline and character in MULTILINE_CONTROLS)


def _mixed_alphabet_words(text: str):
    for word in dict.fromkeys(_WORD.findall(text)):
        alphabets = {
            name.split(" ", 1)[0]
            for character in word
            if character.isalpha() and (name := unicodedata.name(character, "")).startswith(_LOOK_ALIKE_ALPHABETS)
        }
        if len(alphabets) > 1:
            yield word, [alphabet.title() for alphabet in _LOOK_ALIKE_ALPHABETS if alphabet in alphabets]


def text_fields(model) -> list:
    """The fields of ``model`` whose text ``stored_text`` keeps in its stored form (``TimeStampedModel``): plain
    ``CharField`` and ``TextField``, not choices, codes with their own rules (their subclasses) nor the columns
    the model maintains itself (not editable). Works on a migration's historical models too."""
    return [
        field
        for field in model._meta.concrete_fields
        if type(field) in (models.CharField, models.TextField) and not field.choices and field.editable
    ]


def bring_rows_to_stored_form(model, *, using: str, logger) -> tuple[int, int]:
    """Data migrations: bring the text of rows written before the text rules to its stored form, where
    ``stored_text`` can (NFC; invisible characters and surrounding space dropped from one-line fields). A field
    whose text it refuses (a control character, ...) is left as it is and logged: a person has to decide what
    it should say. Each row is updated on its own, without touching ``updated_at`` or ``version`` (no one
    changed what it says) and in a savepoint, so that a row whose new text a unique constraint refuses is left
    and logged too. Returns (rows changed, fields left as they are)."""
    fields = text_fields(model)
    if not fields:
        return 0, 0
    changed = left = 0
    rows = model._base_manager.using(using).order_by("pk").values_list("pk", *(field.attname for field in fields))
    for pk, *values in rows.iterator(chunk_size=2000):
        changes = {}
        for field, value in zip(fields, values, strict=True):
            if not isinstance(value, str):
                continue
            try:
                text = stored_text(value, multiline=isinstance(field, models.TextField))
            except ValidationError as error:
                left += 1
                logger.warning("%s %s: %s left as it is: %s", model._meta.label, pk, field.name, " ".join(error))
                continue
            if text != value:
                changes[field.attname] = text
        if not changes:
            continue
        try:
            with transaction.atomic(using=using):
                model._base_manager.using(using).filter(pk=pk).update(**changes)
        except IntegrityError as error:
            left += len(changes)
            logger.warning("%s %s: %s left as they are: %s", model._meta.label, pk, ", ".join(changes), error)
            continue
        changed += 1
    if changed or left:
        logger.warning(
            "%s: %d rows' text brought to its stored form; %d fields left as they were (see above)",
            model._meta.label,
            changed,
            left,
        )
    return changed, left
