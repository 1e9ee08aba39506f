"""What csip counts for Prometheus (`/metrics`): requests, acks, sends and ticks.

The metrics live in one registry of their own (not the process-wide default), served by
``bot.health``. The deliveries waiting and failed are counted in the database when scraped
(``csip.wiring`` registers that collector), so every replica reports the same figures.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HANDLED = Counter(
    "csip_requests",
    "Commands and interactions handled, by kind and outcome",
    ["kind", "outcome"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "csip_ack_seconds",
    "Time from a request reaching the app to Slack's acknowledgement",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
    registry=REGISTRY,
)
SENDS = Counter(
    "csip_sends", "Scheduled messages sent, by kind and outcome", ["kind", "outcome"], registry=REGISTRY
)
TICK_SECONDS = Histogram(
    "csip_tick_seconds",
    "How long a scheduler tick took",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300),
    registry=REGISTRY,
)
LAST_TICK = Gauge(
    "csip_last_tick_timestamp_seconds", "When the last tick that succeeded ended", registry=REGISTRY
)
