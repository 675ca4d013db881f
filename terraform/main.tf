# The article's platform: app -> Kinesis Data Firehose (JSON and Parquet streams, dynamic
# partitioning; and the article's next step, an Iceberg stream) -> S3 -> Glue Data Catalog ->
# Athena.
# Resources live in s3.tf, glue.tf, iam.tf, logs.tf, firehose.tf and athena.tf.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  tags = merge(
    {
      Project   = var.project
      ManagedBy = "terraform"
    },
    var.tags,
  )

  sink_bucket_name    = coalesce(var.sink_bucket_name, join("-", compact([var.project, "events", var.bucket_suffix])))
  results_bucket_name = coalesce(var.results_bucket_name, join("-", compact([var.project, "athena-results", var.bucket_suffix])))

  # Stream and table names follow the article.
  json_stream_name    = "${var.firehose_stream_name}_json"
  parquet_stream_name = "${var.firehose_stream_name}_parquet"
  iceberg_stream_name = "${var.firehose_stream_name}_iceberg"
  json_table_name     = "events_json"
  parquet_table_name  = "events_parquet"
  iceberg_table_name  = "events_iceberg"

  athena_workgroup_name = coalesce(var.athena_workgroup_name, "${var.project}-analytics")

  # S3 layout (Hive-style partitions name=<event name>/d=<processing date>).
  json_data_prefix    = "events_raw/json/"
  parquet_data_prefix = "events_raw/parquet/"
  # The Iceberg table's own folder (data/ and metadata/ below it; partitions are hidden).
  iceberg_table_location = "s3://${aws_s3_bucket.this["sink"].id}/${local.iceberg_table_name}/"

  # One CloudWatch log group per delivery stream, as the Firehose console creates them.
  streams = {
    json    = local.json_stream_name
    parquet = local.parquet_stream_name
    iceberg = local.iceberg_stream_name
  }

  # Dynamic partitioning: the article's inline (jq 1.6) extraction. `event_name` feeds the
  # `name=` partition; `event_date` (the event's month) is extracted as in the article but the
  # `d=` partition deliberately uses the processing date (!{timestamp:...}).
  metadata_extraction_query = "{event_name:.name, event_date:.tstamp | split(\".\")[0] | strptime(\"%Y-%m-%d %H:%M:%S\") | strftime(\"%Y-%m\")}"

  kms_enabled = var.kms_key_arn != null
}
