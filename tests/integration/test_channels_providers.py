"""Each channel client against the local provider stand-in, which checks
signatures the way the provider documents them and injects timeouts, 5xx,
provider errors and rate limits. Success is judged from the response body,
and no error message ever carries a secret."""
import logging
import re
import sys

import pytest

from alerting.channels import NotConfigured, PermanentError, RateLimited, TransientError
from alerting.channels.aliyun_sms import AliyunSmsClient
from alerting.channels.dingtalk import DingTalkClient
from alerting.channels.tencent_sms import TencentSmsClient
from alerting.channels.wecom import WeComClient
from demo.gateway import REFUSED
from pipeline.config import AliyunSmsConfig, RobotConfig, RobotGateways, TencentSmsConfig, load_config
from pipeline.config.sms import SmsTemplate
from tests.kit import GATEWAY_ENV, REPO_ROOT, gateway_sim

SECRETS = [v for k, v in GATEWAY_ENV.items() if "SECRET" in k or "TOKEN" in k or "KEY" in k and "KEY_ID" not in k]
SMS: dict[str, dict] = {"sms": {"template": "alert", "params": {"unit": "国寿吉林", "level": "红色预警", "risk": "理赔纠纷",
                                               "title": "拖延理赔", "code": "AbCd-f12"}}}
DEMO_SMS = load_config(REPO_ROOT / "config" / "demo").settings.sms  # the stand-in approves these templates
assert DEMO_SMS.aliyun is not None and DEMO_SMS.tencent is not None  # the demo configures both
ALIYUN_TEMPLATES, TENCENT_TEMPLATES = DEMO_SMS.aliyun.templates, DEMO_SMS.tencent.templates
ROBOT = {"robot": {"title": "舆情预警", "markdown": "### 舆情预警\n\n测试", "mentions": ["13900000021"]}}
ROBOTS = [RobotConfig(id="duty-group", kind="dingtalk", token_env="YUQING_ROBOT_DUTY_TOKEN",
                      secret_env="YUQING_ROBOT_DUTY_SECRET"),
          RobotConfig(id="picc-group", kind="wecom", token_env="YUQING_ROBOT_PICC_KEY")]


@pytest.fixture
def sim(monkeypatch):
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    with gateway_sim() as s:
        yield s


def aliyun(sim, **kw):
    return AliyunSmsClient(AliyunSmsConfig(endpoint=f"{sim.url}/aliyun/", access_key_id_env="YUQING_ALIYUN_SMS_KEY_ID",
                                           access_key_secret_env="YUQING_ALIYUN_SMS_KEY_SECRET", sign_name="吉林保协",
                                           templates=kw.pop("templates", ALIYUN_TEMPLATES),
                                           timeout=kw.pop("timeout", 2.0), **kw))


def tencent(sim, **kw):
    return TencentSmsClient(TencentSmsConfig(endpoint=f"{sim.url}/tencent/", secret_id_env="YUQING_TENCENT_SECRET_ID",
                                             secret_key_env="YUQING_TENCENT_SECRET_KEY", sdk_app_id="1400000000",
                                             sign_name="吉林保协", templates=kw.pop("templates", TENCENT_TEMPLATES),
                                             timeout=kw.pop("timeout", 2.0), **kw))


def robots(sim, cls, timeout=2.0):
    return cls(RobotGateways(dingtalk_endpoint=f"{sim.url}/dingtalk/robot/send",
                             wecom_endpoint=f"{sim.url}/wecom/cgi-bin/webhook/send", timeout=timeout), ROBOTS)


def assert_no_secret(text: str) -> None:
    for s in SECRETS:
        assert s not in text, f"secret leaked: {text}"


@pytest.mark.parametrize("make", [aliyun, tencent], ids=["aliyun", "tencent"])
def test_sms_accepted_per_number_with_a_verified_signature(sim, make):
    sent = make(sim).send("note-1", "13900000021", SMS)
    assert sent.provider_id and not sent.delivered
    [msg] = sim.received
    assert msg.to.endswith("13900000021") and msg.ref == "note-1"
    # The text the approved template makes of the values: the address is the template's, the id ours.
    assert msg.text == "国寿吉林舆情红色预警：理赔纠纷，拖延理赔。详见http://127.0.0.1:8080/a/AbCd-f12"
    assert sim.rejected == []


@pytest.mark.parametrize("make", [aliyun, tencent], ids=["aliyun", "tencent"])
def test_sms_values_are_fitted_to_what_the_provider_accepts(sim, make):
    """A crawled title with a web address in it, longer than a variable may be: the client takes the
    address out and cuts the rest at the provider's limit, so the message goes."""
    title = "记者调查www.jl-news.cn：中国人寿吉林省分公司拖延理赔长达半年，患病客户多次投诉无果，监管已介入调查"
    make(sim).send("note-2", "13900000021", {"sms": {**SMS["sms"], "params": {**SMS["sms"]["params"], "title": title}}})
    [msg] = sim.received
    limit = sim.param_max[make.__name__]
    assert "www" not in msg.params["title"] and msg.params["title"].endswith("…")
    assert len(msg.params["title"]) == limit and msg.params["title"].startswith("记者调查：中国人寿")
    assert sim.rejected == []


@pytest.mark.parametrize("make", [aliyun, tencent], ids=["aliyun", "tencent"])
def test_the_stand_in_refuses_what_the_provider_refuses(sim, make, monkeypatch):
    """A link in a variable, a variable over the limit, a template that is not approved: refused with the
    provider's code (a client that stopped fitting its values would fail these tests)."""
    refused = REFUSED[make.__name__]
    with monkeypatch.context() as patched:  # the client as if it no longer fitted its values
        patched.setattr(sys.modules[type(make(sim)).__module__], "template_values", lambda templates, limit, sms: (
            templates.alert, [(k, sms["params"][k]) for k in ("unit", "level", "risk", "title", "code")]))
        for params, why in [({"title": "详见 http://evil.example.com/x"}, "url"), ({"risk": "news.example.cn"}, "url"),
                            ({"title": "理" * (sim.param_max[make.__name__] + 1)}, "length")]:
            with pytest.raises(PermanentError, match=re.escape(refused[why])):
                make(sim).send("n", "13900000021", {"sms": {"params": {**SMS["sms"]["params"], **params}}})
    other = ALIYUN_TEMPLATES.model_copy(update={"alert": SmsTemplate(code="SMS_404", text=ALIYUN_TEMPLATES.alert.text)})
    with pytest.raises(PermanentError, match=re.escape(refused["template"])):
        make(sim, templates=other).send("n", "13900000021", SMS)
    assert sim.received == [] and [why for _, why in sim.rejected] == [refused[w] for w in ("url", "url", "length", "template")]


@pytest.mark.parametrize("make", [aliyun, tencent], ids=["aliyun", "tencent"])
def test_sms_wrong_secret_bad_number_5xx_timeout_and_rate_limit(sim, make, monkeypatch, caplog):
    client = make(sim)
    sim.bad_numbers |= {"13900000099", "+8613900000099"}
    with pytest.raises(PermanentError, match="MOBILE_NUMBER_ILLEGAL|IncorrectPhoneNumber"):
        client.send("n", "13900000099", SMS)
    sim.fail_next(make.__name__, "5xx")
    with pytest.raises(TransientError, match="HTTP 503"):
        client.send("n", "13900000021", SMS)
    sim.fail_next(make.__name__, "ratelimit")
    with pytest.raises(RateLimited):
        client.send("n", "13900000021", SMS)
    quick = make(sim, timeout=0.3)
    sim.fail_next(make.__name__, "timeout")
    with pytest.raises(TransientError, match="no answer within"):
        quick.send("n", "13900000021", SMS)
    # A wrong secret: the stand-in's signature check refuses, and we say so without the secret.
    env = "YUQING_ALIYUN_SMS_KEY_SECRET" if make is aliyun else "YUQING_TENCENT_SECRET_KEY"
    monkeypatch.setenv(env, "wrong-secret-value-123")
    with pytest.raises(PermanentError, match="SignatureDoesNotMatch|AuthFailure.SignatureFailure") as err:
        make(sim).send("n", "13900000021", SMS)
    assert "wrong-secret-value-123" not in str(err.value)
    assert sim.received == []
    assert_no_secret(caplog.text + str(err.value))


def test_missing_secret_disables_the_channel_and_names_the_variable_only(sim, monkeypatch):
    monkeypatch.delenv("YUQING_ALIYUN_SMS_KEY_SECRET")
    with pytest.raises(NotConfigured, match="YUQING_ALIYUN_SMS_KEY_SECRET is not set"):
        aliyun(sim)


def test_dingtalk_signs_checks_errcode_and_handles_throttling(sim, monkeypatch, caplog):
    client = robots(sim, DingTalkClient)
    sent = client.send("n1", "duty-group", ROBOT)
    assert sent.delivered
    [msg] = sim.received
    assert msg.params["at"]["atMobiles"] == ["13900000021"] and "测试" in msg.text
    sim.fail_next("dingtalk", "ratelimit")
    with pytest.raises(RateLimited) as rl:
        client.send("n2", "duty-group", ROBOT)
    assert rl.value.retry_after == 600
    with pytest.raises(PermanentError, match="no credentials"):
        client.send("n3", "picc-group", ROBOT)
    monkeypatch.setenv("YUQING_ROBOT_DUTY_SECRET", "SECwrong-secret-0000")
    with pytest.raises(PermanentError, match="errcode 310000 sign not match") as err:
        robots(sim, DingTalkClient).send("n4", "duty-group", ROBOT)
    slow = robots(sim, DingTalkClient, timeout=0.3)
    sim.fail_next("dingtalk", "timeout")
    with pytest.raises(TransientError) as timeout:
        slow.send("n5", "duty-group", ROBOT)
    for text in (str(err.value), str(timeout.value), caplog.text):
        assert_no_secret(text)
        assert "SECwrong-secret-0000" not in text


def test_wecom_checks_errcode_rate_limit_and_size(sim):
    client = robots(sim, WeComClient)
    assert client.send("n1", "picc-group", ROBOT).delivered
    sim.fail_next("wecom", "ratelimit")
    with pytest.raises(RateLimited, match="45009"):
        client.send("n2", "picc-group", ROBOT)
    sim.fail_next("wecom", "5xx")
    with pytest.raises(TransientError):
        client.send("n3", "picc-group", ROBOT)
    long = {"robot": {**ROBOT["robot"], "markdown": "很长的内容" * 2000}}
    assert client.send("n4", "picc-group", long).delivered  # cut to fit 4096 bytes, not refused
    assert len(sim.received[-1].text.encode()) <= 4096


def test_robot_over_20_a_minute_is_refused_by_the_provider(sim):
    client = robots(sim, WeComClient)
    for i in range(20):
        client.send(f"n{i}", "picc-group", ROBOT)
    with pytest.raises(RateLimited):
        client.send("n21", "picc-group", ROBOT)
    logging.getLogger(__name__).info("20 accepted, the 21st throttled")


def test_no_secret_in_any_log_line_even_at_debug(sim):
    """urllib3 logs each request line at DEBUG (a DingTalk access_token, a WeCom key
    in the URL): the CLI's handler filter redacts them, and every secret value."""
    import io

    from yuqing.logredact import RedactingFilter
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        robots(sim, DingTalkClient).send("n1", "duty-group", ROBOT)
        robots(sim, WeComClient).send("n2", "picc-group", ROBOT)
        aliyun(sim).send("n3", "13900000021", SMS)
        tencent(sim).send("n4", "13900000021", SMS)
        logging.getLogger("test").debug("GET /x?access_token=abc123&sign=zz and %s", GATEWAY_ENV["YUQING_ROBOT_PICC_KEY"])
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = out.getvalue()
    assert "/robot/send?access_token=***" in text and "webhook/send?key=***" in text  # urllib3's lines, redacted
    assert "access_token=***&sign=***" in text
    assert_no_secret(text)
