"""``make bench``: the sandbox's performance against plain LocalStack, on this machine.

- :mod:`~benchmarks.stages`: the measured stages (generator, ingest through the sandbox
  and through plain LocalStack, the engine alone, the analysis pack, cold start), each returning
  a plain dict;
- :mod:`~benchmarks.report`: medians, ratios, issue 6's targets and the Markdown tables
  (pure, unit-tested);
- :mod:`~benchmarks.rss`: peak resident memory of the LocalStack process tree.

``benchmarks/__main__.py`` runs them and writes ``bench/latest.json`` and ``bench/latest.md``;
``docs/performance.md`` explains the numbers.
"""
