terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Provider 5.x names the Firehose buffering arguments `buffering_size` and
      # `buffering_interval` (4.x used `buffer_size`/`buffer_interval`). Checked against 5.100.0.
      version = "~> 5.0"
    }
  }
}
