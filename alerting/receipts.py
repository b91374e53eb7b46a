"""SMS delivery receipts (状态回执): parse what the providers push, so the
console can mount the callbacks and hand each receipt to
``Notifier.apply_receipt`` (accepted → delivered, or → failed and fall back).

* Aliyun SMS HTTP batch push (SmsReport): a JSON array of
  ``{"phone_number", "send_time", "report_time", "success", "err_code",
  "err_msg", "sms_size", "biz_id", "out_id"}``; answer ``{"code": 0, "msg": "成功"}``.
* Tencent Cloud SMS status callback: a JSON array of ``{"user_receive_time",
  "nationcode", "mobile", "report_status": "SUCCESS"|"FAIL", "errmsg",
  "description", "sid"}``; answer ``{"result": 0, "errmsg": "OK"}``.

Pure functions: no I/O here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

ALIYUN_ACK = {"code": 0, "msg": "成功"}
TENCENT_ACK = {"result": 0, "errmsg": "OK"}


@dataclass(frozen=True)
class Receipt:
    provider_id: str  # BizId (Aliyun) / sid = SerialNo (Tencent), as kept on the outbox row
    phone: str
    delivered: bool
    detail: str


def _items(body: bytes | str | list) -> list[dict]:
    data = json.loads(body) if isinstance(body, (bytes, str)) else body
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise ValueError("a receipt body must be a JSON array of objects")
    return data


def parse_aliyun(body: bytes | str | list) -> list[Receipt]:
    out = []
    for i in _items(body):
        ok = i.get("success") in (True, "true", "True")
        out.append(Receipt(str(i.get("biz_id", "")), str(i.get("phone_number", "")), ok,
                           f"{i.get('err_code', '')} {i.get('err_msg', '')} at {i.get('report_time', '')}".strip()))
    return [r for r in out if r.provider_id]


def parse_tencent(body: bytes | str | list) -> list[Receipt]:
    out = []
    for i in _items(body):
        ok = str(i.get("report_status", "")).upper() == "SUCCESS"
        out.append(Receipt(str(i.get("sid", "")), f"+{i.get('nationcode', '86')}{i.get('mobile', '')}", ok,
                           f"{i.get('errmsg', '')} {i.get('description', '')} at "
                           f"{i.get('user_receive_time', '')}".strip()))
    return [r for r in out if r.provider_id]
