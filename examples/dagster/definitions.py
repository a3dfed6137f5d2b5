"""Dagster definitions for two catalog connectors, Zendesk Talk and Opsgenie.

Against the simulated APIs (each `restloom mock serve NAME` prints its base URL and credentials):

    restloom mock serve zendesk_talk   # base_url: http://127.0.0.1:PORT_Z, email and api_token
    restloom mock serve opsgenie       # base_url: http://127.0.0.1:PORT_O, api_key

    export ZENDESK_TALK_BASE_URL=http://127.0.0.1:PORT_Z/v1/ ZENDESK_EMAIL=agent@example.com ZENDESK_API_TOKEN=...
    export OPSGENIE_BASE_URL=http://127.0.0.1:PORT_O OPSGENIE_API_KEY=...
    export DAGSTER_HOME=$(mktemp -d)   # optional: without it each command runs on a throwaway instance
    dagster asset materialize -m examples.dagster.definitions --select 'key:opsgenie/* and not key:opsgenie/alert*'
    dagster asset materialize -m examples.dagster.definitions --select 'key:opsgenie/alert*' --partition 2024-05-31
    dagster asset materialize -m examples.dagster.definitions \
        --select 'zendesk_talk/calls,zendesk_talk/call_legs' --partition 2024-05-31
    dagster job execute -m examples.dagster.definitions -j opsgenie_backfill   # 7 days, a step (process) each

(run from the repository's root). The tables land in ``restloom_dagster.duckdb`` (``RESTLOOM_DUCKDB``),
datasets ``opsgenie_data`` and ``zendesk_talk_data``.

Without the base URL variables the connectors' real base URLs are used. The incremental resources (Zendesk's
call and leg exports, Opsgenie's alerts with their recipients and logs) are partitioned by day, each day
loading exactly its window (``opsgenie_backfill`` loads the alert days 2024-05-25 to 2024-05-31 in one run,
a step per day on Dagster's multiprocess executor); the other resources are one unpartitioned asset per
connector. Every materialization of a connector runs in its pool, so parallel days of one API share a
concurrency cap.
"""

import os

from dagster import DailyPartitionsDefinition, Definitions

from restloom.dagster import RestloomResource, backfill_job, restloom_assets

DAYS = DailyPartitionsDefinition(start_date="2024-05-25")
RESTLOOM = RestloomResource(duckdb_path=os.environ.get("RESTLOOM_DUCKDB", "restloom_dagster.duckdb"),
                            dataset_name=os.environ.get("RESTLOOM_DATASET"))

defs = Definitions(
    assets=[
        *restloom_assets("zendesk_talk", base_url=os.environ.get("ZENDESK_TALK_BASE_URL"), partitions_def=DAYS,
                         pool="zendesk_talk"),
        *restloom_assets("opsgenie", base_url=os.environ.get("OPSGENIE_BASE_URL"), partitions_def=DAYS,
                         pool="opsgenie"),
    ],
    jobs=[backfill_job("opsgenie", base_url=os.environ.get("OPSGENIE_BASE_URL"), partitions_def=DAYS,
                       restloom=RESTLOOM, start="2024-05-25", end="2024-05-31", pool="opsgenie")],
    resources={"restloom": RESTLOOM},
)
