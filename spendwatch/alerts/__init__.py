"""Budgets and alerts: rules (what to watch), check (what fired, recorded once), deliver (send it)."""

from __future__ import annotations

from spendwatch.alerts.check import Event, burn_down, check, window_bounds
from spendwatch.alerts.deliver import (
    Delivery,
    channel_health,
    deliver,
    display_channel,
    recent_events,
    send_test,
)
from spendwatch.alerts.rules import KINDS, SCOPES, WINDOWS, InvalidRule, Rule, all_rules, make_rule

__all__ = ["KINDS", "SCOPES", "WINDOWS", "Delivery", "Event", "InvalidRule", "Rule", "all_rules", "burn_down",
           "channel_health", "check", "deliver", "display_channel", "make_rule", "recent_events", "send_test",
           "window_bounds"]
