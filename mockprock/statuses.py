"""Every status vocabulary of mockprock, spelled once (here, the outbox's callback states)."""

CALLBACK_PENDING = "pending"
CALLBACK_HELD = "held"
CALLBACK_SENDING = "sending"
CALLBACK_DELIVERED = "delivered"
CALLBACK_FAILED = "failed"
