"""An alert's lifecycle: which status changes are allowed (public: the console offers only these).

new → notified → acknowledged → handling → resolved, or dismissed (误报) from any open
status; a resolved or dismissed alert may be reopened (handling). Anything else is refused.
"""
from __future__ import annotations

from contracts.messages import AlertStatus

# Allowed status changes; anything else is refused (and nothing is written).
TRANSITIONS = {
    AlertStatus.new: {AlertStatus.notified, AlertStatus.acknowledged, AlertStatus.handling,
                      AlertStatus.resolved, AlertStatus.dismissed},
    AlertStatus.notified: {AlertStatus.acknowledged, AlertStatus.handling, AlertStatus.resolved,
                           AlertStatus.dismissed},
    AlertStatus.acknowledged: {AlertStatus.handling, AlertStatus.resolved, AlertStatus.dismissed},
    AlertStatus.handling: {AlertStatus.resolved, AlertStatus.dismissed},
    AlertStatus.resolved: {AlertStatus.handling},
    AlertStatus.dismissed: {AlertStatus.handling},
}
# Statuses in which nobody has taken the alert on yet: escalation continues.
UNACKNOWLEDGED = (AlertStatus.new, AlertStatus.notified)
