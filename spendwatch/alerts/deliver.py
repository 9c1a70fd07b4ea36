"""Send what `check` recorded: every due outbox row once, with its state stored after each try.

A failed send is retried later with exponential backoff and jitter (the state lives in the outbox,
so a restart neither loses nor repeats it); after ``max_attempts`` the delivery is marked failed and
the channel shows as failing. Webhook bodies carry ``event_id`` (and an ``Idempotency-Key`` header)
so a receiver can recognise the one case no sender can rule out: a crash during the send itself.
"""

from __future__ import annotations

import json
import logging
import random
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlparse

import duckdb
import requests

from spendwatch import store
from spendwatch.alerts.rules import InvalidRule, check_webhook_target
from spendwatch.clock import utc_now
from spendwatch.config import Settings

log = logging.getLogger("spendwatch.alerts")


@dataclass(frozen=True)
class Delivery:
    """How to reach the channels, and how patiently."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "spendwatch@localhost"
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    max_attempts: int = 8
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Delivery:
        smtp = settings.load_toml().get("smtp", {})
        pw = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            smtp_host=settings.smtp_host or smtp.get("host"),
            smtp_port=int(settings.smtp_port or smtp.get("port", 587)),
            smtp_username=settings.smtp_username or smtp.get("username"),
            smtp_password=pw,
            smtp_starttls=bool(smtp.get("starttls", True)) if settings.smtp_starttls is None else settings.smtp_starttls,
            smtp_from=settings.smtp_from or smtp.get("from", "spendwatch@localhost"),
            retry_base_seconds=settings.alert_retry_seconds,
        )


class SendError(Exception):
    """One failed try; the message is stored as the delivery's last error (never a secret)."""


def display_channel(channel: str) -> str:
    """Webhook URLs are credentials (Slack's carry a token in the path): show only scheme and host."""
    kind, _, target = channel.partition(":")
    if kind == "webhook":
        u = urlparse(target)
        return f"webhook:{u.scheme}://{u.hostname}{':' + str(u.port) if u.port else ''}/…"
    return channel


def send(channel: str, event_key: str, message: str, payload: dict[str, Any], cfg: Delivery) -> None:
    kind, _, target = channel.partition(":")
    if kind == "webhook":
        _webhook(target, event_key, message, payload, cfg)
    elif kind == "email":
        _email(target, message, payload, cfg)
    else:
        log.warning("ALERT %s", message)


def slack_text(text: str) -> str:
    """Message text with Slack's three control characters escaped (&amp; &lt; &gt;), so a tag such as
    ``<!channel>`` or ``<http://evil|Billing>`` shows as typed instead of pinging or linking."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_text(text: str) -> str:
    """Discord has no entities: break its mention and link syntax with a zero-width space."""
    return text.replace("@", "@\u200b").replace("<", "<\u200b").replace("](", "]\u200b(")


def _webhook(url: str, event_key: str, message: str, payload: dict[str, Any], cfg: Delivery) -> None:
    # `text` is what Slack, Teams and Mattermost incoming webhooks show; `content` is Discord's.
    # Tags in the message are user data: escaped so that they are shown, never acted on.
    try:  # again at each send: the name may resolve somewhere else than when the rule was saved
        check_webhook_target(url)
    except InvalidRule as e:
        raise SendError(str(e)) from None
    figures = {k: v for k, v in payload.items() if k != "attachment"}  # a local path is for e-mail only
    body = {"text": slack_text(message), "content": discord_text(message), "event_id": event_key,
            "spendwatch": figures}
    try:
        r = requests.post(url, json=body, timeout=cfg.timeout_seconds, allow_redirects=False,
                          headers={"Idempotency-Key": event_key, "User-Agent": "spendwatch"})
    except requests.RequestException as e:
        raise SendError(f"webhook {urlparse(url).hostname}: {type(e).__name__}") from None
    if r.status_code >= 300:
        raise SendError(f"webhook {urlparse(url).hostname}: HTTP {r.status_code}")


def _email(address: str, message: str, payload: dict[str, Any], cfg: Delivery) -> None:
    if not cfg.smtp_host:
        raise SendError("no SMTP server configured (SPENDWATCH_SMTP_HOST or [smtp] host)")
    msg = EmailMessage()
    msg["Subject"] = payload.get("subject") or f"spendwatch alert: {payload.get('rule', '?')} ({payload.get('kind', '?')})"
    msg["From"] = cfg.smtp_from
    msg["To"] = address
    # text/plain body (attachments aside), so a tag like <a href=…> or ![](http://…) is shown, not rendered or fetched
    msg.set_content(message + "\n\n" + json.dumps(payload, indent=2, default=str) + "\n", subtype="plain")
    if payload.get("attachment"):  # a scheduled report (spendwatch.reports_schedule): the file itself
        _attach(msg, payload["attachment"])
    try:
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds) as s:
            s.ehlo()
            if cfg.smtp_starttls and s.has_extn("starttls"):
                s.starttls(context=ssl.create_default_context())
                s.ehlo()
            if cfg.smtp_username:
                s.login(cfg.smtp_username, cfg.smtp_password or "")
            s.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        raise SendError(f"email via {cfg.smtp_host}:{cfg.smtp_port}: {type(e).__name__}") from None


def _attach(msg: EmailMessage, path: str) -> None:
    import mimetypes
    from pathlib import Path

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise SendError(f"report file {p.name}: {type(e).__name__}") from None
    ctype = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    maintype, _, subtype = ctype.partition("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=p.name)


def backoff(attempts: int, cfg: Delivery) -> timedelta:
    """Exponential backoff with jitter: base·2^(n-1), capped, times a random 0.5–1."""
    delay = min(cfg.retry_cap_seconds, cfg.retry_base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not crypto)


def deliver(con: duckdb.DuckDBPyConnection, cfg: Delivery, *, now: datetime | None = None) -> dict[str, int]:
    """Try every due delivery once; store each outcome before the next. Returns counts by outcome."""
    now = now or utc_now()
    due = con.execute(store.query("alert_outbox_due"), {"now": now}).fetchall()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for key, channel, attempts, message, payload in due:
        try:
            send(channel, key, message, json.loads(payload or "{}"), cfg)
        except SendError as e:
            n = attempts + 1
            status = "failed" if n >= cfg.max_attempts else "pending"
            counts["failed" if status == "failed" else "retrying"] += 1
            log.warning("alert %s to %s failed (try %d): %s", key, display_channel(channel), n, e)
            con.execute(store.query("alert_outbox_retry"), {"attempts": n, "status": status, "error": str(e),
                                                            "next": now + backoff(n, cfg), "key": key, "channel": channel})
        else:
            counts["sent"] += 1
            con.execute(store.query("alert_outbox_sent"), {"sent_at": now, "key": key, "channel": channel})
    return counts


def send_test(channels: tuple[str, ...], rule_name: str, cfg: Delivery, *,
              now: datetime | None = None) -> dict[str, str]:
    """Send a test message now, outside the outbox: 'ok' or the reason, per channel."""
    now = now or utc_now()
    out = {}
    text = f"spendwatch: test message for alert rule {rule_name!r}. If you can read this, the channel works."
    for ch in channels:
        try:
            send(ch, f"test|{rule_name}|{now.isoformat()}", text, {"rule": rule_name, "kind": "test"}, cfg)
            out[display_channel(ch)] = "ok"
        except SendError as e:
            out[display_channel(ch)] = str(e)
    return out


def channel_health(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per channel: deliveries sent, waiting and failed, the last error; failing = a delivery gave up."""
    rows = store.fetch_dicts(con, store.query("alert_channel_health"))
    return {r["channel"]: r for r in rows}


def recent_events(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest events with their delivery state, newest first."""
    rows = store.fetch_dicts(con, store.query("alert_events_recent"), {"limit": limit})
    for r in rows:
        r["delivery"] = r["delivery"] or "recorded (a higher level was sent)"
    return rows
