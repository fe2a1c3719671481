# notifications = "eventbridge": S3 sends the bucket's events to EventBridge (the bucket's
# aws_s3_bucket_notification has eventbridge = true; one per bucket, so the caller owns it)
# and this rule picks this dataset's new manifests out of them:
#
#   use_sqs = true:  rule -> buffer queue -> event source mapping -> loader
#   use_sqs = false: rule -> loader, invoked asynchronously (Lambda's retries, then the DLQ)
#
# EventBridge carries the key as it is (not URL-encoded, unlike S3 notification records;
# S3 user guide, "EventBridge event message structure"), so the pattern's prefix is
# manifest_prefix itself. An event EventBridge cannot deliver (a policy gone, a throttled
# invoke after its retries) goes to the DLQ too, as the bare event, which
# `loaders dlq redrive` reads as a record to load.

locals {
  via_eventbridge = var.notifications == "eventbridge"

  manifest_event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.lake_bucket] }
      object = { key = [{ prefix = var.manifest_prefix }] }
    }
  }
}

resource "aws_cloudwatch_event_rule" "manifests" {
  count         = local.via_eventbridge ? 1 : 0
  name          = "${local.name}-manifests"
  description   = "loaders: new manifests of ${local.dataset} in ${var.lake_bucket}/${var.manifest_prefix}"
  event_pattern = jsonencode(local.manifest_event_pattern)
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "manifests" {
  count     = local.via_eventbridge ? 1 : 0
  rule      = aws_cloudwatch_event_rule.manifests[0].name
  target_id = "loader"
  arn       = var.use_sqs ? aws_sqs_queue.buffer[0].arn : aws_lambda_function.loader.arn

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }

  depends_on = [aws_sqs_queue_policy.buffer, aws_lambda_permission.eventbridge]
}

resource "aws_lambda_permission" "eventbridge" {
  count         = local.via_eventbridge && !var.use_sqs ? 1 : 0
  statement_id  = "AllowInvokeFromManifestRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.loader.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.manifests[0].arn
}

# The rule's undeliverable events; the function sends its own letters with its role.
data "aws_iam_policy_document" "dlq" {
  count = local.via_eventbridge ? 1 : 0

  statement {
    sid       = "OnlyTheRuleSendsUndeliverableEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.manifests[0].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  count     = local.via_eventbridge ? 1 : 0
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq[0].json
}
