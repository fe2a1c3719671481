# One loaders deployment: the loader function (S3 manifest notifications via SNS or
# EventBridge, and partition requests from `loaders backfill --fan-out`) and the sweeper
# function (the scheduled lookback sweep), for one dataset and one sink.

data "aws_partition" "current" {}

locals {
  dataset = "${var.data_source}.${var.data_type}"
  name    = coalesce(var.name, "loaders-${var.data_source}-${var.data_type}-${var.sink}")

  # Every taggable resource carries these, for cost attribution per dataset and sink.
  tags = merge(var.tags, {
    "loaders:dataset"     = local.dataset
    "loaders:sink"        = var.sink
    "loaders:data_source" = var.data_source
    "loaders:data_type"   = var.data_type
  })

  sweep_enabled = var.lookback_schedule != ""

  config_bucket     = regex("^s3://([^/]+)/(.+)$", var.config_uri)[0]
  config_key        = regex("^s3://([^/]+)/(.+)$", var.config_uri)[1]
  config_object_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.config_bucket}/${local.config_key}"

  lake_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.lake_bucket}"
  read_prefixes   = distinct(concat([var.manifest_prefix, var.data_prefix], var.extra_read_prefixes))

  # Where an Avro dataset's Parquet copies go: <store.root>_loaders/staging/.
  stages_avro    = contains(["avro", "avro-wrapped"], var.format)
  staging_prefix = "${var.store_prefix}_loaders/staging/"

  # The module's own variables win over var.environment: they wire the function to
  # this deployment. loaders.toml can name the DLQ as dead_letter_queue = "${LOADERS_DLQ_URL}".
  environment = merge(var.environment, {
    LOADERS_CONFIG               = var.config_uri
    LOADERS_DATASET              = local.dataset
    LOADERS_SINK                 = var.sink
    LOADERS_DLQ_URL              = aws_sqs_queue.dlq.url
    POWERTOOLS_SERVICE_NAME      = var.service_name
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
    LOG_LEVEL                    = var.log_level
  })

  loader_log_group  = "/aws/lambda/${local.name}"
  sweeper_log_group = "/aws/lambda/${local.name}-sweep"
}

# Lambda takes at most 50 MB of zip in the request itself: a bigger package goes through S3.
resource "aws_s3_object" "package" {
  count       = var.package_s3_bucket == null ? 0 : 1
  bucket      = var.package_s3_bucket
  key         = "loaders/${local.name}.zip"
  source      = var.package_file
  source_hash = filemd5(var.package_file)
  tags        = local.tags
}

# Created before the functions so that retention and tags apply from the first line.
resource "aws_cloudwatch_log_group" "loader" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with a service key; the logs hold load ids and keys, no data rows.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days; the load history lives in the sink's state table, logs serve debugging.
  name              = local.loader_log_group
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "sweeper" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with a service key; the logs hold load ids and keys, no data rows.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days; the load history lives in the sink's state table, logs serve debugging.
  count             = local.sweep_enabled ? 1 : 0
  name              = local.sweeper_log_group
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "loader" {
  #checkov:skip=CKV_AWS_173:The environment holds names, URIs and secret references, not secrets; Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_272:The package is built by `loaders package` in the user's pipeline; code signing needs a signing profile this module cannot own.
  function_name                  = local.name
  description                    = "loaders: ${local.dataset} into sink ${var.sink}"
  role                           = aws_iam_role.this.arn
  filename                       = var.package_s3_bucket == null ? var.package_file : null
  s3_bucket                      = one(aws_s3_object.package[*].bucket)
  s3_key                         = one(aws_s3_object.package[*].key)
  source_code_hash               = filebase64sha256(var.package_file)
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # Used when SNS or EventBridge invokes the function directly (use_sqs = false): an event
  # that still fails after Lambda's asynchronous retries lands here, as the original event.
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  dynamic "vpc_config" {
    for_each = length(var.vpc_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.name) <= 58
      error_message = "The resource base name \"${local.name}\" is longer than 58 characters: set var.name."
    }
    precondition {
      condition     = var.notifications != "sns" || var.sns_topic_arn != null
      error_message = "notifications = \"sns\" needs sns_topic_arn (or choose notifications = \"eventbridge\")."
    }
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.loader, aws_iam_role_policy.this]
}

resource "aws_lambda_function" "sweeper" {
  #checkov:skip=CKV_AWS_116:A failed sweep is retried by the next scheduled sweep and raises the Errors alarm; its event is no load request to redrive.
  #checkov:skip=CKV_AWS_173:The environment holds names, URIs and secret references, not secrets; Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_272:The package is built by `loaders package` in the user's pipeline; code signing needs a signing profile this module cannot own.
  count                          = local.sweep_enabled ? 1 : 0
  function_name                  = "${local.name}-sweep"
  description                    = "loaders: lookback sweep of ${local.dataset} into sink ${var.sink}"
  role                           = aws_iam_role.this.arn
  filename                       = var.package_s3_bucket == null ? var.package_file : null
  s3_bucket                      = one(aws_s3_object.package[*].bucket)
  s3_key                         = one(aws_s3_object.package[*].key)
  source_code_hash               = filebase64sha256(var.package_file)
  handler                        = "loaders.aws.sweep_handler"
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = 1 # sweeps never overlap

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = length(var.vpc_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.sweeper, aws_iam_role_policy.this]
}
