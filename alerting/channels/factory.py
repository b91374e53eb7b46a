"""Build the channel clients from configuration (STYLE 6): each client opts
out with NotConfigured (no SMS provider chosen, a secret not in the
environment, no robot declared); the caller logs what is enabled and why the
rest is not. Building connects to nothing."""
from __future__ import annotations

from collections.abc import Callable

from alerting.channels import NotConfigured
from pipeline.config import MembersFile, Settings


def _email(settings: Settings, members: MembersFile):
    from alerting.channels.email import EmailClient
    return EmailClient(settings.smtp)


def _sms(settings: Settings, members: MembersFile):
    provider = settings.sms.provider
    if provider == "aliyun" and settings.sms.aliyun:
        from alerting.channels.aliyun_sms import AliyunSmsClient
        return AliyunSmsClient(settings.sms.aliyun)
    if provider == "tencent" and settings.sms.tencent:
        from alerting.channels.tencent_sms import TencentSmsClient
        return TencentSmsClient(settings.sms.tencent)
    raise NotConfigured("settings.yaml sms.provider is not set (aliyun or tencent)")


def _dingtalk(settings: Settings, members: MembersFile):
    from alerting.channels.dingtalk import DingTalkClient
    return DingTalkClient(settings.robots, members.robots)


def _wecom(settings: Settings, members: MembersFile):
    from alerting.channels.wecom import WeComClient
    return WeComClient(settings.robots, members.robots)


FACTORIES: dict[str, Callable] = {"email": _email, "sms": _sms, "dingtalk": _dingtalk, "wecom": _wecom}


def build_clients(settings: Settings, members: MembersFile) -> tuple[dict, dict[str, str]]:
    """(clients by outbox channel name, {disabled channel: why})."""
    clients, disabled = {}, {}
    for name, factory in FACTORIES.items():
        try:
            clients[name] = factory(settings, members)
        except NotConfigured as e:
            disabled[name] = str(e)
            continue
        missing = getattr(clients[name], "unavailable", None)
        if missing:  # some robots of this kind lack credentials: the others still work
            disabled[f"{name} (some robots)"] = "; ".join(missing)
    return clients, disabled
