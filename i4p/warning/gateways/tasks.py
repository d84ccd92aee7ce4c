"""Background sending of messages back to reporters: the task gets a message id, never a number."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_message(message_id: str) -> str:
    """Send one queued outbound message (by its public id) through its gateway."""
    from i4p.warning.gateways.conversation import deliver

    return deliver(message_id)
