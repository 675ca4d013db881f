# LocalStack 4.14.0 (the last release that starts without an account) with the sandbox plugin
# installed into LocalStack's own virtual environment, so its entry points are discovered.
FROM localstack/localstack:4.14.0

# First the libraries the plugin imports inside LocalStack, at the project's pinned versions: the
# delivery engine's (jq, pyarrow, numpy), the Athena provider's query engine (duckdb with its
# offline httpfs, iceberg and avro extensions, sqlglot) and pyiceberg for Iceberg tables. A layer
# of their own, rebuilt only when the pins change.
COPY constraints.txt /opt/sandbox/
RUN /opt/code/localstack/.venv/bin/pip install --no-cache-dir --disable-pip-version-check \
      -c /opt/sandbox/constraints.txt jq pyarrow numpy duckdb duckdb-extension-httpfs sqlglot \
      duckdb-extension-iceberg duckdb-extension-avro pyiceberg pyiceberg-core
# Then the package itself, --no-deps: LocalStack's venv already has boto3 and friends, and the
# command-line side's dependencies (click, rich, terraform-local) are not used in the container.
# --no-warn-conflicts: pip would otherwise print "ERROR: pip's dependency resolver ..." about
# exactly those, though the install succeeded (tests/unit/infra/test_docker_image.py checks that
# every library the plugin imports is installed above).
COPY pyproject.toml README.md /opt/sandbox/
COPY sandbox /opt/sandbox/sandbox
RUN /opt/code/localstack/.venv/bin/pip install --no-cache-dir --disable-pip-version-check \
      --no-deps --no-warn-conflicts /opt/sandbox
