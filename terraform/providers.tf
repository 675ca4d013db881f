# Kept deliberately minimal so the same files run unchanged against real AWS and, through
# tflocal's generated `localstack_providers_override.tf`, against the local sandbox.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
