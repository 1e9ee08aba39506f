"""What each log line says it is about: the Slack request or the delivery being worked on.

Set where the work starts (``bot.work`` for a request's work after its ack, ``schedules.sending``
for a delivery) and read by the log formatter (``csip.logs``), so that every line of one
request's or one send's work can be found together.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("csip_request_id", default=None)
DELIVERY_ID: ContextVar[int | None] = ContextVar("csip_delivery_id", default=None)
REQUEST_ID_KEY = "csip_request_id"  # where the request's id is kept in its Bolt context
