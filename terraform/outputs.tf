# The names below are a contract: the `sandbox` Python package reads them
# (sandbox/platform/outputs.py) instead of hard-coding resource names. Don't rename them.

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

output "athena_workgroup_name" {
  description = "Athena workgroup for querying the tables."
  value       = aws_athena_workgroup.this.name
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

output "firehose_role_arn" {
  description = "ARN of the IAM role the delivery streams assume."
  value       = aws_iam_role.firehose.arn
}

output "athena_results_location" {
  description = "Where the workgroup writes query results."
  value       = "s3://${aws_s3_bucket.this["results"].id}/results/"
}

output "log_group_names" {
  description = "CloudWatch log groups receiving delivery errors, by stream kind (json, parquet)."
  value       = { for kind, group in aws_cloudwatch_log_group.firehose : kind => group.name }
}
