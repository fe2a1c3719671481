output "dataset" {
  description = "The dataset this deployment loads, \"<data_source>.<data_type>\"."
  value       = local.dataset
}

output "function_arn" {
  description = "ARN of the loader function."
  value       = aws_lambda_function.loader.arn
}

output "function_name" {
  description = "Name of the loader function."
  value       = aws_lambda_function.loader.function_name
}

output "sweeper_function_arn" {
  description = "ARN of the sweeper function (null without lookback_schedule)."
  value       = one(aws_lambda_function.sweeper[*].arn)
}

output "sweeper_function_name" {
  description = "Name of the sweeper function (null without lookback_schedule)."
  value       = one(aws_lambda_function.sweeper[*].function_name)
}

output "dlq_url" {
  description = "URL of the dead-letter queue, given to the functions as LOADERS_DLQ_URL (loaders.toml: dead_letter_queue = \"$${LOADERS_DLQ_URL}\"); what `loaders dlq list` and `loaders dlq redrive` read."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "queue_url" {
  description = "URL of the SQS buffer queue between the topic and the loader (null when use_sqs = false)."
  value       = one(aws_sqs_queue.buffer[*].url)
}

output "queue_arn" {
  description = "ARN of the SQS buffer queue (null when use_sqs = false)."
  value       = one(aws_sqs_queue.buffer[*].arn)
}

output "role_arn" {
  description = "ARN of the functions' IAM role (attach further sink grants to it, or use extra_policy_json)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the functions' IAM role."
  value       = aws_iam_role.this.name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule matching this dataset's new manifests (null unless notifications = \"eventbridge\")."
  value       = one(aws_cloudwatch_event_rule.manifests[*].arn)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null unless dashboard = true)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "builder_function_name" {
  description = "Name of the manifest builder function (null unless builder is set)."
  value       = one(aws_lambda_function.builder[*].function_name)
}

output "builder_dlq_url" {
  description = "URL of the builder's dead-letter queue: data-file events it still failed on after Lambda's retries (null unless builder is set)."
  value       = one(aws_sqs_queue.builder_dlq[*].url)
}
