"""How the desk puts records into words: statuses, attribution chains, times, timelines, trees and charts.

Presentation only. Every rule (who may move what, which evidence is independent) stays in `api/services`;
this module turns their answers into sentences and shapes a template can lay out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.vocabulary import Status


@dataclass(frozen=True)
class StatusInfo:
    label: str
    meaning: str
    # A mark beside the words, so a status never rests on colour alone (nor on the mark alone: it is aria-hidden).
    mark: str


STATUS_INFO = {
    Status.CLAIMED.value: StatusInfo("Claimed", "recorded as said; not verified", "❝"),
    Status.UNDER_REVIEW.value: StatusInfo("Under review", "being checked by a reviewer", "…"),
    Status.CORROBORATED.value: StatusInfo("Corroborated", "supported by an independent party", "+"),
    Status.CONFIRMED.value: StatusInfo("Confirmed", "confirmed by independent evidence", "✓"),
    Status.DISPUTED.value: StatusInfo("Disputed", "contested; the evidence conflicts", "±"),
    Status.REFUTED.value: StatusInfo("Refuted", "contradicted by independent evidence", "✗"),
    Status.UNVERIFIABLE.value: StatusInfo("Unverifiable", "cannot be checked with what is available", "∅"),
    Status.RETRACTED.value: StatusInfo("Retracted", "withdrawn by its source", "↶"),
}
STATUS_ORDER = [status.value for status in Status]

CHANNEL_WORDS = {
    "statement": "in a statement",
    "briefing": "at a briefing",
    "update": "in an update",
    "telegram": "on Telegram",
    "social_media": "on social media",
    "interview": "in an interview",
    "broadcast": "in a broadcast",
    "assessment": "in an assessment",
    "press_release": "in a press release",
    "other": "",
}

# The Admiralty (NATO) grading: the source's reliability letter and the information's credibility number.
RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
PRECISION_WORDS = {
    "minute": "to the minute",
    "hour": "to the hour",
    "day": "to the day",
    "week": "to the week",
    "month": "to the month",
}


def words(value: str) -> str:
    """A vocabulary value as words: `think_tank` → `think tank`."""
    return value.replace("_", " ")


def format_time(moment: datetime | None, precision: str = "minute") -> str:
    """A UTC time written as precisely as it is known, never more."""
    if moment is None:
        return ""
    if precision == "month":
        return moment.strftime("%B %Y")
    day = f"{moment.day} {moment.strftime('%B %Y')}"
    if precision == "day":
        return day
    if precision == "hour":
        return f"{day}, {moment.strftime('%H')}:00–{moment.strftime('%H')}:59 UTC"
    return f"{day}, {moment.strftime('%H:%M')} UTC"


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence: plain words, or a source named with a link to its page."""

    text: str
    source_id: uuid.UUID | None = None


def attribution(claim: Mapping[str, Any], outlet: dict[str, Any] | None, speaker_role: str | None) -> list[Segment]:
    """The chain in words: "UPI reports that ISW said that the General Staff, through its spokesman, said …".

    `via` runs from the origin towards the report, so the sentence, which starts at the report, reads it
    backwards.
    """
    segments: list[Segment] = []
    document = claim["document"]
    if document is not None:
        if outlet is not None:
            segments += [Segment(outlet["name"], outlet["id"]), Segment(" reports that ")]
        else:
            segments += [Segment(f"the report “{document['title']}” says that ")]
    for intermediary in reversed(claim["via"]):
        segments += [Segment(intermediary["name"], intermediary["id"]), Segment(" said that ")]
    source = claim["source"]
    segments.append(Segment(source["name"], source["id"]))
    speaker = claim["speaker"]
    if speaker is not None and speaker["id"] != source["id"]:
        segments.append(Segment(", through "))
        segments.append(Segment(speaker["name"], speaker["id"]))
        if speaker_role:
            segments.append(Segment(f" ({speaker_role})"))
        segments.append(Segment(","))
    said = " said"
    channel = CHANNEL_WORDS.get(claim["channel"], "")
    if channel:
        said += f" {channel}"
    said += f" on {format_time(claim['stated_at'], claim['stated_at_precision'])}"
    if claim["stated_at_precision"] == "month":
        said = said.replace(" on ", " in ", 1)
    segments.append(Segment(said + ":"))
    if segments[0].source_id is None:
        segments[0] = Segment(segments[0].text[:1].upper() + segments[0].text[1:])
    return segments


@dataclass
class TimelineEntry:
    seq: int
    at: datetime
    actor: str
    kind: str
    summary: str
    from_status: str | None = None
    to_status: str | None = None
    rationale: str | None = None
    details: list[str] = field(default_factory=list)


def timeline(events: list[dict[str, Any]]) -> list[TimelineEntry]:
    """Ledger events about a claim as sentences, oldest first."""
    entries = []
    for event in events:
        payload = event["payload"] or {}
        kind = event["type"]
        details: list[str] = []
        if kind == "claim.created":
            summary = "recorded the claim"
        elif kind == "claim.imported":
            summary = "imported the claim"
        elif kind == "claim.status_changed":
            summary = "moved the status"
        elif kind == "claim.amended":
            changed = sorted(payload.get("after", {}))
            summary = "amended " + ", ".join(words(name) for name in changed)
            for name in changed:
                details.append(f"{words(name)}: {payload['before'].get(name)!r} → {payload['after'].get(name)!r}")
        elif kind == "evidence.added":
            summary = f"added evidence that {payload.get('stance', '')} it ({words(payload.get('kind', ''))})"
            if payload.get("note"):
                details.append(payload["note"])
        elif kind == "link.added":
            summary = f"linked it: this claim {payload.get('kind', '')} another"
            details.append(f"claim {payload.get('to_claim_id')}")
        else:
            summary = words(kind.split(".")[-1])
        entries.append(
            TimelineEntry(
                seq=event["seq"],
                at=event["at"],
                actor=event["actor"]["name"] if event["actor"] else "the command line",
                kind=kind,
                summary=summary,
                from_status=event["from_status"],
                to_status=event["to_status"],
                rationale=event["rationale"],
                details=details,
            )
        )
    return entries


@dataclass(frozen=True)
class Bar:
    status: str
    label: str
    count: int
    y: int
    width: int


CHART_BAR_HEIGHT = 22
CHART_GAP = 6
CHART_LABEL_WIDTH = 130
CHART_BAR_SPACE = 220


def status_bars(by_status: dict[str, int]) -> list[Bar]:
    """One horizontal bar per status, widths relative to the largest count (SVG user units)."""
    largest = max(by_status.values(), default=0) or 1
    bars = []
    for index, status in enumerate(STATUS_ORDER):
        count = by_status.get(status, 0)
        bars.append(
            Bar(
                status=status,
                label=STATUS_INFO[status].label,
                count=count,
                y=index * (CHART_BAR_HEIGHT + CHART_GAP),
                width=round(CHART_BAR_SPACE * count / largest),
            )
        )
    return bars


@dataclass
class TreeNode:
    source: dict[str, Any]
    children: list[TreeNode] = field(default_factory=list)


def source_tree(described: list[dict[str, Any]], root_id: uuid.UUID) -> TreeNode | None:
    """Nest described sources under their parents, from `root_id` down; children by name."""
    nodes = {source["id"]: TreeNode(source) for source in described}
    for node in sorted(nodes.values(), key=lambda item: str(item.source["name"]).casefold()):
        parent = node.source["parent"]
        if parent is not None and parent["id"] in nodes and node.source["id"] != root_id:
            nodes[parent["id"]].children.append(node)
    return nodes.get(root_id)


def duration(seconds: float | None) -> str:
    """A median wait in the largest sensible unit."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class VerdictWords:
    """A verdict put into words for the claim page: what it rests on, and why it may no longer hold."""

    sentence: str
    warnings: list[str]


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def verdict_words(verdict: dict[str, Any] | None) -> VerdictWords | None:
    """ "Confirmed on version 3, on evidence from ISW, independent", and what breaks its basis, if anything."""
    if verdict is None:
        return None
    label = STATUS_INFO[verdict["status"]].label
    version = f" on version {verdict['version']}" if verdict["version"] is not None else ""
    if verdict["imported"]:
        sentence = f"{label}{version} elsewhere, and imported: its evidence is not in this database."
    else:
        items = []
        for item in verdict["evidence"]:
            provider = item["provider"]["name"] if item["provider"] else "an unnamed provider"
            items.append(f"{provider}, {'independent' if item['independent'] else 'not independent'}")
        basis = "on evidence from " + "; ".join(items) if items else "on no evidence item"
        by = f" by {verdict['by']['name']}" if verdict["by"] else ""
        sentence = f"{label}{version}{by}, {basis}."
    warnings = []
    if not verdict["assertion_matches"]:
        warnings.append("The claim's words have changed since this verdict: it no longer judges what the claim says.")
    for item in verdict["evidence"]:
        if item["independent"] and not item["independent_now"]:
            provider = item["provider"]["name"] if item["provider"] else "an unnamed provider"
            warnings.append(
                f"The evidence from {provider} is no longer independent of the claim's party: its provider's party "
                "has changed since."
            )
    if not verdict["basis_holds"] and not warnings:
        warnings.append("Under today's parties this verdict would not be reached.")
    if verdict["reconstructed"]:
        warnings.append(
            "This verdict was recorded before verdicts kept their basis: the evidence is read from the ledger and "
            "the parties as they are today."
        )
    return VerdictWords(sentence, warnings)
