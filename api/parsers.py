"""The request body parser of the API: JSON, strictly.

DRF's parser already answers 400 to a syntax error, to a body that is not UTF-8, and to NaN and Infinity
(not JSON). This one also refuses, with 400:

* a key given twice in one object. Parsers disagree on which one counts (Python's takes the last, others the
  first), so a proxy or client library that checks a body could see another value than the one the registry
  would write; and a body that says two things is a mistake either way.
* a body nested so deeply that the parser runs out of stack (a 500 before; no body the API takes is nested
  more than three levels).

The body's size is bounded before it is read: ``REQUEST_BODY_MAX_BYTES`` (413 above it).
"""

import codecs
import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant


class RepeatedKeyError(ValueError):
    pass


def object_without_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen, repeated = set(), {}
        for key, _value in pairs:
            if key in seen:
                repeated.setdefault(key, None)
            seen.add(key)
        raise RepeatedKeyError(f"a key is given more than once in one object: {', '.join(repeated)}.")
    return obj


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=strict_constant if self.strict else None,
                object_pairs_hook=object_without_repeated_keys,
            )
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
