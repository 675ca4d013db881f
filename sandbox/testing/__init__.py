"""Testing a pipeline against the sandbox: :mod:`sandbox.testing.harness` (start, reuse and stop
a sandbox, its clients, flush, Athena queries, unique names; no pytest needed) and the pytest
plugin on top of it, :mod:`sandbox.testing.pytest_plugin` (the ``pytest11`` entry point of the
package: installed with it, loaded by pytest on its own).
"""
