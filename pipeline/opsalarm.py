"""Store failures the duty officers must hear about: after ``after`` consecutive failures of
one worker (a locked, read-only or full store; an index that cannot write; a database that is
down), lasting at least ``outage`` seconds if given, one ops alert goes
to ``ops.alerts`` — routed like a blind source's, to the duty officers on duty — and one
"resolved" when the worker succeeds again. Never more than one alert per outage: the
router deduplicates by id and reopens the same id for the next outage.

Publishing is best effort: when the bus itself is what fails, the alarm is tried again at
the next failure, and the log lines stay the record.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from contracts.messages import Level, OpsAlert, stable_id
from contracts.topics import OPS_ALERTS

log = logging.getLogger(__name__)

STORE_FAILING = "store_failing"
LABELS = {"scorer": "评分", "indexer": "索引", "router": "预警分发", "notifier": "通知发送"}


class StoreAlarm:
    def __init__(self, bus, stage: str, after: int = 5,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), outage: float = 0.0) -> None:
        self.bus = bus
        self.stage = stage
        self.after = max(int(after), 1)
        self.outage = max(float(outage), 0.0)  # seconds the failures must also have lasted (a restart is no outage)
        self.now = now
        self.failures = 0
        self.since: datetime | None = None
        self.last_error = ""
        self.raised = False

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        self.since = self.since or self.now()
        self.last_error = (str(error).splitlines() or [type(error).__name__])[0][:200]
        lasted = (self.now() - self.since).total_seconds()
        if self.failures >= self.after and lasted >= self.outage and not self.raised:
            self.raised = self._publish(resolved=False)

    def succeeded(self) -> None:
        if self.raised:
            self.raised = not self._publish(resolved=True)
        if not self.raised:
            self.failures, self.since = 0, None

    def _alert(self, resolved: bool) -> OpsAlert:
        label = LABELS.get(self.stage, self.stage)
        if resolved:
            summary = f"【恢复】{label}进程已恢复正常读写数据存储（此前连续失败 {self.failures} 次）"
        else:
            summary = (f"【系统故障】{label}进程连续 {self.failures} 次无法读写数据存储，已暂停处理并自动重试；"
                       f"请检查数据目录（被锁定、只读或磁盘已满）：{self.last_error}")
        now = self.now()
        return OpsAlert(id=stable_id("ops", STORE_FAILING, self.stage), problem=STORE_FAILING, subject=self.stage,
                        severity=Level.orange, summary=summary, detail=self.last_error,
                        first_seen=self.since or now, last_seen=now, resolved=resolved)

    def _publish(self, resolved: bool) -> bool:
        alert = self._alert(resolved)
        try:
            bus = self.bus() if callable(self.bus) else self.bus  # a callable: open the bus only when needed
            producer = bus.producer()
            try:
                producer.send(OPS_ALERTS, alert.to_bytes(), key=alert.id)
                producer.flush()
            finally:
                producer.close()
        except Exception as e:  # the bus may be the store that fails: try again at the next failure
            log.warning("%s: could not raise the store ops alert (%s); retrying at the next failure", self.stage, e)
            return False
        log.log(logging.INFO if resolved else logging.ERROR, "%s: ops alert %s: %s", self.stage,
                "resolved" if resolved else "raised", alert.summary)
        return True
