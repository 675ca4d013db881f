# Two buckets with the same hardening: the Firehose sink and the Athena results bucket.

locals {
  buckets = {
    sink    = local.sink_bucket_name
    results = local.results_bucket_name
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket        = each.value
  force_destroy = var.force_destroy

  lifecycle {
    precondition {
      condition     = length(each.value) >= 3 && length(each.value) <= 63
      error_message = "Bucket name \"${each.value}\" must be 3-63 characters; shorten project/bucket_suffix or set sink_bucket_name/results_bucket_name."
    }
  }
}

# Objects are always owned by the bucket owner; ACLs are disabled.
resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Encryption at rest: SSE-S3 by default, SSE-KMS when var.kms_key_arn is set.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.kms_enabled ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS request costs; irrelevant (and left off) for SSE-S3.
    bucket_key_enabled = local.kms_enabled
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = var.s3_versioning_enabled ? aws_s3_bucket.this : {}

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Encryption in transit: refuse any request that is not made over TLS.
data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 rejects concurrent PutPublicAccessBlock/PutBucketPolicy on the same bucket.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
