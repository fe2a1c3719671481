# How messages reach the loader, and where those that cannot be loaded go.
#
#   use_sqs = true:  SNS topic -> buffer queue -> event source mapping -> loader
#                    (partial batch failures; after max_receive_count deliveries -> DLQ)
#   use_sqs = false: SNS topic -> loader, invoked asynchronously
#                    (after Lambda's 2 retries -> DLQ, through the function's dead_letter_config)
#
# With notifications = "eventbridge" an EventBridge rule (eventbridge.tf) takes the
# topic's place: rule -> buffer queue, or rule -> loader; the topic, if given, is still
# subscribed to, for `loaders backfill --fan-out`'s partition requests.
#
# Terminal failures (bad manifest, missing file...) never come back: the handler itself
# sends them to the DLQ with the reason and returns normally.

locals {
  subscribe_sns = var.sns_topic_arn != null

  # S3 notifications carry the key URL-encoded ("=" as %3D, space as +), slashes kept.
  encoded_manifest_prefix = replace(urlencode(var.manifest_prefix), "%2F", "/")

  # Applied to the message body (filter_policy_scope = "MessageBody"): a topic shared by
  # several datasets delivers to this subscription only what concerns this dataset.
  filter_policy = {
    "$or" = [
      # An S3 notification for a manifest of this dataset in the lake bucket.
      { Records = { s3 = { bucket = { name = [var.lake_bucket] }, object = { key = [{ prefix = local.encoded_manifest_prefix }] } } } },
      # A direct request {"manifest": "s3://..."}.
      { manifest = [{ prefix = "s3://${var.lake_bucket}/${var.manifest_prefix}" }] },
      # A partition request {"dataset": ..., "partition": ...}, as `backfill --fan-out` publishes.
      { dataset = [local.dataset] },
    ]
  }
}

resource "aws_sqs_queue" "dlq" {
  name                       = "${local.name}-dlq"
  message_retention_seconds  = 1209600 # 14 days, the maximum: longer than the buffer's, as a moved message keeps its age
  visibility_timeout_seconds = var.timeout
  sqs_managed_sse_enabled    = true
  tags                       = local.tags
}

resource "aws_sqs_queue" "buffer" {
  count = var.use_sqs ? 1 : 0
  name  = local.name
  # AWS guidance for a queue feeding a function: at least 6 x the function timeout
  # (plus the batching window), so a batch being retried by Lambda is not delivered twice.
  visibility_timeout_seconds = 6 * var.timeout + var.maximum_batching_window
  message_retention_seconds  = 345600 # 4 days
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = local.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  # Only the buffer queue may move messages here (the function sends with its role).
  redrive_allow_policy = var.use_sqs ? jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.buffer[0].arn]
  }) : jsonencode({ redrivePermission = "denyAll" })
}

data "aws_iam_policy_document" "buffer" {
  count = var.use_sqs ? 1 : 0

  dynamic "statement" {
    for_each = local.subscribe_sns ? [1] : []
    content {
      sid       = "OnlyTheTopicSends"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.buffer[0].arn]

      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [var.sns_topic_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.via_eventbridge ? [1] : []
    content {
      sid       = "OnlyTheRuleSends"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.buffer[0].arn]

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
}

resource "aws_sqs_queue_policy" "buffer" {
  count     = var.use_sqs ? 1 : 0
  queue_url = aws_sqs_queue.buffer[0].id
  policy    = data.aws_iam_policy_document.buffer[0].json
}

resource "aws_sns_topic_subscription" "buffer" {
  count               = var.use_sqs && local.subscribe_sns ? 1 : 0
  topic_arn           = var.sns_topic_arn
  protocol            = "sqs"
  endpoint            = aws_sqs_queue.buffer[0].arn
  filter_policy       = var.filter_messages ? jsonencode(local.filter_policy) : null
  filter_policy_scope = var.filter_messages ? "MessageBody" : null

  depends_on = [aws_sqs_queue_policy.buffer]
}

resource "aws_lambda_event_source_mapping" "buffer" {
  count                              = var.use_sqs ? 1 : 0
  event_source_arn                   = aws_sqs_queue.buffer[0].arn
  function_name                      = aws_lambda_function.loader.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window
  # The handler answers {"batchItemFailures": [...]}: only those messages are retried.
  function_response_types = ["ReportBatchItemFailures"]

  # Polling no faster than the reserved concurrency allows: throttled batches would
  # otherwise use up their receive count and reach the DLQ without having failed.
  dynamic "scaling_config" {
    for_each = var.reserved_concurrency >= 2 ? [1] : []
    content {
      maximum_concurrency = min(var.reserved_concurrency, 1000)
    }
  }

  lifecycle {
    precondition {
      condition     = var.batch_size <= 10 || var.maximum_batching_window >= 1
      error_message = "batch_size above 10 needs maximum_batching_window of at least 1 second."
    }
  }

  tags = local.tags
}

resource "aws_sns_topic_subscription" "direct" {
  count               = !var.use_sqs && local.subscribe_sns ? 1 : 0
  topic_arn           = var.sns_topic_arn
  protocol            = "lambda"
  endpoint            = aws_lambda_function.loader.arn
  filter_policy       = var.filter_messages ? jsonencode(local.filter_policy) : null
  filter_policy_scope = var.filter_messages ? "MessageBody" : null

  depends_on = [aws_lambda_permission.sns]
}

resource "aws_lambda_permission" "sns" {
  count         = !var.use_sqs && local.subscribe_sns ? 1 : 0
  statement_id  = "AllowInvokeFromTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.loader.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = var.sns_topic_arn
}

resource "aws_lambda_function_event_invoke_config" "loader" {
  count                        = var.use_sqs ? 0 : 1
  function_name                = aws_lambda_function.loader.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}
