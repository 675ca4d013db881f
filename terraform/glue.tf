# Logical catalogue over the sink bucket (the article's two tables). Partitions are not declared
# here: they appear as Firehose writes data and are registered with MSCK REPAIR TABLE /
# ALTER TABLE ADD PARTITION (or partition projection) at query time.

resource "aws_glue_catalog_database" "events" {
  name        = var.glue_database_name
  description = "Events collected by Kinesis Data Firehose into s3://${aws_s3_bucket.this["sink"].id}/events_raw/"
}

resource "aws_glue_catalog_table" "events_json" {
  database_name = aws_glue_catalog_database.events.name
  name          = local.json_table_name
  description   = "Raw events as newline-delimited, GZIP-compressed JSON, partitioned by event name and processing date."
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "json"
  }

  partition_keys {
    name = "name"
    type = "string"
  }

  partition_keys {
    name = "d"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.this["sink"].id}/${local.json_data_prefix}"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
    }

    columns {
      name = "tstamp"
      type = "timestamp"
    }

    columns {
      name = "payload"
      type = "string"
    }

    columns {
      name = "payload_md5"
      type = "string"
    }
  }
}

# Also the schema Firehose's record format conversion reads (schema_configuration).
resource "aws_glue_catalog_table" "events_parquet" {
  database_name = aws_glue_catalog_database.events.name
  name          = local.parquet_table_name
  description   = "Events converted by Firehose to Parquet, partitioned by event name and processing date."
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  partition_keys {
    name = "name"
    type = "string"
  }

  partition_keys {
    name = "d"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.this["sink"].id}/${local.parquet_data_prefix}"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"

      parameters = {
        "serialization.format" = "1"
      }
    }

    columns {
      name = "tstamp"
      type = "timestamp"
    }

    columns {
      name = "payload"
      type = "string"
    }

    columns {
      name = "payload_md5"
      type = "string"
    }
  }
}
