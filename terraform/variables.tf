# ---------------------------------------------------------------------------------------------
# Naming and placement
# ---------------------------------------------------------------------------------------------

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Name prefix for every resource (bucket names, IAM role, Athena workgroup). Lowercase letters, digits and hyphens, because it is part of S3 bucket names."
  type        = string
  default     = "sandbox"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3-32 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "bucket_suffix" {
  description = "Appended to the derived bucket names. S3 bucket names are global across all AWS accounts, so set this (for example to your account ID or a random string) when applying to real AWS. Empty means no suffix."
  type        = string
  default     = ""

  validation {
    condition     = var.bucket_suffix == "" || can(regex("^[a-z0-9][a-z0-9-]{0,20}$", var.bucket_suffix))
    error_message = "bucket_suffix must be empty or up to 21 lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "sink_bucket_name" {
  description = "Full name of the S3 bucket Firehose writes events to. null derives \"<project>-events[-<bucket_suffix>]\"."
  type        = string
  default     = null

  validation {
    condition     = var.sink_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.sink_bucket_name))
    error_message = "sink_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "results_bucket_name" {
  description = "Full name of the S3 bucket for Athena query results. null derives \"<project>-athena-results[-<bucket_suffix>]\"."
  type        = string
  default     = null

  validation {
    condition     = var.results_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.results_bucket_name))
    error_message = "results_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "firehose_stream_name" {
  description = "Base name of the delivery streams; the streams are \"<name>_json\" and \"<name>_parquet\" (as in the article) and \"<name>_iceberg\"."
  type        = string
  default     = "events"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,56}$", var.firehose_stream_name))
    error_message = "firehose_stream_name must be 1-56 characters of letters, digits, '_', '.', '-' (the longest suffix, \"_parquet\", must still fit Firehose's 64-character limit)."
  }
}

variable "glue_database_name" {
  description = "Glue Data Catalog database holding the events_json, events_parquet and events_iceberg tables."
  type        = string
  default     = "events_db"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database_name))
    error_message = "glue_database_name must be lowercase letters, digits and underscores (Athena-friendly)."
  }
}

variable "athena_workgroup_name" {
  description = "Athena workgroup name. null derives \"<project>-analytics\"."
  type        = string
  default     = null

  validation {
    condition     = var.athena_workgroup_name == null || can(regex("^[a-zA-Z0-9._-]{1,128}$", var.athena_workgroup_name))
    error_message = "athena_workgroup_name must be 1-128 characters of letters, digits, '.', '_', '-'."
  }
}

variable "tags" {
  description = "Extra tags for every taggable resource (merged over Project and ManagedBy through the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Firehose buffering and format
#
# AWS rejects BufferingHints.SizeInMBs below 64 when dynamic partitioning is enabled, and also
# when record format conversion is enabled ("BufferingHints.SizeInMBs must be at least 64 when
# ..."); the API maximum is 128. Both streams use dynamic partitioning, so both are 64..128.
# Zero buffering is not available with dynamic partitioning; 60..900 s is the classic range.
# ---------------------------------------------------------------------------------------------

variable "json_buffering_size_mb" {
  description = "JSON stream: buffer size in MiB before an object is written (per partition). The article uses 64."
  type        = number
  default     = 64

  validation {
    condition     = var.json_buffering_size_mb >= 64 && var.json_buffering_size_mb <= 128 && floor(var.json_buffering_size_mb) == var.json_buffering_size_mb
    error_message = "json_buffering_size_mb must be a whole number from 64 to 128 (dynamic partitioning requires at least 64)."
  }
}

variable "json_buffering_interval_seconds" {
  description = "JSON stream: buffer interval in seconds before an object is written (per partition). The article uses 60."
  type        = number
  default     = 60

  validation {
    condition     = var.json_buffering_interval_seconds >= 60 && var.json_buffering_interval_seconds <= 900 && floor(var.json_buffering_interval_seconds) == var.json_buffering_interval_seconds
    error_message = "json_buffering_interval_seconds must be a whole number from 60 to 900."
  }
}

variable "parquet_buffering_size_mb" {
  description = "Parquet stream: buffer size in MiB. Defaults to the 128 MiB maximum: columnar files pay off when they are large, and the 60 s interval still bounds latency at low volume."
  type        = number
  default     = 128

  validation {
    condition     = var.parquet_buffering_size_mb >= 64 && var.parquet_buffering_size_mb <= 128 && floor(var.parquet_buffering_size_mb) == var.parquet_buffering_size_mb
    error_message = "parquet_buffering_size_mb must be a whole number from 64 to 128 (record format conversion and dynamic partitioning require at least 64)."
  }
}

variable "parquet_buffering_interval_seconds" {
  description = "Parquet stream: buffer interval in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.parquet_buffering_interval_seconds >= 60 && var.parquet_buffering_interval_seconds <= 900 && floor(var.parquet_buffering_interval_seconds) == var.parquet_buffering_interval_seconds
    error_message = "parquet_buffering_interval_seconds must be a whole number from 60 to 900."
  }
}

variable "parquet_compression" {
  description = "Compression codec inside the Parquet files written by record format conversion (the S3-level compression of that stream is necessarily UNCOMPRESSED). The article uses GZIP; AWS's default is SNAPPY."
  type        = string
  default     = "GZIP"

  validation {
    condition     = contains(["SNAPPY", "GZIP", "UNCOMPRESSED"], var.parquet_compression)
    error_message = "parquet_compression must be SNAPPY, GZIP or UNCOMPRESSED."
  }
}

variable "iceberg_buffering_size_mb" {
  description = "Iceberg stream: buffer size in MiB before a commit (Firehose allows 1 to 128 for Iceberg destinations). Larger buffers mean fewer commits and larger data files."
  type        = number
  default     = 64

  validation {
    condition     = var.iceberg_buffering_size_mb >= 1 && var.iceberg_buffering_size_mb <= 128 && floor(var.iceberg_buffering_size_mb) == var.iceberg_buffering_size_mb
    error_message = "iceberg_buffering_size_mb must be a whole number from 1 to 128."
  }
}

variable "iceberg_buffering_interval_seconds" {
  description = "Iceberg stream: buffer interval in seconds before a commit (0 to 900)."
  type        = number
  default     = 60

  validation {
    condition     = var.iceberg_buffering_interval_seconds >= 0 && var.iceberg_buffering_interval_seconds <= 900 && floor(var.iceberg_buffering_interval_seconds) == var.iceberg_buffering_interval_seconds
    error_message = "iceberg_buffering_interval_seconds must be a whole number from 0 to 900."
  }
}

# ---------------------------------------------------------------------------------------------
# Security, retention, lifecycle
# ---------------------------------------------------------------------------------------------

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key ARN. null (default) encrypts both buckets with SSE-S3 (AES256) and Athena results with SSE_S3. When set, the buckets default to SSE-KMS with this key, Firehose writes with it, Athena encrypts results with it, and the Firehose role gets kms:GenerateDataKey/Decrypt on it (scoped to S3 in this region). The key policy must allow this account's IAM principals to use the key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "s3_versioning_enabled" {
  description = "Enable S3 versioning on both buckets. Off by default: Firehose only ever writes new, uniquely named objects, so versions add cost without protecting anything. Turn it on if your organisation requires it."
  type        = bool
  default     = false
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the buckets and the Athena workgroup even when they still hold objects/queries. Off by default so a destroy against real AWS cannot silently delete collected data; the local sandbox may set it to true."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the Firehose CloudWatch log groups, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}
