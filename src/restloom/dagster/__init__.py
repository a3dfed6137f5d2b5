"""restloom on Dagster: a config's resources as Dagster assets (``pip install "restloom[dagster]"``).

``restloom_assets(config, ...)`` builds the assets (a ``multi_asset`` per source, one asset per resource,
time partitions driving incremental windows, tenants as partitions, pools); ``backfill_job(config,
partitions_def=...)`` a job backfilling many time partitions in one run, a step per partition, on Dagster's
executor; ``RestloomResource`` says where they load (destination, dataset, pipelines directory). The top
layer beside ``cli``: it may import every other layer of restloom (shared modules, ``config``, ``adapter``,
``catalog``) and ``dagster``, never ``cli``; nothing in restloom imports it.
"""

from restloom.dagster.assets import restloom_assets
from restloom.dagster.backfill import backfill_job, backfill_run_config
from restloom.dagster.resource import RestloomResource

__all__ = ["RestloomResource", "backfill_job", "backfill_run_config", "restloom_assets"]
