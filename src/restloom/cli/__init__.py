"""The command line: ``restloom run | check | demo | state | mock | connectors``.

Thin by design: each command parses its arguments, calls the library (``restloom.adapter`` for runs,
``restloom.config`` for configs, ``restloom.catalog``), and prints. It may import every other package
of restloom; nothing imports it.
"""

from restloom.cli.app import app, main

__all__ = ["app", "main"]
