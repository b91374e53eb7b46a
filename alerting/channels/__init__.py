"""Channel clients, one file each. A client's ``send`` returns a provider id
on acceptance or raises ``TransientError`` (retry later) or
``PermanentError`` (do not retry; fall back or show the duty officer)."""
from __future__ import annotations


class DeliveryError(Exception):
    """Delivery failed; the message never contains secrets."""


class TransientError(DeliveryError):
    pass


class PermanentError(DeliveryError):
    pass
