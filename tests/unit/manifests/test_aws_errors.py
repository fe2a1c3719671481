"""The AWS error table: every row, on errors built as botocore builds them."""

from __future__ import annotations

import subprocess
import sys

import botocore.exceptions as bx
import pytest

from manifests import ConfigError, LoaderError, TerminalError, TransientError
from manifests.aws_errors import AWS_ERRORS, aws_calls, aws_failure, aws_rule, client_failure, code_rule


def client_error(code: str, status: int | None = None, message: str = "the service's words") -> bx.ClientError:
    response: dict[str, object] = {"Error": {"Code": code, "Message": message}}
    if status is not None:
        response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return bx.ClientError(response, "SomeOperation")  # type: ignore[arg-type]


#: how botocore raises each of its classes in the table (the others are ClientError codes)
RAISED = {
    "NoCredentialsError": lambda: bx.NoCredentialsError(),
    "PartialCredentialsError": lambda: bx.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
    "NoRegionError": lambda: bx.NoRegionError(),
    "InvalidRegionError": lambda: bx.InvalidRegionError(region_name="not a region"),
    "ProfileNotFound": lambda: bx.ProfileNotFound(profile="nope"),
    "ConfigNotFound": lambda: bx.ConfigNotFound(path="/nowhere"),
    "InvalidConfigError": lambda: bx.InvalidConfigError(error_msg="bad"),
    "CredentialRetrievalError": lambda: bx.CredentialRetrievalError(provider="container-role", error_msg="timeout"),
    "EndpointConnectionError": lambda: bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    "ConnectTimeoutError": lambda: bx.ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
    "ReadTimeoutError": lambda: bx.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    "ConnectionClosedError": lambda: bx.ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
    "ProxyConnectionError": lambda: bx.ProxyConnectionError(proxy_url="http://proxy"),
    "HTTPClientError": lambda: bx.HTTPClientError(error="reset"),
    "ResponseStreamingError": lambda: bx.ResponseStreamingError(error="reset"),
    "IncompleteReadError": lambda: bx.IncompleteReadError(actual_bytes=1, expected_bytes=2),
    "ConnectionError": lambda: bx.ConnectionError(error="reset"),
    "ParamValidationError": lambda: bx.ParamValidationError(report="Bucket: missing"),
}


@pytest.mark.parametrize("key", sorted(AWS_ERRORS))
def test_every_row_sorts_its_error(key: str) -> None:
    """Each row, raised the way AWS raises it: a botocore class, or a ClientError code."""
    exc = RAISED[key]() if key in RAISED else client_error(key)
    kind, why = AWS_ERRORS[key]
    failure = aws_failure(exc, "doing it")
    assert type(failure) is kind
    assert failure.transient is (kind is TransientError)
    assert str(failure).startswith(f"doing it: {why} ({key}: ")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (bx.NoCredentialsError(), ConfigError),
        (bx.NoRegionError(), ConfigError),
        (client_error("AccessDenied", 403), ConfigError),
        (client_error("NoSuchBucket", 404), ConfigError),
        (client_error("AWS.SimpleQueueService.NonExistentQueue", 400), ConfigError),
        (client_error("InvalidAccessKeyId", 403), ConfigError),
        (client_error("ExpiredToken", 400), TransientError),  # Lambda refreshes its credentials
        (client_error("SlowDown", 503), TransientError),
        (client_error("ThrottlingException", 400), TransientError),
        (bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), TransientError),
        (bx.ReadTimeoutError(endpoint_url="http://x"), TransientError),
        (client_error("ValidationException", 400), TerminalError),
    ],
)
def test_a_handful_of_rows_by_their_literal_class(exc: Exception, expected: type[LoaderError]) -> None:
    assert type(aws_failure(exc, "x")) is expected


def test_missing_credentials_are_named() -> None:
    failure = aws_failure(bx.NoCredentialsError(), "the object store", file="s3://lake/m.json")
    assert isinstance(failure, ConfigError) and failure.file == "s3://lake/m.json"
    assert "no AWS credentials" in str(failure) and "AWS_ACCESS_KEY_ID" in str(failure)
    assert "NoCredentialsError: Unable to locate credentials" in str(failure)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, TransientError), (503, TransientError), (429, TransientError), (400, TerminalError), (404, TerminalError)],
)
def test_an_unlisted_code_is_decided_by_its_http_status(status: int, expected: type[LoaderError]) -> None:
    assert type(aws_failure(client_error("SomethingNew", status), "x")) is expected


def test_a_batch_entrys_code_is_decided_by_the_sender_fault() -> None:
    assert code_rule("Throttled")[0] is TransientError
    assert code_rule("SomethingNew", sender_fault=True)[0] is TerminalError
    assert code_rule("SomethingNew", sender_fault=False)[0] is TransientError


def test_the_error_is_found_where_a_wrapper_raised_it_from() -> None:
    class OperationalError(Exception):  # as pyathena raises it: OperationalError(*e.args) from e
        pass

    try:
        try:
            raise client_error("AccessDeniedException", 400)
        except bx.ClientError as inner:
            raise OperationalError(*inner.args) from inner
    except OperationalError as outer:
        assert aws_rule(outer) is not None
        assert isinstance(aws_failure(outer, "x"), ConfigError)
    assert aws_rule(ValueError("not AWS's")) is None
    assert type(aws_failure(OSError("reset"), "x")) is TransientError  # as before: retried


def test_aws_calls_sorts_aws_errors_and_lets_others_through() -> None:
    with pytest.raises(ConfigError, match="copying: the bucket does not exist"), aws_calls("copying"):
        raise client_error("NoSuchBucket", 404)
    with pytest.raises(ValueError, match="a parquet file that is not"), aws_calls("reading"):
        raise ValueError("a parquet file that is not")
    with pytest.raises(TransientError, match=r"^mine$"), aws_calls("loading"):
        raise TransientError("mine")


def test_making_a_client_with_an_endpoint_that_does_not_parse_is_a_config_error() -> None:
    import boto3

    with pytest.raises(ValueError) as caught:
        boto3.client("s3", endpoint_url="not a url", region_name="us-east-1")
    assert type(client_failure(caught.value, "the object store")) is ConfigError
    assert type(client_failure(bx.NoRegionError(), "the queue")) is ConfigError


def test_importing_the_table_imports_no_aws_sdk() -> None:
    code = "import sys, manifests.aws_errors; print(any(m.split('.')[0] in ('botocore', 'boto3') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
