# var.dashboard: one CloudWatch dashboard per deployment, "<name>", with what an operator
# looks at first: does the loader fail or slow down, does the buffer queue fall behind,
# does anything wait in the dead-letter queue; and the loader's own EMF metrics: what it
# loads, what fails, how long a load takes and how far each dataset lags behind.

data "aws_region" "current" {}

locals {
  dashboard_widgets = concat(
    [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Loader errors and invocations"
          region  = data.aws_region.current.name
          stat    = "Sum"
          period  = 300
          metrics = [for m in ["Errors", "Throttles", "Invocations"] : ["AWS/Lambda", m, "FunctionName", aws_lambda_function.loader.function_name]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Loader duration (ms)"
          region = data.aws_region.current.name
          period = 300
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", aws_lambda_function.loader.function_name, { stat = "Average" }],
            ["AWS/Lambda", "Duration", "FunctionName", aws_lambda_function.loader.function_name, { stat = "Maximum" }],
          ]
          annotations = { horizontal = [{ label = "timeout", value = var.timeout * 1000 }] }
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "Dead-letter queue depth"
          region  = data.aws_region.current.name
          stat    = "Maximum"
          period  = 300
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dlq.name]]
        }
      },
    ],
    [
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title   = "Loads: manifests and rows"
          region  = data.aws_region.current.name
          stat    = "Sum"
          period  = 300
          metrics = [for m in ["ManifestsLoaded", "RowsLoaded"] : [var.metrics_namespace, m, "service", var.service_name]]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title   = "Failed loads and skipped duplicates"
          region  = data.aws_region.current.name
          stat    = "Sum"
          period  = 300
          metrics = [for m in ["Failures", "SkippedDuplicates"] : [var.metrics_namespace, m, "service", var.service_name]]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title  = "Load time and partition lag (s)"
          region = data.aws_region.current.name
          period = 300
          metrics = [
            [var.metrics_namespace, "LoadSeconds", "service", var.service_name, { stat = "Maximum" }],
            [var.metrics_namespace, "PartitionLagSeconds", "service", var.service_name, { stat = "Maximum" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title   = "Freshness lag of ${local.dataset} in ${var.sink} (s)"
          region  = data.aws_region.current.name
          stat    = "Maximum"
          period  = 300
          metrics = [[var.metrics_namespace, "FreshnessLagSeconds", "service", var.service_name, "dataset", local.dataset, "sink", var.sink]]
          annotations = {
            horizontal = var.freshness_alarm_seconds == null ? [] : [{ label = "freshness alarm", value = var.freshness_alarm_seconds }]
          }
        }
      },
    ],
    [for queue in aws_sqs_queue.buffer : {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title   = "Buffer queue: age of the oldest message (s)"
        region  = data.aws_region.current.name
        stat    = "Maximum"
        period  = 300
        metrics = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue.name]]
      }
    }],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  count          = var.dashboard ? 1 : 0
  dashboard_name = local.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
  # aws_cloudwatch_dashboard takes no tags; its name carries the deployment's.
}
