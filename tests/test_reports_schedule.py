"""The monthly report sends itself: due at its local time, once per month and channel, retried, caught up;
the e-mail carries the XLSX, received by a real SMTP server (aiosmtpd) and read back with openpyxl."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal as D

import openpyxl
import pytest

from spendwatch import reports_schedule as rs
from spendwatch.alerts.deliver import Delivery, deliver
from spendwatch.alerts.rules import InvalidRule
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.test_chargeback import recorded  # noqa: F401  (the recorded Costs API page of 2026-11-01)


def test_due_follows_the_local_time_and_catches_up():
    s = rs.Schedule("m", ("log",), day=2, at="08:00", tz="Europe/Berlin")
    # 2 December 08:00 in Berlin (CET, UTC+1) is 07:00 UTC
    assert s.send_at(datetime(2026, 12, 1).date()) == datetime(2026, 12, 2, 7, 0)
    assert s.due(datetime(2026, 12, 2, 6, 59)).isoformat() == "2026-10-01"  # still October's report
    assert s.due(datetime(2026, 12, 2, 7, 0)).isoformat() == "2026-11-01"
    assert (
        s.due(datetime(2026, 12, 20)).isoformat() == "2026-11-01"
    )  # down on the 2nd: still due after
    # in July Berlin is UTC+2
    assert s.send_at(datetime(2026, 7, 1).date()) == datetime(2026, 7, 2, 6, 0)


@pytest.mark.parametrize(
    "kw, reason",
    [
        ({"day": 31}, "1..28"),
        ({"at": "8am"}, "HH:MM"),
        ({"tz": "Mars/Base"}, "time zone"),
        ({"format": "pdf"}, "format"),
        ({"channels": ("fax:123",)}, "unknown channel"),
        ({"channels": ()}, "channel"),
    ],
)
def test_bad_schedules_are_refused_with_one_line(kw, reason):
    with pytest.raises(InvalidRule, match=reason):
        rs.Schedule(**{"name": "m", "channels": ("log",), **kw}).validated()


@pytest.mark.integration
def test_monthly_xlsx_by_email_and_summary_by_webhook_exactly_once(recorded, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")  # the receiver listens on loopback
    con = recorded
    with SmtpReceiver() as smtp, WebhookReceiver([500]) as hook:
        rs.sync_config(
            con,
            {
                "reports": {
                    "name": "finance",
                    "channels": ["email:finance@example.com", f"webhook:{hook.url}/hook"],
                    "day": 2,
                    "at": "08:00",
                    "tz": "Europe/Berlin",
                    "by": "feature",
                }
            },
        )
        cfg = Delivery(
            smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, retry_base_seconds=1
        )
        out = tmp_path / "reports"
        assert (
            rs.run_due(con, now=datetime(2026, 12, 2, 6, 59), out_dir=out) == []
        )  # October: no bill, skipped
        keys = rs.run_due(con, now=datetime(2026, 12, 2, 7, 0), out_dir=out)
        assert keys == ["report|finance|2026-11"]
        assert rs.run_due(con, now=datetime(2026, 12, 2, 7, 1), out_dir=out) == []  # recorded once
        assert deliver(con, cfg, now=datetime(2026, 12, 2, 7, 0)) == {
            "sent": 1,
            "retrying": 1,
            "failed": 0,
        }
        # the webhook answered 500: retried after its backoff (1 s base), then sent; the e-mail is not sent again
        assert deliver(con, cfg, now=datetime(2026, 12, 2, 7, 5)) == {
            "sent": 1,
            "retrying": 0,
            "failed": 0,
        }
        assert deliver(con, cfg, now=datetime(2026, 12, 2, 8, 0)) == {
            "sent": 0,
            "retrying": 0,
            "failed": 0,
        }
        assert (
            rs.run_due(con, now=datetime(2027, 1, 1), out_dir=out) == []
        )  # December's is not due yet

        assert len(smtp.messages) == 1
        rcpt, msg = smtp.messages[0]
        assert (
            rcpt == ["finance@example.com"]
            and msg["Subject"] == "spendwatch report: finance, November 2026"
        )
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == "spendwatch-finance-2026-11.xlsx"
        ws = openpyxl.load_workbook(io.BytesIO(part.get_content())).active
        cells = {
            (r[0], r[1], r[2]): r[3]
            for r in ws.iter_rows(min_row=4, values_only=True)
            if r[1] or r[2]
        }
        # the chargeback of the recorded page (tests/test_chargeback.py): search $1.04, chat $4.39 …
        assert D(str(cells[("search", "proj_Zq3v8KkYl2mQwE4r", None)])) == D("1.04")
        assert D(str(cells[("chat", "proj_Zq3v8KkYl2mQwE4r", None)])) == D("4.39")
        assert "billed $9.30" in ws["A1"].value

        accepted = hook.accepted
        assert len(accepted) == 1 and accepted[0]["event_id"] == "report|finance|2026-11"
        text = accepted[0]["text"]
        assert (
            "$9.30" in text and "http" not in text and "attachment" not in accepted[0]["spendwatch"]
        )
        assert accepted[0]["spendwatch"]["billed_usd"] == "9.30"  # the headline, to the cent


def test_config_owns_its_schedules(con):
    rs.save(con, rs.Schedule("cli-one", ("log",)))
    rs.sync_config(
        con,
        {
            "reports": [
                {"name": "a", "channels": ["log"]},
                {"name": "b", "channels": ["log"], "format": "focus"},
            ]
        },
    )
    assert [(s.name, s.source) for s in rs.all_schedules(con)] == [
        ("a", "config"),
        ("b", "config"),
        ("cli-one", "cli"),
    ]
    rs.sync_config(con, {"reports": [{"name": "b", "channels": ["log"]}]})
    assert [s.name for s in rs.all_schedules(con)] == ["b", "cli-one"]
    with pytest.raises(InvalidRule, match="added with the CLI"):
        rs.sync_config(con, {"reports": {"name": "cli-one", "channels": ["log"]}})


def _cli(*args: str):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args], capture_output=True, text=True
    )


def test_reports_cli_add_list_remove(db_path, con):
    import json

    con.close()
    db = ["--db", str(db_path)]
    r = _cli(
        "reports",
        "add",
        "finance",
        "--channel",
        "email:finance@example.com",
        "--tz",
        "Europe/Berlin",
        *db,
    )
    assert r.returncode == 0, r.stderr
    r = _cli("reports", "add", "bad", "--channel", "email:finance@example.com", "--day", "31", *db)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "1..28" in r.stderr
    r = _cli("reports", "list", "--format", "json", *db)
    (row,) = json.loads(r.stdout)
    assert (row["name"], row["format"], row["by"], row["day"], row["at"], row["tz"]) == (
        "finance",
        "xlsx",
        "cost_centre",
        2,
        "08:00",
        "Europe/Berlin",
    )
    assert _cli("reports", "remove", "finance", *db).returncode == 0
    r = _cli("reports", "remove", "finance", *db)
    assert r.returncode == 1 and "no report schedule named 'finance'" in r.stderr
