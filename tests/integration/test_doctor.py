"""``loaders doctor`` against real stand-ins: DuckDB and PostgreSQL sinks, a moto S3
server as the store. One all-✓ run, and one ✗ for each thing that can be wrong: an
unreachable sink, a missing or empty store, a manifest that does not parse, a
configuration that does not read."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from loaders.cli import main
from manifests.store import S3Store
from tests.integration.test_postgres_sink import Server, fixture_pg, fixture_pg_server  # noqa: F401
from tests.lake import Lake

PATTERN = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"
ROWS = [{"conversion_id": 1, "event_ts": "2024-01-01T00:00:00"}]


def write_config(tmp_path: Path, endpoint: str, bucket: str, pg_url: str) -> Path:
    path = tmp_path / "loaders.toml"
    path.write_text(
        f"""
[store]
root = "s3://{bucket}/"
endpoint_url = "{endpoint}"

[sinks.duck]
type = "duckdb"
url = "duckdb:///warehouse.duckdb"

[sinks.pg]
type = "postgres"
url = "{pg_url}"

[datasets."ad_server.conversion"]
table = "raw.conversions"
format = "parquet"
manifests = "{PATTERN}"
partition = ["dt", "hour"]
strategy = "replace"
"""
    )
    return path


def doctor(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["doctor", "--config", str(path), "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def failed(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in doc["checks"] if not c["ok"]}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lake(endpoint: str, bucket: str) -> Lake:
    return Lake(Path("unused"), store=S3Store(f"s3://{bucket}/", endpoint))


def test_all_pass(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    lake(endpoint, bucket).write({"dt": "2024-01-01", "hour": "00"}, "b1", ROWS)
    path = write_config(tmp_path, endpoint, bucket, pg.url)
    code, doc = doctor(path)
    assert code == 0, doc
    assert doc["ok"] is True
    names = [c["check"] for c in doc["checks"]]
    assert names == ["config", "allowed_prefixes", "store", "dataset ad_server.conversion", "sink duck", "sink pg"]
    text = CliRunner().invoke(main, ["doctor", "--config", str(path)]).stdout
    assert text.count("✓") == 6 and "✗" not in text


def test_no_manifest_yet_passes(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    lake(endpoint, bucket).store.write(f"s3://{bucket}/other/readme.txt", b"x")
    code, doc = doctor(write_config(tmp_path, endpoint, bucket, pg.url), "--sink", "duck")
    assert code == 0, doc
    conv = next(c for c in doc["checks"] if c["check"] == "dataset ad_server.conversion")
    assert "no manifest yet" in conv["detail"]


def test_unreachable_sink(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    lake(endpoint, bucket).write({"dt": "2024-01-01", "hour": "00"}, "b1", ROWS)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nowhere"
    code, doc = doctor(write_config(tmp_path, endpoint, bucket, url))
    assert code == 1
    assert set(failed(doc)) == {"sink pg"}
    assert failed(doc)["sink pg"]["fix"]
    text = CliRunner().invoke(main, ["doctor", "--config", str(write_config(tmp_path, endpoint, bucket, url))]).stdout
    assert "✗ sink pg:" in text and "fix:" in text


def test_empty_bucket(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    code, doc = doctor(write_config(tmp_path, endpoint, bucket, pg.url))
    assert code == 1
    assert "empty or missing" in failed(doc)["store"]["detail"]


def test_missing_bucket(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, _bucket = s3_bucket
    code, doc = doctor(write_config(tmp_path, endpoint, "no-such-bucket-here", pg.url))
    assert code == 1
    assert "store" in failed(doc)


def test_manifest_does_not_parse(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    lake(endpoint, bucket).write_manifest("manifests/ad_server/conversion/dt=2024-01-01/hour=00/b1.json", "{not json")
    code, doc = doctor(write_config(tmp_path, endpoint, bucket, pg.url))
    assert code == 1
    assert set(failed(doc)) == {"dataset ad_server.conversion"}
    assert "b1.json" in failed(doc)["dataset ad_server.conversion"]["detail"]


def test_allowed_prefixes_outside_root(tmp_path: Path, s3_bucket: tuple[str, str], pg: Server) -> None:
    endpoint, bucket = s3_bucket
    lake(endpoint, bucket).write({"dt": "2024-01-01", "hour": "00"}, "b1", ROWS)
    path = write_config(tmp_path, endpoint, bucket, pg.url)
    path.write_text(path.read_text().replace("[sinks.duck]", 'allowed_prefixes = ["s3://elsewhere/"]\n\n[sinks.duck]'))
    code, doc = doctor(path, "--sink", "duck")
    assert code == 1
    assert "allowed_prefixes" in failed(doc)


def test_config_does_not_read(tmp_path: Path) -> None:
    path = tmp_path / "loaders.toml"
    path.write_text("[store\n")
    code, doc = doctor(path)
    assert code == 2
    assert doc["ok"] is False and doc["checks"][0]["check"] == "config"
