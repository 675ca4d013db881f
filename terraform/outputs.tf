# The names below are a contract: the `sandbox` Python package reads them
# (sandbox/infra/outputs.py) instead of hard-coding resource names. Don't rename them.

output "bucket_name" {
  description = "S3 bucket the delivery streams write to."
  value       = aws_s3_bucket.this["sink"].id
}

output "results_bucket_name" {
  description = "S3 bucket for Athena query results."
  value       = aws_s3_bucket.this["results"].id
}

output "json_stream_name" {
  description = "Firehose delivery stream writing GZIP'd newline-delimited JSON."
  value       = aws_kinesis_firehose_delivery_stream.json.name
}

output "parquet_stream_name" {
  description = "Firehose delivery stream writing Parquet."
  value       = aws_kinesis_firehose_delivery_stream.parquet.name
}

output "iceberg_stream_name" {
  description = "Firehose delivery stream writing into the Iceberg table."
  value       = aws_kinesis_firehose_delivery_stream.iceberg.name
}

output "glue_database_name" {
  description = "Glue Data Catalog database."
  value       = aws_glue_catalog_database.events.name
}

output "json_table_name" {
  description = "Glue table over the JSON data."
  value       = aws_glue_catalog_table.events_json.name
}

output "parquet_table_name" {
  description = "Glue table over the Parquet data (also the conversion schema)."
  value       = aws_glue_catalog_table.events_parquet.name
}

output "iceberg_table_name" {
  description = "Glue Iceberg table (hidden partitions identity(name), day(tstamp))."
  value       = terraform_data.events_iceberg.output.table
}

output "iceberg_table_location" {
  description = "S3 location of the Iceberg table (data/ and metadata/ below it)."
  value       = terraform_data.events_iceberg.output.location
}

output "iceberg_error_output_prefix" {
  description = "S3 key prefix of the Iceberg stream's error output."
  value       = aws_kinesis_firehose_delivery_stream.iceberg.iceberg_configuration[0].s3_configuration[0].error_output_prefix
}

output "athena_workgroup_name" {
  description = "Athena workgroup for querying the tables."
  value       = aws_athena_workgroup.this.name
}

# The lake layout: where each stream writes in the sink bucket, as configured on the stream
# (Firehose expressions included). Readers take the fixed folder in front of the first `!{`.

output "json_prefix" {
  description = "S3 key prefix of the JSON stream's objects (the events_json table's data lies below its fixed part)."
  value       = aws_kinesis_firehose_delivery_stream.json.extended_s3_configuration[0].prefix
}

output "json_error_output_prefix" {
  description = "S3 key prefix of the JSON stream's error output."
  value       = aws_kinesis_firehose_delivery_stream.json.extended_s3_configuration[0].error_output_prefix
}

output "parquet_prefix" {
  description = "S3 key prefix of the Parquet stream's objects (the events_parquet table's data lies below its fixed part)."
  value       = aws_kinesis_firehose_delivery_stream.parquet.extended_s3_configuration[0].prefix
}

output "parquet_error_output_prefix" {
  description = "S3 key prefix of the Parquet stream's error output."
  value       = aws_kinesis_firehose_delivery_stream.parquet.extended_s3_configuration[0].error_output_prefix
}

output "region" {
  description = "AWS region of every resource."
  value       = var.region
}

# Extras (not read by the package today).

output "bucket_arn" {
  description = "ARN of the sink bucket."
  value       = aws_s3_bucket.this["sink"].arn
}

output "json_stream_arn" {
  description = "ARN of the JSON delivery stream (for producers' IAM policies)."
  value       = aws_kinesis_firehose_delivery_stream.json.arn
}

output "parquet_stream_arn" {
  description = "ARN of the Parquet delivery stream (for producers' IAM policies)."
  value       = aws_kinesis_firehose_delivery_stream.parquet.arn
}

output "iceberg_stream_arn" {
  description = "ARN of the Iceberg delivery stream (for producers' IAM policies)."
  value       = aws_kinesis_firehose_delivery_stream.iceberg.arn
}

output "firehose_role_arn" {
  description = "ARN of the IAM role the delivery streams assume."
  value       = aws_iam_role.firehose.arn
}

output "athena_results_location" {
  description = "Where the workgroup writes query results."
  value       = "s3://${aws_s3_bucket.this["results"].id}/results/"
}

output "log_group_names" {
  description = "CloudWatch log groups receiving delivery errors, by stream kind (json, parquet, iceberg)."
  value       = { for kind, group in aws_cloudwatch_log_group.firehose : kind => group.name }
}
