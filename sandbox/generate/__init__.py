"""Stage 1, generate: the article's synthetic user sessions as JSON Lines, plus a manifest.

- :mod:`~sandbox.generate.chain`: the Markov chain (states, transition matrix, simulation);
- :mod:`~sandbox.generate.events`: session attributes and byte-exact rendering of the lines;
- :mod:`~sandbox.generate.generator`: :func:`generate`, which writes the file and manifest;
- :mod:`~sandbox.generate.manifest`: the manifest (ground truth for tests and queries);
- :mod:`~sandbox.generate.cli`: the ``generate`` click command.

Differences from the article's generator (Faker, one event at a time): the same chain and
record shape, but vectorised; ``dvce_os`` differs between visits of one session and the
e-mail-like ``account_id`` is unique, so ``payload_md5`` identifies an event; measurements have
two decimals; timestamps have whole seconds (``.000000``, as in the article's sample).
"""

from sandbox.generate.generator import DEFAULT_END, DEFAULT_SEED, DEFAULT_SESSIONS, generate
from sandbox.generate.manifest import Manifest, manifest_path, read_manifest

__all__ = [
    "DEFAULT_END",
    "DEFAULT_SEED",
    "DEFAULT_SESSIONS",
    "Manifest",
    "generate",
    "manifest_path",
    "read_manifest",
]
