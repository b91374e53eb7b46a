"""The e-mail as written on the wire (alerting/channels/email.py ``wire``): the same message the compat32
MIME classes make (``build``) — headers, RFC 2047 words within the line limit, the base64 body — and the
kept SMTP session: no RSET between the messages of a burst, an RSET after an idle pause, a session the
server closed replaced."""
import email
import smtplib
import socket
from email import policy

import pytest

from alerting.channels import TransientError
from alerting.channels import email as mail
from alerting.channels.email import EmailClient
from pipeline.config import SmtpConfig
from tests.kit import SmtpRecorder

SUBJECT = "【舆情预警·红色】中国人寿吉林省分公司：网友称以免责条款为由拒赔，理赔纠纷持续发酵（共3篇）𠀀"
BODY = "孙伟您好：\n监测到涉及中国人寿的负面舆情。\n确认收到：https://console.example.cn/ack/abc.def\n. a line with a dot\n" * 5


def client(port: int = 25) -> EmailClient:
    return EmailClient(SmtpConfig(host="127.0.0.1", port=port, sender="alerts@jiaxh.example.cn",
                                  sender_name="吉林省保险行业协会舆情监测"))


@pytest.mark.parametrize("recipient", ["sunwei@chinalife-jl.example.cn", "孙伟 <sunwei@chinalife-jl.example.cn>"])
def test_the_wire_message_reads_as_the_mime_one(recipient):
    c = client()
    message_id, data = c.wire("2c8f9a09a6084c177283-r0", recipient, SUBJECT, BODY)
    wire = email.message_from_bytes(data, policy=policy.default)
    mime = email.message_from_bytes(c.build("2c8f9a09a6084c177283-r0", recipient, SUBJECT, BODY).as_bytes(),
                                    policy=policy.default)
    for name in ("From", "Subject", "Message-ID", "X-Yuqing-Notification", "Content-Type", "MIME-Version"):
        assert str(wire[name]) == str(mime[name]), name
    assert wire["Message-ID"] == message_id == "<yuqing.2c8f9a09a6084c177283-r0@jiaxh.example.cn>"
    assert str(wire["Subject"]) == SUBJECT and wire.get_content() == BODY == mime.get_content()
    assert wire["To"].addresses[0].addr_spec == "sunwei@chinalife-jl.example.cn"  # the address stays readable
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78 and b"\n" not in data.replace(b"\r\n", b"")


def test_a_burst_reuses_the_session_without_rset_and_a_pause_checks_it(monkeypatch):
    rsets: list[int] = []
    real = smtplib.SMTP.rset

    def rset(self):
        rsets.append(1)
        return real(self)
    monkeypatch.setattr(smtplib.SMTP, "rset", rset)
    with SmtpRecorder() as smtp:
        c = client(smtp.port)
        for i in range(3):
            c.send(f"n{i}", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        assert rsets == [] and len(smtp.to("a@unit.example.cn")) == 3
        session = c._local.session
        session.last -= mail.REUSE_FRESH + 0.5  # an idle pause: checked before reuse
        c.send("n3", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        assert rsets == [1] and c._local.session is session
        session.smtp.sock.shutdown(socket.SHUT_RDWR)  # the server's side is gone: the check fails, a new session goes out
        session.last -= mail.REUSE_FRESH + 0.5
        c.send("n4", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        assert c._local.session is not session and len(smtp.to("a@unit.example.cn")) == 5
        got = smtp.to("a@unit.example.cn")[-1]
        assert got.subject == SUBJECT and got.body == BODY and got.message["X-Yuqing-Notification"] == "n4"
        c.close()


def test_a_session_lost_inside_a_burst_is_a_transient_error_and_the_next_send_reconnects():
    with SmtpRecorder() as smtp:
        c = client(smtp.port)
        c.send("n0", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        c._local.session.smtp.sock.shutdown(socket.SHUT_RDWR)
        with pytest.raises(TransientError):
            c.send("n1", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        c.send("n1", "a@unit.example.cn", {"email": {"subject": SUBJECT, "body": BODY}})
        assert [m.message["X-Yuqing-Notification"] for m in smtp.to("a@unit.example.cn")] == ["n0", "n1"]
        c.close()
