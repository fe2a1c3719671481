"""The manifest builder against a moto S3 server: the producer API, the batch state under
duplicates, disorder and racing builders, the limits, and a built manifest loaded.

Event shapes: the S3 notification record is AWS's "Event message structure" (S3 User
Guide, version 2.1, as in Powertools' ``tests/events/s3Event.json``); Firehose's default
S3 keys are ``<prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>``
(Firehose developer guide, "Amazon S3 object name format").
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from loaders.aws.batch import BatchWorker
from loaders.cli import main
from loaders.config import Config, parse_config
from manifests import ConfigError, ManifestError
from manifests.builder import build, write_once
from manifests.store import S3Store

DATASET = "firehose.clicks"
HOUR = "2026/11/29/08"
PARTITION = "yyyy=2026/mm=11/dd=29/hh=08"


def config(bucket: str, endpoint: str, **batch: int) -> Config:
    doc = {
        "store": {"root": f"s3://{bucket}", "endpoint_url": endpoint},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///warehouse.duckdb"}},
        "datasets": {
            DATASET: {
                "table": "clicks",
                "manifests": "manifests/clicks/{yyyy}/{mm}/{dd}/{hh}/{batch}.json",
                "partition": ["yyyy", "mm", "dd", "hh"],
                "data": "firehose/clicks/{yyyy}/{mm}/{dd}/{hh}/*.parquet",
                "batch": batch,
            }
        },
    }
    return parse_config(doc, "loaders.toml", ".", {})


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_403_200.0

    def __call__(self) -> float:
        return self.now


def parquet(store: S3Store, key: str, ids: list[int]) -> str:
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), buf)
    url = f"{store.root}{key}"
    store.write(url, buf.getvalue())
    return url


def firehose_file(store: S3Store, n: int, ids: list[int], hour: str = HOUR) -> str:
    name = f"clicks-stream-1-{hour.replace('/', '-')}-36-{n:02d}-0b1c2d3e-{n:04d}.parquet"
    return parquet(store, f"firehose/clicks/{hour}/{name}", ids)


def s3_event(store: S3Store, urls: list[str]) -> dict[str, Any]:
    """S3's direct invocation of a Lambda: one record per object created."""
    records = []
    for url in urls:
        key = store.key_of(url)
        records.append(
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-29T08:36:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": "172.16.0.1"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},  # noqa: E501
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "builder",
                    "bucket": {"name": store.bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": f"arn:aws:s3:::{store.bucket}"},  # noqa: E501
                    "object": {"key": key, "size": 1, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0055AED6DCD90281E5"},  # noqa: E501
                },
            }
        )
    return {"Records": records}


def sqs_event(store: S3Store, batches: list[list[str]]) -> dict[str, Any]:
    """SQS messages whose bodies are SNS envelopes of S3 notifications."""
    out = []
    for i, urls in enumerate(batches):
        message = json.dumps(s3_event(store, urls))
        body = json.dumps({"Type": "Notification", "MessageId": f"sns-{i}", "Message": message})
        out.append({"messageId": f"q{i}", "receiptHandle": "r", "body": body, "eventSource": "aws:sqs"})
    return {"Records": out}


@pytest.fixture
def store(s3_bucket: tuple[str, str]) -> S3Store:
    endpoint, bucket = s3_bucket
    return S3Store(f"s3://{bucket}", endpoint)


def manifest_of(store: S3Store, url: str) -> dict[str, Any]:
    return json.loads(store.read(url)[0])


def urls_in(store: S3Store, manifest: str) -> list[str]:
    return [e["url"] for e in manifest_of(store, manifest)["entries"]]


# -- the producer API ----------------------------------------------------------------------


def test_build_lists_a_prefix_reads_footers_and_writes_once(store: S3Store) -> None:
    a = parquet(store, "spark/out/part-0.parquet", [1, 2, 3])
    b = parquet(store, "spark/out/part-1.parquet", [4])
    store.write(f"{store.root}spark/out/_SUCCESS", b"")
    doc = build(store, f"{store.root}spark/out/")
    assert [e["url"] for e in doc["entries"]] == [a, b]
    assert [e["meta"]["record_count"] for e in doc["entries"]] == [3, 1]
    assert all(e["mandatory"] and e["meta"]["content_length"] > 0 for e in doc["entries"])
    out = f"{store.root}manifests/spark.json"
    assert write_once(store, out, doc) is True
    assert write_once(store, out, build(store, [b, a])) is False  # the same manifest: nothing to do
    with pytest.raises(ManifestError, match="different manifest already exists"):
        write_once(store, out, build(store, [a]))
    assert urls_in(store, out) == [a, b]  # never overwritten


# -- the batch handler ---------------------------------------------------------------------


def test_count_limit_duplicates_and_late_files(store: S3Store) -> None:
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", files=2), store, Clock())
    f = [firehose_file(store, n, [n]) for n in range(5)]
    first = worker.handle(s3_event(store, [f[1], f[0], f[1]]))  # out of order, one twice
    assert first["manifests"] == [f"{store.root}manifests/clicks/{HOUR}/batch-000001.json"]
    assert urls_in(store, first["manifests"][0]) == [f[0], f[1]]
    again = worker.handle(s3_event(store, [f[0], f[1]]))  # re-delivered after sealing
    assert again == {"added": 0, "duplicates": 2, "manifests": []}
    worker.handle(s3_event(store, [f[3]]))
    late = worker.handle(sqs_event(store, [[f[2]], [f[3], f[4]]]))  # f[2] came late: next batch
    assert late["manifests"] == [f"{store.root}manifests/clicks/{HOUR}/batch-000002.json"]
    assert urls_in(store, late["manifests"][0]) == [f[2], f[3]]
    assert late["batchItemFailures"] == []
    listed = [o.url for o in store.list(f"{store.root}manifests/")]
    assert len(listed) == 2  # f[4] waits in the open batch


def test_byte_limit_and_time_limit_on_the_next_notification_or_the_sweep(store: S3Store) -> None:
    clock = Clock()
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", bytes=1, seconds=60), store, clock)
    big = firehose_file(store, 0, list(range(100)))
    assert len(worker.handle(s3_event(store, [big]))["manifests"]) == 1  # one file is past 1 byte
    timed = BatchWorker(config(store.bucket, store.endpoint_url or "", seconds=60), store, clock)
    other = "2026/11/29/09"
    a, b, c = (firehose_file(store, n, [n], other) for n in range(3))
    assert timed.handle(s3_event(store, [a]))["manifests"] == []
    clock.now += 59
    assert timed.handle({"source": "aws.events", "detail-type": "Scheduled Event"})["manifests"] == []
    clock.now += 1
    swept = timed.handle({"source": "aws.events", "detail-type": "Scheduled Event"})["manifests"]
    assert swept == [f"{store.root}manifests/clicks/{other}/batch-000001.json"]
    timed.handle(s3_event(store, [b]))
    clock.now += 60
    noticed = timed.handle(s3_event(store, [c]))["manifests"]  # sealed by the next notification
    assert urls_in(store, noticed[0]) == [b, c]


def test_two_builders_racing_on_one_partition_lose_and_repeat_nothing(store: S3Store) -> None:
    cfg = config(store.bucket, store.endpoint_url or "", files=4)
    files = [firehose_file(store, n, [n]) for n in range(16)]
    workers = [BatchWorker(cfg, S3Store(store.root, store.endpoint_url), Clock()) for _ in range(2)]
    errors: list[BaseException] = []

    def run(worker: BatchWorker, mine: list[str]) -> None:
        try:
            for url in mine:
                worker.handle(s3_event(store, [url]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    # each builder gets every file, in a different order: duplicates across builders too
    orders = (files, files[::-1])
    threads = [threading.Thread(target=run, args=(w, o)) for w, o in zip(workers, orders, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    manifests = sorted(o.url for o in store.list(f"{store.root}manifests/"))
    assert len(manifests) == 4
    seen = [u for m in manifests for u in urls_in(store, m)]
    assert sorted(seen) == sorted(files)  # each file in exactly one manifest


def test_a_data_pattern_must_name_the_partition_fields(tmp_path: Path) -> None:
    doc = {
        "store": {"root": str(tmp_path)},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
        "datasets": {"a.b": {"table": "t", "manifests": "m/dt={dt}/{batch}.json", "data": "d/*.parquet"}},
    }
    with pytest.raises(ConfigError, match=r'datasets\."a\.b"\.data: must name each partition field'):
        parse_config(doc, "loaders.toml", str(tmp_path), {})
    doc["datasets"]["a.b"]["data"] = "d/dt={dt}/*.parquet"
    doc["datasets"]["a.b"]["batch"] = {"files": 0}
    with pytest.raises(ConfigError, match=r"batch\.files: must be a whole number"):
        parse_config(doc, "loaders.toml", str(tmp_path), {})


# -- through the command line, then the normal loader path ---------------------------------


def write_toml(folder: Path, store: S3Store) -> Path:
    path = folder / "loaders.toml"
    path.write_text(
        f'[store]\nroot = "{store.root}"\nendpoint_url = "{store.endpoint_url}"\n\n'
        '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///warehouse.duckdb"\n\n'
        f'[datasets."{DATASET}"]\ntable = "clicks"\n'
        'manifests = "manifests/clicks/{yyyy}/{mm}/{dd}/{hh}/{batch}.json"\n'
        'partition = ["yyyy", "mm", "dd", "hh"]\n'
        'data = "firehose/clicks/{yyyy}/{mm}/{dd}/{hh}/*.parquet"\n'
        "batch = { files = 3 }\n"
    )
    return path


def test_cli_build_then_load_gives_each_row_once(store: S3Store, tmp_path: Path) -> None:
    files = [firehose_file(store, n, [10 * n, 10 * n + 1]) for n in range(3)]
    store.write(f"{store.root}firehose/clicks/{HOUR}/_SUCCESS", b"")
    out = f"{store.root}manifests/clicks/{HOUR}/spark-job-1.json"
    runner = CliRunner()
    env = {"AWS_ENDPOINT_URL": store.endpoint_url or ""}
    built = runner.invoke(main, ["manifest", "build", f"{store.root}firehose/clicks/{HOUR}/", "--out", out, "--json"], env=env)  # noqa: E501
    assert built.exit_code == 0, built.output
    row = json.loads(built.stdout)
    assert (row["written"], row["files"], row["records"]) == (True, 3, 6)
    again = runner.invoke(main, ["manifest", "build", *files, "--out", out, "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["written"] is False
    other = runner.invoke(main, ["manifest", "build", files[0], "--out", out], env=env)
    assert other.exit_code == 1 and "different manifest already exists" in other.stderr
    config_path = write_toml(tmp_path, store)
    for _ in range(2):  # the second load finds it applied
        done = runner.invoke(main, ["load", out, "--config", str(config_path), "--json"])
        assert done.exit_code == 0, done.output
    ids = duckdb.connect(str(tmp_path / "warehouse.duckdb")).sql("SELECT id FROM clicks ORDER BY id").fetchall()
    assert [i for (i,) in ids] == [0, 1, 10, 11, 20, 21]


def test_handler_built_manifests_load_each_row_once(store: S3Store, tmp_path: Path) -> None:
    config_path = write_toml(tmp_path, store)
    from loaders.config import load_config

    worker = BatchWorker(load_config(str(config_path)), store, Clock())
    files = [firehose_file(store, n, [n]) for n in range(6)]
    built = worker.handle(sqs_event(store, [files[:2], files[1:4], files[3:], files[::-1]]))["manifests"]
    assert len(built) == 2
    runner = CliRunner()
    done = runner.invoke(main, ["load", *built, "--config", str(config_path)])
    assert done.exit_code == 0, done.output
    ids = duckdb.connect(str(tmp_path / "warehouse.duckdb")).sql("SELECT id FROM clicks ORDER BY id").fetchall()
    assert [i for (i,) in ids] == list(range(6))


def test_a_batch_key_taken_by_the_same_files_is_done_and_by_others_is_never_overwritten(store: S3Store) -> None:
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", files=2), store, Clock())
    f = [firehose_file(store, n, [n]) for n in range(4)]
    first = f"{store.root}manifests/clicks/{HOUR}/batch-000001.json"
    same_files = {"entries": [{"url": u, "mandatory": True, "meta": {"content_length": 1}} for u in f[:2]]}
    store.write(first, json.dumps(same_files).encode())  # another builder, which read no footer
    assert worker.handle(s3_event(store, f[:2]))["manifests"] == []  # written already: done
    second = f"{store.root}manifests/clicks/{HOUR}/batch-000002.json"
    store.write(second, b'{"entries": []}')  # something else took the key
    result = worker.handle(sqs_event(store, [f[2:]]))
    assert result["manifests"] == [] and result["batchItemFailures"] == []  # terminal: logged, not retried
    assert store.read(second)[0] == b'{"entries": []}'
    state = json.loads(store.read(f"{store.root}_loaders/batches/{DATASET}/{PARTITION}.json")[0])
    assert [b["written"] for b in state["sealed"]] == [True, False]  # left for a person, in plain sight


def test_eventbridge_object_created_events_are_batched(store: S3Store) -> None:
    """The shape of S3 User Guide, "EventBridge event message structure", Object created."""
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", files=1), store, Clock())
    url = firehose_file(store, 0, [1, 2])
    event = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "111122223333",
        "time": "2021-11-12T00:00:00Z",
        "region": "ca-central-1",
        "resources": [f"arn:aws:s3:::{store.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": store.bucket},
            "object": {"key": store.key_of(url), "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "617f08299329d189"},  # noqa: E501
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }
    [built] = worker.handle(event)["manifests"]
    size = store.list(url)[0].size
    assert manifest_of(store, built)["entries"][0]["meta"] == {"content_length": size, "record_count": 2}


def test_a_notified_file_deleted_since_is_skipped_and_its_neighbours_added(store: S3Store) -> None:
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", files=2), store, Clock())
    kept, gone = firehose_file(store, 0, [1]), firehose_file(store, 1, [2])
    store.delete(gone)
    assert worker.handle(s3_event(store, [kept, gone])) == {"added": 1, "duplicates": 0, "manifests": []}


# -- hostile configurations and keys ---------------------------------------------------------


def test_a_data_pattern_that_fits_the_built_manifests_is_refused(tmp_path: Path) -> None:
    """A data pattern fitting the builder's own manifests would batch each built manifest
    as a data file, whose manifest is batched again, for ever."""
    doc = {
        "store": {"root": str(tmp_path)},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
        "datasets": {"a.b": {"table": "t", "manifests": "lake/dt={dt}/{batch}.json", "data": "lake/dt={dt}/*"}},
    }
    with pytest.raises(ConfigError, match=r'datasets\."a\.b"\.data: matches the keys of the manifests'):
        parse_config(doc, "loaders.toml", str(tmp_path), {})
    doc["datasets"]["a.b"]["data"] = "lake/../dt={dt}/*.parquet"
    with pytest.raises(ConfigError, match=r'datasets\."a\.b"\.data: .*"\.\." segment'):
        parse_config(doc, "loaders.toml", str(tmp_path), {})


def test_another_datasets_manifest_and_the_builder_state_are_never_batched(store: S3Store) -> None:
    doc = {
        "store": {"root": store.root, "endpoint_url": store.endpoint_url},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
        "datasets": {
            "a.raw": {"table": "t", "manifests": "m/dt={dt}/{batch}.json", "data": "lake/dt={dt}/*"},
            "a.other": {"table": "u", "manifests": "lake/dt={dt}/{batch}.manifest"},
        },
    }
    worker = BatchWorker(parse_config(doc, "loaders.toml", ".", {}), store, Clock())
    theirs = f"{store.root}lake/dt=2026-11-29/b1.manifest"
    store.write(theirs, b'{"entries": []}')
    mine = parquet(store, "lake/dt=2026-11-29/part-0.parquet", [1])
    assert worker.handle(s3_event(store, [theirs, mine]))["added"] == 1


def test_data_with_partitions_taken_from_the_files_is_refused_at_config_read(tmp_path: Path) -> None:
    """Batched all in one state object named by an empty partition (``.json``), whose
    sweep then failed to read the partition back."""
    doc = {
        "store": {"root": str(tmp_path)},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
        "datasets": {
            "a.b": {"table": "t", "manifests": "m/{batch}.json", "partition_from": "files", "data": "d/dt={dt}/*"}
        },
    }
    with pytest.raises(ConfigError, match=r'datasets\."a\.b"\.data: .*partition_from = "files"'):
        parse_config(doc, "loaders.toml", str(tmp_path), {})


def test_data_with_a_calendar_time_layout_is_batched_per_hour(store: S3Store) -> None:
    doc = {
        "store": {"root": store.root, "endpoint_url": store.endpoint_url},
        "sinks": {"local": {"type": "duckdb", "url": "duckdb:///w.duckdb"}},
        "datasets": {
            DATASET: {
                "table": "clicks",
                "partition": ["yyyy", "mm", "dd", "hh"],
                "time": {"dt": "{yyyy}-{mm}-{dd}", "hour": "{hh}"},
                "manifests": "manifests/clicks/{yyyy}/{mm}/{dd}/{hh}/{batch}.json",
                "data": "firehose/clicks/{yyyy}/{mm}/{dd}/{hh}/*",
                "batch": {"files": 1},
            }
        },
    }
    worker = BatchWorker(parse_config(doc, "loaders.toml", ".", {}), store, Clock())
    [built] = worker.handle(s3_event(store, [firehose_file(store, 0, [1])]))["manifests"]
    assert built == f"{store.root}manifests/clicks/{HOUR}/batch-000001.json"


def test_a_key_with_spaces_plus_percent_and_unicode_is_one_file_by_either_event_and_loads(
    store: S3Store, tmp_path: Path
) -> None:
    """S3 notifications URL-encode the key (a space as ``+``); EventBridge's carries it plain."""
    from urllib.parse import quote_plus

    from loaders.config import load_config

    config_path = write_toml(tmp_path, store)
    worker = BatchWorker(load_config(str(config_path)), store, Clock())
    key = f"firehose/clicks/{HOUR}/a b+c%41 é€.parquet"
    url = parquet(store, key, [7, 8])
    notified = s3_event(store, [url])
    notified["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    assert worker.handle(notified)["added"] == 1
    bridge = {"source": "aws.s3", "detail-type": "Object Created", "id": "e1", "detail": {"bucket": {"name": store.bucket}, "object": {"key": key}}}  # noqa: E501
    assert worker.handle(bridge)["duplicates"] == 1
    worker.batches.clock.now += 301  # type: ignore[attr-defined]
    [built] = worker.handle({})["manifests"]
    assert urls_in(store, built) == [url]
    done = CliRunner().invoke(main, ["load", built, "--config", str(config_path)])
    assert done.exit_code == 0, done.output
    ids = duckdb.connect(str(tmp_path / "warehouse.duckdb")).sql("SELECT id FROM clicks ORDER BY id").fetchall()
    assert [i for (i,) in ids] == [7, 8]


def test_an_empty_file_or_a_hidden_name_is_not_batched(store: S3Store, tmp_path: Path) -> None:
    """As under a prefix (``manifest build``): an empty ``.parquet`` in a batch failed the
    load of every file batched with it."""
    from loaders.config import load_config

    config_path = write_toml(tmp_path, store)
    worker = BatchWorker(load_config(str(config_path)), store, Clock())
    empty = f"{store.root}firehose/clicks/{HOUR}/part-9.parquet"
    store.write(empty, b"")
    hidden = parquet(store, f"firehose/clicks/{HOUR}/_tmp-part-8.parquet", [9])
    files = [firehose_file(store, n, [n]) for n in range(3)]
    [built] = worker.handle(s3_event(store, [empty, hidden, *files]))["manifests"]
    assert urls_in(store, built) == sorted(files)
    done = CliRunner().invoke(main, ["load", built, "--config", str(config_path)])
    assert done.exit_code == 0, done.output


def test_a_taken_batch_key_holds_back_no_later_batch_of_the_partition(store: S3Store) -> None:
    """The state lost (deleted), numbering starts again and batch-000001 is someone
    else's: that batch waits for a person, the partition's next batches are written."""
    worker = BatchWorker(config(store.bucket, store.endpoint_url or "", files=1), store, Clock())
    taken = f"{store.root}manifests/clicks/{HOUR}/batch-000001.json"
    store.write(taken, b'{"entries": []}')
    files = [firehose_file(store, n, [n]) for n in range(3)]
    for url in files:
        worker.handle(sqs_event(store, [[url]]))
    assert store.read(taken)[0] == b'{"entries": []}'
    for seq, url in ((2, files[1]), (3, files[2])):
        assert urls_in(store, f"{store.root}manifests/clicks/{HOUR}/batch-{seq:06d}.json") == [url]
    state = json.loads(store.read(f"{store.root}_loaders/batches/{DATASET}/{PARTITION}.json")[0])
    assert [b["written"] for b in state["sealed"]] == [False, True, True]
