# LocalStack 4.14.0 (the last release that starts without an account) with the sandbox plugin
# installed into LocalStack's own virtual environment, so its entry points are discovered.
FROM localstack/localstack:4.14.0

COPY pyproject.toml README.md constraints.txt /opt/sandbox/
COPY sandbox /opt/sandbox/sandbox
# --no-deps for the package itself: LocalStack's venv already has boto3 and friends; only the
# libraries the plugin imports inside LocalStack are added, at the project's pinned versions:
# the delivery engine's (jq, pyarrow, numpy) and the Athena provider's query engine (duckdb with
# its offline httpfs extension, sqlglot).
RUN /opt/code/localstack/.venv/bin/pip install --no-cache-dir --no-deps /opt/sandbox \
 && /opt/code/localstack/.venv/bin/pip install --no-cache-dir -c /opt/sandbox/constraints.txt \
      jq pyarrow numpy duckdb duckdb-extension-httpfs sqlglot
