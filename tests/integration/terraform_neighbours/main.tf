# Terraform a data platform commonly keeps next to its lake, applied with tflocal beside the
# sandbox's own terraform/ (tests/integration/test_terraform_neighbours.py): the VPC it runs in
# (data sources), a security group and a gateway endpoint for S3, the queues, topics, stream,
# parameters, secrets, keys, schedules, alarms and the function around the lake. The article's
# published repository (khozzy/aws-data-lake, provider 4.x) failed on `data "aws_vpc"` when the
# sandbox started S3/Firehose/Glue/Athena only; this configuration has the same kinds of data
# sources and resources, for provider 5.x.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix of every resource (unique per test run)."
}

variable "lake_bucket" {
  type        = string
  description = "The sandbox's sink bucket (terraform/ output bucket_name)."
}

variable "json_stream" {
  type        = string
  description = "The sandbox's JSON delivery stream (terraform/ output json_stream_name)."
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

data "aws_route_tables" "default" {
  vpc_id = data.aws_vpc.default.id
}

# The platform next door, read, never managed here.
data "aws_s3_bucket" "lake" {
  bucket = var.lake_bucket
}

data "aws_kinesis_firehose_delivery_stream" "json" {
  name = var.json_stream
}

resource "aws_security_group" "jobs" {
  name        = "${var.name}-jobs"
  description = "Batch jobs reading the lake"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description = "HTTPS inside the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.default.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = data.aws_vpc.default.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = data.aws_route_tables.default.ids
}

resource "aws_kms_key" "platform" {
  description             = "${var.name} queues and secrets"
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.platform.key_id
}

# One queue: the provider waits about 30 s after creating each queue or queue policy (six equal
# reads 5 s apart, for AWS's eventual consistency), so a dead-letter queue and a policy would
# double the apply for no new kind of resource.
resource "aws_sqs_queue" "new_objects" {
  name                       = "${var.name}-new-objects"
  visibility_timeout_seconds = 120
  message_retention_seconds  = 1209600
  kms_master_key_id          = aws_kms_key.platform.arn
}

resource "aws_sns_topic" "alerts" {
  name = "${var.name}-alerts"
}

resource "aws_sns_topic_subscription" "queue" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.new_objects.arn
}

resource "aws_kinesis_stream" "clicks" {
  name             = "${var.name}-clicks"
  shard_count      = 1
  retention_period = 24
}

resource "aws_ssm_parameter" "lake_bucket" {
  name  = "/${var.name}/lake/bucket"
  type  = "String"
  value = data.aws_s3_bucket.lake.id
}

resource "aws_ssm_parameter" "stream_arn" {
  name  = "/${var.name}/lake/json-stream-arn"
  type  = "String"
  value = data.aws_kinesis_firehose_delivery_stream.json.arn
}

resource "aws_secretsmanager_secret" "warehouse" {
  name       = "${var.name}/warehouse"
  kms_key_id = aws_kms_key.platform.arn
}

resource "aws_secretsmanager_secret_version" "warehouse" {
  secret_id     = aws_secretsmanager_secret.warehouse.id
  secret_string = jsonencode({ user = "loader", password = "not-a-real-password" })
}

resource "aws_cloudwatch_log_group" "jobs" {
  name              = "/${var.name}/jobs"
  retention_in_days = 14
}

resource "aws_iam_role" "compactor" {
  name = "${var.name}-compactor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "compactor" {
  name = "lake"
  role = aws_iam_role.compactor.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
      Resource = [data.aws_s3_bucket.lake.arn, "${data.aws_s3_bucket.lake.arn}/*"]
    }]
  })
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "${var.name}-nightly-compaction"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_cloudwatch_event_target" "queue" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_sqs_queue.new_objects.arn
}

resource "aws_cloudwatch_metric_alarm" "delivery" {
  alarm_name          = "${var.name}-firehose-delivery"
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.Success"
  dimensions          = { DeliveryStreamName = var.json_stream }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

output "queue_url" {
  value = aws_sqs_queue.new_objects.id
}

output "security_group_id" {
  value = aws_security_group.jobs.id
}

output "vpc_id" {
  value = data.aws_vpc.default.id
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "partition" {
  value = data.aws_partition.current.partition
}
