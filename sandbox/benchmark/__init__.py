"""``make bench``: the sandbox's performance against plain LocalStack, on this machine.

- :mod:`~sandbox.benchmark.stages`: the measured stages (generator, ingest through the sandbox
  and through plain LocalStack, the engine alone, the analysis pack, cold start), each returning
  a plain dict;
- :mod:`~sandbox.benchmark.report`: medians, ratios, issue 6's targets and the Markdown tables
  (pure, unit-tested);
- :mod:`~sandbox.benchmark.rss`: peak resident memory of the LocalStack process tree.

``scripts/bench.py`` runs them and writes ``bench/latest.json`` and ``bench/latest.md``;
``docs/performance.md`` explains the numbers.
"""
