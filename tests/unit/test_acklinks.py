from datetime import timedelta

import pytest

from alerting.acklinks import AckSigner, InvalidAckLink, load_secret
from contracts.clock import FakeClock


def test_token_round_trip_forgery_and_expiry():
    clock = FakeClock()
    signer = AckSigner(b"0123456789abcdef0123", ttl=timedelta(hours=1))
    token = signer.token("alert1", "a@b.cn", clock.now())
    claim = signer.verify(token, clock.now())
    assert (claim.alert_id, claim.recipient) == ("alert1", "a@b.cn")
    other = AckSigner(b"another-secret-of-20+")
    with pytest.raises(InvalidAckLink, match="链接无效"):
        other.verify(token, clock.now())
    payload, mac = token.split(".")
    forged = signer.token("alert2", "a@b.cn", clock.now()).split(".")[0] + "." + mac
    with pytest.raises(InvalidAckLink, match="链接无效"):
        signer.verify(forged, clock.now())
    with pytest.raises(InvalidAckLink, match="不完整"):
        signer.verify("garbage", clock.now())
    clock.advance(3601)
    with pytest.raises(InvalidAckLink, match="过期"):
        signer.verify(token, clock.now())


def test_secret_from_environment_or_created_once(tmp_path, monkeypatch):
    monkeypatch.delenv("YUQING_ACK_SECRET", raising=False)
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first and len(first) >= 32
    monkeypatch.setenv("YUQING_ACK_SECRET", "from-the-environment-123")
    assert load_secret(tmp_path) == b"from-the-environment-123"
