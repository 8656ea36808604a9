"""`evidence <pupil>`: the pupil's evidence pack, as a PDF and as JSON, behind the letters' signed links.

Why through the letters' delivery (bot/letters/service.py, `download_url`): the pack is made from the
data when asked for and again at download, nothing about the pupil is stored in files, and the link
re-checks the person's role and scope when it is followed. Making the pack is audited here; each
download is audited by the web edge. The SENCO makes packs for requests to the local authority; the head
opens them for a case sample (without the money, which is for those who see costs).
"""

from __future__ import annotations

from bot.letters import wording as letters
from bot.letters.service import download_url
from bot.rules.policy import EHCNA_KEEPERS, EVIDENCE_READERS, evidence_scope_of, may_use
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import evidence as cards
from cards import texts
from cards.verbs import Verb
from storage.queries import evidence as queries


def add_routes(router: Router) -> None:
    router.command(
        "evidence",
        summary=texts.EVIDENCE_SUMMARY,
        usage=texts.EVIDENCE_USAGE,
        roles=EVIDENCE_READERS,
        menu=False,
    )(evidence_command)
    router.verb(Verb.EVIDENCE_MAKE, roles=EVIDENCE_READERS)(make)


async def evidence_command(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_text(
        turn,
        evidence_scope_of(turn.actor),
        turn.inbound.args,
        usage=texts.EVIDENCE_USAGE,
        verb=Verb.EVIDENCE_MAKE,
    )
    return await _ready(turn, pupil_id)


async def make(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, evidence_scope_of(turn.actor), turn.inbound.data, "evidence_make")
    return await _ready(turn, pupil_id)


async def _ready(turn: TurnContext, pupil_id: int) -> Outbound:
    pack = await queries.pack(turn.session, pupil_id, today=turn.today)
    if pack is None:
        raise UserError(texts.OUT_OF_SCOPE)
    turn.audit("evidence_made", entity="evidence", entity_id=pupil_id, pupil_id=pupil_id)

    def url(kind: str) -> str:
        return download_url(turn.settings, letters.LinkClaims(pupil_id, kind, turn.actor.staff_id), turn.now)

    return Outbound.card(
        cards.ready_card(
            pupil_id=pupil_id,
            pupil_name=f"{pack.given_name} {pack.family_name}",
            pdf_url=url(letters.EVIDENCE_PDF),
            json_url=url(letters.EVIDENCE_JSON),
            plans=len(pack.plans),
            reviews=pack.reviews,
            sessions=pack.sessions,
            referrals=len(pack.referrals),
            can_request=may_use(turn.actor, EHCNA_KEEPERS),
        )
    )
