"""SMS delivery receipts (状态回执): the callbacks the SMS providers call.

* ``POST /callbacks/sms/aliyun`` — Aliyun SMS HTTP batch push (SmsReport);
* ``POST /callbacks/sms/tencent`` — Tencent Cloud SMS status callback.

No login: the provider is the caller. Neither provider signs these
callbacks, so the callback URL carries a shared token. Set
``YUQING_RECEIPT_TOKEN`` in the console's environment and register the URL
with the provider as ``{console_base_url}/callbacks/sms/aliyun?token=<token>``
(or ``…/callbacks/sms/aliyun/<token>`` where a provider's form refuses a query
string). When the variable is set, a missing or wrong token is refused with
403; when it is unset the callbacks are open (fine behind a firewall that
lets only the provider in; a warning is logged on each call).

Each receipt (parsed by ``alerting.receipts``) goes to
``Notifier.apply_receipt``: an ``accepted`` SMS becomes ``delivered``, or
``failed`` with the provider's error code and message, and the person's
next channel is queued. Only ``accepted`` rows change, so a repeated
receipt does nothing; a receipt for an id we never sent is ignored. The
answer is the provider's documented success body (Aliyun ``{"code": 0,
"msg": "成功"}``, Tencent ``{"result": 0, "errmsg": "OK"}``); a body that is
not a receipt array gets 400 with a non-zero code.
"""
from __future__ import annotations

import hmac
import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from alerting.receipts import ALIYUN_ACK, TENCENT_ACK, Receipt, parse_aliyun, parse_tencent
from console.ports import Ports
from console.security import ports_of

log = logging.getLogger(__name__)
router = APIRouter()

TOKEN_ENV = "YUQING_RECEIPT_TOKEN"
MAX_BODY = 1 << 20  # a provider batch is at most a few hundred receipts
PROVIDERS = {  # name → (parser, success body, error body for a message)
    "aliyun": (parse_aliyun, ALIYUN_ACK, lambda msg: {"code": 1, "msg": msg}),
    "tencent": (parse_tencent, TENCENT_ACK, lambda msg: {"result": 1, "errmsg": msg}),
}


def _token_ok(sent: str | None) -> bool:
    expected = os.environ.get(TOKEN_ENV)
    if not expected:
        log.warning("delivery receipt callback accepted without a token: set %s to protect it", TOKEN_ENV)
        return True
    if not sent:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _apply(ports: Ports, provider: str, receipts: list[Receipt]) -> int:
    matched = 0
    for r in receipts:
        n = ports.apply_receipt(r.provider_id, r.delivered, r.detail)
        matched += n
        log.info("%s receipt %s for %s: %s (%s); %d notification(s) updated", provider, r.provider_id,
                 r.phone[-4:], "delivered" if r.delivered else "failed", r.detail, n)
    return matched


async def _receive(request: Request, provider: str, token: str | None) -> JSONResponse:
    if provider not in PROVIDERS:
        return JSONResponse({"detail": "未找到"}, status_code=404)
    parse, ok, error = PROVIDERS[provider]
    if not _token_ok(token):
        log.warning("%s receipt callback refused: missing or wrong token (from %s)", provider,
                    request.client.host if request.client else "?")
        return JSONResponse(error("forbidden"), status_code=403)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse(error("body too large"), status_code=413)
    try:
        receipts = parse(body)
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        log.warning("%s receipt callback with an unreadable body: %s", provider, e)
        return JSONResponse(error("bad receipt body"), status_code=400)
    await run_in_threadpool(_apply, ports_of(request), provider, receipts)
    return JSONResponse(ok)


@router.post("/callbacks/sms/{provider}")
async def sms_receipts(request: Request, provider: str, token: str | None = None):
    return await _receive(request, provider, token)


@router.post("/callbacks/sms/{provider}/{token}")
async def sms_receipts_token_in_path(request: Request, provider: str, token: str):
    return await _receive(request, provider, token)
