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

# The article's next step: an Apache Iceberg table, partitioned by event name and event day
# (hidden partitioning: identity(name), day(tstamp); queries filter on the columns themselves).
#
# Glue's CreateTable makes an Iceberg table from `OpenTableFormatInput.IcebergInput`, and its
# `CreateIcebergTableInput.PartitionSpec` holds the partition spec. The pinned AWS provider
# (5.x) only exposes `open_table_format_input { iceberg_input { metadata_operation, version } }`,
# which creates an unpartitioned table, and refuses `partition_keys` on Iceberg tables ("Cannot
# create partitions in an iceberg table", hashicorp/terraform-provider-aws#36531); provider 6.x
# adds the spec. Until then the table is created by the same Glue API call through the AWS CLI
# (it must be on PATH; the sandbox's own venv provides it), once, and deleted on destroy.
#
# Under tflocal (its `localstack_providers_override.tf` sits beside this file while it runs; the
# sandbox's runner writes the same file in its working copy) the AWS CLI must reach LocalStack
# too, never real AWS with whatever credentials the shell holds: with no AWS_ENDPOINT_URL set it
# gets tflocal's own default endpoint, and dummy credentials instead of none or real ones.
# Plain `terraform apply` (production) has no override file and leaves the environment alone.
locals {
  aws_cli_local_guard = join(" ", [
    "if [ -f '${path.module}/localstack_providers_override.tf' ]; then",
    "export AWS_ENDPOINT_URL=\"$${AWS_ENDPOINT_URL:-http://$${LOCALSTACK_HOSTNAME:-localhost.localstack.cloud}:$${EDGE_PORT:-4566}}\";",
    "case \"$${AWS_ACCESS_KEY_ID:-}\" in ''|AKIA*|ASIA*) export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test; unset AWS_SESSION_TOKEN;; esac;",
    "fi;",
  ])

  events_iceberg_columns = [
    { Id = 1, Name = "name", Type = "string", Required = false },
    { Id = 2, Name = "tstamp", Type = "timestamp", Required = false },
    { Id = 3, Name = "payload", Type = "string", Required = false },
    { Id = 4, Name = "payload_md5", Type = "string", Required = false },
  ]

  events_iceberg_table_input = {
    Name        = local.iceberg_table_name
    Description = "Events delivered by Firehose into an Apache Iceberg table, partitioned by event name and event day (hidden partitioning)."
    TableType   = "EXTERNAL_TABLE"
  }

  events_iceberg_format_input = {
    IcebergInput = {
      MetadataOperation = "CREATE"
      Version           = "2"
      CreateIcebergTableInput = {
        Location = local.iceberg_table_location
        Schema   = { Type = "struct", Fields = local.events_iceberg_columns }
        PartitionSpec = {
          Fields = [
            { SourceId = 1, Transform = "identity", Name = "name" },
            { SourceId = 2, Transform = "day", Name = "tstamp_day" },
          ]
        }
      }
    }
  }
}

resource "terraform_data" "events_iceberg" {
  input = {
    region   = var.region
    database = aws_glue_catalog_database.events.name
    table    = local.iceberg_table_name
    location = local.iceberg_table_location
    # Destroy-time provisioners may reference only self: the guard travels in the input.
    cli_guard = local.aws_cli_local_guard
  }

  # A changed definition replaces the table (an Iceberg table's spec is not edited in place here).
  triggers_replace = [local.events_iceberg_table_input, local.events_iceberg_format_input]

  provisioner "local-exec" {
    # Idempotent: an existing table (a re-created state) is kept.
    command = "${local.aws_cli_local_guard} aws glue get-table --region \"$REGION\" --database-name \"$DATABASE\" --name \"$TABLE\" >/dev/null 2>&1 || aws glue create-table --region \"$REGION\" --database-name \"$DATABASE\" --table-input \"$TABLE_INPUT\" --open-table-format-input \"$FORMAT_INPUT\""
    environment = {
      REGION       = var.region
      DATABASE     = aws_glue_catalog_database.events.name
      TABLE        = local.iceberg_table_name
      TABLE_INPUT  = jsonencode(local.events_iceberg_table_input)
      FORMAT_INPUT = jsonencode(local.events_iceberg_format_input)
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "${self.input.cli_guard} aws glue delete-table --region \"${self.input.region}\" --database-name \"${self.input.database}\" --name \"${self.input.table}\""
  }
}
