"""What both Athena sinks read from ``sinks.<name>`` (AthenaSettings), the boto3 clients
they make from it (AwsClients), and the pyathena cursor the Iceberg sink runs its
statements on (AthenaConnection). boto3 and pyathena are imported on first use."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from manifests.aws_errors import client_failure
from manifests.store import ObjectStore
from sinks import import_driver
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


class AthenaConnection:
    """The DB-API cursor the Iceberg sink's statements run on: opened with pyathena on
    first use, with the URL's or the options' ``s3_staging_dir`` and ``work_group``."""

    def __init__(self, name: str, settings: AthenaSettings, options: AthenaOptions) -> None:
        self.name = name
        self.arguments = {
            "s3_staging_dir": options.s3_staging_dir or settings.query.get("s3_staging_dir"),
            "work_group": options.work_group or settings.query.get("work_group"),
            "region_name": settings.region,
            "schema_name": settings.database,
        }
        #: the cursor, once open (tests put their own here)
        self.cursor: Any = None
        self._lock = threading.Lock()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql``; its rows (none for a statement that returns none)."""
        with self._lock:
            if self.cursor is None:
                self.cursor = import_driver(self.name, "athena").connect(**self.arguments).cursor()
            cursor = self.cursor
        cursor.execute(sql)
        return [tuple(r) for r in cursor.fetchall()] if cursor.description else []

    def close(self) -> None:
        with self._lock:
            cursor, self.cursor = self.cursor, None
        if cursor is not None:
            with contextlib.suppress(Exception):
                cursor.close()
