"""Letters through real HTTP: made from the data in plain words, downloaded as a PDF behind a signed
short-lived link, the school's wording validated when edited."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlparse

import pypdf
from sqlalchemy import select

from bot.letters import wording as letters
from bot.letters.service import link_secret, with_link_secret
from cards import texts
from cards.verbs import Verb
from storage.models import LetterTemplate, NeedType, Pupil, RegisterEntry, School, Staff
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.sen import (  # noqa: F401  (sen_bot_fixture is a fixture)
    NOW,
    TODAY,
    actions,
    audited,
    card_texts,
    draft_plan,
    inputs,
    press,
    pupil_not_taught_by,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
)
from tests.wire.test_reviews import NEXT_DUE, judged, outcome_ids, review_form

CODES = re.compile(r"\b(SPLD|MLD|SLD|PMLD|SEMH|SLCN|ASD|HI|VI|MSI|PD|OTH|NSA)\b")


def open_url(card: dict[str, Any]) -> str:
    [action] = [a for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    return str(action["url"])


async def get(bot: BotUnderTest, url: str) -> tuple[int, bytes, dict[str, str]]:
    async with bot.http.get(bot.url + urlparse(url).path) as response:
        return response.status, await response.read(), dict(response.headers)


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def make(bot: BotUnderTest, pupil_id: int, kind: str, user: act.User = act.SENCO) -> dict[str, Any]:
    return await press(bot, {"verb": Verb.LETTER_MAKE.value, "pupil_id": pupil_id, "kind": kind}, user=user)


async def reviewed_pupil(bot: BotUnderTest) -> tuple[Pupil, NeedType]:
    """A K pupil of the teacher, with a plan and a recorded review."""
    pupil = await pupil_with_status(bot, "K", teacher=act.TEACHER)
    await draft_plan(bot, pupil.id, parent_views="Read together for ten minutes each night")
    form = await review_form(bot, pupil.id)
    async with bot.sessions() as s:
        from storage.models import SupportPlan

        plan_id = await s.scalar(select(SupportPlan.id).where(SupportPlan.pupil_id == pupil.id))
        need = (
            await s.execute(
                select(NeedType)
                .join(RegisterEntry, RegisterEntry.need_rank1 == NeedType.code)
                .where(RegisterEntry.pupil_id == pupil.id, RegisterEntry.ended_on.is_(None))
            )
        ).scalar_one()
    assert plan_id is not None
    ids = await outcome_ids(bot, plan_id)
    await press(bot, {**form, **judged(ids, ["met", "not_met"], next_steps="More phonics in small groups")})
    return pupil, need


def long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


async def test_the_three_letters_carry_the_facts_in_plain_words(sen_bot: BotUnderTest) -> None:
    pupil, need = await reviewed_pupil(sen_bot)
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    card = await say(sen_bot, f"letter {pupil.display_name}", user=act.TEACHER)
    if texts.PUPIL_WHICH.format(text=pupil.display_name) in card_texts(card):
        card = await press(sen_bot, {"verb": Verb.LETTER_PICK.value, "pupil_id": pupil.id}, user=act.TEACHER)
    assert [a["kind"] for a in actions(card, Verb.LETTER_MAKE.value)] == list(texts.LETTER_KIND_WORDS)
    async with sen_bot.sessions() as s:
        school = await s.scalar(
            select(Staff.display_name).where(Staff.aad_object_id == act.SENCO.aad_object_id)
        )
        school_name = await s.scalar(select(School.name).where(School.id == pupil.school_id))
    texts_of: dict[str, str] = {}
    for kind in texts.LETTER_KIND_WORDS:
        ready = await make(sen_bot, pupil.id, kind, user=act.TEACHER)
        assert texts.LETTER_READY in card_texts(ready)
        status, body, headers = await get(sen_bot, open_url(ready))
        assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
        assert headers["Cache-Control"] == "no-store"
        texts_of[kind] = pdf_text(body)
    for kind, text in texts_of.items():
        assert pupil.given_name in text and str(school) in text, kind
        assert other.given_name + " " + other.family_name not in text, kind
        assert not CODES.search(text), (kind, CODES.search(text))
        assert str(school_name) in text
    sen = texts_of["sen_support"]
    assert need.name in sen and letters.NEED_EXPLAINED[need.code].split(" (")[0][:40] in sen
    assert "SEN support" in sen and "special educational needs" in sen
    plan = texts_of["plan_summary"]
    assert "Reads 40 high-frequency words by sight" in plan
    assert "Read together for ten minutes each night" in plan
    review = texts_of["review_summary"]
    assert long(TODAY) in review and long(dt.date.fromisoformat(NEXT_DUE)) in review
    assert "achieved" in review and "not achieved yet" in review and "More phonics" in review
    assert [e.entity_id for e in await audited(sen_bot, "letter_generated")] == list(texts.LETTER_KIND_WORDS)
    assert {e.pupil_id for e in await audited(sen_bot, "letter_downloaded")} == {pupil.id}


async def test_the_link_is_signed_short_lived_and_personal(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    url = open_url(await make(sen_bot, pupil.id, "sen_support", user=act.TEACHER))
    token = urlparse(url).path.rsplit("/", 1)[1]
    assert (await get(sen_bot, url))[0] == 200
    # Tampered: one character changed, or garbage, or huge.
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "nonsense", "x" * 600):
        assert (await get(sen_bot, f"/letters/{bad}"))[0] == 403
    signer = letters.LinkSigner(link_secret(with_link_secret(sen_bot.settings)))
    async with sen_bot.sessions() as s:
        teacher = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.TEACHER.aad_object_id))
        ta = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.TA.aad_object_id))
    assert teacher is not None and ta is not None
    # Expired: made 16 minutes ago by the bot's own secret → 410.
    old = signer.make(letters.LinkClaims(pupil.id, "sen_support", teacher), NOW - dt.timedelta(minutes=16))
    assert (await get(sen_bot, f"/letters/{old}"))[0] == 410
    fresh = signer.make(letters.LinkClaims(pupil.id, "sen_support", teacher), NOW - dt.timedelta(minutes=14))
    assert (await get(sen_bot, f"/letters/{fresh}"))[0] == 200
    # Another person: a teacher's token for a pupil they don't teach, a TA's token → 403, audited.
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    for claims in (
        letters.LinkClaims(other.id, "sen_support", teacher),
        letters.LinkClaims(pupil.id, "sen_support", ta),
    ):
        assert (await get(sen_bot, f"/letters/{signer.make(claims, NOW)}"))[0] == 403
    assert len(await refusals(sen_bot, "letter_download_refused")) == 2
    # A token from another secret is refused.
    forged = letters.LinkSigner("not-the-secret").make(
        letters.LinkClaims(pupil.id, "sen_support", teacher), NOW
    )
    assert (await get(sen_bot, f"/letters/{forged}"))[0] == 403


async def test_letters_are_refused_out_of_scope_and_for_bad_kinds(sen_bot: BotUnderTest) -> None:
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    card = await make(sen_bot, other.id, "sen_support", user=act.TEACHER)
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert [e.entity_id for e in await refusals(sen_bot, "letter_generate")] == [str(other.id)]
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    for kind in ("", "ehcp", None, 3, "x" * 1000):
        card = await make(sen_bot, pupil.id, kind, user=act.TEACHER)  # type: ignore[arg-type]
        assert texts.LETTER_KIND_UNKNOWN in card_texts(card)
    card = await say(sen_bot, f"letter {pupil.display_name}", user=act.TA)
    assert texts.NOT_ALLOWED in card_texts(card)
    assert await audited(sen_bot, "letter_generated") == []


async def test_the_school_edits_its_wording_and_unknown_placeholders_are_named(sen_bot: BotUnderTest) -> None:
    card = await say(sen_bot, "letter template plan_summary")
    assert inputs(card)["body"] == letters.default_template("plan_summary")
    [save] = actions(card, Verb.LETTER_TEMPLATE_SAVE.value)
    bad = "Dear {{ pupil_first_name }}, born {{ pupil_date_of_birth }}"
    card = await press(sen_bot, {**save, "body": bad})
    assert texts.LETTER_TEMPLATE_UNKNOWN.format(name="pupil_date_of_birth") in card_texts(card)
    assert inputs(card)["body"] == bad
    card = await press(sen_bot, {**save, "body": "{% for x in %}"})
    assert texts.LETTER_TEMPLATE_SYNTAX.split("{")[0] in card_texts(card)
    # Reaching outside the sandbox fails the trial run when saved, not later in a letter.
    card = await press(sen_bot, {**save, "body": "{{ school_name.__class__.__mro__ }}"})
    assert texts.LETTER_TEMPLATE_SYNTAX.split("{")[0] in card_texts(card)
    async with sen_bot.sessions() as s:
        assert (await s.execute(select(LetterTemplate))).first() is None
    mine = "<p>Hello from {{ school_name }} about {{ pupil_first_name }}. Questions: {{ senco_name }}.</p>"
    card = await press(sen_bot, {**save, "body": mine})
    assert texts.LETTER_TEMPLATE_SAVED in card_texts(card)
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    status, pdf, _ = await get(sen_bot, open_url(await make(sen_bot, pupil.id, "plan_summary")))
    assert status == 200 and f"about {pupil.given_name}. Questions:" in pdf_text(pdf)
    # Teachers read letters but don't edit the wording.
    card = await say(sen_bot, "letter template plan_summary", user=act.TEACHER)
    assert texts.LETTER_TEMPLATE_SENCO_ONLY in card_texts(card)
    card = await press(sen_bot, {**save, "body": "x"}, user=act.TEACHER)
    assert texts.LETTER_TEMPLATE_SENCO_ONLY in card_texts(card)
    assert len(await refusals(sen_bot, "letter_template_refused")) == 1
