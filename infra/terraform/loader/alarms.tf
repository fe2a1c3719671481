# Signals that need a person: loads that failed (the Failures EMF metric), messages
# waiting in the dead-letter queue, function errors (crashes, timeouts), and, with
# var.freshness_alarm_seconds, a dataset whose newest load is older than that.

resource "aws_cloudwatch_metric_alarm" "failures" {
  alarm_name          = "${local.name}-failures"
  alarm_description   = "loaders ${local.dataset} -> ${var.sink}: a load failed (metric Failures, service ${var.service_name})."
  namespace           = var.metrics_namespace
  metric_name         = "Failures"
  dimensions          = { service = var.service_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${local.name}-dlq"
  alarm_description   = "loaders ${local.dataset} -> ${var.sink}: messages wait in the dead-letter queue (`loaders dlq list`)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${local.name}-errors"
  alarm_description   = "loaders ${local.dataset} -> ${var.sink}: the loader function raised or timed out."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.loader.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "sweep_errors" {
  count               = local.sweep_enabled ? 1 : 0
  alarm_name          = "${local.name}-sweep-errors"
  alarm_description   = "loaders ${local.dataset} -> ${var.sink}: the lookback sweep raised or timed out."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.sweeper[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = local.tags
}

# FreshnessLagSeconds (dimensions service, dataset and sink, as the sweep emits them) comes from the scheduled sweep, so the
# alarm needs the sweep; missing data (no sweep ran) is left to the sweep_errors alarm.
resource "aws_cloudwatch_metric_alarm" "freshness" {
  count               = var.freshness_alarm_seconds == null ? 0 : 1
  alarm_name          = "${local.name}-freshness"
  alarm_description   = "loaders ${local.dataset} -> ${var.sink}: the newest load is older than ${coalesce(var.freshness_alarm_seconds, 0)} s (`loaders doctor`, `loaders status`)."
  namespace           = var.metrics_namespace
  metric_name         = "FreshnessLagSeconds"
  dimensions          = { service = var.service_name, dataset = local.dataset, sink = var.sink }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.freshness_alarm_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = local.tags

  lifecycle {
    precondition {
      condition     = local.sweep_enabled
      error_message = "freshness_alarm_seconds needs the sweep (lookback_schedule): the sweep reports FreshnessLagSeconds."
    }
  }
}
