# Inputs of one loaders deployment: one dataset ("<data_source>.<data_type>") into one sink.

# --- What is loaded where ---------------------------------------------------

variable "data_source" {
  description = "First half of the dataset name \"<data_source>.<data_type>\", e.g. \"ad_server\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.data_source))
    error_message = "data_source may hold only letters, digits, \"_\" and \"-\"."
  }
}

variable "data_type" {
  description = "Second half of the dataset name \"<data_source>.<data_type>\", e.g. \"conversion\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.data_type))
    error_message = "data_type may hold only letters, digits, \"_\" and \"-\"."
  }
}

variable "sink" {
  description = "Name of the sink in loaders.toml ([sinks.NAME]) this function loads into; the package must be built for it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.sink))
    error_message = "sink may hold only letters, digits, \"_\" and \"-\"."
  }
}

variable "name" {
  description = "Base name of every resource. Default: \"loaders-<data_source>-<data_type>-<sink>\". At most 58 characters."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[A-Za-z0-9_-]{1,58}$", var.name))
    error_message = "name: 1 to 58 letters, digits, \"_\" or \"-\" (\"-sweep\" and \"-dlq\" are appended to it)."
  }
}

# --- The function -----------------------------------------------------------

variable "package_file" {
  description = "Path of the zip built by `loaders package --sink NAME --out dist/` (dist/loaders-<sink>.zip)."
  type        = string

  validation {
    condition     = endswith(var.package_file, ".zip")
    error_message = "package_file must be the .zip that `loaders package` writes."
  }
}

variable "package_s3_bucket" {
  description = "Bucket (in the functions' region) to upload package_file to, as loaders/<name>.zip, before deploying it. Required because the packages are 65-80 MB and Lambda takes at most 50 MB in a direct upload; null uploads directly (a zip under 50 MB)."
  type        = string

  validation {
    condition     = var.package_s3_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.package_s3_bucket))
    error_message = "package_s3_bucket must be a bucket name, without s3:// or a key."
  }
}

variable "handler" {
  description = "Handler of the loader function."
  type        = string
  default     = "loaders.aws.handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*$", var.handler))
    error_message = "handler must be a dotted Python path such as loaders.aws.handler."
  }
}

variable "runtime" {
  description = "Lambda runtime; the same Python minor as the one the package was built with. Not python3.11: it runs on Amazon Linux 2, whose glibc 2.26 cannot load the duckdb and pyarrow wheels (docs/package.md)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13 (python3.11 runs on Amazon Linux 2, too old for the duckdb and pyarrow wheels)."
  }
}

variable "architecture" {
  description = "Instruction set of the functions; the package's compiled wheels must match it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of each function, in MB (CPU grows with it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout of each function, in seconds. The buffer queue's visibility timeout is derived from it (6 x timeout + batching window)."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the loader function: at most this many loads run at once (protects the warehouse)."
  type        = number
  default     = 5

  validation {
    condition     = var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number of at least 1."
  }
}

variable "environment" {
  description = "Extra environment variables of both functions, e.g. the ones loaders.toml names as $${VAR} for sink credentials. The module's own variables (LOADERS_*, POWERTOOLS_*, LOG_LEVEL) win over these."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "Log level of both functions (POWERTOOLS_LOG_LEVEL and LOG_LEVEL); DEBUG shows each SQL statement."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing of both functions: PassThrough or Active (Active also grants the X-Ray write permissions)."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "vpc_subnet_ids" {
  description = "Subnets to run the functions in, for a warehouse reachable only inside a VPC (Redshift, PostgreSQL). Empty: no VPC. The subnets need a route to S3 and SQS (gateway/interface endpoints or NAT)."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the functions when vpc_subnet_ids is set."
  type        = list(string)
  default     = []
}

# --- Where the data and the configuration are -------------------------------

variable "lake_bucket" {
  description = "Bucket holding the dataset's manifests and data files (the bucket of [store] root)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be a bucket name, without s3:// or a key."
  }
}

variable "manifest_prefix" {
  description = "Key prefix of the dataset's manifests in the lake bucket, e.g. \"manifests/ad_server/conversion/\"."
  type        = string

  validation {
    condition     = length(var.manifest_prefix) > 1 && endswith(var.manifest_prefix, "/") && !startswith(var.manifest_prefix, "/")
    error_message = "manifest_prefix must be a non-empty key prefix ending in \"/\" and not starting with \"/\"."
  }
}

variable "data_prefix" {
  description = "Key prefix of the dataset's data files in the lake bucket, e.g. \"data/ad_server/conversion/\"."
  type        = string

  validation {
    condition     = length(var.data_prefix) > 1 && endswith(var.data_prefix, "/") && !startswith(var.data_prefix, "/")
    error_message = "data_prefix must be a non-empty key prefix ending in \"/\" and not starting with \"/\"."
  }
}

variable "extra_read_prefixes" {
  description = "Other key prefixes of the lake bucket the loader reads, e.g. the Avro writer schemas under <store.root>/schemas/ (format avro-wrapped)."
  type        = list(string)
  default     = ["schemas/"]

  validation {
    condition     = alltrue([for p in var.extra_read_prefixes : length(p) > 1 && endswith(p, "/") && !startswith(p, "/")])
    error_message = "each of extra_read_prefixes must be a non-empty key prefix ending in \"/\"."
  }
}

variable "format" {
  description = "The dataset's format in loaders.toml. Avro formats (avro, avro-wrapped) are converted to Parquet copies under <store_prefix>_loaders/staging/ before the load: the role may then write, read and delete keys under exactly that prefix."
  type        = string
  default     = "parquet"

  validation {
    condition     = contains(["parquet", "csv", "jsonl", "avro", "avro-wrapped"], var.format)
    error_message = "format must be one of parquet, csv, jsonl, avro, avro-wrapped."
  }
}

variable "store_prefix" {
  description = "Key prefix of [store] root in the lake bucket: \"\" for root = \"s3://<lake_bucket>\", \"lake/\" for \"s3://<lake_bucket>/lake\". Where the Avro staging copies go (<store_prefix>_loaders/staging/)."
  type        = string
  default     = ""

  validation {
    condition     = var.store_prefix == "" || (endswith(var.store_prefix, "/") && !startswith(var.store_prefix, "/"))
    error_message = "store_prefix must be \"\" or a key prefix ending in \"/\" and not starting with \"/\"."
  }
}

variable "config_uri" {
  description = "s3://bucket/key of the loaders.toml the functions read (LOADERS_CONFIG)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+", var.config_uri))
    error_message = "config_uri must be an s3://bucket/key URI."
  }
}

# --- How notifications arrive -----------------------------------------------

variable "notifications" {
  description = "How the lake bucket's manifest notifications reach the loader: \"sns\" (the bucket notifies sns_topic_arn; the module subscribes to it) or \"eventbridge\" (the bucket sends its events to EventBridge, eventbridge = true on its aws_s3_bucket_notification; the module adds a rule matching Object Created under manifest_prefix, whose target is the buffer queue, or the function with use_sqs = false)."
  type        = string
  default     = "sns"

  validation {
    condition     = contains(["sns", "eventbridge"], var.notifications)
    error_message = "notifications must be \"sns\" or \"eventbridge\"."
  }
}

variable "sns_topic_arn" {
  description = "ARN of the SNS topic the lake bucket's manifest notifications go to (and `loaders backfill --fan-out` publishes to). The module subscribes to it. Required with notifications = \"sns\"; with \"eventbridge\", optional: a topic given is subscribed to as well, for fan-out's partition requests."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be an SNS topic ARN."
  }
}

variable "filter_messages" {
  description = "Subscribe with a message-body filter policy so that only this dataset's messages are delivered (S3 notifications under manifest_prefix, direct manifest requests, partition requests for the dataset). Turn off for a topic that carries only this dataset."
  type        = bool
  default     = true
}

variable "use_sqs" {
  description = "true: SNS -> SQS buffer queue -> Lambda (batching, partial batch failures, redrive to the DLQ). false: SNS invokes the function directly (asynchronous invocation; events that still fail after Lambda's retries go to the DLQ)."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Most messages one invocation receives from the buffer queue (use_sqs). Above 10 needs maximum_batching_window >= 1."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window" {
  description = "Seconds the event source mapping may wait to fill a batch (use_sqs)."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window >= 0 && var.maximum_batching_window <= 300
    error_message = "maximum_batching_window must be between 0 and 300 seconds."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one message from the buffer queue before SQS moves it to the DLQ (transient failures that never clear)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "lookback_schedule" {
  description = "EventBridge schedule of the sweeper function, which re-plans the dataset's lookback window and loads what notifications missed. Empty string: no sweeper."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = var.lookback_schedule == "" || can(regex("^(rate|cron)\\(.+\\)$", var.lookback_schedule))
    error_message = "lookback_schedule must be \"\", rate(...) or cron(...)."
  }
}

# --- Operations -------------------------------------------------------------

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm fires: Failures metric, messages in the DLQ, function errors, freshness lag."
  type        = list(string)
  default     = []
}

variable "dashboard" {
  description = "Create a CloudWatch dashboard \"<name>\": the loader's errors and duration, the buffer queue's oldest message age (use_sqs), the DLQ's depth, and the loader's EMF metrics (manifests, rows, failures, load time, partition and freshness lag)."
  type        = bool
  default     = false
}

variable "freshness_alarm_seconds" {
  description = "Alarm when FreshnessLagSeconds of this dataset and sink (reported by the sweep) exceeds this many seconds; null: no freshness alarm."
  type        = number
  default     = null

  validation {
    condition     = var.freshness_alarm_seconds == null ? true : var.freshness_alarm_seconds > 0
    error_message = "freshness_alarm_seconds must be a positive number of seconds, or null."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' EMF metrics (POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = "loaders"
}

variable "service_name" {
  description = "POWERTOOLS_SERVICE_NAME, the \"service\" dimension of the metrics. Functions sharing it share the Failures alarm's metric: give each deployment its own to alarm per dataset."
  type        = string
  default     = "loaders"
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "extra_policy_json" {
  description = "Optional IAM policy JSON added to the functions' role for what the sink needs (Athena/Glue, Secrets Manager, Redshift Data API...). Must be known at plan time."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every taggable resource; the module adds loaders:dataset, loaders:sink, loaders:data_source and loaders:data_type."
  type        = map(string)
  default     = {}
}

# --- The manifest builder (optional) ----------------------------------------

variable "builder" {
  description = "Deploy the manifest builder too (loaders.aws.batch_handler), for a producer that writes data files but no manifests: { schedule = \"rate(5 minutes)\" } (each attribute optional). New files under data_prefix reach it through an EventBridge rule, whatever notifications says, so the lake bucket must send its events to EventBridge (eventbridge = true on its aws_s3_bucket_notification); the schedule invokes its sweep, which seals batches older than batch.seconds. null (the default): no builder."
  type = object({
    schedule = optional(string, "rate(5 minutes)")
  })
  default = null

  validation {
    condition     = var.builder == null || can(regex("^(rate|cron)\\(.+\\)$", var.builder.schedule))
    error_message = "builder.schedule must be rate(...) or cron(...)."
  }
}
