# Firehose delivery-error logging: one log group per stream with an "S3Delivery" log stream,
# the layout the Firehose console creates.

resource "aws_cloudwatch_log_group" "firehose" {
  for_each = local.streams

  name              = "/aws/kinesisfirehose/${each.value}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_stream" "s3_delivery" {
  for_each = local.streams

  name           = "S3Delivery"
  log_group_name = aws_cloudwatch_log_group.firehose[each.key].name
}
