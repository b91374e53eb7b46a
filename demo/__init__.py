"""The demo: local stand-ins for the outside world, never imported by runtime code.

* ``site/``     — a news site, RSS feeds, a GBK Discuz forum, a Weibo-style API and an
  English overseas outlet, publishing scripted items over time (``python -m demo.site``)
* ``mailsink``  — an SMTP server storing mail as ``.eml`` files (``python -m demo.mailsink``)
* ``gateway/``  — Aliyun/Tencent SMS and DingTalk/WeCom robot stand-ins checking signatures
  the way the providers document them
* ``users``     — demo console users for an empty users database
* ``__main__``  — the launcher: ``yuqing run`` hands over to it (``os.execv``) when
  settings.yaml has a ``demo:`` block; it starts the stand-ins, then the roles.
"""
