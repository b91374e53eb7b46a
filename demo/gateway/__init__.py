"""Local stand-ins for the SMS and group-robot providers: one HTTP server
that speaks Aliyun SMS (``/aliyun/``), Tencent Cloud SMS (``/tencent/``),
DingTalk robots (``/dingtalk/robot/send``) and WeCom robots
(``/wecom/cgi-bin/webhook/send``), checks every signature the way the
provider documents it (``verify.py``), answers in the provider's own
format (errors with HTTP 200 where the provider does that), and records
every accepted message.

Used by the tests (with injected faults: ``fail_next``) and by the demo
(``yuqing run`` with ``demo.gateways: true`` starts one with throwaway
credentials and writes messages to ``<data_dir>/gateway/*.jsonl``).
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from demo.gateway import verify

# What the providers refuse in a template's variables (pipeline/config/sms.py cites their rules): a value
# that reads as a link, a value over the per-variable limit, a template that is not approved; each
# with the provider's own error code. Checked here independently of the clients' own fitting.
PARAM_MAX = {"aliyun": 35, "tencent": 12}
REFUSED = {"aliyun": {"url": "isv.TEMPLATE_PARAMS_ILLEGAL", "length": "isv.PARAM_LENGTH_LIMIT",
                      "template": "isv.SMS_TEMPLATE_ILLEGAL"},
           "tencent": {"url": "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
                       "length": "InvalidParameterValue.TemplateParameterLengthLimit",
                       "template": "FailedOperation.TemplateIncorrectOrUnapproved"}}
_LINKISH = re.compile(r"(?ai)https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|gov|top|xyz|cc)\b")
_VAR = re.compile(r"\{([a-z_]+)\}")

# What an injected rate-limit fault answers, per provider (the robots' own limit answers the same).
RATE_LIMIT: dict[str, tuple[int, dict]] = {
    "aliyun": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控Permits:10"}),
    "tencent": (200, {"Response": {"Error": {"Code": "LimitExceeded.PhoneNumberDailyLimit",
                                             "Message": "单个手机号日下发条数超过设定的上限"}, "RequestId": "x"}}),
    "dingtalk": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    "wecom": (200, {"errcode": 45009, "errmsg": "api freq out of limit"})}


@dataclass
class Received:
    provider: str
    to: str  # phone number or robot token/key
    text: str
    ref: str = ""  # our notification id when the provider carries one (OutId, SessionContext)
    params: dict = field(default_factory=dict)


class GatewaySim:
    def __init__(self, *, aliyun: dict[str, str] | None = None, tencent: dict[str, str] | None = None,
                 dingtalk: dict[str, str | None] | None = None, wecom: set[str] | None = None,
                 port: int = 0, record_dir: Path | None = None, per_minute: int = 20, delay: float = 0.0,
                 templates: dict[str, dict[str, str]] | None = None, param_max: dict[str, int] | None = None) -> None:
        # The credentials accepted: Aliyun AccessKeyId and Tencent SecretId -> secret, DingTalk robot
        # token -> 加签 secret (None: not signed), WeCom robot keys.
        self.aliyun_keys = dict(aliyun or {})
        self.tencent_keys = dict(tencent or {})
        self.dingtalk_tokens = dict(dingtalk or {})
        self.wecom_keys = set(wecom or ())
        # The approved templates per provider: code -> text with variables written {name} (Tencent's
        # {1}, {2}… are the names in order); anything else is refused as the provider refuses it.
        self.templates = {p: dict((templates or {}).get(p, {})) for p in ("aliyun", "tencent")}
        self.param_max = {**PARAM_MAX, **(param_max or {})}
        self.received: list[Received] = []
        self.rejected: list[tuple[str, str]] = []  # (provider, why): bad signatures show up here
        self.bad_numbers: set[str] = set()
        self.per_minute = per_minute
        self.delay = delay  # seconds before answering (gives crash tests a window)
        self.record_dir = record_dir
        self.lock = threading.Lock()
        self._faults: dict[str, deque] = defaultdict(deque)
        self._nonces: set[str] = set()
        self._robot_sends: dict[str, deque] = defaultdict(deque)
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="gatewaysim", daemon=True)

    # ------------------------------------------------------------ control

    def start(self) -> GatewaySim:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> GatewaySim:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, provider: str, kind: str, times: int = 1) -> None:
        """Make the next ``times`` requests to ``provider`` fail: "timeout" (no answer until
        stop), "5xx" (HTTP 503), "ratelimit" (the provider's rate-limit answer), or an error code."""
        with self.lock:
            self._faults[provider].extend([kind] * times)

    def to(self, who: str) -> list[Received]:
        with self.lock:
            return [m for m in self.received if m.to == who or m.to.endswith(who)]

    # ------------------------------------------------------------ handling

    def _fault(self, provider: str) -> str | None:
        with self.lock:
            return self._faults[provider].popleft() if self._faults[provider] else None

    def _record(self, msg: Received) -> None:
        with self.lock:
            self.received.append(msg)
        if self.record_dir:
            self.record_dir.mkdir(parents=True, exist_ok=True)
            kind = "sms" if msg.provider.endswith("sms") else "robots"
            line = json.dumps({"at": time.strftime("%Y-%m-%d %H:%M:%S"), **msg.__dict__}, ensure_ascii=False)
            with self.lock, open(self.record_dir / f"{kind}.jsonl", "a", encoding="utf-8") as f:
                f.write(line + "\n")
            print(f"{msg.provider} to {msg.to}: {msg.text[:80]}", flush=True)

    def _too_fast(self, robot: str) -> bool:
        now = time.monotonic()
        with self.lock:
            sends = self._robot_sends[robot]
            while sends and now - sends[0] > 60:
                sends.popleft()
            if len(sends) >= self.per_minute:
                return True
            sends.append(now)
            return False

    def aliyun(self, body: bytes) -> tuple[int, dict]:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        rid = uuid.uuid4().hex.upper()
        err = verify.aliyun_rpc_v1("POST", params, self.aliyun_keys)
        if not err and params.get("SignatureNonce") in self._nonces:
            err = "SignatureNonceUsed"
        if err:
            self.rejected.append(("aliyun", err))
            return 400 if err != "InvalidAccessKeyId.NotFound" else 404, {"Code": err, "Message": err, "RequestId": rid}
        self._nonces.add(params["SignatureNonce"])
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found", "RequestId": rid}
        phone = params.get("PhoneNumbers", "")
        if phone in self.bad_numbers or not phone.isdigit():
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": rid}
        values = json.loads(params.get("TemplateParam") or "{}")
        text, refused = self._template("aliyun", params.get("TemplateCode", ""), values)
        if refused:
            return 200, {"Code": refused, "Message": refused, "RequestId": rid}
        self._record(Received("aliyun-sms", phone, text, params.get("OutId", ""), values))
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"{int(time.time())}^{rid[:10]}", "RequestId": rid}

    def tencent(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        rid = str(uuid.uuid4())
        err = verify.tencent_tc3(headers, body, self.tencent_keys)
        if not err and headers.get("X-TC-Action") != "SendSms":
            err = "InvalidAction"
        if err:
            self.rejected.append(("tencent", err))
            return 200, {"Response": {"Error": {"Code": err, "Message": err}, "RequestId": rid}}
        req = json.loads(body)
        names = _VAR.findall(self.templates["tencent"].get(str(req.get("TemplateId", "")), ""))
        values = dict(zip(names, req.get("TemplateParamSet", [])))
        text, refused = self._template("tencent", str(req.get("TemplateId", "")), values,
                                       given=len(req.get("TemplateParamSet", [])))
        if refused:
            return 200, {"Response": {"Error": {"Code": refused, "Message": refused}, "RequestId": rid}}
        statuses = []
        for number in req.get("PhoneNumberSet", []):
            if number in self.bad_numbers or not number.startswith("+86"):
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": "",
                                 "Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "手机号格式错误",
                                 "IsoCode": "CN"})
                continue
            serial = f"2028:{uuid.uuid4().int % 10**18}"
            self._record(Received("tencent-sms", number, text, req.get("SessionContext", ""), values))
            statuses.append({"SerialNo": serial, "PhoneNumber": number, "Fee": 1,
                             "SessionContext": req.get("SessionContext", ""), "Code": "Ok",
                             "Message": "send success", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": rid}}

    def _template(self, provider: str, code: str, values: dict, given: int | None = None) -> tuple[str, str]:
        """(the text as the phone shows it, "") or ("", the provider's error code)."""
        approved = self.templates[provider].get(code)
        names = _VAR.findall(approved or "")
        if approved is None or set(values) != set(names) or (given is not None and given != len(names)):
            why = REFUSED[provider]["template"]
        elif any(_LINKISH.search(str(v)) for v in values.values()):
            why = REFUSED[provider]["url"]
        elif any(len(str(v)) > self.param_max[provider] for v in values.values()):
            why = REFUSED[provider]["length"]
        else:
            return _VAR.sub(lambda m: str(values[m.group(1)]), approved), ""
        self.rejected.append((provider, why))
        return "", why

    def robot(self, kind: str, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        if kind == "dingtalk":
            token = query.get("access_token", "")
            if token not in self.dingtalk_tokens:
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}
            err = verify.dingtalk_sign(query, self.dingtalk_tokens[token])
            if err:
                self.rejected.append(("dingtalk", err))
                return 200, {"errcode": 310000, "errmsg": err}
        else:
            token = query.get("key", "")
            if token not in self.wecom_keys:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        msg = json.loads(body)
        content = (msg.get("markdown") or {}).get("text") or (msg.get("markdown") or {}).get("content") or \
            (msg.get("text") or {}).get("content", "")
        if kind == "wecom" and len(content.encode("utf-8")) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        if self._too_fast(f"{kind}:{token}"):
            return RATE_LIMIT[kind]
        self._record(Received(f"{kind}-robot", token, content, params=msg))
        return 200, {"errcode": 0, "errmsg": "ok"}


def _handler(sim: GatewaySim):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            path, query = verify.parse_query(self.path)
            provider = {"/aliyun/": "aliyun", "/tencent/": "tencent", "/dingtalk/robot/send": "dingtalk",
                        "/wecom/cgi-bin/webhook/send": "wecom"}.get(path)
            if provider is None:
                return self._answer(404, {"error": f"no such endpoint {path}"})
            if sim.delay:
                time.sleep(sim.delay)
            fault = sim._fault(provider)
            if fault == "timeout":
                sim._release.wait(30)
                return
            if fault == "5xx":
                return self._answer(503, {"error": "service unavailable"})
            if fault == "ratelimit":
                return self._answer(*RATE_LIMIT[provider])
            if fault:
                return self._answer(200, {"Code": fault, "Message": fault, "errcode": -1, "errmsg": fault})
            if provider == "aliyun":
                return self._answer(*sim.aliyun(body))
            if provider == "tencent":
                return self._answer(*sim.tencent(dict(self.headers), body))
            return self._answer(*sim.robot(provider, query, body))

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
