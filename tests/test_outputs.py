"""What spendwatch writes and prints when tags are hostile (issue 14, items 4, 5, 7, 9, 12, 15):
CSV cells never start a formula (not even after a CR inside a cell), user text is never terminal
markup or escape sequences, exports are written whole or not at all, and options are checked.
Everything runs through real child processes (`python -m spendwatch`)."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spendwatch import exports
from spendwatch.errors import SpendwatchError
from tests.helpers import chat_record

FORMULA = ("=", "+", "-", "@", "\t", "\r")
CR_FORMULA = "search\r=cmd|' /C calc'!A0"
HOSTILE = {
    "cr": CR_FORMULA,
    "lf": "notes\n+1+1",
    "crlf": "x\r\n@SUM(A1:A9)",
    "close": "[/oops]",
    "link": "[link=http://evil.example/login]Billing locked[/link]",
    "slack": "<!channel> <http://evil.example/login|Billing locked>",
}
ESC_MODEL = "gpt-4o\x1b[2J\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07"


def _cli(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spendwatch", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
        **kw,
    )


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """One gpt-4o request per hostile feature (1,000 in, 10 out), plus one on a model name with ESC."""
    lines = [
        chat_record(f"r-{k}", "gpt-4o", 1000, 10, feature=v, ts="2026-11-10T12:00:00Z")
        for k, v in HOSTILE.items()
    ]
    lines.append(
        chat_record("r-esc", ESC_MODEL, 1000, 10, feature="esc", ts="2026-11-10T12:00:00Z")
    )
    f = tmp_path / "hostile.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "h.duckdb"
    r = _cli("ingest", str(f), "--db", str(db))
    assert (
        r.returncode == 0 and r.stdout.strip() == "7 ingested, 0 duplicates skipped, 0 quarantined"
    ), r.stderr
    return db


def _starts_formula(text: str) -> bool:
    return text.startswith(FORMULA)


# -- item 4: CSV / XLSX / Parquet ----------------------------------------------------------------


def test_csv_cells_never_start_a_formula_even_after_a_line_break(hostile_db, tmp_path):
    r = _cli(
        "report",
        "--db",
        str(hostile_db),
        "--from",
        "2026-11-10",
        "--to",
        "2026-11-10",
        "--format",
        "csv",
    )
    assert r.returncode == 0, r.stderr
    raw = subprocess.run(
        [
            sys.executable,
            "-m",
            "spendwatch",
            "report",
            "--db",
            str(hostile_db),
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-10",
            "--format",
            "csv",
        ],
        capture_output=True,
    ).stdout
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][0] == "feature" and len(rows) == 1 + len(HOSTILE) + 1  # header, 6 hostile, "esc"
    for row in rows:
        for value in row:
            for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                assert not _starts_formula(line), repr(value)
    # what a careless importer sees: every physical line, split on CR and LF alike
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not _starts_formula(line), repr(line)
    features = {row[0] for row in rows[1:]}
    assert "search\r'=cmd|' /C calc'!A0" in features  # the text survives, neutralised after the CR
    assert "x\r\n'@SUM(A1:A9)" in features and "notes\n'+1+1" in features
    assert "\"search\r'=cmd" in text  # a field holding a CR is quoted


def test_neutralise_every_line_start():
    assert exports.neutralise("=1") == "'=1"
    assert exports.neutralise("a\r=b\n-c\r\n+d") == "a\r'=b\n'-c\r\n'+d"
    assert exports.neutralise("\r\r=x") == "'\r'\r'=x"
    assert exports.neutralise("plain\ntext") == "plain\ntext"
    assert exports.neutralise(-5) == -5


def test_xlsx_writes_text_as_text_and_parquet_keeps_the_data(tmp_path):
    rows = [{"feature": v, "requests": 1} for v in HOSTILE.values()]
    exports.write_xlsx(rows, tmp_path / "r.xlsx", columns=["feature", "requests"])
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell anywhere
    assert "search\r'=cmd" in strings.replace("_x000D_", "\r")
    exports.write_parquet(rows, tmp_path / "r.parquet", columns=["feature", "requests"])
    assert pq.read_table(tmp_path / "r.parquet").column("feature").to_pylist() == list(
        HOSTILE.values()
    )


# -- item 5: user text is never terminal markup ---------------------------------------------------


@pytest.mark.parametrize("force_terminal", [False, True])
def test_tags_are_not_terminal_markup(hostile_db, force_terminal):
    env = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"} if force_terminal else {"NO_COLOR": "1"}
    r = _cli(
        "report",
        "--db",
        str(hostile_db),
        "--from",
        "2026-11-10",
        "--to",
        "2026-11-10",
        "--by",
        "feature,model",
        env=env,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr  # [/oops] crashed rich
    out = r.stdout
    assert "[/oops]" in out and "[link=http://evil.example/login]Billing" in out  # shown as typed
    assert "\x1b]8;" not in out  # no hyperlink (OSC 8)
    assert (
        "\x1b[2J" not in out and "\x07" not in out
    )  # the model's ESC sequences never reach the terminal
    assert "gpt-4o[2J]8;;http://evil" in out  # ... their printable rest is shown
    if not force_terminal:
        assert "\x1b" not in out


def test_other_commands_print_user_text_plainly(hostile_db):
    db = str(hostile_db)
    outs = []
    r = _cli("prices", "--unpriced", "--db", db)
    assert r.returncode == 0, r.stderr
    outs.append(r.stdout)
    r = _cli("prices", ESC_MODEL, "--db", db)  # an error that names the model
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    outs.append(r.stderr)
    r = _cli(
        "alerts",
        "add",
        "oops",
        "--budget",
        "5",
        "--scope",
        "feature=[/oops]",
        "--channel",
        "log",
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    r = _cli(
        "alerts",
        "add",
        "esc",
        "--budget",
        "5",
        "--scope",
        f"model={ESC_MODEL}",
        "--channel",
        "log",
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    outs.append(r.stdout)
    r = _cli("alerts", "list", "--db", db)
    assert r.returncode == 0 and "feature=[/oops]" in r.stdout, r.stderr
    outs.append(r.stdout)
    r = _cli("alerts", "check", "--at", "2026-11-10T13:00", "--db", db)
    assert r.returncode == 0, r.stderr
    outs += [r.stdout, r.stderr]
    r = _cli(
        "whatif",
        "--to",
        "gpt-4o-mini",
        "--from-date",
        "2026-11-10",
        "--to-date",
        "2026-11-10",
        "--db",
        db,
    )
    assert r.returncode == 0, r.stderr
    outs.append(r.stdout)
    for text in outs:
        assert "\x1b" not in text and "\x07" not in text and "Traceback" not in text


# -- item 7: Slack and e-mail --------------------------------------------------------------------


def _alerting_db(tmp_path: Path, channel: str) -> Path:
    """$2.50 of gpt-4o input (1M tokens at $2.50 per 1M) by the hostile Slack feature; a $1 day budget."""
    from spendwatch import alerts, ingest, store
    from spendwatch.alerts import rules
    from spendwatch.pricing import catalog

    db = tmp_path / "a.duckdb"
    con = store.connect(db)
    catalog.materialise(con)
    ingest.ingest_lines(
        con,
        [
            chat_record(
                "a", "gpt-4o", 1_000_000, 0, ts="2026-11-10T01:00:00Z", feature=HOSTILE["slack"]
            )
        ],
        source="t",
    )
    rules.save(
        con,
        alerts.make_rule(
            "d",
            budget=1,
            window="day",
            levels="100",
            channels=[channel],
            scope=f"feature={HOSTILE['slack']}",
        ),
    )
    con.close()
    return db


def test_webhook_text_escapes_slack_control_characters(tmp_path, monkeypatch):
    from tests.receivers import WebhookReceiver

    monkeypatch.setenv("SPENDWATCH_ALLOW_PRIVATE_WEBHOOKS", "1")  # the receiver listens on loopback
    with WebhookReceiver() as hook:
        db = _alerting_db(tmp_path, f"webhook:{hook.url}")
        r = _cli("alerts", "check", "--at", "2026-11-10T02:00", "--db", str(db))
        assert r.returncode == 0 and "1 sent" in r.stdout, r.stderr
        (body,) = hook.accepted
    text = body["text"]
    assert "<" not in text and ">" not in text  # nothing Slack would parse as a mention or a link
    assert "&lt;!channel&gt; &lt;http://evil.example/login|Billing locked&gt;" in text
    assert "has spent $2.50 this day" in text
    assert "<!channel>" not in body["content"] and "@everyone" not in body["content"]


def test_email_body_is_plain_text(tmp_path):
    from spendwatch import store
    from tests.receivers import SmtpReceiver

    with SmtpReceiver() as smtp:
        db = _alerting_db(tmp_path, "email:lead@example.com")
        env = {
            "SPENDWATCH_SMTP_HOST": "127.0.0.1",
            "SPENDWATCH_SMTP_PORT": str(smtp.port),
            "SPENDWATCH_SMTP_STARTTLS": "false",
        }
        r = _cli("alerts", "check", "--at", "2026-11-10T02:00", "--db", str(db), env=env)
        assert r.returncode == 0 and "1 sent" in r.stdout, (r.stdout, r.stderr)
        ((_, msg),) = smtp.messages
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    assert HOSTILE["slack"] in msg.get_content()  # shown as typed, never as HTML
    store.connect(db).close()


# -- item 9: written whole or not at all ---------------------------------------------------------


def _limit_file_size(nbytes: int):
    def apply() -> None:
        signal.signal(
            signal.SIGXFSZ, signal.SIG_IGN
        )  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return apply


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "table"])
def test_a_failed_write_leaves_the_previous_file(hostile_db, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    out.write_text("previous report\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "spendwatch",
            "report",
            "--db",
            str(hostile_db),
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-10",
            "--format",
            fmt,
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size(200),
    )
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert str(out) in r.stderr and "unchanged" in r.stderr
    assert out.read_text() == "previous report\n"
    assert [
        p.name for p in tmp_path.iterdir() if p.name.startswith(".report")
    ] == []  # no temp file left


@pytest.mark.parametrize("target", ["/", "/proc/x", "DIR", "/dev/null"])
def test_an_unwritable_target_is_one_line(hostile_db, tmp_path, target):
    if target == "DIR":
        target = str(tmp_path)
    r = _cli("report", "--db", str(hostile_db), "--format", "csv", "-o", target)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("spendwatch: error: cannot write") and "Traceback" not in r.stderr
    assert Path("/dev/null").is_char_device()


def test_a_successful_write_replaces_the_file(hostile_db, tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("previous\n")
    r = _cli(
        "report",
        "--db",
        str(hostile_db),
        "--from",
        "2026-11-10",
        "--to",
        "2026-11-10",
        "--format",
        "csv",
        "-o",
        str(out),
    )
    assert r.returncode == 0 and r.stderr.strip() == f"wrote 7 rows to {out}"
    assert out.read_text().startswith("feature,requests,")


def test_xlsx_over_the_sheet_limit_is_refused(tmp_path):
    out = tmp_path / "big.xlsx"
    out.write_text("previous")
    row = {"day": "2026-11-10", "requests": 1}
    rows = (
        [row] * 1_048_575
    )  # one list of references: cheap; the sheet holds 1,048,576 rows with header + totals
    with pytest.raises(
        SpendwatchError, match=r"at most 1,048,574 report rows and this report has 1,048,575"
    ):
        exports.write_xlsx(rows, out, columns=["day", "requests"])
    assert out.read_text() == "previous"
    with pytest.raises(SpendwatchError, match="at most 1,048,572"):  # a title takes two more rows
        exports.write_xlsx(rows[:1_048_573], io.BytesIO(), columns=["day", "requests"], title="t")


# -- item 12 (CLI part): options checked by every command ----------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "x.jsonl"],
        ["quarantine"],
        ["report"],
        ["prices"],
        ["prices", "--unpriced"],
        ["alerts", "list"],
        ["alerts", "events"],
        ["whatif", "--to", "gpt-4o-mini"],
        ["recommend"],
        ["reconcile"],
        ["sync", "status"],
        ["explain", "req-1"],
        ["reports", "list"],
        ["replay", "status"],
    ],
)
def test_every_format_option_is_checked(tmp_path, args):
    """In process (the option check is click's; the one-line form is shown by the child-process test below)."""
    from typer.testing import CliRunner

    from spendwatch.cli import app

    db = tmp_path / "nothing.duckdb"
    r = CliRunner().invoke(app, [*args, "--format", "xml", "--db", str(db)])
    assert r.exit_code == 2, (r.exit_code, r.output)
    assert "'--format'" in r.output and "must be one of" in r.output
    assert not db.exists()  # refused before anything was opened


def test_prices_tier_and_format_are_one_usage_line():
    r = _cli("prices", "gpt-4o", "--tier", "turbo")
    assert (
        r.returncode == 2
        and "'--tier'" in r.stderr
        and "standard, batch, flex, priority" in r.stderr
    )
    assert len(r.stderr.strip().splitlines()) == 1
    r = _cli("quarantine", "--format", "xml")
    assert r.returncode == 2 and r.stderr.strip() == (
        "spendwatch quarantine: usage error: Invalid value for "
        "'--format': must be one of table, json; got 'xml' (see --help)"
    )


def test_report_table_to_a_file(hostile_db, tmp_path):
    out = tmp_path / "report.txt"
    r = _cli(
        "report",
        "--db",
        str(hostile_db),
        "--from",
        "2026-11-10",
        "--to",
        "2026-11-10",
        "-o",
        str(out),
    )
    assert r.returncode == 0 and r.stdout == "", (r.stdout, r.stderr)
    text = out.read_text(encoding="utf-8")
    # 7 requests, each 1,000 gpt-4o input tokens and 10 output: 1,000 x $2.50/1M + 10 x $10/1M = $0.0026;
    # six are priced (the ESC model is unknown): 6 x $0.0026 = $0.0156
    assert "[/oops]" in text and "$0.02" in text and "\x1b" not in text  # $0.0156 shown to the cent


# -- item 15: money and defaults in the CLI ------------------------------------------------------


def test_prices_show_dollars_and_cents(tmp_path):
    from spendwatch import store
    from spendwatch.pricing import catalog

    db = str(tmp_path / "p.duckdb")
    c = store.connect(db)  # read commands never create a database
    catalog.materialise(c)
    c.close()
    r = _cli("prices", "gpt-4o", "--at", "2026-11-10", "--db", db)
    assert r.returncode == 0, r.stderr
    # gpt-4o (published): $2.50 input, $1.25 cached input, $10.00 output per 1M tokens
    assert "input  $2.50 / 1M tokens" in r.stdout and "output $10.00 / 1M tokens" in r.stdout
    assert "cached $1.25 / 1M tokens" in r.stdout and "E+" not in r.stdout
    table = _cli("prices", "--db", db)
    assert table.returncode == 0 and "E+" not in table.stdout and "$10.00" in table.stdout


@pytest.mark.parametrize(
    "args, shown",
    [
        (["report"], "$SPENDWATCH_DB, else ./spendwatch.duckdb"),
        (["prices"], "$SPENDWATCH_CONFIG"),
        (["ingest"], "$SPENDWATCH_SPOOL, else <db>.spool"),
        (["sync", "openai"], "two days before the last sync's end"),
        (["whatif"], "30 days before --to-date"),
        (["alerts", "add"], "all traffic"),
    ],
)
def test_help_shows_the_defaults(args, shown):
    from typer.testing import CliRunner

    from spendwatch.cli import app

    r = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "300"}, terminal_width=300)
    assert r.exit_code == 0 and shown in " ".join(r.output.split()), r.output


def test_json_stays_json_with_hostile_text(hostile_db):
    r = _cli(
        "report",
        "--db",
        str(hostile_db),
        "--from",
        "2026-11-10",
        "--to",
        "2026-11-10",
        "--format",
        "json",
    )
    assert {row["feature"] for row in json.loads(r.stdout)} == {*HOSTILE.values(), "esc"}
    assert "\x1b" not in r.stdout  # JSON escapes control characters (\u001b)


def test_fuzzed_text_never_starts_a_formula_line():
    """Hypothesis: any text built from formula starts, CR, LF, ESC, U+2028/2029/0085 and Slack
    brackets survives a CSV round trip with no line of any cell starting a formula."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(
        [
            "=",
            "+",
            "-",
            "@",
            "\t",
            "\r",
            "\n",
            "\x1b",
            "\u2028",
            "\u2029",
            "\x85",
            "<",
            ">",
            "!",
            "&",
            "a",
            " ",
            '"',
            ",",
        ]
    )

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.text(alphabet, max_size=12), min_size=1, max_size=4))
    def check(values):
        rows = [{"feature": v, "n": i} for i, v in enumerate(values)]
        back = list(
            csv.reader(io.StringIO(exports.to_csv_text(rows, ["feature", "n"]), newline=""))
        )
        assert len(back) == len(values) + 1  # one record per row, whatever the text holds
        for i, ((cell, n), v) in enumerate(zip(back[1:], values, strict=True)):
            assert int(n) == i
            for line in cell.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                assert not _starts_formula(line), repr(cell)
            assert cell.replace("'", "") == v.replace("'", "")  # only apostrophes were added

    check()
