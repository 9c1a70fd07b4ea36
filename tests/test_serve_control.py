"""Issue 14 items 3, 8, 14: read commands beside a running `spendwatch serve` (real serve child, real CLI
children, outputs compared with the server stopped), prices that never depend on command history, the lock
message naming the real holder, and `serve --host` refusing to expose an open dashboard."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.helpers import chat_record

CLI = [sys.executable, "-m", "spendwatch"]
# acme-llm-v2 is in no catalog: only the override file prices it
PRICE_TOML = """
[[pricing.models]]
model = "acme-llm-v2"
input = 2.00
output = 8.00
note = "negotiated"
"""
# By hand, from published prices (gpt-4o-2024-08-06: $2.50 in, $1.25 cached, $10 out per 1M tokens;
# gpt-4o-mini: $0.15 / $0.60):
#   a: gpt-4o-2024-08-06, 1,000,000 in (200,000 cached), 100,000 out
#      = 0.8 x 2.50 + 0.2 x 1.25 + 0.1 x 10 = 2.00 + 0.25 + 1.00 = $3.25
#   b: gpt-4o-mini, 2,000,000 in, 500,000 out = 2 x 0.15 + 0.5 x 0.60 = 0.30 + 0.30 = $0.60
#   c: acme-llm-v2, 1,000,000 in, 250,000 out: unpriced by the catalog; with the override
#      1 x 2.00 + 0.25 x 8.00 = $4.00
CATALOG_TOTAL = D("3.85")  # a + b, c unpriced
OVERRIDE_TOTAL = D("7.85")  # a + b + c


def _records() -> str:
    return "\n".join([
        chat_record("a", "gpt-4o-2024-08-06", 1_000_000, 100_000, cached=200_000, feature="search",
                    ts="2026-11-10T12:00:00Z"),
        chat_record("b", "gpt-4o-mini", 2_000_000, 500_000, feature="chat", ts="2026-11-11T08:00:00Z"),
        chat_record("c", "acme-llm-v2", 1_000_000, 250_000, feature="search", ts="2026-11-12T09:30:00Z"),
        "{not json",
    ]) + "\n"


def _run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=120)


def _total(r: subprocess.CompletedProcess) -> D:
    assert r.returncode == 0, r.stderr
    return sum((D(str(row["cost_usd"])) for row in json.loads(r.stdout) if row["cost_usd"] is not None), D(0))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`spendwatch serve` as a child process, up once its control socket answers."""

    def __init__(self, db: Path, cwd: Path, *extra: str, env: dict | None = None) -> None:
        self.sock = db.with_name(db.name + ".sock")
        self.proc = subprocess.Popen([*CLI, "serve", "--db", str(db), "--port", str(_free_port()), *extra],
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited: {self.proc.stdout.read()}")
            if self.sock.exists():
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(str(self.sock))
                    return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        pytest.fail("serve did not open its control socket")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    (tmp_path / "log.jsonl").write_text(_records(), encoding="utf-8")
    (tmp_path / "price.toml").write_text(PRICE_TOML, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    r = _run("ingest", "log.jsonl", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("3 ingested"), r.stderr
    r = _run("alerts", "add", "monthly", "--budget", "100", "--channel", "log", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return db


READS = [  # one run of each read command (and a few formats): each child costs about a second of CPU
    ["report", "--by", "feature,model", "--from", "2026-11-01", "--to", "2026-11-30"],
    ["report", "--by", "model", "--format", "json", "--from", "2026-11-01", "--to", "2026-11-30"],
    ["quarantine"],
    ["prices"],
    ["prices", "gpt-4o-2024-08-06", "--at", "2026-11-10"],
    ["prices", "--unpriced"],
    ["alerts", "list"],
    ["whatif", "--to", "gpt-4o-mini", "--from-date", "2026-11-01", "--to-date", "2026-11-30", "--format", "json"],
    ["recommend", "--from-date", "2026-11-01", "--to-date", "2026-11-30", "--format", "json"],
    ["reconcile", "--from", "2026-11-01", "--to", "2026-11-30"],
    ["sync", "status"],
    ["chargeback", "--month", "2026-11"],  # never synced: the same one-line refusal, raised in the server
    ["reports", "list"],
]


WITH_CONFIG = [READS[1], READS[7], ["prices", "acme-llm-v2"]]  # the last: an error line, the same one


def _all_reads(db: Path, cwd: Path, *extra: str, reads: list[list[str]] = READS) -> list[tuple[int, str, str]]:
    out = []
    for args in reads:
        r = _run(*args, "--db", str(db), *extra, cwd=cwd)
        out.append((r.returncode, r.stdout, r.stderr))
    return out


@pytest.mark.integration
def test_read_commands_beside_serve_match_the_stopped_database(seeded: Path, tmp_path: Path) -> None:
    stopped = _all_reads(seeded, tmp_path)
    stopped_cfg = _all_reads(seeded, tmp_path, "--config", "price.toml", reads=WITH_CONFIG)
    assert sum(D(str(r["cost_usd"] or 0)) for r in json.loads(stopped[1][1])) == CATALOG_TOTAL
    assert sum(D(str(r["cost_usd"] or 0)) for r in json.loads(stopped_cfg[0][1])) == OVERRIDE_TOTAL
    server = Serve(seeded, tmp_path)
    try:
        assert stat.S_IMODE(server.sock.stat().st_mode) == 0o600
        served = _all_reads(seeded, tmp_path)
        served_cfg = _all_reads(seeded, tmp_path, "--config", "price.toml", reads=WITH_CONFIG)
        # the server carries out alerts add / remove instead of refusing them
        added = _run("alerts", "add", "daily-chat", "--budget", "5", "--window", "day", "--scope", "feature=chat",
                     "--channel", "log", "--db", str(seeded), cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        assert _run("alerts", "remove", "monthly", "--db", str(seeded), cwd=tmp_path).returncode == 0
        gone = _run("alerts", "remove", "monthly", "--db", str(seeded), cwd=tmp_path)
        assert gone.returncode == 1 and gone.stderr.strip().endswith("(see `spendwatch alerts list`)")
        # a command whose calls are not routed gets one line, not a traceback
        from spendwatch import control

        remote = control.connect(seeded, config={})
        with pytest.raises(control.NotRouted, match="held by `spendwatch serve` \\(pid [0-9]+\\)"):
            remote.execute("SELECT 1")
        remote.close()
        # a write the server does not take is refused, naming serve (not "probably")
        refused = _run("ingest", "log.jsonl", "--db", str(seeded), cwd=tmp_path)
        assert refused.returncode == 1 and "held by `spendwatch serve" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "spool" in refused.stderr
    finally:
        server.stop()
    for args, a, b in zip(READS, stopped, served, strict=True):
        assert a == b, f"{args}: stopped {a!r} != served {b!r}"
    for args, a, b in zip(WITH_CONFIG, stopped_cfg, served_cfg, strict=True):
        assert a == b, f"{args} --config: stopped {a!r} != served {b!r}"
    assert not server.sock.exists() and not seeded.with_name(seeded.name + ".holder").exists()
    rules = json.loads(_run("alerts", "list", "--format", "json", "--db", str(seeded), cwd=tmp_path).stdout)
    assert [r["name"] for r in rules] == ["daily-chat"]


@pytest.mark.integration
def test_prices_never_depend_on_command_history(seeded: Path, tmp_path: Path) -> None:
    """The issue's repro: a writer with the override config ran last, then a plain `report`."""
    db = ["--db", str(seeded)]
    report = ["report", "--by", "model", "--format", "json", "--from", "2026-11-01", "--to", "2026-11-30"]
    cfg = {"SPENDWATCH_CONFIG": "price.toml"}
    assert _run("ingest", "log.jsonl", *db, cwd=tmp_path, env=cfg).returncode == 0  # materialises the overrides
    assert _total(_run(*report, *db, cwd=tmp_path)) == CATALOG_TOTAL
    with_cfg = _run(*report, *db, cwd=tmp_path, env=cfg)
    assert _total(with_cfg) == OVERRIDE_TOTAL
    assert with_cfg.stderr.strip() == "prices: 1 override from price.toml"
    assert _run("ingest", "log.jsonl", *db, cwd=tmp_path).returncode == 0  # materialises the catalog alone
    assert _total(_run(*report, *db, "--config", "price.toml", cwd=tmp_path)) == OVERRIDE_TOTAL
    assert _total(_run(*report, *db, cwd=tmp_path)) == CATALOG_TOTAL
    assert _run("prices", "acme-llm-v2", *db, cwd=tmp_path).returncode == 1
    assert "$2" in _run("prices", "acme-llm-v2", *db, cwd=tmp_path, env=cfg).stdout
    # the rule: --config, else $SPENDWATCH_CONFIG, else ./spendwatch.toml
    (tmp_path / "spendwatch.toml").write_text(PRICE_TOML, encoding="utf-8")
    assert _total(_run(*report, *db, cwd=tmp_path)) == OVERRIDE_TOTAL
    (tmp_path / "spendwatch.toml").unlink()
    # beside a server priced with the catalog alone: each reader prices with its own config, and the
    # server's own readers are not moved by another's
    server = Serve(seeded, tmp_path)
    try:
        assert _total(_run(*report, *db, cwd=tmp_path, env=cfg)) == OVERRIDE_TOTAL
        assert _total(_run(*report, *db, cwd=tmp_path)) == CATALOG_TOTAL
    finally:
        server.stop()
    # and beside a server priced with the overrides
    server = Serve(seeded, tmp_path, "--config", "price.toml")
    try:
        assert _total(_run(*report, *db, cwd=tmp_path)) == CATALOG_TOTAL
        assert _total(_run(*report, *db, cwd=tmp_path, env=cfg)) == OVERRIDE_TOTAL
    finally:
        server.stop()


def test_read_commands_open_a_read_only_file_read_only(seeded: Path, tmp_path: Path) -> None:
    before = seeded.read_bytes()
    seeded.chmod(0o444)
    try:
        for args in (["report", "--config", "price.toml"], ["quarantine"], ["prices", "gpt-4o"],
                     ["whatif", "--to", "gpt-4o-mini", "--from-date", "2026-11-01", "--to-date", "2026-11-30"],
                     ["recommend", "--from-date", "2026-11-01", "--to-date", "2026-11-30"], ["sync", "status"],
                     ["alerts", "list"], ["reconcile", "--from-date", "2026-11-01", "--to-date", "2026-11-30"]):
            r = _run(*args, "--db", str(seeded), cwd=tmp_path)
            assert r.returncode == 0, (args, r.stderr)
    finally:
        seeded.chmod(0o644)
    assert seeded.read_bytes() == before  # nothing written, not even the catalog
    assert not seeded.with_name(seeded.name + ".wal").exists()


HOLD = """
import sys, time
from pathlib import Path
from spendwatch import control, store
db = Path(sys.argv[1])
con = store.connect(db)
control.record_holder(db, "spendwatch ingest big.jsonl")
print("held", flush=True)
time.sleep(60)
"""


def test_lock_message_names_the_real_holder(seeded: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(seeded)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = _run("report", "--db", str(seeded), cwd=tmp_path)
        assert r.returncode == 1
        assert r.stderr.strip() == (f"spendwatch: error: database {seeded} is held by `spendwatch ingest big.jsonl` "
                                    f"(pid {holder.pid}); wait for it to finish and run this again")
    finally:
        holder.kill()
        holder.wait()


def test_values_cross_the_channel_unchanged() -> None:
    from datetime import date, datetime, timedelta

    from spendwatch import control
    from spendwatch.alerts.rules import Rule

    value = {"rows": [{"cost_usd": D("1E+1"), "ts": datetime(2026, 11, 1, 12), "d": date(2026, 11, 1), "n": None,
                       "big": 10**30, "f": 0.1}], "t": (1, "x"), "rule": Rule("r", budget_usd=D("5.5")),
             "$odd": {1: "one"}, "td": timedelta(hours=1)}
    wire = json.loads(json.dumps(control.encode(value)))
    back = control.decode(wire)
    assert back == value and str(back["rows"][0]["cost_usd"]) == "1E+1" and isinstance(back["rule"], Rule)
    with pytest.raises(Exception, match="unexpected type"):
        control.decode({"$dc": "os:system", "fields": {}})


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_another_user_gets_nothing(seeded: Path, tmp_path: Path) -> None:
    import shutil
    import tempfile

    shared = Path(tempfile.mkdtemp(prefix="sw-"))  # pytest's own tmp is 0700: a stranger could not even look
    shared.chmod(0o755)
    db = shared / "s.duckdb"
    shutil.copy(seeded, db)
    server = Serve(db, tmp_path)
    try:
        probe = ("import socket, os, sys; os.setuid(65534); s = socket.socket(socket.AF_UNIX)\n"
                 "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n print('denied'); sys.exit()\n"
                 "try:\n s.sendall(b'{\"op\": \"hello\"}\\n'); print('answer', s.recv(100))\n"
                 "except OSError:\n print('answer closed')")
        r = subprocess.run([sys.executable, "-c", probe, str(server.sock)], capture_output=True, text=True)
        assert r.stdout.strip() == "denied"  # mode 0600
        server.sock.chmod(0o666)  # even with the mode opened up, SO_PEERCRED turns the stranger away
        r = subprocess.run([sys.executable, "-c", probe, str(server.sock)], capture_output=True, text=True)
        assert r.stdout.strip() in ("answer b''", "answer closed"), r.stderr
    finally:
        server.stop()
        shutil.rmtree(shared)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_serve_refuses_an_open_network_dashboard(tmp_path: Path, host: str) -> None:
    r = _run("serve", "--host", host, "--db", str(tmp_path / "x.duckdb"), "--port", str(_free_port()), cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "--insecure" in r.stderr and "SPENDWATCH_DASHBOARD_PASSWORD" in r.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_exposure_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import SecretStr

    from spendwatch.config import Settings
    from spendwatch.server import exposure_refusal

    open_, locked = Settings(), Settings(dashboard_password=SecretStr("s3cret"))
    assert exposure_refusal(open_, host="127.0.0.1", insecure=False) is None
    assert exposure_refusal(open_, host="localhost", insecure=False) is None
    assert exposure_refusal(open_, host="::1", insecure=False) is None
    assert exposure_refusal(open_, host="0.0.0.0", insecure=False)
    assert exposure_refusal(open_, host="0.0.0.0", insecure=True) is None
    assert exposure_refusal(locked, host="0.0.0.0", insecure=False) is None
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[connections.x]\nurl = 'y'\n")
    assert exposure_refusal(open_, host="0.0.0.0", insecure=False)  # secrets, but no login
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[auth]\nredirect_uri = 'https://x/oauth2callback'\n")
    assert exposure_refusal(open_, host="0.0.0.0", insecure=False) is None


def test_every_routed_function_exists() -> None:
    """A function moved to another module must move in spendwatch.commands.ROUTED too."""
    from spendwatch import commands

    for name in commands.ROUTED:
        fn = commands.resolve(name)
        assert commands.name_of(fn) == name
    with pytest.raises(Exception, match="does not run"):
        commands.resolve("os:system")
