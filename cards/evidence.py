"""The evidence pack's card (bot/flows/evidence.py): what it holds, and its two download links."""

from __future__ import annotations

from microsoft_teams.cards.core import Action, OpenUrlAction

from cards import texts
from cards.common import Card, card, paragraph, submit, title
from cards.verbs import Verb


def ready_card(
    *,
    pupil_id: int,
    pupil_name: str,
    pdf_url: str,
    json_url: str,
    plans: int,
    reviews: int,
    sessions: int,
    referrals: int,
    can_request: bool,
) -> Card:
    actions: list[Action] = [
        OpenUrlAction(title=texts.EVIDENCE_PDF, url=pdf_url),
        OpenUrlAction(title=texts.EVIDENCE_JSON, url=json_url),
    ]
    if can_request:
        actions.append(submit(texts.EVIDENCE_START_EHCNA, Verb.EHCNA_SHOW, {"pupil_id": pupil_id}))
    return card(
        [
            title(texts.EVIDENCE_READY_TITLE.format(pupil=pupil_name)),
            paragraph(
                texts.EVIDENCE_READY.format(
                    plans=plans, reviews=reviews, sessions=sessions, referrals=referrals
                )
            ),
        ],
        actions,
    )
