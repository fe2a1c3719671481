# The safety net for lost or failed notifications: on a schedule, the sweeper re-plans
# this dataset's lookback window against the sink's load state and loads what is missing.
# A sweep over a window where nothing changed issues no data statements.

resource "aws_cloudwatch_event_rule" "sweep" {
  count               = local.sweep_enabled ? 1 : 0
  name                = "${local.name}-sweep"
  description         = "loaders: lookback sweep of ${local.dataset} into sink ${var.sink}"
  schedule_expression = var.lookback_schedule
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  count     = local.sweep_enabled ? 1 : 0
  rule      = aws_cloudwatch_event_rule.sweep[0].name
  target_id = "sweeper"
  arn       = aws_lambda_function.sweeper[0].arn
  # What to sweep; the function's LOADERS_DATASET and LOADERS_SINK say the same.
  input = jsonencode({
    dataset = local.dataset
    sink    = var.sink
  })
}

resource "aws_lambda_permission" "sweep" {
  count         = local.sweep_enabled ? 1 : 0
  statement_id  = "AllowInvokeFromSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.sweeper[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep[0].arn
}
