# Query engine: a workgroup whose settings (result location, encryption) clients cannot
# override.

resource "aws_athena_workgroup" "this" {
  name          = local.athena_workgroup_name
  description   = "Queries over the ${var.glue_database_name} Glue database."
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    result_configuration {
      output_location = "s3://${aws_s3_bucket.this["results"].id}/results/"

      encryption_configuration {
        encryption_option = local.kms_enabled ? "SSE_KMS" : "SSE_S3"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
