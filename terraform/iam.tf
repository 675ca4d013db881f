# The role both delivery streams assume. Trust is limited to the Firehose service acting for
# this account (sts:ExternalId = account ID, as in the Firehose developer guide's trust policy);
# permissions are limited to the sink bucket, the Parquet table's schema and the streams' own
# log streams.

data "aws_iam_policy_document" "firehose_assume_role" {
  statement {
    sid     = "FirehoseAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${var.project}-firehose-delivery"
  description        = "Assumed by the ${local.json_stream_name}, ${local.parquet_stream_name} and ${local.iceberg_stream_name} delivery streams."
  assume_role_policy = data.aws_iam_policy_document.firehose_assume_role.json
}

locals {
  glue_catalog_arn  = "arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog"
  glue_database_arn = "arn:${local.partition}:glue:${var.region}:${local.account_id}:database/${aws_glue_catalog_database.events.name}"
  glue_parquet_table_arn = join("/", [
    "arn:${local.partition}:glue:${var.region}:${local.account_id}:table",
    aws_glue_catalog_database.events.name,
    aws_glue_catalog_table.events_parquet.name,
  ])
  glue_iceberg_table_arn = join("/", [
    "arn:${local.partition}:glue:${var.region}:${local.account_id}:table",
    aws_glue_catalog_database.events.name,
    local.iceberg_table_name,
  ])
}

data "aws_iam_policy_document" "firehose_delivery" {
  statement {
    sid    = "S3SinkDelivery"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]
    resources = [
      aws_s3_bucket.this["sink"].arn,
      "${aws_s3_bucket.this["sink"].arn}/*",
    ]
  }

  # Record format conversion reads the Parquet table's schema. Glue authorises GetTable on the
  # catalog, the database and the table, so all three ARNs are needed -- and nothing else.
  statement {
    sid    = "GlueSchemaForFormatConversion"
    effect = "Allow"
    actions = [
      "glue:GetTable",
      "glue:GetTableVersion",
      "glue:GetTableVersions",
    ]
    resources = [
      local.glue_catalog_arn,
      local.glue_database_arn,
      local.glue_parquet_table_arn,
    ]
  }

  # The Iceberg stream reads the table and commits to it (Glue swaps the metadata pointer):
  # "Grant Firehose access to an Apache Iceberg Tables destination".
  statement {
    sid    = "GlueIcebergTableCommits"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:UpdateTable",
    ]
    resources = [
      local.glue_catalog_arn,
      local.glue_database_arn,
      local.glue_iceberg_table_arn,
    ]
  }

  statement {
    sid       = "DeliveryErrorLogging"
    effect    = "Allow"
    actions   = ["logs:PutLogEvents"]
    resources = [for stream in aws_cloudwatch_log_stream.s3_delivery : stream.arn]
  }

  # Only with a customer-managed key: let Firehose encrypt the objects it writes, and only
  # through S3 in this region for the sink bucket. With S3 Bucket Keys (enabled alongside KMS in
  # s3.tf) the encryption context is the bucket ARN, otherwise the object ARN: allow both.
  dynamic "statement" {
    for_each = local.kms_enabled ? [var.kms_key_arn] : []

    content {
      sid       = "KmsForSinkObjects"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values = [
          aws_s3_bucket.this["sink"].arn,
          "${aws_s3_bucket.this["sink"].arn}/*",
        ]
      }
    }
  }
}

resource "aws_iam_role_policy" "firehose_delivery" {
  name   = "firehose-delivery"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose_delivery.json
}
