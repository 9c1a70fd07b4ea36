"""`spendwatch serve`: one process that owns the database, runs the scheduler, and serves the
dashboard (DuckDB allows one read-write process per file)."""

from __future__ import annotations

import logging
from importlib import resources

from spendwatch import rollups_job, runtime, store
from spendwatch.config import Settings
from spendwatch.pricing import catalog
from spendwatch.scheduler import build_scheduler

log = logging.getLogger("spendwatch.server")


def dashboard_script() -> str:
    return str(resources.files("spendwatch.dashboard").joinpath("app.py"))


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8501) -> None:
    """Open the store, start the scheduler, then block in the Streamlit server until stopped."""
    from streamlit.web import bootstrap

    con = store.connect(settings.db)
    catalog.materialise(con, settings.load_toml())
    runtime.install(con, settings)
    scheduler = build_scheduler(settings, con)
    scheduler.start()
    rollups_job.build_at_start(con)  # not on the first page view (11 s at 10M requests)
    flags = {
        "server.port": port,
        "server.address": host,
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "server.fileWatcherType": "none",
        "global.developmentMode": False,
        "client.toolbarMode": "minimal",  # no Deploy button, no developer menu
    }
    print(f"spendwatch: dashboard on http://{host}:{port}  (database {settings.db}; Ctrl-C stops)", flush=True)
    try:
        bootstrap.load_config_options(flag_options=flags)
        bootstrap.run(dashboard_script(), False, [], flags)
    finally:
        scheduler.shutdown(wait=False)
        con.close()
