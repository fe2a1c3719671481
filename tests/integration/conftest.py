"""Shared fixtures for the integration tests: a real moto S3 server over HTTP.

moto's ``ThreadedMotoServer`` binds its socket before ``start()`` returns (it waits on
an event set right after ``make_server``), so no polling or sleeping is needed. Fake
credentials and a region are set for the whole session, and every way the AWS SDKs
could reach for real ones (profiles, config files, the EC2 metadata service) is shut
off, so the tests run offline and can never touch a real account.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

#: what every AWS client in these tests sees; nothing real, nothing looked up.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
#: would point clients at a real account or another endpoint; tests set them explicitly.
CLEARED_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Fake credentials and region for the session; restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        for name in CLEARED_AWS_ENV:
            mp.delenv(name, raising=False)
        for name, value in FAKE_AWS_ENV.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def moto_server(aws_env: None) -> Iterator[str]:
    """moto's real HTTP server on a free local port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the socket listens
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_server: str) -> tuple[str, str]:
    """A fresh, uniquely named bucket on the moto server: (endpoint, bucket)."""
    import boto3

    bucket = f"loaders-test-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=moto_server).create_bucket(Bucket=bucket)
    return moto_server, bucket


@pytest.fixture
def no_aws_credentials(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """No AWS credentials anywhere botocore looks: none in the environment, empty shared
    credentials and config files, the metadata service still off (nothing leaves the
    machine). Returns moto's endpoint."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", *CLEARED_AWS_ENV):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        empty = tmp_path / name.lower()
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it keeps the credentials it found first
    return moto_server
