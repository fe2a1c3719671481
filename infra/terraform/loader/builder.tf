# var.builder: the manifest builder (loaders.aws.batch_handler), for a producer that
# writes data files but no manifests. Its own function, role, log group and DLQ:
#
#   S3 -> EventBridge rule (Object Created under data_prefix) -> builder, asynchronously
#   EventBridge schedule (var.builder.schedule), an event without Records -> builder's sweep
#   builder -> manifests under manifest_prefix -> the loader, as any manifest
#
# The data files come through EventBridge whatever var.notifications says: one rule, no
# second S3 notification configuration whose prefix could overlap the manifests' one, no
# filter on a shared topic. The bucket's aws_s3_bucket_notification needs eventbridge = true
# (beside its topic, with notifications = "sns"). An event the function still fails on
# after Lambda's 2 retries lands in the builder's own DLQ, not the loader's: it is a data
# file to batch, not a load request for `loaders dlq redrive`.

locals {
  builder_enabled   = var.builder != null
  builder_name      = "${local.name}-build"
  builder_log_group = "/aws/lambda/${local.name}-build"
  # The batches' state: _loaders/batches/<dataset>/<partition>.json under the store root.
  batches_prefix = "${var.store_prefix}_loaders/batches/"

  data_event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.lake_bucket] }
      object = { key = [{ prefix = var.data_prefix }] }
    }
  }

  builder_environment = merge(var.environment, {
    LOADERS_CONFIG               = var.config_uri
    POWERTOOLS_SERVICE_NAME      = var.service_name
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
    LOG_LEVEL                    = var.log_level
  })
}

resource "aws_cloudwatch_log_group" "builder" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with a service key; the logs hold load ids and keys, no data rows.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days; the batches' state lives in the store, logs serve debugging.
  count             = local.builder_enabled ? 1 : 0
  name              = local.builder_log_group
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_sqs_queue" "builder_dlq" {
  count                      = local.builder_enabled ? 1 : 0
  name                       = "${local.builder_name}-dlq"
  message_retention_seconds  = 1209600 # 14 days
  visibility_timeout_seconds = var.timeout
  sqs_managed_sse_enabled    = true
  tags                       = local.tags
}

resource "aws_iam_role" "builder" {
  count              = local.builder_enabled ? 1 : 0
  name               = local.builder_name
  description        = "loaders: manifest builder of ${local.dataset}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

# Exactly what batch_handler does with S3: read the configuration, read (GET, HEAD) and
# list the data files, read and conditionally write the batches' state, write the
# manifests (reading one back when its key is taken). No delete, nothing else of the bucket.
data "aws_iam_policy_document" "builder" {
  count = local.builder_enabled ? 1 : 0

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.builder[0].arn}:*"]
  }

  statement {
    sid       = "ReadConfiguration"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object_arn]
  }

  statement {
    sid       = "ReadDataFiles"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_bucket_arn}/${var.data_prefix}*"]
  }

  statement {
    sid       = "ListDataFilesAndBatches"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.data_prefix}*", "${local.batches_prefix}*"]
    }
  }

  statement {
    sid       = "ReadAndWriteBatchesAndManifests"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.lake_bucket_arn}/${local.batches_prefix}*", "${local.lake_bucket_arn}/${var.manifest_prefix}*"]
  }

  statement {
    sid       = "SendFailedEventsToDeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.builder_dlq[0].arn]
  }
}

resource "aws_iam_role_policy" "builder" {
  count  = local.builder_enabled ? 1 : 0
  name   = "loaders-builder"
  role   = aws_iam_role.builder[0].id
  policy = data.aws_iam_policy_document.builder[0].json
}

resource "aws_iam_role_policy_attachment" "builder_xray" {
  count      = local.builder_enabled && var.tracing_mode == "Active" ? 1 : 0
  role       = aws_iam_role.builder[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "builder" {
  #checkov:skip=CKV_AWS_115:Any concurrency is safe: races on one partition are resolved by the batches' conditional writes.
  #checkov:skip=CKV_AWS_117:The builder talks to S3 alone, through its public endpoint; the warehouse's VPC is the loader's business.
  #checkov:skip=CKV_AWS_173:The environment holds names, URIs and secret references, not secrets; Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_272:The package is built by `loaders package` in the user's pipeline; code signing needs a signing profile this module cannot own.
  count            = local.builder_enabled ? 1 : 0
  function_name    = local.builder_name
  description      = "loaders: manifest builder of ${local.dataset}"
  role             = aws_iam_role.builder[0].arn
  filename         = var.package_s3_bucket == null ? var.package_file : null
  s3_bucket        = one(aws_s3_object.package[*].bucket)
  s3_key           = one(aws_s3_object.package[*].key)
  source_code_hash = filebase64sha256(var.package_file)
  handler          = "loaders.aws.batch_handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout

  environment {
    variables = local.builder_environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.builder_dlq[0].arn
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.builder, aws_iam_role_policy.builder]
}

resource "aws_lambda_function_event_invoke_config" "builder" {
  count                        = local.builder_enabled ? 1 : 0
  function_name                = aws_lambda_function.builder[0].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

resource "aws_cloudwatch_event_rule" "data" {
  count         = local.builder_enabled ? 1 : 0
  name          = "${local.builder_name}-data"
  description   = "loaders: new data files of ${local.dataset} in ${var.lake_bucket}/${var.data_prefix}"
  event_pattern = jsonencode(local.data_event_pattern)
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "data" {
  count     = local.builder_enabled ? 1 : 0
  rule      = aws_cloudwatch_event_rule.data[0].name
  target_id = "builder"
  arn       = aws_lambda_function.builder[0].arn
}

resource "aws_cloudwatch_event_rule" "seal" {
  count               = local.builder_enabled ? 1 : 0
  name                = "${local.builder_name}-seal"
  description         = "loaders: seal the batches of ${local.dataset} older than batch.seconds"
  schedule_expression = var.builder.schedule
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "seal" {
  count     = local.builder_enabled ? 1 : 0
  rule      = aws_cloudwatch_event_rule.seal[0].name
  target_id = "builder"
  arn       = aws_lambda_function.builder[0].arn
  input     = jsonencode({}) # no Records: a sweep
}

resource "aws_lambda_permission" "builder" {
  for_each      = local.builder_enabled ? { data = "AllowInvokeFromDataRule", seal = "AllowInvokeFromSealSchedule" } : {}
  statement_id  = each.value
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.builder[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.key == "data" ? aws_cloudwatch_event_rule.data[0].arn : aws_cloudwatch_event_rule.seal[0].arn
}
