# One role for both functions, allowed only what loading this dataset needs: read its
# manifests and data (and the configuration), write its own logs, send terminal failures
# to its own DLQ and, with use_sqs, consume its own buffer queue; for an Avro format, also
# write, read and delete its Parquet copies under <store_prefix>_loaders/staging/ (and
# nothing else of the bucket). What a sink needs beyond that (Athena/Glue, Secrets
# Manager...) comes from var.extra_policy_json.

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumesTheRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.name
  description        = "loaders: ${local.dataset} into sink ${var.sink}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid     = "WriteOwnLogs"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = concat(
      ["${aws_cloudwatch_log_group.loader.arn}:*"],
      [for group in aws_cloudwatch_log_group.sweeper : "${group.arn}:*"],
    )
  }

  statement {
    sid       = "ReadConfiguration"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object_arn]
  }

  statement {
    sid       = "ReadManifestsAndData"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for prefix in local.read_prefixes : "${local.lake_bucket_arn}/${prefix}*"]
  }

  # The planner lists one partition at a time: LIST is allowed under the dataset's prefixes only.
  statement {
    sid       = "ListManifestsAndData"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.read_prefixes : "${prefix}*"]
    }
  }

  # The runner converts an Avro unit's files to Parquet copies under the staging prefix,
  # loads those, then deletes them (manifests/convert.py): only formats that need it get it.
  dynamic "statement" {
    for_each = local.stages_avro ? [1] : []
    content {
      sid       = "WriteAvroStagingCopies"
      effect    = "Allow"
      actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
      resources = ["${local.lake_bucket_arn}/${local.staging_prefix}*"]
    }
  }

  statement {
    sid       = "SendTerminalFailuresToDeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  dynamic "statement" {
    for_each = var.use_sqs ? [1] : []
    content {
      sid       = "ConsumeBufferQueue"
      effect    = "Allow"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      resources = [aws_sqs_queue.buffer[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "loaders"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_iam_role_policy" "extra" {
  count  = var.extra_policy_json == null ? 0 : 1
  name   = "sink"
  role   = aws_iam_role.this.id
  policy = var.extra_policy_json
}

# Network interfaces in the VPC and X-Ray segments cannot be scoped to resources: AWS's
# managed policies for exactly these are attached only when the feature is on.
resource "aws_iam_role_policy_attachment" "vpc" {
  count      = length(var.vpc_subnet_ids) > 0 ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy_attachment" "xray" {
  count      = var.tracing_mode == "Active" ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}
