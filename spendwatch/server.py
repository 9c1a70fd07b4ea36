"""`spendwatch serve`: one process that owns the database, runs the scheduler, and serves the
dashboard (DuckDB allows one read-write process per file)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from importlib import resources
from pathlib import Path

from spendwatch import access, commands, control, rollups_job, runtime, store
from spendwatch.config import Settings, read_toml
from spendwatch.errors import DatabaseLocked, SpendwatchError
from spendwatch.pricing import catalog
from spendwatch.scheduler import build_scheduler

log = logging.getLogger("spendwatch.server")


def dashboard_script() -> str:
    return str(resources.files("spendwatch.dashboard").joinpath("app.py"))


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # not resolvable: not provably loopback
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def login_configured(cwd: Path | None = None) -> bool:
    """Streamlit's OIDC login is configured: an ``[auth]`` table in ``.streamlit/secrets.toml`` (here or ~)."""
    for base in (cwd or Path.cwd(), Path.home()):
        path = base / ".streamlit" / "secrets.toml"
        try:
            if isinstance(read_toml(path).get("auth"), dict):
                return True
        except ValueError:
            continue
    return False


def exposure_refusal(settings: Settings, *, host: str, insecure: bool) -> str | None:
    """Why serving on ``host`` would show the data to the network with nothing to stop it (None: fine).

    A non-loopback address needs a dashboard password (SPENDWATCH_DASHBOARD_PASSWORD), a configured
    login, or ``--insecure``.
    """
    if insecure or is_loopback(host) or access.password_required(settings.dashboard_password):
        return None
    if login_configured():
        return None
    return (f"--host {host} opens the dashboard to the network and no password or login is set; "
            "set SPENDWATCH_DASHBOARD_PASSWORD, or pass --insecure to serve it open anyway")


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8501, insecure: bool = False) -> None:
    """Open the store, start the scheduler, then block in the Streamlit server until stopped."""
    from streamlit.web import bootstrap

    refusal = exposure_refusal(settings, host=host, insecure=insecure)
    if refusal:
        raise SpendwatchError(refusal)

    try:
        con = store.connect(settings.db)
    except DatabaseLocked as e:
        raise control.locked_error(settings.db, e) from None
    control.record_holder(settings.db)
    catalog.use(con, settings.load_toml(), may_rewrite=True)
    runtime.install(con, settings)
    channel = control.ControlServer(con, settings.db, commands.resolve)
    channel.start()  # read commands (and alerts add/remove) reach this connection through <db>.sock
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
        channel.stop()
        scheduler.shutdown(wait=False)
        con.close()
