"""Request signing against the providers' own published examples (external
references, not our code checking itself), and the simulator's verifiers
against the clients."""
import base64
import hashlib
import hmac
from urllib.parse import unquote_plus

from alerting.channels import redact
from alerting.channels.aliyun_sms import domestic_number, percent_encode, string_to_sign
from alerting.channels.aliyun_sms import sign as aliyun_sign
from alerting.channels.dingtalk import sign as dingtalk_sign
from alerting.channels.tencent_sms import e164, tc3_authorization
from alerting.receipts import parse_aliyun, parse_tencent
from demo.gateway import verify

# Aliyun "RPC signature mechanism" worked example (DescribeRegions, testid/testsecret).
ALIYUN_DOC = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
              "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}


def test_aliyun_rpc_v1_matches_the_documented_example():
    assert string_to_sign(ALIYUN_DOC, "GET") == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
    assert aliyun_sign(ALIYUN_DOC, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun_sign(ALIYUN_DOC, "testsecret", "POST") == "MxbnVAM4w6sft9xjVpe/GCKueuk="
    assert percent_encode("a b*c~d中") == "a%20b%2Ac~d%E4%B8%AD"


def test_tencent_tc3_matches_the_official_sdk():
    # Reference produced by tencentcloud-sdk-python's TC3 signer for these inputs.
    auth = tc3_authorization("AKIDEXAMPLEKEYID", "EXAMPLESECRETKEY", host="tts.tencentcloudapi.com",
                             body=b'{"Text": "\\u4f60\\u597d", "SessionId": "s1"}', timestamp=1759500000,
                             service="tts", content_type="application/json")
    assert auth == ("TC3-HMAC-SHA256 Credential=AKIDEXAMPLEKEYID/2025-10-03/tts/tc3_request, "
                    "SignedHeaders=content-type;host, "
                    "Signature=531fa847b588591e1ee89340214ace29e3fc7b7dc655d8183ce1c811092dd68c")


def test_dingtalk_sign_is_urlencoded_base64_hmac_sha256_of_timestamp_newline_secret():
    secret, ts = "SEC0123456789abcdef", 1700000000000
    raw = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert unquote_plus(dingtalk_sign(secret, ts)) == raw
    assert "+" not in dingtalk_sign(secret, ts) and "/" not in dingtalk_sign(secret, ts)


def test_simulator_verifiers_accept_the_clients_and_reject_tampering(monkeypatch):
    import time
    monkeypatch.setattr(time, "time", lambda: 1759500000.0)
    body = b'{"PhoneNumberSet": ["+8613900000021"]}'
    headers = {"Content-Type": "application/json; charset=utf-8", "Host": "sms.example", "X-TC-Timestamp": "1759500000",
               "Authorization": tc3_authorization("AKID", "key", host="sms.example", body=body, timestamp=1759500000)}
    assert verify.tencent_tc3(headers, body, {"AKID": "key"}) is None
    assert verify.tencent_tc3(headers, body + b" ", {"AKID": "key"}) == "AuthFailure.SignatureFailure"
    assert verify.tencent_tc3(headers, body, {"AKID": "other"}) == "AuthFailure.SignatureFailure"
    assert verify.tencent_tc3({**headers, "X-TC-Timestamp": "1759400000"}, body, {"AKID": "key"}) == \
        "AuthFailure.SignatureExpire"
    params = {**ALIYUN_DOC, "Timestamp": "2025-10-03T13:55:00Z", "PhoneNumbers": "13900000021"}
    params["Signature"] = aliyun_sign(params, "testsecret")
    assert verify.aliyun_rpc_v1("POST", params, {"testid": "testsecret"}) is None
    assert verify.aliyun_rpc_v1("POST", {**params, "PhoneNumbers": "13900000022"}, {"testid": "testsecret"}) == \
        "SignatureDoesNotMatch"
    ms = 1759500000000
    assert verify.dingtalk_sign({"timestamp": str(ms), "sign": unquote_plus(dingtalk_sign("SECx", ms))}, "SECx") is None
    assert verify.dingtalk_sign({"timestamp": str(ms), "sign": "AAAA"}, "SECx") == "sign not match"


def test_phone_formats_and_redaction():
    assert domestic_number("+86 139-0000-0021") == "13900000021"
    assert e164("13900000021") == "+8613900000021" and e164("008613900000021") == "+8613900000021"
    text = "GET https://x/robot/send?access_token=tok%2Fen&sign=abc s3cret-value"
    assert redact(text, ["tok/en", "s3cret-value"]) == "GET https://x/robot/send?access_token=***&sign=abc ***"


def test_delivery_receipts_parse_both_providers():
    [a] = parse_aliyun('[{"phone_number":"13900000021","send_time":"2026-01-01 08:00:00","report_time":'
                       '"2026-01-01 08:00:05","success":false,"err_code":"MK:0001","err_msg":"用户关机",'
                       '"sms_size":"1","biz_id":"1234^5678","out_id":"n1"}]')
    assert (a.provider_id, a.delivered) == ("1234^5678", False) and "用户关机" in a.detail
    [t] = parse_tencent([{"user_receive_time": "2026-01-01 08:00:05", "nationcode": "86", "mobile": "13900000021",
                          "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
                          "sid": "2028:1"}])
    assert (t.provider_id, t.phone, t.delivered) == ("2028:1", "+8613900000021", True)
