"""The HTTP client and its parts: auth objects, the retry decision, response actions, redaction.

``client`` sends every request of a run (a pooled session, a bound on requests in flight, retries);
``auth`` builds ``requests`` auth objects (dlt's classes) from parsed auth specs; ``retry`` decides
whether to try again and after how long; ``actions`` applies dlt's ``response_actions``; ``redact``
keeps credentials out of logs, errors and output. It imports ``config.models`` and the shared modules
(``errors``, ``text``, ``report``), never the engine, the dlt adapter or the CLI.
"""
