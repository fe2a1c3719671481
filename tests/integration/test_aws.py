"""The Lambda entry points over the real chain on moto server: S3 → SNS → SQS → handler → DuckDB."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import duckdb
import pytest

import loaders.aws
from loaders.aws.worker import Worker
from manifests import ConfigError, TransientError
from tests.integration.aws_chain import DATASET, Chain, LambdaContext

DT = "2026-11-28"


@pytest.fixture
def chain(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # SQS and SNS clients of the DLQ and fan-out
    chain = Chain(moto_server, tmp_path)
    monkeypatch.setenv("LOADERS_CONFIG", str(chain.config))
    yield chain
    loaders.aws._worker.cache_clear()


def handle(event: dict[str, Any]) -> Any:
    return loaders.aws.handler(event, LambdaContext())


def rows(chain: Chain) -> list[tuple[Any, ...]]:
    if not chain.warehouse.exists():
        return []
    with duckdb.connect(str(chain.warehouse)) as conn:
        found = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'conversions'")
        if found.fetchone() == (0,):
            return []
        return conn.execute("SELECT id, dt, hour FROM raw.conversions ORDER BY id").fetchall()


def test_sqs_delivery_loads_and_a_duplicate_delivery_is_a_no_op(chain: Chain) -> None:
    chain.put_batch(DT, "08", "b1", [1, 2])
    messages = chain.notifications()
    assert len(messages) == 1
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}
    assert rows(chain) == [(1, DT, "08"), (2, DT, "08")]
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}  # SQS delivers at least once
    assert rows(chain) == [(1, DT, "08"), (2, DT, "08")]
    assert chain.dead_letters() == []


def test_sns_delivery_loads_and_a_duplicate_is_skipped(chain: Chain) -> None:
    chain.put_batch(DT, "09", "b1", [7])
    [message] = chain.notifications()
    event = chain.sns_event(message)
    assert handle(event) == {"loaded": 1, "skipped": 0, "dead_lettered": 0, "retry": 0}
    assert handle(event) == {"loaded": 0, "skipped": 1, "dead_lettered": 0, "retry": 0}
    assert rows(chain) == [(7, DT, "09")]


def test_a_key_with_spaces_and_unicode_arrives_encoded_and_loads(chain: Chain) -> None:
    chain.put_batch(DT, "10", "lot été 2+2", [3])
    [message] = chain.notifications()
    key = json.loads(json.loads(message["Body"])["Message"])["Records"][0]["s3"]["object"]["key"]
    assert " " not in key and "é" not in key  # S3 sends it URL-encoded
    assert handle(chain.sqs_event([message])) == {"batchItemFailures": []}
    assert rows(chain) == [(3, DT, "10")]


def test_the_s3_test_event_and_keys_of_no_dataset_are_skipped(chain: Chain) -> None:
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": chain.bucket})
    chain.sns.publish(TopicArn=chain.topic, Message=test_event)
    chain.s3.put_object(Bucket=chain.bucket, Key="manifests/somebody_else/notes.json", Body=b"{}")
    messages = chain.drain()
    bodies = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    assert len(bodies) == 3
    published = json.loads(test_event)
    test_events = [b for b in bodies if b.get("Event") == "s3:TestEvent"]
    assert published in test_events and len(test_events) == 2
    [s3_own] = [b for b in test_events if b != published]  # S3's own, sent on configuration, carries a Time
    assert s3_own == {**published, "Time": s3_own["Time"]}
    [[record]] = [b["Records"] for b in bodies if "Records" in b]
    assert (record["eventSource"], record["s3"]["bucket"]["name"]) == ("aws:s3", chain.bucket)
    assert unquote_plus(record["s3"]["object"]["key"]) == "manifests/somebody_else/notes.json"
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}
    assert rows(chain) == [] and chain.dead_letters() == []


def test_a_terminal_failure_beside_a_good_record_goes_to_the_dlq_and_the_good_one_loads(chain: Chain) -> None:
    chain.put_batch(DT, "11", "good", [1])
    bad_key = chain.put_batch(DT, "12", "bad", [2], manifest="{not json")
    messages = chain.notifications()
    assert len(messages) == 2
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}  # nothing for AWS to retry
    assert rows(chain) == [(1, DT, "11")]
    [letter] = chain.dead_letters()
    assert letter["error_class"] == "ManifestError" and "not valid JSON" in letter["error"]
    assert (letter["dataset"], letter["partition"]) == (DATASET, f"dt={DT}/hour=12")
    assert letter["manifest"] == f"s3://{chain.bucket}/{bad_key}"
    [bad_id] = [m["MessageId"] for m in messages if "hour%3D12" in m["Body"]]  # the key arrives URL-encoded
    assert letter["record"]["messageId"] == bad_id  # the original record
    assert letter["failed_at"].startswith(str(datetime.now(UTC).year)) and letter["attempts"] == 1


def test_a_manifest_nested_100000_deep_is_dead_lettered_not_retried(chain: Chain) -> None:
    """json.loads raised RecursionError: the worker took it for a transient failure and
    AWS retried the delivery for ever. It is a ManifestError naming the manifest."""
    key = chain.put_batch(DT, "18", "deep", [1], manifest="[" * 100_000 + "]" * 100_000)
    assert handle(chain.sqs_event(chain.notifications())) == {"batchItemFailures": []}
    [letter] = chain.dead_letters()
    assert (letter["error_class"], letter["manifest"]) == ("ManifestError", f"s3://{chain.bucket}/{key}")
    assert letter["error"] == f"local: manifest s3://{chain.bucket}/{key}: not valid JSON (nested too deeply)"


def test_a_bug_outside_every_unit_is_dead_lettered_as_an_internal_error(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug is terminal: the same delivery would meet it again, so it goes to the
    dead-letter queue with the reason instead of round the retries (it was transient)."""
    from loaders.runner import Runner

    key = chain.put_batch(DT, "19", "b1", [1])

    def bug(self: Runner, refs: Any) -> Any:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(Runner, "load", bug)  # stands in for a bug in the runner itself
    assert handle(chain.sqs_event(chain.notifications())) == {"batchItemFailures": []}
    [letter] = chain.dead_letters()
    assert (letter["error_class"], letter["manifest"]) == ("InternalError", f"s3://{chain.bucket}/{key}")
    assert letter["error"] == f"manifest s3://{chain.bucket}/{key}: unexpected RuntimeError: a bug\nover two lines"


@contextlib.contextmanager
def warehouse_held(chain: Chain) -> Iterator[None]:
    """Another process holds the DuckDB file: loads fail with SinkBusyError (transient)."""
    code = "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.readline()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(chain.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("\n", timeout=30)


def test_a_transient_failure_is_listed_for_sqs_and_raised_for_sns(chain: Chain) -> None:
    chain.put_batch(DT, "13", "b1", [5])
    [message] = chain.notifications()
    with warehouse_held(chain):
        assert handle(chain.sqs_event([message])) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
        with pytest.raises(TransientError, match="retried"):
            handle(chain.sns_event(message))
    assert chain.dead_letters() == []  # retried by AWS, not dead-lettered
    assert handle(chain.sqs_event([message])) == {"batchItemFailures": []}  # the retry loads
    assert rows(chain) == [(5, DT, "13")]


def cli(chain: Chain, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *args, "--config", str(chain.config)],
        capture_output=True, text=True, env=dict(os.environ), timeout=120,
    )  # fmt: skip


def test_dlq_list_then_redrive_after_the_manifest_is_fixed(chain: Chain) -> None:
    key = chain.put_batch(DT, "14", "b1", [4], manifest=json.dumps({"entries": [{"url": "s3://elsewhere/x"}]}))
    handle(chain.sqs_event(chain.notifications()))
    listed = cli(chain, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [waiting] = json.loads(listed.stdout)["messages"]
    assert waiting["error_class"] == "ForeignURLError" and waiting["manifest"].endswith(key)

    still = cli(chain, "dlq", "redrive", "--json")  # nothing fixed yet: kept, with one more attempt
    assert still.returncode == 1
    assert json.loads(still.stdout)["messages"][0]["result"].startswith("still failing")
    [letter] = chain.dead_letters()
    assert letter["attempts"] == 2

    chain.put_batch(DT, "14", "b1", [4])  # the producer rewrites the manifest correctly
    chain.drain()  # (its new notification would load it too; redrive must do it alone)
    fixed = cli(chain, "dlq", "redrive", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert json.loads(fixed.stdout)["messages"][0]["result"].startswith("loaded")
    assert chain.dead_letters() == []
    assert rows(chain) == [(4, DT, "14")]


def test_dlq_list_without_credentials_prints_one_line_and_exits_2(no_aws_credentials: str, tmp_path: Path) -> None:
    queue = f"{no_aws_credentials}/123456789012/dlq"
    config = tmp_path / "loaders.toml"
    config.write_text(
        f'[store]\nroot = "./lake"\n\n[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///w.duckdb"\n\n'
        f'[aws]\ndead_letter_queue = "{queue}"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "dlq", "list", "--config", str(config)],
        capture_output=True, text=True, env={**os.environ, "AWS_ENDPOINT_URL": no_aws_credentials}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: the dead-letter queue {queue} (receive_message): no AWS credentials: set ")
    assert "Traceback" not in done.stderr


def test_fan_out_publishes_one_request_per_unit_and_the_handler_loads_them(chain: Chain) -> None:
    today = datetime.now(UTC).date().isoformat()
    for hour in ("00", "01", "02"):
        chain.put_batch(today, hour, "b1", [int(hour) + 1])
    chain.drain()  # the notifications are lost, say: the backfill must find the partitions alone
    done = cli(chain, "backfill", "--days", "1", "--fan-out", f"sns:{chain.topic}", "--json")
    assert done.returncode == 0, done.stderr
    units = json.loads(done.stdout)["units"]
    assert sorted(u["partition"] for u in units) == [f"dt={today}/hour={h}" for h in ("00", "01", "02")]
    assert {u["action"] for u in units} == {"planned"} and rows(chain) == []
    requests = chain.drain()
    assert len(requests) == 3
    assert handle(chain.sqs_event(requests)) == {"batchItemFailures": []}
    assert [r[0] for r in rows(chain)] == [1, 2, 3]
    repeated = handle(chain.sns_event(requests[0]))  # a repeated request finds nothing new
    assert repeated == {"loaded": 0, "skipped": 1, "dead_lettered": 0, "retry": 0}
    assert chain.dead_letters() == []


def test_fan_out_to_a_topic_that_does_not_exist_is_a_config_error(chain: Chain) -> None:
    """It was a TransientError: a backfill retried by a scheduler would fail the same way."""
    from loaders.aws.fanout import publish

    missing = chain.topic.rsplit(":", 1)[0] + ":no-such-topic"
    with pytest.raises(ConfigError, match=r"does not exist \(NotFound: ") as caught:
        publish(f"sns:{missing}", [(DATASET, "dt=2026-11-28/hour=08", None, "missing")])
    assert str(caught.value).startswith(f"publishing to {missing} failed after 0 request(s)")


def test_fan_out_rejects_a_malformed_target(chain: Chain) -> None:
    done = cli(chain, "backfill", "--days", "1", "--fan-out", "sqs:queue")
    assert done.returncode == 2 and "sns:arn:aws:sns:REGION:ACCOUNT:TOPIC" in done.stderr


def test_a_bad_partition_request_is_dead_lettered_with_the_reason(chain: Chain) -> None:
    chain.sns.publish(TopicArn=chain.topic, Message=json.dumps({"dataset": "nope.nope", "partition": "dt=x"}))
    assert handle(chain.sqs_event(chain.drain())) == {"batchItemFailures": []}
    [letter] = chain.dead_letters()
    assert letter["error_class"] == "ManifestError" and "'nope.nope' is not configured" in letter["error"]


def test_config_from_s3_is_read_once_per_container(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"s3://{chain.bucket}/config/loaders.toml"
    chain.s3.put_object(Bucket=chain.bucket, Key="config/loaders.toml", Body=chain.config.read_bytes())
    monkeypatch.setenv("LOADERS_CONFIG", uri)
    chain.put_batch(DT, "15", "b1", [1])
    handle(chain.sqs_event(chain.notifications()))
    chain.s3.delete_object(Bucket=chain.bucket, Key="config/loaders.toml")
    chain.put_batch(DT, "16", "b1", [2])
    assert handle(chain.sqs_event(chain.notifications())) == {"batchItemFailures": []}
    assert [r[0] for r in rows(chain)] == [1, 2]


def test_sweep_handler_loads_what_notifications_missed(chain: Chain) -> None:
    today = datetime.now(UTC).date().isoformat()
    chain.put_batch(today, "00", "b1", [9])
    chain.drain()
    result = loaders.aws.sweep_handler({"source": "aws.events"}, LambdaContext())
    assert [(u["partition"], u["action"]) for u in result["units"]] == [(f"dt={today}/hour=00", "loaded")]
    assert loaders.aws.sweep_handler({}, LambdaContext())["units"] == []


def test_a_worker_without_a_dlq_keeps_the_failure_in_the_state(chain: Chain) -> None:
    chain.config.write_text(chain.config.read_text().replace(f'dead_letter_queue = "{chain.dlq}"', ""))
    missing = {"entries": [{"url": f"s3://{chain.bucket}/data/gone.parquet", "mandatory": True}]}
    chain.put_batch(DT, "17", "b1", [1], manifest=json.dumps(missing))  # read, but a file is missing
    chain.put_batch(DT, "18", "b1", [1], manifest="[]")  # cannot be read as a manifest at all
    from loaders.config import load_config

    worker = Worker(load_config(str(chain.config)))
    assert worker.handle(chain.sqs_event(chain.notifications())) == {"batchItemFailures": []}
    from loaders.runner import Runner

    runner = Runner(load_config(str(chain.config)))
    try:
        [(_sink, state)] = runner.states(DATASET)
    finally:
        runner.close()
    # the partition whose manifest was read failed its attempt; the unreadable manifest says
    # nothing about its partition, which the state does not stamp
    assert (state.partition, state.status) == (f"dt={DT}/hour=17", "failed")
    assert "MissingFileError" in (state.last_error or "")


RUN_HANDLER = """
import json, sys
from dataclasses import dataclass
import loaders.aws

@dataclass
class Context:
    function_name: str = "loaders"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:loaders"
    aws_request_id: str = "req-1"

result = loaders.aws.handler(json.load(sys.stdin), Context())
sys.stderr.write(json.dumps(result))
"""


def test_logs_are_json_lines_without_secrets_and_metrics_are_emf(chain: Chain) -> None:
    secret = "pa55-w0rd-never-logged"
    chain.write_config(
        extra=(
            # nothing listens on port 1: a real connection failure, whose error must not carry the password
            '\n[sinks.pg]\ntype = "postgres"\nurl = "postgresql+psycopg://loader:${PG_SECRET}@127.0.0.1:1/test"\n'
            '\n[datasets."other.stream"]\ntable = "other_stream"\nformat = "parquet"\n'
            'manifests = "manifests/other/stream/dt={dt}/{batch}.json"\npartition = ["dt"]\nstrategy = "append"\n'
            'sinks = ["pg"]\n'
        )
    )
    chain.put_batch(DT, "18", "good", [1, 2, 3])
    chain.put_batch(DT, "19", "bad", [4], manifest='{"entries": "nope"}')
    chain.s3.put_object(Bucket=chain.bucket, Key=f"manifests/other/stream/dt={DT}/b1.json", Body=b'{"entries": []}')
    messages = chain.notifications()
    event = chain.sqs_event(messages)
    env = {**os.environ, "PG_SECRET": secret, "POWERTOOLS_LOG_LEVEL": "DEBUG", "LOADERS_CONFIG": str(chain.config)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_HANDLER], input=json.dumps(event), capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # every line is one JSON document
    logs = [doc for doc in lines if "level" in doc]
    assert any(doc["level"] == "DEBUG" for doc in logs)  # SQL statements at DEBUG, still without the secret
    loaded = [doc for doc in logs if doc["message"] == "unit loaded"]
    assert [(d["dataset"], d["partition"], d["rows"]) for d in loaded] == [(DATASET, f"dt={DT}/hour=18", 3)]
    assert loaded[0]["load_id"] and loaded[0]["message_id"] and loaded[0]["function_request_id"] == "req-1"
    about = [d for d in logs if d["level"] != "DEBUG" and f"dt={DT}/hour=18" in json.dumps(d)]
    assert about == loaded  # one line per unit above DEBUG, the structured one
    emf = [doc for doc in lines if "_aws" in doc]
    names = {m["Name"] for doc in emf for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"ManifestsLoaded", "RowsLoaded", "LoadSeconds", "PartitionLagSeconds", "Failures"} <= names
    by_class = [doc for doc in emf if "error_class" in doc]
    # one failed unit each: the bad manifest, and the load into the unreachable sink
    assert sorted(doc["error_class"] for doc in by_class) == ["ManifestError", "TransientError"]
    retried = [{"itemIdentifier": m["MessageId"]} for m in messages if "other%2Fstream" in m["Body"]]  # key encoded
    assert len(retried) == 1  # the unreachable sink's load is transient: retried, not dead-lettered
    assert json.loads(done.stderr.splitlines()[-1]) == {"batchItemFailures": retried}


def test_raw_message_delivery_bodies_are_read_too(chain: Chain) -> None:
    raw = chain.sqs.create_queue(QueueName=f"raw-{chain.bucket}")["QueueUrl"]
    arn = chain.sqs.get_queue_attributes(QueueUrl=raw, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    chain.sns.subscribe(TopicArn=chain.topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    chain.put_batch(DT, "20", "b1", [6])
    [message] = [m for m in chain.drain(raw) if "TestEvent" not in m["Body"]]
    assert json.loads(message["Body"])["Records"][0]["eventSource"] == "aws:s3"  # no SNS envelope
    assert handle(chain.sqs_event([message])) == {"batchItemFailures": []}
    assert rows(chain) == [(6, DT, "20")]


def test_a_deployment_scoped_to_one_dataset_and_sink_skips_the_others(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain.write_config(
        extra='\n[datasets."other.stream"]\ntable = "other_stream"\nformat = "parquet"\n'
        'manifests = "manifests/other/stream/dt={dt}/{batch}.json"\npartition = ["dt"]\nstrategy = "append"\n'
    )
    monkeypatch.setenv("LOADERS_DATASET", "other.stream")
    chain.put_batch(DT, "21", "b1", [1])
    messages = chain.notifications()
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}
    assert rows(chain) == [] and chain.dead_letters() == []  # the ad_server function loads it, not this one
    partition_request = {"dataset": DATASET, "partition": f"dt={DT}/hour=21"}  # another deployment's: no outcome
    assert handle({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m1", "Message": json.dumps(
        partition_request)}}]}) == {"loaded": 0, "skipped": 0, "dead_lettered": 0, "retry": 0}  # fmt: skip
    assert rows(chain) == [] and chain.dead_letters() == []

    loaders.aws._worker.cache_clear()
    monkeypatch.setenv("LOADERS_DATASET", DATASET)
    monkeypatch.setenv("LOADERS_SINK", "local")
    assert handle(chain.sqs_event(messages)) == {"batchItemFailures": []}
    assert rows(chain) == [(1, DT, "21")]

    loaders.aws._worker.cache_clear()
    monkeypatch.setenv("LOADERS_SINK", "nope")
    with pytest.raises(ConfigError, match="LOADERS_SINK=nope"):
        handle(chain.sqs_event(messages))


def test_redrive_opens_the_sinks_once_for_all_its_letters(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    for hour in ("15", "16"):
        chain.put_batch(DT, hour, "b1", [4], manifest=json.dumps({"entries": [{"url": "s3://elsewhere/x"}]}))
    handle(chain.sqs_event(chain.notifications()))
    assert len(chain.dead_letters()) == 2
    for hour in ("15", "16"):
        chain.put_batch(DT, hour, "b1", [int(hour)])
    chain.drain()
    from loaders.config import load_config

    worker = Worker(load_config(str(chain.config)))
    opened: list[Any] = []
    original = Worker.runner

    def counted(self: Worker) -> Any:
        opened.append(original(self))
        return opened[-1]

    monkeypatch.setattr(Worker, "runner", counted)
    results = sorted(result for _received, result in worker.redrive(10))
    assert results == ["loaded (1 rows); deleted", "loaded (1 rows); deleted"]
    assert len(opened) == 1
    assert rows(chain) == [(15, DT, "15"), (16, DT, "16")]


def test_s3_events_through_eventbridge_load_via_sqs_and_directly(chain: Chain) -> None:
    """S3 → EventBridge → rule → SQS, and the same event invoking the function directly:
    the events are the ones moto's S3 sends to EventBridge, matched by moto's EventBridge
    rule; the SQS body is the EventBridge event itself."""
    queue = chain.route_through_eventbridge()
    key = chain.put_batch(DT, "22", "lot été 2+2", [4])  # "+" and spaces arrive as they are
    chain.s3.put_object(Bucket=chain.bucket, Key="data/not-a-manifest.txt", Body=b"x")  # outside the rule
    [message] = chain.drain(queue)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
    assert event["detail"]["object"]["key"] == key  # not URL-encoded through EventBridge
    assert handle(chain.sqs_event([message])) == {"batchItemFailures": []}
    assert rows(chain) == [(4, DT, "22")]

    chain.put_batch(DT, "23", "b1", [5])
    [direct] = [json.loads(m["Body"]) for m in chain.drain(queue)]
    assert handle(direct) == {"loaded": 1, "skipped": 0, "dead_lettered": 0, "retry": 0}
    assert handle(direct) == {"loaded": 0, "skipped": 1, "dead_lettered": 0, "retry": 0}
    assert rows(chain) == [(4, DT, "22"), (5, DT, "23")] and chain.dead_letters() == []


def test_other_eventbridge_events_are_skipped_or_dead_lettered_with_the_reason(chain: Chain) -> None:
    queue = chain.route_through_eventbridge()
    chain.s3.put_object(Bucket=chain.bucket, Key="manifests/somebody_else/notes.json", Body=b"{}")
    [created] = [json.loads(m["Body"]) for m in chain.drain(queue)]
    # the S3 user guide's "Object Deleted" example's shape: S3's other detail types ask for nothing
    deleted = {**created, "detail-type": "Object Deleted", "detail": {**created["detail"], "reason": "DeleteObject"}}
    assert handle(created) == {"loaded": 0, "skipped": 0, "dead_lettered": 0, "retry": 0}  # no dataset's key
    assert handle(deleted) == {"loaded": 0, "skipped": 0, "dead_lettered": 0, "retry": 0}
    assert chain.dead_letters() == []
    # a schedule's event routed to the loading function by mistake (EventBridge's
    # "Scheduled Event" shape, as the AWS docs show it): a terminal, explained failure
    scheduled = {
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-28T18:43:48Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-schedule"], "detail": {},
    }  # fmt: skip
    assert handle(scheduled) == {"loaded": 0, "skipped": 0, "dead_lettered": 1, "retry": 0}
    [letter] = chain.dead_letters()
    assert letter["source"] == "eventbridge" and letter["record"] == scheduled
    assert "from 'aws.events' ('Scheduled Event') is not an S3 notification" in letter["error"]


def test_the_sweep_publishes_the_freshness_lag_per_dataset_and_sink(chain: Chain) -> None:
    chain.write_config(extra='freshness = { warn_after = "1h", error_after = "2h" }\n')
    today = datetime.now(UTC).date().isoformat()
    chain.put_batch(today, "00", "b1", [9])
    chain.drain()
    script = RUN_HANDLER.replace("loaders.aws.handler(json.load(sys.stdin)", "loaders.aws.sweep_handler({}")
    env = {**os.environ, "LOADERS_CONFIG": str(chain.config)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    emf = [doc for doc in map(json.loads, done.stdout.splitlines()) if "FreshnessLagSeconds" in doc]
    [doc] = emf  # one dataset, one sink
    assert (doc["dataset"], doc["sink"], doc["service"]) == (DATASET, "local", "loaders")
    [directive] = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "FreshnessLagSeconds", "Unit": "Seconds"}]
    assert sorted(directive["Dimensions"][0]) == ["dataset", "service", "sink"]
    [lag] = doc["FreshnessLagSeconds"]  # Powertools writes a metric's values as a list
    assert 0 <= lag < 600  # loaded by this sweep, moments ago
