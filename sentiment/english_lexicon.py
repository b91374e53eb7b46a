"""The built-in English lexicon and counter cues (sentiment/english.py), used
when rules.yaml has no ``negative_lexicon_en`` / ``negation_cues_en``.
config/demo/rules.yaml starts from the same lists; edit them there.

Phrases are matched as words (see english.py): case-insensitive, a hyphen
the same as a space, a word ending in ``*`` matches any word it begins.
Forms are listed rather than stemmed where a stem would be ambiguous:
"fined" and "fine of", never "fine" (fine weather, a fine result).
"""
from __future__ import annotations

# Risk types as in config/demo/rules.yaml ``negative_lexicon``.
DEFAULT_LEXICON_EN: dict[str, list[str]] = {
    "理赔纠纷": [
        "claim denial*", "denied claim*", "denies claim*", "denying claim*", "deny claim*", "refused claim*",
        "rejected claim*", "rejecting claim*", "claim* denied", "claim* rejected", "claims were denied",
        "claim was denied", "claims were rejected", "claim was rejected", "refused to pay", "refuses to pay",
        "refusing to pay", "refusal to pay", "refused to compensate", "failed to pay", "failing to pay",
        "unpaid claim*", "delayed payout*", "payout delay*", "delayed claim*", "claim* delay*", "slow payout*",
        "claim* dispute*", "compensation dispute*", "lowball*", "underpaid", "underpayment*", "bad faith"],
    "销售误导": [
        "mis-sell*", "missell*", "mis-sold", "missold", "misleading sale*", "misleading selling",
        "misleading marketing", "misleading advertis*", "misleading customers", "misleading consumers", "misled",
        "false advertis*", "false promotion*", "misrepresent*", "exaggerated return*", "exaggerating return*",
        "exaggerated benefits", "promised high returns", "hidden fees", "hidden terms", "concealed terms",
        "bundled sales", "forced bundling", "tied selling", "tying sales", "deceptive sales", "deceptive marketing",
        "high-pressure sales"],
    "代理人违规": [
        "agent misconduct", "rogue agent*", "embezzl*", "misappropriat*", "forged signature*", "forging signature*",
        "forged polic*", "fake polic*", "fake insurance", "pocketed premium*", "without consent",
        "without their consent", "unauthorised", "unauthorized", "absconded", "harassing calls", "harassment calls",
        "misconduct"],
    "退保纠纷": [
        "surrender dispute*", "surrender penalt*", "surrender loss*", "refused to refund", "refused refunds",
        "refund dispute*", "could not surrender", "unable to surrender", "refused surrender*"],
    "监管处罚": [
        "fined", "fines", "fine of", "yuan fine", "million fine", "penalt*", "penalised", "penalized", "sanctioned",
        "sanctions", "reprimand*", "censured", "punished", "punishment", "rectification order*",
        "ordered to rectify", "violation*", "violated", "violating", "breach* of regulations", "regulatory breach*",
        "wrongdoing", "warning letter", "licence revoked", "license revoked", "revoked its licence",
        "revoked its license", "barred from", "banned from", "under investigation", "investigated",
        "investigation into", "probe*", "illegal", "bribe*", "bribery", "corruption", "arrested", "detained"],
    "投诉维权": [
        "complain*", "lawsuit*", "sued", "sues", "suing", "class action", "litigation", "legal action",
        "court case", "fraud*", "scam*", "deceiv*", "deception", "cheated", "cheating", "swindl*", "protest*",
        "outrage*", "angry", "anger", "furious", "accused", "accusation*", "allegation*", "alleged",
        "poor service", "bad service", "stonewall*", "whistleblow*"],
    "讽刺反语": ["thanks for nothing", "what a joke", "yeah right"],
    "内部管理": [
        "unpaid wages", "wage arrears", "unpaid salar*", "salary arrears", "forced staff", "forced employees",
        "layoffs", "laid off", "job cuts", "pay cuts", "salary cuts"],
    "资金风险": [
        "net loss", "posted a loss", "reported a loss", "swung to a loss", "loss-making", "losses widen*",
        "default*", "insolven*", "bankrupt*", "liquidity crisis", "liquidity crunch", "liquidity shortfall",
        "liquidity problem*", "solvency concern*", "solvency shortfall", "insufficient solvency",
        "capital shortfall", "bank run", "run on the insurer", "mass surrender*", "surge in surrenders",
        "surrender wave", "taken over by regulator*", "taken over by the regulator*", "regulatory takeover",
        "government takeover", "seized by", "ponzi", "illegal fundraising", "collapse*", "rumour*", "rumor*",
        "downgrade*", "write-down*", "writedown*"],
    # results falling, a rating outlook cut, a share-price fall (as the Chinese groups: results at most yellow, the
    # market no level)
    "业绩下滑": [
        "profit fell", "profit falls", "profit dropped", "profit drops", "profit declined", "profit declines",
        "profit slumped", "profit slumps", "profit plunged", "profit plunges", "profit slid", "profit tumbled",
        "profits fell", "profits dropped", "profits declined", "profits slumped", "profits plunged", "earnings fell",
        "earnings dropped", "earnings declined", "earnings slumped", "drop in profit", "drop in net profit",
        "drop in quarterly profit", "drop in quarterly net profit", "drop in annual profit", "drop in annual net profit",
        "fall in profit", "fall in net profit", "decline in profit", "decline in net profit", "slump in profit",
        "slump in net profit", "plunge in profit", "plunge in net profit", "profit warning", "lower profit"],
    "评级下调": [
        "outlook to negative", "negative outlook", "outlook negative", "negative watch", "cuts rating", "cut rating",
        "cut its rating", "cuts its rating", "lowered its rating", "lowers its rating", "rating cut"],
    "市场波动": [
        "shares fell", "shares fall", "shares dropped", "shares drop", "shares slumped", "shares slump",
        "shares tumbled", "shares tumble", "shares plunged", "shares plunge", "shares slid", "shares sank",
        "share price fell", "stock fell", "stock slumped", "stock tumbled"],
}

DEFAULT_COUNTER_CUES_EN: list[str] = [
    # refutations
    "debunk*", "refut*", "false report*", "fake news", "untrue", "unfounded", "baseless", "groundless",
    "clarif*", "dispelled", "no basis",
    # resolved, normal business
    "resolved", "settled amicably", "paid in full", "fully paid", "paid out in full", "compensated in full",
    "operating normally", "business as usual", "meets regulatory requirements", "in compliance",
    # awareness campaigns, consumer protection
    "awareness", "remind*", "warns consumers", "warned consumers", "beware", "tips", "guard against",
    "prevention", "anti-fraud", "educat*", "consumer protection", "complaint handling", "handling complaints",
    # praise
    "prais*", "award", "awards", "award-winning", "commend*", "honour*", "honor*", "recognised as",
    "recognized as", "recognition", "exemplary", "thank*",
]
