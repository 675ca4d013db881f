# Two DirectPut delivery streams into the same bucket, as in the article: raw JSON (GZIP) and
# Parquet (record format conversion). Both partition dynamically by event name (jq inline
# parsing) and processing date. A third one delivers into an Apache Iceberg table (below).

resource "aws_kinesis_firehose_delivery_stream" "json" {
  name        = local.json_stream_name
  destination = "extended_s3"

  # Encryption at rest inside Firehose's buffers, with an AWS owned key.
  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }

  extended_s3_configuration {
    role_arn    = aws_iam_role.firehose.arn
    bucket_arn  = aws_s3_bucket.this["sink"].arn
    kms_key_arn = var.kms_key_arn

    buffering_size     = var.json_buffering_size_mb
    buffering_interval = var.json_buffering_interval_seconds
    compression_format = "GZIP"

    prefix              = "${local.json_data_prefix}name=!{partitionKeyFromQuery:event_name}/d=!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "errors/json/d=!{timestamp:yyyy-MM-dd}/!{firehose:error-output-type}/"

    dynamic_partitioning_configuration {
      enabled = true
    }

    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"

        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }

        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = local.metadata_extraction_query
        }
      }

      # Without it Firehose concatenates records ({...}{...}); with it each record ends in "\n",
      # so the objects are valid newline-delimited JSON.
      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose["json"].name
      log_stream_name = aws_cloudwatch_log_stream.s3_delivery["json"].name
    }
  }

  # Firehose checks the role's access when the stream is created.
  depends_on = [aws_iam_role_policy.firehose_delivery]
}

resource "aws_kinesis_firehose_delivery_stream" "parquet" {
  name        = local.parquet_stream_name
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }

  extended_s3_configuration {
    role_arn    = aws_iam_role.firehose.arn
    bucket_arn  = aws_s3_bucket.this["sink"].arn
    kms_key_arn = var.kms_key_arn

    buffering_size     = var.parquet_buffering_size_mb
    buffering_interval = var.parquet_buffering_interval_seconds
    # AWS requires UNCOMPRESSED at the S3 level with record format conversion; the Parquet
    # writer compresses inside the file (var.parquet_compression).
    compression_format = "UNCOMPRESSED"

    prefix              = "${local.parquet_data_prefix}name=!{partitionKeyFromQuery:event_name}/d=!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "errors/parquet/d=!{timestamp:yyyy-MM-dd}/!{firehose:error-output-type}/"

    dynamic_partitioning_configuration {
      enabled = true
    }

    # Only the partition-key extraction: Parquet frames rows itself, so no record delimiter.
    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"

        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }

        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = local.metadata_extraction_query
        }
      }
    }

    data_format_conversion_configuration {
      enabled = true

      input_format_configuration {
        deserializer {
          # Default Hive timestamp format (yyyy-MM-dd HH:mm:ss[.fffffffff]) matches `tstamp`.
          hive_json_ser_de {}
        }
      }

      output_format_configuration {
        serializer {
          parquet_ser_de {
            compression = var.parquet_compression
          }
        }
      }

      schema_configuration {
        database_name = aws_glue_catalog_table.events_parquet.database_name
        table_name    = aws_glue_catalog_table.events_parquet.name
        role_arn      = aws_iam_role.firehose.arn
        region        = var.region
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose["parquet"].name
      log_stream_name = aws_cloudwatch_log_stream.s3_delivery["parquet"].name
    }
  }

  depends_on = [aws_iam_role_policy.firehose_delivery]
}

# The article's next step: records delivered into the Iceberg table (Parquet data files and
# Iceberg commits registered in Glue), one commit per buffer. `name` is a real column and the
# table's hidden partitions use the event time, not the processing time. Records that cannot be
# delivered go to the sink bucket's error prefix.
resource "aws_kinesis_firehose_delivery_stream" "iceberg" {
  name        = local.iceberg_stream_name
  destination = "iceberg"

  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }

  iceberg_configuration {
    role_arn    = aws_iam_role.firehose.arn
    catalog_arn = local.glue_catalog_arn

    buffering_size     = var.iceberg_buffering_size_mb
    buffering_interval = var.iceberg_buffering_interval_seconds

    destination_table_configuration {
      database_name = terraform_data.events_iceberg.output.database
      table_name    = terraform_data.events_iceberg.output.table
    }

    s3_configuration {
      role_arn            = aws_iam_role.firehose.arn
      bucket_arn          = aws_s3_bucket.this["sink"].arn
      kms_key_arn         = var.kms_key_arn
      error_output_prefix = "errors/iceberg/d=!{timestamp:yyyy-MM-dd}/!{firehose:error-output-type}/"
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose["iceberg"].name
      log_stream_name = aws_cloudwatch_log_stream.s3_delivery["iceberg"].name
    }
  }

  depends_on = [aws_iam_role_policy.firehose_delivery]
}
