"""Short ack ids replaced in an outbox payload (alerting/store_links.relink) where the SMS carries them,
on the parsed payload: text elsewhere that happens to contain the id is left as it is."""
import copy

from alerting.store_links import relink

OLD, NEW = "SAMEcode", "x9-Zq_3k"


def sms(code: str) -> dict:
    return {"template": "alert", "params": {"unit": "国寿吉林", "title": f"网传链接/a/{OLD}系谣言", "code": code},
            "text": f"国寿吉林舆情红色预警：网传链接/a/{OLD}系谣言。详见https://yq.example.cn/a/{code}",
            "short": {"code": code, "who": "孙伟", "expires": "2026-01-08T00:00:00+00:00"}}


def payload(code: str) -> dict:
    return {"kind": "alert", "reason": OLD, "summary": f"【红色】国寿吉林：“{OLD}”与 /a/{OLD}",
            "ack_url": f"http://127.0.0.1:8080/ack/{OLD}", "sms": sms(code),
            "fallback": {"channel": "email", "recipient": "sunwei@chinalife-jl.example.cn",
                         "payload": {"reason": OLD, "email": {"subject": OLD, "body": f"见 /a/{OLD}SAME"},
                                     "sms": sms(code)}}}


def test_only_the_sms_id_its_value_and_its_link_change_and_text_quoting_the_id_is_kept():
    before = payload(OLD)
    after = relink(before, {OLD: NEW})
    assert before == payload(OLD)  # the caller's payload is not changed
    for p, q in ((after, before), (after["fallback"]["payload"], before["fallback"]["payload"])):
        assert p["sms"]["short"]["code"] == NEW and p["sms"]["params"]["code"] == NEW
        assert p["sms"]["text"] == f"国寿吉林舆情红色预警：网传链接/a/{OLD}系谣言。详见https://yq.example.cn/a/{NEW}"
        assert p["sms"]["params"]["title"] == f"网传链接/a/{OLD}系谣言"
        assert {k: v for k, v in p.items() if k not in ("sms", "fallback")} == \
               {k: v for k, v in q.items() if k not in ("sms", "fallback")}
    assert after["fallback"]["payload"]["email"] == {"subject": OLD, "body": f"见 /a/{OLD}SAME"}


def test_a_payload_without_the_changed_id_is_returned_equal():
    p = payload("other123")
    assert relink(p, {OLD: NEW}) == p and relink(p, {}) is p
    assert relink({"email": {"body": OLD}}, {OLD: NEW}) == {"email": {"body": OLD}}


def test_the_link_is_found_whatever_follows_it_and_a_longer_id_is_not_it():
    p = payload(OLD)
    p["sms"]["text"] = f"详见https://yq.example.cn/m/a/{OLD}回T退订，https://yq.example.cn/a/{OLD}x"
    copy_before = copy.deepcopy(p)
    assert relink(p, {OLD: NEW})["sms"]["text"] == (f"详见https://yq.example.cn/m/a/{NEW}回T退订，"
                                                    f"https://yq.example.cn/a/{OLD}x")
    assert p == copy_before
