"""ETags and conditional requests.

Every detail response carries ``ETag: "<version>"``, the version the domain services bump on each change
(a company's also on each change of its products, markets and figures). ``If-None-Match`` on a GET answers
304 when nothing changed; ``If-Match`` on PUT, PATCH and DELETE makes the service refuse the write with 412
when the record changed meanwhile, so no edit is silently lost.
"""

import re

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

# A version has at most 18 digits: a longer "number" is no ETag of this API (and int() of thousands of digits
# raises).
_ENTITY_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
# For answers that differ by who asks (sensitive fields, unverified figures): caches keep one per caller.
VARY_BY_CALLER = "Accept, Authorization, Cookie"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since you read it: read it again (GET) and retry with its new ETag."
    default_code = "precondition_failed"


def etag(obj) -> str:
    return f'"{obj.version}"'


class ConditionalRequestsMixin:
    def with_etag(self, response: Response, obj) -> Response:
        if not hasattr(obj, "version"):
            return response  # reference data (categories, provinces, standards) is not versioned
        response["ETag"] = etag(obj)
        # The same URL answers differently to representatives and officers (sensitive fields).
        response["Vary"] = VARY_BY_CALLER
        return response

    def conditional_retrieve(self, obj) -> Response:
        if_none_match = self.request.headers.get("If-None-Match")
        if if_none_match is not None and hasattr(obj, "version"):
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            if "*" in tags or etag(obj) in tags:
                return self.with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), obj)
        return self.with_etag(Response(self.get_serializer(obj).data), obj)

    def expected_version(self, obj) -> int | None:
        """The version ``If-Match`` expects ``obj`` to have (the service refuses the write with 412 if the
        record is at another one by the time it is locked); None when the header is absent or ``*``. Of
        several ETags, the one that is current counts; a header that names no ETag of this API cannot match."""
        if_match = self.request.headers.get("If-Match")
        if if_match is None or if_match.strip() == "*":
            return None
        versions = []
        for tag in if_match.split(","):
            match = _ENTITY_TAG.match(tag)
            if match is None:
                raise PreconditionFailed('If-Match must list ETags of this API, such as "3".')
            versions.append(int(match.group(1)))
        return obj.version if obj.version in versions else versions[0]
