"""Alerts: rules, windows across a month boundary and a non-UTC zone, each (rule, window, level)
once, real receivers (loopback webhook, aiosmtpd), a crash between detect and send, the demo spike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from spendwatch import alerts, demo, ingest, store
from spendwatch.alerts import rules
from spendwatch.alerts.deliver import Delivery
from spendwatch.pricing import catalog
from tests.helpers import chat_record
from tests.receivers import SmtpReceiver, WebhookReceiver

FAST = Delivery(retry_base_seconds=1, retry_cap_seconds=60, max_attempts=3, timeout_seconds=5)


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "a.duckdb")
    catalog.materialise(c)
    yield c
    c.close()


def _gpt4o_input(con, rid: str, ts: str, millions: int, **extra) -> None:
    """gpt-4o input is $2.50 per 1M tokens, no output: `millions` × $2.50."""
    r = ingest.ingest_lines(con, [chat_record(rid, "gpt-4o", millions * 1_000_000, 0, ts=ts, **extra)], source="t")
    assert r.ingested == 1


def _events(con):
    return con.execute("SELECT event_key, level, spend_usd FROM alert_events ORDER BY event_key").fetchall()


# -- windows -------------------------------------------------------------------------------------

def test_month_window_in_new_york_across_the_dst_change():
    r = alerts.make_rule("m", budget=1, window="month", timezone="America/New_York")
    # 2026-11-01 03:59 UTC is still 31 October, 23:59 EDT (UTC-4)
    assert alerts.window_bounds(datetime(2026, 11, 1, 3, 59), r) == (datetime(2026, 10, 1, 4), datetime(2026, 11, 1, 4))
    # November starts at 04:00 UTC (EDT); DST ends that night, so December starts at 05:00 UTC (EST)
    assert alerts.window_bounds(datetime(2026, 11, 1, 4, 0), r) == (datetime(2026, 11, 1, 4), datetime(2026, 12, 1, 5))


def test_week_and_day_windows():
    week = alerts.make_rule("w", budget=1, window="week", week_start="sunday", timezone="Asia/Tokyo")
    # 2026-11-25 is a Wednesday; in Tokyo (UTC+9) the week began Sunday 22 Nov 00:00 = 21 Nov 15:00 UTC
    assert alerts.window_bounds(datetime(2026, 11, 25, 12), week) == (datetime(2026, 11, 21, 15),
                                                                       datetime(2026, 11, 28, 15))
    day = alerts.make_rule("d", budget=1, window="day", timezone="Europe/Berlin")
    # 23:30 UTC on 31 Oct is 00:30 on 1 Nov in Berlin (UTC+1 after 25 Oct)
    assert alerts.window_bounds(datetime(2026, 10, 31, 23, 30), day) == (datetime(2026, 10, 31, 23),
                                                                         datetime(2026, 11, 1, 23))


# -- budget ----------------------------------------------------------------------------------------

def test_budget_across_a_month_boundary_in_berlin_and_utc(con):
    rules.save(con, alerts.make_rule("utc", budget=10, window="month"))
    rules.save(con, alerts.make_rule("berlin", budget=10, window="month", timezone="Europe/Berlin"))
    _gpt4o_input(con, "late-oct", "2026-10-31T23:30:00Z", 2)  # $5.00: October in UTC, November in Berlin
    _gpt4o_input(con, "nov", "2026-11-01T10:00:00Z", 1)  # $2.50

    new = alerts.check(con, at=datetime(2026, 11, 1, 12))
    # UTC November: $2.50 of $10 = 25 %: nothing. Berlin November: $7.50 = 75 %: level 50 only.
    assert [(e.rule, e.level, e.spend_usd) for e in new] == [("berlin", 50, Decimal("7.5"))]

    _gpt4o_input(con, "nov2", "2026-11-02T10:00:00Z", 2)  # +$5.00
    new = alerts.check(con, at=datetime(2026, 11, 2, 12))
    # Berlin: $12.50 = 125 %: levels 80 and 100 are new; only 100 is sent. UTC: $7.50 = 75 %: level 50.
    got = sorted((e.rule, e.level, e.spend_usd, e.deliver) for e in new)
    assert got == [("berlin", 80, Decimal("12.5"), False), ("berlin", 100, Decimal("12.5"), True),
                   ("utc", 50, Decimal("7.5"), True)]
    assert alerts.check(con, at=datetime(2026, 11, 2, 13)) == []  # each (rule, window, level) once
    outbox = con.execute("SELECT event_key FROM alert_outbox ORDER BY 1").fetchall()
    assert [k for (k,) in outbox] == ["berlin|budget|2026-10-31T23:00:00|100", "berlin|budget|2026-10-31T23:00:00|50",
                                      "utc|budget|2026-11-01T00:00:00|50"]
    # and the October UTC window saw $5.00 = 50 % when checked in October
    assert [e.level for e in alerts.check(con, at=datetime(2026, 10, 31, 23, 45))] == [50]


def test_scope_counts_only_its_feature(con):
    rules.save(con, alerts.make_rule("search", budget=4, window="day", scope="feature=search"))
    _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1, feature="search")  # $2.50
    _gpt4o_input(con, "b", "2026-11-10T02:00:00Z", 4, feature="chat")  # $10.00, other feature
    new = alerts.check(con, at=datetime(2026, 11, 10, 3))
    assert [(e.level, e.spend_usd) for e in new] == [(50, Decimal("2.5"))]  # 2.50 / 4.00 = 62.5 %
    assert "search $2.50" in new[0].message and "$4.00 budget" in new[0].message


def test_catch_up_after_downtime_reports_the_window_that_ended_unseen(con):
    rules.save(con, alerts.make_rule("daily", budget=5, window="day", levels="100"))
    assert alerts.check(con, at=datetime(2026, 11, 10, 9)) == []
    _gpt4o_input(con, "a", "2026-11-10T20:00:00Z", 2)  # $5.00 on the 10th, after the last check
    new = alerts.check(con, at=datetime(2026, 11, 11, 9))  # the server was down over midnight
    assert [(e.key, e.spend_usd) for e in new] == [("daily|budget|2026-11-10T00:00:00|100", Decimal("5"))]


# -- other kinds ---------------------------------------------------------------------------------

def test_unpriced_model_and_stale_sync(con):
    rules.save(con, alerts.make_rule("unpriced", kind="unpriced"))
    rules.save(con, alerts.make_rule("stale", kind="sync-stale", stale_hours=3))
    ingest.ingest_lines(con, [chat_record("x", "in-house-model", 10, 10, ts="2026-11-10T01:00:00Z")], source="t")
    con.execute("INSERT INTO sync_state (source, last_run_at, last_status, last_ok_at) "
                "VALUES ('openai', '2026-11-10 08:00', 'error: HTTP 500', '2026-11-10 06:00')")
    assert alerts.check(con, at=datetime(2026, 11, 10, 8, 30)) != []  # unpriced at once; 2.5 h: not stale
    kinds = [k for (k,) in con.execute("SELECT kind FROM alert_events ORDER BY kind").fetchall()]
    assert kinds == ["unpriced"]
    new = alerts.check(con, at=datetime(2026, 11, 10, 9, 30))  # 3.5 h since the last success
    assert [e.kind for e in new] == ["sync-stale"] and "HTTP 500" in new[0].message
    assert alerts.check(con, at=datetime(2026, 11, 10, 10, 30)) == []  # once per stale episode


def test_demo_spike_fires_spike_and_forecast_only_on_the_spike(con):
    # The demo sends `search` to o1 from 14:00 to 16:00 UTC four days before `now`: 2026-11-21.
    demo.generate(con, now=datetime(2026, 11, 25, 12))
    rules.save(con, alerts.make_rule("spike", kind="spike", scope="feature=search"))
    # search's month-end forecast stays under $200 on normal November days; the spike lifts it past $210
    rules.save(con, alerts.make_rule("pace", kind="forecast", budget=210, scope="feature=search"))
    fired = []
    for day in (datetime(2026, 10, 6, 15), datetime(2026, 10, 20, 15), datetime(2026, 11, 3, 15)):
        fired += [(day, e.kind) for e in alerts.check(con, at=day)]  # normal weekdays long before
    at = datetime(2026, 11, 19)
    while at <= datetime(2026, 11, 23):
        fired += [(at, e.kind) for e in alerts.check(con, at=at)]
        at += timedelta(hours=1)
    # the spike hour 14:00-15:00 is seen by the 15:00 check; the forecast once the spike is in the month
    assert fired == [(datetime(2026, 11, 21, 15), "spike"), (datetime(2026, 11, 21, 16), "forecast")]


# -- rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, reason", [
    ({"budget": -5}, "budget must be more than 0"),
    ({"budget": "lots"}, "budget must be a number"),
    ({}, "needs a budget"),
    ({"budget": 5, "scope": "colour=red"}, "unknown scope column 'colour'"),
    ({"budget": 5, "scope": "feature"}, "COLUMN=VALUE"),
    ({"budget": 5, "channels": ["webhook:ftp://example.com/x"]}, "http(s) URL"),
    ({"budget": 5, "channels": ["webhook:not a url"]}, "http(s) URL"),
    ({"budget": 5, "channels": ["email:nobody"]}, "address like"),
    ({"budget": 5, "channels": ["pager:123"]}, "unknown channel"),
    ({"budget": 5, "timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"budget": 5, "window": "year"}, "unknown window"),
    ({"budget": 5, "levels": "50,abc"}, "levels must be whole percentages"),
    ({"budget": 5, "kind": "forecast", "window": "day"}, "projects the month"),
])
def test_invalid_rules_are_refused_with_a_reason(kwargs, reason):
    with pytest.raises(alerts.InvalidRule) as e:
        alerts.make_rule("r", **kwargs)
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_cli_add_list_remove_and_a_bad_rule(tmp_path):
    db = str(tmp_path / "c.duckdb")
    run = lambda *a: subprocess.run([sys.executable, "-m", "spendwatch", *a, "--db", db],  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    ok = run("alerts", "add", "search-daily", "--scope", "feature=search", "--window", "day", "--budget", "50",
             "--channel", "webhook:https://hooks.slack.com/services/T0/B0/SECRET", "--channel", "log")
    assert ok.returncode == 0, ok.stderr
    bad = run("alerts", "add", "neg", "--budget", "-1", "--channel", "log")
    assert bad.returncode == 1 and bad.stderr.strip() == "spendwatch: error: budget must be more than 0 USD, got -1"
    listed = run("alerts", "list", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["scope"], Decimal(r["budget_usd"])) for r in rows] == [("search-daily", "feature=search", 50)]
    assert rows[0]["channels"] == ["webhook:https://hooks.slack.com/…", "log"]  # the token is never shown
    assert "SECRET" not in listed.stdout + ok.stdout
    assert run("alerts", "remove", "search-daily").returncode == 0
    assert json.loads(run("alerts", "list", "--format", "json").stdout) == []


def test_rules_from_the_toml_config(con, tmp_path):
    toml = {"alerts": [{"name": "team", "scope": "project=proj_a", "window": "week", "budget": 100,
                        "levels": [80, 100], "channels": ["log"], "timezone": "Europe/Berlin"}]}
    assert rules.sync_config(con, toml) == 1
    r = rules.get(con, "team")
    assert (r.scope_col, r.scope_value, r.window, r.budget_usd, r.levels, r.source) == (
        "project", "proj_a", "week", Decimal(100), (80, 100), "config")
    rules.sync_config(con, {})  # removed from the config: removed from the store
    assert rules.get(con, "team") is None
    with pytest.raises(alerts.InvalidRule, match="team: budget must be more than 0"):
        rules.sync_config(con, {"alerts": [{**toml["alerts"][0], "budget": 0}]})


# -- delivery ------------------------------------------------------------------------------------

def test_webhook_failing_twice_then_succeeding_receives_the_alert_once(con, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")  # the receiver listens on loopback
    with WebhookReceiver([500, 503]) as hook:
        rules.save(con, alerts.make_rule("daily", budget=2, window="day", levels="100", channels=[f"webhook:{hook.url}"]))
        _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1)  # $2.50 ≥ $2.00
        assert len(alerts.check(con, at=datetime(2026, 11, 10, 2))) == 1
        now = datetime(2026, 11, 10, 2)
        outcomes = []
        for minutes in range(0, 10):  # a scheduler ticking every minute; backoff decides when to retry
            outcomes.append(alerts.deliver(con, FAST, now=now + timedelta(minutes=minutes)))
        assert [r["status"] for r in hook.received] == [500, 503, 200]
        assert len(hook.accepted) == 1
        body = hook.accepted[0]
        assert body["event_id"] == "daily|budget|2026-11-10T00:00:00|100"
        assert body["text"].startswith("spendwatch: daily — all traffic has spent $2.50 this day (125 % of its $2.00")
        assert body["spendwatch"]["spend_usd"] == "2.500000000000000"
        assert hook.received[-1]["headers"]["Idempotency-Key"] == body["event_id"]
        assert con.execute("SELECT status, attempts FROM alert_outbox").fetchall() == [("sent", 3)]
        assert sum(o["retrying"] for o in outcomes) == 2 and sum(o["sent"] for o in outcomes) == 1


def test_a_channel_that_keeps_failing_is_marked(con, tmp_path, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")  # the receiver listens on loopback
    with WebhookReceiver([500] * 10) as hook:
        rules.save(con, alerts.make_rule("d", budget=1, window="day", levels="100", channels=[f"webhook:{hook.url}"]))
        _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1)
        alerts.check(con, at=datetime(2026, 11, 10, 2))
        for minutes in range(0, 30):
            alerts.deliver(con, FAST, now=datetime(2026, 11, 10, 2) + timedelta(minutes=minutes))
        assert len(hook.received) == FAST.max_attempts  # then it gives up
    health = alerts.channel_health(con)[f"webhook:{hook.url}"]
    assert health["failing"] and health["failed"] == 1 and "HTTP 500" in health["last_error"]
    assert "secret-token" not in health["last_error"]


def test_email_over_smtp(con):
    with SmtpReceiver() as smtp:
        cfg = Delivery(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, smtp_from="sw@example.com")
        rules.save(con, alerts.make_rule("mail", budget=5, window="month", levels="50",
                                         channels=["email:lead@example.com"]))
        _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1)  # $2.50 = 50 % of $5.00
        alerts.check(con, at=datetime(2026, 11, 10, 2))
        assert alerts.deliver(con, cfg, now=datetime(2026, 11, 10, 2))["sent"] == 1
        assert alerts.deliver(con, cfg, now=datetime(2026, 11, 10, 3))["sent"] == 0
        assert len(smtp.messages) == 1
        rcpts, msg = smtp.messages[0]
        assert rcpts == ["lead@example.com"] and msg["Subject"] == "spendwatch alert: mail (budget)"
        assert "has spent $2.50 this month (50 % of its $5.00 budget" in msg.get_content()


def test_killed_between_detect_and_send_delivers_exactly_once_after_restart(tmp_path, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")  # the receiver listens on loopback
    db = tmp_path / "k.duckdb"
    with WebhookReceiver() as hook:
        c = store.connect(db)
        catalog.materialise(c)
        rules.save(c, alerts.make_rule("d", budget=1, window="day", levels="100", channels=[f"webhook:{hook.url}"]))
        _gpt4o_input(c, "a", "2026-11-10T01:00:00Z", 1)
        c.close()
        child = ("import os, signal; from datetime import datetime; from spendwatch import store, alerts; "
                 f"c = store.connect({str(db)!r}); alerts.check(c, at=datetime(2026, 11, 10, 2)); "
                 "os.kill(os.getpid(), signal.SIGKILL)")
        p = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=60)
        assert p.returncode == -9
        assert hook.received == []  # detected and recorded, never sent
        env = {**os.environ, "SPENDWATCH_DB": str(db)}
        for _ in range(2):  # restart (cron runs the check), and once more
            r = subprocess.run([sys.executable, "-m", "spendwatch", "alerts", "check", "--at", "2026-11-10T02:30:00"],
                               capture_output=True, text=True, timeout=60, env=env)
            assert r.returncode == 0, r.stderr
        assert len(hook.accepted) == 1 and hook.accepted[0]["event_id"] == "d|budget|2026-11-10T00:00:00|100"


def test_serve_schedules_the_check_every_minute_coalesced(tmp_path):
    from spendwatch.config import get_settings
    from spendwatch.scheduler import build_scheduler

    c = store.connect(tmp_path / "s.duckdb")
    sched = build_scheduler(get_settings(db=tmp_path / "s.duckdb"), c)
    sched.start(paused=True)
    try:
        job = sched.get_job("alerts-check")
        assert job.trigger.interval == timedelta(minutes=1)
        assert job.coalesce and job.max_instances == 1 and job.next_run_time is not None  # first run: at start
    finally:
        sched.shutdown(wait=False)


def test_cli_check_prints_and_records_and_events_lists(tmp_path):
    db = tmp_path / "e.duckdb"
    c = store.connect(db)
    catalog.materialise(c)
    rules.save(c, alerts.make_rule("d", budget=2, window="day", levels="100"))
    _gpt4o_input(c, "a", "2026-11-10T01:00:00Z", 1)
    c.close()
    env = {**os.environ, "SPENDWATCH_DB": str(db)}
    cmd = [sys.executable, "-m", "spendwatch", "alerts"]
    dry = subprocess.run([*cmd, "check", "--at", "2026-11-10T02:00", "--dry-run"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert dry.stdout.startswith("would fire: spendwatch: d — all traffic has spent $2.50 this day")
    r = subprocess.run([*cmd, "check", "--at", "2026-11-10T02:00"], capture_output=True, text=True, env=env, timeout=60)
    assert "1 new event(s); deliveries: 1 sent" in r.stdout and "ALERT spendwatch: d" in r.stderr
    ev = json.loads(subprocess.run([*cmd, "events", "--format", "json"], capture_output=True, text=True, env=env,
                                   timeout=60).stdout)
    assert [(e["rule_name"], e["level"], e["delivery"]) for e in ev] == [("d", 100, "1 sent")]


def test_alert_help(tmp_path):
    for sub in ("add", "list", "remove", "events", "check", "test"):
        r = subprocess.run([sys.executable, "-m", "spendwatch", "alerts", sub, "--help"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0 and "Usage" in r.stdout


def test_messages_name_what_how_much_and_the_budget(con):
    rules.save(con, alerts.make_rule("m", budget=3, window="month", levels="80"))
    _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1, feature="search")  # $2.50 = 83 % of $3.00
    (e,) = alerts.check(con, at=datetime(2026, 11, 10, 2))
    assert "all traffic has spent $2.50 this month (83 % of its $3.00 budget; level 80 %)" in e.message
    assert "Month-end forecast $" in e.message and "Top features: search $2.50" in e.message


def test_log_channel_writes_the_message_to_the_log(con, caplog):
    rules.save(con, alerts.make_rule("l", budget=1, window="day", levels="100"))
    _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1)
    alerts.check(con, at=datetime(2026, 11, 10, 2))
    with caplog.at_level("WARNING", logger="spendwatch.alerts"):
        assert alerts.deliver(con, FAST, now=datetime(2026, 11, 10, 2))["sent"] == 1
    assert any("ALERT spendwatch: l — all traffic has spent $2.50" in m for m in caplog.messages)



# -- webhook targets (issue 14 item 14) ----------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/",
    "http://[::ffff:169.254.169.254]/", "http://[fe80::1]/",
])
def test_metadata_and_link_local_webhooks_are_refused_even_when_private_is_allowed(url, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")
    with pytest.raises(alerts.InvalidRule, match="link-local or metadata address"):
        alerts.make_rule("m", budget=1, channels=[f"webhook:{url}"])


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://10.1.2.3/x",
                                 "http://192.168.0.10/x", "http://[::1]:9/x"])
def test_loopback_and_private_webhooks_need_the_setting(url, monkeypatch):
    with pytest.raises(alerts.InvalidRule, match="SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS=1"):
        alerts.make_rule("p", budget=1, channels=[f"webhook:{url}"])
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")
    assert alerts.make_rule("p", budget=1, channels=[f"webhook:{url}"]).channels == (f"webhook:{url}",)


def test_a_public_address_needs_no_setting():
    assert alerts.make_rule("p", budget=1, channels=["webhook:https://93.184.216.34/hook"]).channels


def test_a_name_that_resolves_to_the_metadata_address_is_refused(monkeypatch):
    import socket

    real = socket.getaddrinfo

    def dns(host, *args, **kwargs):  # the one faked part: what a hostile DNS answers for this name
        if host == "billing.evil.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with pytest.raises(alerts.InvalidRule, match="169.254.169.254 is a link-local or metadata address"):
        alerts.make_rule("n", budget=1, channels=["webhook:https://billing.evil.example/hook"])


def test_the_target_is_checked_again_at_delivery(con, monkeypatch):
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")
    with WebhookReceiver() as hook:
        rules.save(con, alerts.make_rule("d", budget=1, window="day", levels="100", channels=[f"webhook:{hook.url}"]))
        _gpt4o_input(con, "a", "2026-11-10T01:00:00Z", 1)  # $2.50 >= $1.00
        alerts.check(con, at=datetime(2026, 11, 10, 2))
        monkeypatch.delenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS")  # the setting is gone by the time it sends
        assert alerts.deliver(con, FAST, now=datetime(2026, 11, 10, 2))["retrying"] == 1
        assert hook.received == []
    (err,) = con.execute("SELECT last_error FROM alert_outbox").fetchone()
    assert "loopback or private address" in err and "secret-token" not in err
