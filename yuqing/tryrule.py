"""``yuqing try-rule``: a dry run of the scoring rules over a file of documents.

    yuqing try-rule --config config/demo docs.jsonl
    yuqing try-rule --config config/demo --rules my-rules.yaml docs.jsonl --all

For each document it prints which member units it is about, the negativity,
relevance and source weight for each, the level the rules give (or why none)
and the phrases and sentences that drove it; for each alert, who would be told
and on which channel, and which documents would join an earlier alert as the
same story. Nothing is sent and no data directory is touched: story grouping
runs in a temporary store.

Input: JSON lines, one document per line, with at least ``title`` and
``text``; ``url``, ``source_id``, ``channel``, ``site``, ``published_at`` are
used when present (the gold set, tests/eval/gold.jsonl, is such a file).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from contracts.messages import Document, Level, ScoredDocument
from pipeline.config import load_config

CONFIG_FILES = ("settings.yaml", "sources.yaml", "members.yaml", "rules.yaml")


@dataclass
class DryRun:
    documents: int = 0
    alerts: list[tuple[str, str, Level]] = field(default_factory=list)  # (doc title, unit id, level)
    joined: int = 0  # documents that would join an existing alert (same story, same unit)


def read_documents(path: Path) -> list[Document]:
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            raw.setdefault("url", f"http://dry-run.invalid/{path.stem}/{n}")
            raw.setdefault("source_id", "dry-run")
            raw.setdefault("channel", "news")
            raw.setdefault("site", "dry-run.invalid")
            fields = {k: raw[k] for k in Document.model_fields if k in raw and k not in ("id", "url")}
            docs.append(Document.create(url=raw["url"], **fields))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{n}: not a document ({e})") from None
    return docs


ROLE_NAMES = {"unit-primary": "单位联系人", "unit-backup": "单位备用联系人", "duty-officer": "协会值班员",
              "unit-robot": "单位工作群", "duty-robot": "值班群"}


def config_with(config_dir: Path, overrides: dict[str, Path], into: Path) -> Path:
    """A copy of ``config_dir`` with some of its four files replaced."""
    for name in CONFIG_FILES:
        shutil.copyfile(overrides.get(name, config_dir / name), into / name)
    return into


def run(config_dir: Path, docs_path: Path, out: TextIO, *, rules: Path | None = None,
        members: Path | None = None, show_all: bool = False, now: datetime | None = None) -> DryRun:
    from pipeline.stories import StoryStore
    from yuqing.bootstrap import App
    overrides = {k: v for k, v in (("rules.yaml", rules), ("members.yaml", members)) if v}
    with tempfile.TemporaryDirectory(prefix="yuqing-try-rule-") as tmp:
        root = config_dir
        if overrides:
            root = Path(tmp) / "config"
            root.mkdir()
            config_with(config_dir, overrides, root)
        app = App(load_config(root, data_dir=Path(tmp) / "data"))
        stories = StoryStore(Path(tmp) / "stories.db")
        try:
            return _run(app, stories, read_documents(docs_path), out, show_all, now or datetime.now(timezone.utc))
        finally:
            stories.close()
            app.close()


def _run(app, stories, docs: list[Document], out: TextIO, show_all: bool, now: datetime) -> DryRun:
    from alerting.channels.factory import FACTORIES
    from alerting.routing import Routing
    from alerting.templates import NOTIFY_CHANNELS
    result = DryRun()
    # Route as production would, with every channel the configuration names;
    # channels whose credentials are missing on this machine are flagged.
    usable = set(app.channel_clients)
    routing = Routing(app.config.members, app.config.rules, set(FACTORIES), app.config.settings.timezone)
    first_alert: dict[tuple[str, str], str] = {}
    policy = app.level_policy
    for doc in docs:
        result.documents += 1
        scored: ScoredDocument = stories.assign(app.scorer.score(doc, now=now))
        if not scored.unit_levels and not show_all:
            continue
        out.write(f"\n《{doc.title}》 {doc.site} [{doc.channel.value}]\n")
        if not scored.units:
            out.write("  未匹配任何会员单位\n")
        weight = app.scorer.source_weight(doc.source_id)
        for unit in scored.units:
            uid = unit.unit_id
            neg, rel = scored.unit_negativity.get(uid, 0.0), scored.unit_relevance.get(uid, 0.0)
            level = scored.unit_levels.get(uid)
            how = "、".join(unit.aliases) or "监测方案"
            rules = [r.rule_id for r in scored.rules if r.unit_id == uid]
            out.write(f"  {'[' + level.label + ']' if level else '[不预警]'} {unit.unit_name}（匹配：{how}"
                      f"{'；方案 ' + ', '.join(rules) if rules else ''}）\n")
            risks = {r.risk_type for r in scored.reasons if getattr(r, "unit_id", None) == uid and r.risk_type}
            why = scored.unit_level_reasons.get(uid) or policy.explain(neg, rel, weight, doc.engagement, risks)
            out.write(f"    {why}\n")
            for r in (r for r in scored.reasons if getattr(r, "unit_id", None) == uid):
                out.write(f"    原因：{r.phrase}：「{r.sentence[:80]}」\n" if r.by_model else
                          f"    原因：{r.phrase}（{r.risk_type or '模型判定'}）— {r.sentence[:80]}\n")
            if level is None:
                continue
            key = (scored.story_id, uid)
            if key in first_alert:
                result.joined += 1
                out.write(f"    同一事件已有预警（《{first_alert[key]}》）：并入该预警，不单独通知\n")
                continue
            first_alert[key] = doc.title
            result.alerts.append((doc.title, uid, level))
            route = routing.route(uid, level)
            for t in routing.targets(uid, level, 0, now):
                missing = "" if t.channel in usable else "；本机未配置该渠道凭据"
                if route.forward == "review" and t.role.startswith("unit-"):  # forward: review
                    missing += f"；经协会复核后转发，最迟{route.review_timeout / 60:g}分钟"
                out.write(f"    → 通知 {t.who}：{NOTIFY_CHANNELS.get(t.channel, t.channel)}"
                          f"（{ROLE_NAMES.get(t.role, t.role)}{missing}）\n")
    by_level = Counter(level.label for _, _, level in result.alerts)
    out.write(f"\n共 {result.documents} 篇，将产生 {len(result.alerts)} 条预警"
              f"（{'，'.join(f'{k}{v}条' for k, v in by_level.items()) or '无'}），"
              f"另有 {result.joined} 篇并入已有预警。未发送任何消息。\n")
    return result
