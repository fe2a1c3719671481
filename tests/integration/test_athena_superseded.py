"""`loaders superseded`: old Athena Hive prefixes listed, and deleted only when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.conformance_rows import conversions
from tests.integration.test_athena import (
    DAY,
    glue_clean,
    lake_of,
    project,
    read_hive,
)  # glue_clean and project are fixtures

__all__ = ["glue_clean", "project"]


def cli(config: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "loaders", *args, "--config", str(config)],
        capture_output=True, text=True, env=dict(os.environ), timeout=120, cwd=config.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done


def test_superseded_prefixes_are_listed_then_deleted_only_with_delete(project: Path) -> None:
    lake = lake_of(project)
    part = {"dt": DAY, "hour": "01"}
    lake.write(part, "b1", conversions((1, 10)))
    cli(project, "backfill", "--start", DAY, "--end", DAY, "--json")
    lake.write(part, "b1", conversions((1, 20)), version="-v2")  # rewritten: a new prefix replaces the old
    cli(project, "backfill", "--start", DAY, "--end", DAY, "--json")

    status = cli(project, "status")
    assert "sink ath: 1 superseded prefix(es); see `loaders superseded`" in status.stderr
    [kept] = cli(project, "superseded", "--json")["superseded"]
    assert (kept["sink"], kept["partition"], kept["action"]) == ("ath", f"dt={DAY}/hour=01", "in grace period")
    [due] = cli(project, "superseded", "--older-than", "0h", "--json")["superseded"]
    assert due["action"] == "due" and due["location"] == kept["location"]

    bucket, _, prefix = kept["location"].removeprefix("s3://").partition("/")
    s3 = lake.store.client  # type: ignore[attr-defined]
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) > 0  # listing deleted nothing
    [deleted] = cli(project, "superseded", "--older-than", "0h", "--delete", "--json")["superseded"]
    assert deleted["action"] == "deleted"
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert cli(project, "superseded", "--json")["superseded"] == []
    glue = boto3.client("glue", endpoint_url=lake.store.endpoint_url)  # type: ignore[attr-defined]
    current = read_hive(glue, s3, "SELECT conversion_id, event_ts FROM raw.conversions")
    assert current == [(1, 20)]  # what readers see is untouched
