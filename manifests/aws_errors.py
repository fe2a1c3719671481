"""Every AWS SDK error sorted once: transient (retrying can help) or terminal.

One table for every boto3 call loaders makes (the S3 store, the Athena sinks' S3, Glue and
Athena calls, the SQS dead-letter queue, the SNS fan-out), keyed by the AWS error code of
a ``ClientError`` (``response["Error"]["Code"]``) or, for an error raised before AWS
answered, by the botocore exception's class name. The rule:

* ``ConfigError``: who this process is, where it runs or what it names must change first:
  no or bad credentials, no region, access refused, a bucket, queue or topic that does not
  exist. In Lambda these are dead-lettered and redriven once the role or the configuration
  is fixed; on the command line they exit with status 2.
* ``TransientError``: throttling, timeouts, the network, AWS's own 5xx, and expired
  temporary credentials (Lambda and every SDK credential provider refresh those: the
  retry signs with new ones).
* ``TerminalError``: AWS refused the request itself (invalid input): the same request
  would be refused again.

An error code the table does not list is decided by its HTTP status (5xx and 429:
transient; any other 4xx: terminal); an unlisted botocore error raised before any answer
is transient, as is an exception that is no AWS error at all (a socket error surfacing
raw). Callers keep their own meaning of a code before asking the table: the store's
``NoSuchKey`` is a missing file, Glue's ``EntityNotFoundException`` an absent table.

Nothing here imports botocore (``import loaders.aws`` stays cheap, and manifests imports
nothing of ours): errors are recognised by their module and class names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from manifests.errors import ConfigError, LoaderError, TerminalError, TransientError

#: what an AWS failure is, and why, for the message
Rule = tuple[type[LoaderError], str]

_CREDENTIALS = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with an IAM role"
_DENIED = "AWS refused this identity: grant the role or user this action on the resource"
_THROTTLED = "AWS is throttling requests"
_UNAVAILABLE = "AWS had an internal error or was unavailable"
_NETWORK = "AWS could not be reached"

#: error code (ClientError) or botocore class name (raised before any answer) → rule
AWS_ERRORS: Mapping[str, Rule] = {
    # -- this process's environment: credentials, region, profile --------------------------
    "NoCredentialsError": (ConfigError, f"no AWS credentials: {_CREDENTIALS}"),
    "PartialCredentialsError": (ConfigError, f"incomplete AWS credentials: {_CREDENTIALS}"),
    "NoRegionError": (ConfigError, "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)"),
    "InvalidRegionError": (ConfigError, "the AWS region is not a valid region name"),
    "ProfileNotFound": (ConfigError, "AWS_PROFILE names a profile the AWS config files do not have"),
    "ConfigNotFound": (ConfigError, "the AWS config file named by AWS_CONFIG_FILE does not exist"),
    "InvalidConfigError": (ConfigError, "the AWS configuration is invalid"),
    # -- who we are, and what we may do --------------------------------------------------------
    "AccessDenied": (ConfigError, _DENIED),
    "AccessDeniedException": (ConfigError, _DENIED),
    "AuthorizationError": (ConfigError, _DENIED),  # SNS
    "403": (ConfigError, _DENIED),  # a HEAD request's answer has no body, only the status
    "AllAccessDisabled": (ConfigError, "all access to this S3 resource has been disabled"),
    "InvalidAccessKeyId": (ConfigError, "the AWS access key id does not exist"),
    "SignatureDoesNotMatch": (ConfigError, "the AWS secret access key does not match the access key id"),
    "UnrecognizedClientException": (ConfigError, "the AWS access key or session token is not valid"),
    "InvalidClientTokenId": (ConfigError, "the AWS access key or session token is not valid"),
    "InvalidToken": (ConfigError, "the AWS session token is malformed"),
    "KMSAccessDenied": (ConfigError, "the KMS key refuses this identity"),  # SNS, SQS
    "KMS.AccessDeniedException": (ConfigError, "the KMS key refuses this identity"),
    "KMSDisabled": (ConfigError, "the KMS key is disabled"),
    # -- names the configuration gives that do not exist ---------------------------------------
    "NoSuchBucket": (ConfigError, "the bucket does not exist"),
    "InvalidBucketName": (ConfigError, "not a valid bucket name"),
    "AWS.SimpleQueueService.NonExistentQueue": (ConfigError, "the SQS queue does not exist"),
    "QueueDoesNotExist": (ConfigError, "the SQS queue does not exist"),
    "NotFound": (ConfigError, "the named resource (an SNS topic) does not exist"),  # S3's is the store's
    "NotFoundException": (ConfigError, "the named resource (an SNS topic) does not exist"),
    # -- expired temporary credentials: the provider refreshes them; the retry signs anew ------
    "ExpiredToken": (TransientError, "the temporary AWS credentials expired (they are refreshed on retry)"),
    "ExpiredTokenException": (TransientError, "the temporary AWS credentials expired (they are refreshed on retry)"),
    "RequestExpired": (TransientError, "the request expired before AWS received it"),
    "RequestTimeTooSkewed": (TransientError, "the clock is off from AWS's (botocore corrects the skew on retry)"),
    "CredentialRetrievalError": (TransientError, "the credential provider did not answer"),
    # -- throttling -----------------------------------------------------------------------
    "Throttling": (TransientError, _THROTTLED),
    "ThrottlingException": (TransientError, _THROTTLED),
    "Throttled": (TransientError, _THROTTLED),  # SNS
    "ThrottledException": (TransientError, _THROTTLED),
    "RequestThrottled": (TransientError, _THROTTLED),
    "RequestThrottledException": (TransientError, _THROTTLED),
    "TooManyRequestsException": (TransientError, _THROTTLED),  # Athena
    "RequestLimitExceeded": (TransientError, _THROTTLED),
    "SlowDown": (TransientError, _THROTTLED),  # S3
    "BandwidthLimitExceeded": (TransientError, _THROTTLED),
    "PriorRequestNotComplete": (TransientError, _THROTTLED),
    "ProvisionedThroughputExceededException": (TransientError, _THROTTLED),
    # -- AWS's own trouble, and conflicts that pass --------------------------------------------
    "InternalError": (TransientError, _UNAVAILABLE),
    "InternalFailure": (TransientError, _UNAVAILABLE),
    "InternalServerError": (TransientError, _UNAVAILABLE),
    "InternalServerException": (TransientError, _UNAVAILABLE),  # Athena
    "InternalServiceException": (TransientError, _UNAVAILABLE),  # Glue
    "ServiceUnavailable": (TransientError, _UNAVAILABLE),
    "ServiceUnavailableException": (TransientError, _UNAVAILABLE),
    "RequestTimeout": (TransientError, "AWS timed out reading the request"),
    "RequestTimeoutException": (TransientError, "AWS timed out reading the request"),
    "OperationTimeoutException": (TransientError, "the operation timed out"),  # Glue
    "OperationAborted": (TransientError, "a conflicting operation on the resource is in progress"),  # S3
    "ConcurrentModificationException": (TransientError, "another writer changed the resource meanwhile"),
    "500": (TransientError, _UNAVAILABLE),
    "502": (TransientError, _UNAVAILABLE),
    "503": (TransientError, _UNAVAILABLE),
    "504": (TransientError, _UNAVAILABLE),
    # -- the network, before any answer (botocore classes) -----------------------------------
    "EndpointConnectionError": (TransientError, _NETWORK),
    "ConnectTimeoutError": (TransientError, _NETWORK),
    "ReadTimeoutError": (TransientError, "AWS did not answer in time"),
    "ConnectionClosedError": (TransientError, "the connection to AWS closed"),
    "ProxyConnectionError": (TransientError, "the proxy to AWS could not be reached"),
    "HTTPClientError": (TransientError, _NETWORK),
    "ResponseStreamingError": (TransientError, "the answer from AWS broke off"),
    "IncompleteReadError": (TransientError, "the answer from AWS broke off"),
    "ConnectionError": (TransientError, _NETWORK),
    # -- the request itself ---------------------------------------------------------------
    "ParamValidationError": (TerminalError, "the request does not fit the AWS API (a bug)"),
    "InvalidInputException": (TerminalError, "AWS refused the request as invalid"),  # Glue
    "ValidationException": (TerminalError, "AWS refused the request as invalid"),
    "InvalidParameter": (TerminalError, "AWS refused a parameter"),  # SNS
    "InvalidParameterValue": (TerminalError, "AWS refused a parameter"),  # SQS
    "InvalidRequestException": (TerminalError, "AWS refused the request as invalid"),  # Athena
}
#: the packages of the AWS SDK for Python, whose exceptions the table reads
_AWS_PACKAGES = ("botocore", "boto3", "s3transfer")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ('' for any other exception)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def aws_rule(exc: BaseException) -> tuple[Rule, str, str] | None:
    """The rule for the first AWS SDK error in ``exc``'s chain (itself, then what it was
    raised from: pyathena and boto3's upload wrap the botocore error), with its code and
    AWS's own message; None when no AWS error is in the chain."""
    for error in _chain(exc):
        if type(error).__module__.split(".")[0] not in _AWS_PACKAGES:
            continue
        code = error_code(error)
        if code:
            return code_rule(code, _status(error)), code, _aws_message(error)
        for cls in type(error).__mro__:
            if cls.__name__ in AWS_ERRORS:
                return AWS_ERRORS[cls.__name__], type(error).__name__, str(error)
    return None


def code_rule(code: str, status: int | None = None, *, sender_fault: bool | None = None) -> Rule:
    """The rule for an AWS error code, also one a batch API reports per entry (SNS
    PublishBatch, S3 DeleteObjects); an unlisted code by its HTTP status or, in a batch,
    by whether AWS blames the sender."""
    if code in AWS_ERRORS:
        return AWS_ERRORS[code]
    if status is not None and (status >= 500 or status == 429):
        return TransientError, "AWS answered with a server error"
    if (status is not None and 400 <= status < 500) or sender_fault:
        return TerminalError, "AWS refused the request"
    return TransientError, "AWS answered with an error"


def aws_failure(exc: BaseException, doing: str, **where: Any) -> LoaderError:
    """The error a failed AWS call raises: ``doing`` (what was attempted, naming the
    resource), why, and AWS's code and message. ``where`` names the manifest or file."""
    found = aws_rule(exc)
    if found is None:  # not AWS's: a socket error surfacing raw, retried as before
        return TransientError(f"{doing}: {type(exc).__name__}: {exc}", **where)
    (kind, why), code, detail = found
    return kind(f"{doing}: {why} ({code}: {detail})", **where)


@contextlib.contextmanager
def aws_calls(doing: str, **where: Any) -> Iterator[None]:
    """AWS calls whose failure raises as the table sorts it; any other exception (a
    LoaderError, a file pyarrow cannot read) passes as it is."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, LoaderError) or aws_rule(exc) is None:
            raise
        raise aws_failure(exc, doing, **where) from exc


def client_failure(exc: BaseException, doing: str) -> LoaderError:
    """The error making a boto3 client raises: creating one reads only the environment and
    the configuration (region, profile, endpoint URL), so whatever is not an AWS error
    in the table (a ValueError: an endpoint URL that does not parse) is a ConfigError."""
    if aws_rule(exc) is not None:
        return aws_failure(exc, doing)
    return ConfigError(f"{doing}: cannot make an AWS client: {type(exc).__name__}: {exc}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(response, dict) else None
    return int(status) if isinstance(status, int) else None


def _aws_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    message = response.get("Error", {}).get("Message") if isinstance(response, dict) else None
    return str(message) if message else str(exc)
