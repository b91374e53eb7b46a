"""The 事件 documents as files: the 复盘 report (after closing) and the 专报 (on demand), each as a
standalone HTML page and a Word .docx in the house layout of console/reports/docx_layout.py (A4,
公文 margins, red 报头 with 期号, contents, heading styles, page numbers), from the dicts
``console.emergency_service.review`` / ``special`` build. 期号 count per kind (专报, 复盘) in the
console's store (console.reports.issues); a 事件's document keeps its number when it is generated again.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from console.reports.docx_layout import heading, masthead, new_document, paragraph, table, to_bytes, toc
from console.reports.issues import ASSOCIATION, IssueStore

TEMPLATES = Path(__file__).parent / "templates"

SECTIONS = {"review": ["一、事件概述", "二、时间线", "三、传播情况", "四、处置过程", "五、经验与改进"],
            "special": ["一、事件概况", "二、传播情况", "三、研判", "四、处置进展", "五、下一步建议"]}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def issue_number(issues: IssueStore, reports_dir: Path, data: dict) -> int:
    """The document's 期号 (per kind, numbered with the association's reports; the same 事件 keeps its number)."""
    return issues.counter(ASSOCIATION, reports_dir).number(f"emergency-{data['kind']}", data["event"]["id"])


def to_html(data: dict) -> str:
    return _env.get_template("emergency_doc.html").render(r=data, sections=SECTIONS[data["kind"]])


def to_docx(data: dict) -> bytes:
    d = data["event"]
    doc = new_document()
    masthead(doc, data["association"], data["title"], issue=data.get("issue"), date_text=data["generated_at"][:10],
             compiler=f"{data['association']}舆情监测值班室", subtitle=f"编号：{d['id']}")
    toc(doc)
    paragraph(doc, d["title"], 15, True, center=True)
    one, two, three, four, five = SECTIONS[data["kind"]]
    heading(doc, one, 1)
    paragraph(doc, data["overview"])
    table(doc, ["项目", "内容"], [["会员单位", d["unit_name"]], ["风险类型", d["risk_type"]],
                                ["预警等级", d["level_label"]], ["启动方式", d["trigger"]],
                                ["启动时间", data["opened"]], ["关闭时间", data["closed"]], ["持续时长", data["duration"]],
                                ["首次确认", data["first_ack"]], ["状态", d["status_label"]]])
    if data["kind"] == "review":
        heading(doc, two, 1)
        table(doc, ["时间", "事项"], [list(r) for r in data["timeline"]] or [["—", "—"]])
    s = d["spread"]
    heading(doc, three if data["kind"] == "review" else two, 1)
    paragraph(doc, f"共监测到相关报道{s['documents']}篇，涉及站点{s['sites']}个，渠道：{'、'.join(s['channels']) or '—'}；"
                   f"首次报道{s['first_seen'][:16].replace('T', ' ')}，最近报道{s['last_seen'][:16].replace('T', ' ')}；"
                   f"当前预警等级{s['level_label']}。")
    table(doc, ["时间", "站点", "渠道", "标题"], [list(r) for r in data["documents"]] or [["—", "—", "—", "—"]])
    if data["kind"] == "special":
        c = data["card"]
        heading(doc, three, 1)
        paragraph(doc, f"风险类型：{c['risk_type']}；阶段：{c['stage']}（{c['trend']}，{c['stage_reason']}）；"
                       f"传播主体：{'、'.join(c['carriers']) or '—'}；回应时限：{c['deadline']}前。")
        for i, step in enumerate(c["steps"], 1):
            paragraph(doc, f"{i}. {step}")
        if c["statement"]:
            heading(doc, "回应口径（草稿）", 2)
            paragraph(doc, c["statement"])
    heading(doc, four, 1)
    paragraph(doc, f"处置清单完成{d['done']}/{d['total']}项；发送续报{d['bulletins']}期。")
    table(doc, ["", "事项", "完成人", "完成时间"], [list(r) for r in data["checklist"]])
    heading(doc, "责任人", 2)
    table(doc, ["姓名", "职责", "电话", "邮箱"], [list(r) for r in data["people"]] or [["—", "—", "—", "—"]])
    heading(doc, "续报", 2)
    table(doc, ["期数", "时间", "收件人数", "摘要"], [list(r) for r in data["bulletins"]] or [["—", "—", "—", "本事件未发送续报"]])
    if data["kind"] == "review":
        heading(doc, "处置情况小结", 2)
        paragraph(doc, data["summary_text"])
        heading(doc, five, 1)
        paragraph(doc, data["lessons"])
    else:
        heading(doc, five, 1)
        for i, step in enumerate(data["next_steps"], 1):
            paragraph(doc, f"{i}. {step}")
    paragraph(doc, f"生成时间：{data['generated_at']}", 9, indent=False)
    return to_bytes(doc)
