"""Running the emulated AWS account: LocalStack (host process or Docker) and the Terraform."""
