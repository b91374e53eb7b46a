"""The notifier's waves of parallel sends: claim order kept, at most ``workers``
groups and at most one SMS per wave (a crash mid-wave re-sends at most one SMS)."""
from alerting.notifier import waves
from alerting.store import Notification


def group(i: int, channel: str) -> list[Notification]:
    return [Notification(id=f"n{i}", alert_id="a", channel=channel, recipient=f"r{i}", step=0, payload={})]


def test_waves_keep_claim_order_and_hold_one_sms_at_most():
    channels = ["sms", "email", "sms", "sms", "dingtalk", "email", "email", "email", "email", "sms", "email"]
    groups = [group(i, c) for i, c in enumerate(channels)]
    cut = waves(groups, workers=4)
    assert [g for w in cut for g in w] == groups  # nothing dropped, nothing reordered
    assert all(len(w) <= 4 for w in cut)
    assert all(sum(g[0].channel == "sms" for g in w) <= 1 for w in cut)
    assert [[g[0].id for g in w] for w in cut] == [["n0", "n1"], ["n2"], ["n3", "n4", "n5", "n6"],
                                                    ["n7", "n8", "n9", "n10"]]


def test_one_worker_sends_one_at_a_time_and_no_groups_no_waves():
    groups = [group(i, "email") for i in range(3)]
    assert waves(groups, workers=1) == [[g] for g in groups]
    assert waves([], workers=8) == []
