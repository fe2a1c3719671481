"""How the Iceberg sink's failed statements are sorted: an Athena API error as the AWS
table (manifests/aws_errors.py) sorts it, a failed query by the error name its reason
starts with (:data:`ATHENA_QUERY_ERRORS`), anything else terminal."""

from __future__ import annotations

import re

from manifests import LoaderError, TerminalError, TransientError
from manifests.aws_errors import aws_failure, aws_rule

#: Athena's error names (what a failed query's reason starts with, "NAME: …") worth a
#: retry; any other failed query is terminal. The API's own errors (throttling:
#: TooManyRequestsException) arrive as botocore's, sorted by the AWS table.
ATHENA_QUERY_ERRORS: dict[str, tuple[type[LoaderError], str]] = {
    "ICEBERG_COMMIT_ERROR": (TransientError, "a concurrent Iceberg commit won"),
    "TOO_MANY_REQUESTS": (TransientError, "Athena is throttling"),
    "GENERIC_INTERNAL_ERROR": (TerminalError, "failed"),
}
_ERROR_NAME = re.compile(r"([A-Z][A-Z0-9_]+):")


def statement_error(exc: Exception, where: str) -> LoaderError:
    """``exc``, raised running a statement (pyathena raises an API call's failure from
    botocore's error), as the loader error its kind is; ``where`` names the sink and step."""
    if aws_rule(exc) is not None:
        return aws_failure(exc, where)
    text = str(exc)
    named = _ERROR_NAME.match(text)
    kind, why = ATHENA_QUERY_ERRORS.get(named[1] if named else "", (TerminalError, "failed"))
    return kind(f"{where}: {why}: {text}")
