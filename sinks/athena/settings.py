"""What both Athena sinks read from ``sinks.<name>`` (AthenaSettings) and the boto3
clients they make from it (AwsClients). boto3 is imported when the first client is made."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from manifests.aws_errors import client_failure
from manifests.store import ObjectStore
from sinks.options import AthenaOptions


@dataclass(frozen=True)
class AthenaSettings:
    """The options both Athena sinks read from ``sinks.<name>``."""

    location: str
    database: str
    region: str | None
    endpoint_url: str | None
    state_prefix: str
    lease: timedelta
    batch_rows: int
    #: the url's query string (the Iceberg sink reads ``s3_staging_dir`` and ``work_group`` there)
    query: Mapping[str, str]

    @classmethod
    def read(cls, options: AthenaOptions, store: ObjectStore) -> AthenaSettings:
        """The settings of checked options (sinks/options.py), with the defaults that
        depend on the URL and the store worked out."""
        location = options.location.rstrip("/") + "/"
        url = urlsplit(options.url or "")
        host = url.hostname or ""
        return cls(
            location=location,
            database=(options.database or url.path.strip("/") or "default").lower(),
            region=options.region or (host.split(".")[1] if host.startswith("athena.") else None),
            endpoint_url=options.endpoint_url or getattr(store, "endpoint_url", None),
            state_prefix=options.state_prefix or f"{location}_loaders/state/",
            lease=timedelta(seconds=options.lease_seconds),
            batch_rows=options.batch_rows,
            query={k: v[-1] for k, v in parse_qs(url.query).items()},
        )


#: The AWS services the Athena sinks talk to.
AwsService = Literal["s3", "glue"]


class AwsClients:
    """One boto3 client per service, made on first use. Backfill runs a sink's loads in
    threads, and creating clients from boto3's default session concurrently is not
    thread-safe; using one client is."""

    def __init__(self, settings: AthenaSettings) -> None:
        self.region, self.endpoint_url = settings.region, settings.endpoint_url
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, service: AwsService) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3

                try:
                    self._clients[service] = boto3.client(
                        service, endpoint_url=self.endpoint_url, region_name=self.region
                    )
                except Exception as exc:
                    raise client_failure(exc, f"{service} client") from exc
            return self._clients[service]

    def clear(self) -> None:
        with self._lock:
            self._clients.clear()
