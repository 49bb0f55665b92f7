"""Callbacks to the LMS: the outbox that queues them, the dispatcher that sends them,
the one owner of their states, and the LMS and OAuth clients. No Flask."""
