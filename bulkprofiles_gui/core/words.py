"""The words an operator reads for the store's keys: statuses, event types, channels.

One place, so the rule builder, the action pages, the review and the Tasks
view say "Hard bounced" and "Form submitted" alike; the job file and the
database keep the keys (``hardbounced``, ``form_submitted``).  Qt-free, so
the command line's plain words can use it too.
"""

from __future__ import annotations

#: Subscription and global statuses (``core.fields.Status``).
STATUS_WORDS: dict[str, str] = {
    "subscribed": "Subscribed",
    "unsubscribed": "Unsubscribed",
    "complainer": "Complainer",
    "hardbounced": "Hard bounced",
    "unconfirmed": "Unconfirmed",
    "suspended": "Suspended",
    "invalid": "Invalid",
}

#: Event types (``core.fields.EVENT_TYPES``).  The event "bounced" is any
#: bounce of one message; the status "hardbounced" is what a subscription
#: becomes after hard bounces: the words keep the two apart.
EVENT_WORDS: dict[str, str] = {
    "sent": "Sent",
    "delivered": "Delivered",
    "opened": "Opened",
    "clicked": "Clicked",
    "unsubscribed": "Unsubscribed",
    "complained": "Complained",
    "bounced": "Message bounced",
    "purchase": "Purchase",
    "visit": "Visit",
    "form_submitted": "Form submitted",
}

#: Channels (``core.fields.CHANNELS``).
CHANNEL_WORDS: dict[str, str] = {
    "email": "Email",
    "sms": "SMS",
    "push": "Push",
    "whatsapp": "WhatsApp",
    "viber": "Viber",
    "telegram_bot": "Telegram bot",
    "notify": "Notify",
}


#: Statuses of a task (``core.tasks``).
TASK_STATUS_WORDS: dict[str, str] = {
    "queued": "Queued",
    "running": "Running",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "failed": "Failed",
    "interrupted": "Interrupted",
}


def key_word(key: str) -> str:
    """A key nobody named yet, as words: ``form_submitted`` -> "Form submitted"."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status) or key_word(status)


def event_word(event_type: str) -> str:
    return EVENT_WORDS.get(event_type) or key_word(event_type)


def channel_word(channel: str) -> str:
    return CHANNEL_WORDS.get(channel) or key_word(channel)


def task_status_word(status: str) -> str:
    return TASK_STATUS_WORDS.get(status) or key_word(status)
