"""Running the emulated AWS account: LocalStack (host process or Docker) and the Terraform.

``lifecycle`` (``sandbox up``/``down``, returning reports), ``localstack`` (the emulator's
process), ``terraform`` (tflocal in a working copy), ``outputs`` (the Terraform outputs),
``admin`` (the sandbox-only routes), ``checks`` (``make check``).
"""
