"""Step 4: the channel a statement went out on ("posted on Telegram" → telegram) and the words that say so."""

from __future__ import annotations

import re

# Each rule: the channel, and what in the attribution's words shows it. The first rule that matches wins,
# so the specific media (Telegram, an interview) come before the generic ones (a statement).
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "telegram",
        # "posted on Telegram", "in a Telegram post", "on its Telegram channel", "on their channel"
        re.compile(
            r"(?:in|on|via)\s+(?:(?:a|an|the|its|his|her|their)\s+)?(?:\w+\s+)?Telegram(?:\s+(?:post|channel|message))?"
            r"|Telegram\s+(?:post|channel|message)"
            r"|on\s+(?:his|her|their|its)\s+channel"
        ),
    ),
    (
        "social_media",
        # "on X", "via Facebook", "in a tweet", "tweeted"
        re.compile(
            r"(?:on|via)\s+(?:Twitter|X|Facebook|Instagram|YouTube|TikTok|social media)"
            r"|in\s+an?\s+(?:tweet|Facebook post|Instagram post)|tweeted"
        ),
    ),
    (
        "interview",
        # "told <outlet or audience other than reporters>", "in an interview with ...", "in comments to ..."
        re.compile(
            r"told\s+(?!reporters|journalists)(?!(?:a|an|the|its|his|her|their)\s+(?:[\w'’-]+\s+){0,2}?"
            r"(?:briefing|news conference|press conference)\b)[^,;]+"
            r"|(?:in|during)\s+an\s+interview(?:\s+with\s+[^,;]+)?|in\s+comments\s+to\s+[^,;]+"
        ),
    ),
    (
        "briefing",
        # "at a news conference", "during the daily briefing", "told reporters in Moscow", "told a briefing"
        re.compile(
            r"(?:at|during|in)\s+an?\s+(?:daily\s+|regular\s+)?(?:news|press)\s+(?:conference|briefing)"
            r"|(?:at|during|in)\s+(?:a|an|the|its|his|her|their)\s+(?:\w+\s+)?briefing"
            r"|told\s+(?:reporters|journalists)(?:\s+in\s+[A-Z]\w+)?"
            r"|told\s+(?:a|an|the|its|his|her|their)\s+(?:[\w'’-]+\s+){0,2}?"
            r"(?:briefing|news conference|press conference)"
        ),
    ),
    (
        "update",
        # "in an update", "in its morning situation report", "in a daily summary"
        re.compile(
            r"(?:in|on)\s+(?:a|an|the|its|his|her|their)\s+(?:\w+\s+){0,2}?(?:update|situation report|sitrep|summary)"
        ),
    ),
    (
        "broadcast",
        # "in a video address", "in his nightly speech", "on state television", "televised remarks"
        re.compile(
            r"(?:in|during)\s+(?:a|an|the|his|her|their|its)\s+(?:\w+\s+)?(?:video\s+)?(?:address|speech)"
            r"|on\s+(?:state\s+|national\s+)?(?:television|TV|radio)|televised\s+\w+"
        ),
    ),
    ("press_release", re.compile(r"(?:in\s+)?an?\s+(?:press\s+release|communiqu[eé])")),
    (
        "assessment",
        # "in its daily assessment", "in an analysis", "in a report"
        re.compile(r"(?:in|on)\s+(?:a|an|the|its|his|her|their)\s+(?:\w+\s+){0,2}?(?:assessment|analysis|report)\b"),
    ),
    ("statement", re.compile(r"in\s+(?:a|an|the|its|his|her|their)\s+(?:\w+\s+)?statement")),
]
# Verbs that belong with the channel words: "posted on Telegram", "wrote on Telegram".
_VERB_BEFORE = re.compile(r"\b(posted|wrote|said|tweeted|told)\s+$")
# Verbs that are a channel by themselves when nothing more specific is said.
_VERB_CHANNELS = {"assess": "assessment", "estimate": "assessment", "post": "social_media", "tweet": "social_media"}


def detect_channel(attribution: str, lemma: str, source_kind: str | None = None) -> tuple[str, str | None]:
    """(channel, channel_detail) from the words of an attribution, the cue's lemma and the source's kind."""
    for channel, pattern in _RULES:
        match = pattern.search(attribution)
        if match is None:
            continue
        detail = match.group(0).strip(" .,;:")
        verb = _VERB_BEFORE.search(attribution[: match.start()])
        if verb and verb.group(1) in {"posted", "wrote", "tweeted"}:
            detail = f"{verb.group(1)} {detail}"
        return channel, detail
    if source_kind == "think_tank":
        return "assessment", None
    return _VERB_CHANNELS.get(lemma, "statement"), None
