"""The dlt adapter: the engine's page streams as dlt resources, dlt's incremental as request windows,
and a parsed config run through a dlt pipeline.

``source`` is the only module of restloom that touches dlt's extract API; ``sync`` runs the pipeline's
steps (and the recovery of a crashed run); ``windows`` fills requests from dlt's incremental; ``state``
reads and resets the stored cursors. It imports ``config``, ``engine`` and the shared modules; only
``catalog``, ``cli`` and the public surface import it.
"""
