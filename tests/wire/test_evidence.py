"""Evidence packs through real HTTP: made by the SENCO (or the head, without money), delivered as a PDF
and as JSON behind the letters' signed links, figures equal to the provision map's, audited, refused
outside the roles and the school."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from urllib.parse import urlparse

import pypdf
import pypdfium2
from PIL import Image
from sqlalchemy import select

from cards import texts
from cards.verbs import Verb
from storage.models import Attendance, InterventionSession, ProvisionType, Pupil, School, Staff
from storage.queries import provision_map
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.reminders import add_referral
from tests.support.sen import (  # noqa: F401  (sen_bot_fixture is a fixture)
    NOW,
    TODAY,
    audited,
    card_texts,
    draft_plan,
    foreign_pupil,
    press,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
)


def open_urls(card: dict[str, Any]) -> list[str]:
    return [str(a["url"]) for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]


async def get(bot: BotUnderTest, url: str) -> tuple[int, bytes, dict[str, str]]:
    async with bot.http.get(bot.url + urlparse(url).path) as response:
        return response.status, await response.read(), dict(response.headers)


async def add_sessions(bot: BotUnderTest, pupil_id: int) -> None:
    """Sessions this financial year (present and absent), one last year and one undone: only this
    year's live ones count."""
    async with bot.sessions.begin() as s:
        school_id = await s.scalar(select(School.id).where(School.urn.is_not(None)).order_by(School.id))
        provisions = (await s.execute(select(ProvisionType.id).order_by(ProvisionType.id).limit(2))).scalars()
        p1, p2 = list(provisions)
        staff_id = await s.scalar(select(Staff.id).order_by(Staff.id))
        rows = [
            (p1, dt.date(2026, 4, 1), 30, True, 1250, None),
            (p1, dt.date(2026, 9, 14), 30, True, 1250, None),
            (p2, dt.date(2026, 10, 5), 45, False, 800, None),
            (p2, dt.date(2026, 11, 20), 45, True, 800, None),
            (p1, dt.date(2026, 3, 31), 30, True, 99_999, None),  # last financial year
            (p1, dt.date(2026, 11, 2), 30, True, 77_777, NOW),  # undone
        ]
        for n, (prov, held, minutes, present, cost, undone) in enumerate(rows):
            session = InterventionSession(
                school_id=school_id,
                provision_type_id=prov,
                held_on=held,
                minutes=minutes,
                staff_id=staff_id,
                idempotency_key=f"ev-{pupil_id}-{n}",
                staff_hourly_cost_pence=2500,
                per_pupil_cost_pence=0,
                undone_at=undone,
                created_at=NOW,
            )
            s.add(session)
            await s.flush()
            s.add(Attendance(session_id=session.id, pupil_id=pupil_id, present=present, cost_pence=cost))


async def pack_card(bot: BotUnderTest, pupil_id: int, user: act.User = act.SENCO) -> dict[str, Any]:
    return await press(bot, {"verb": Verb.EVIDENCE_MAKE.value, "pupil_id": pupil_id}, user=user)


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def test_the_pack_pdf_and_json_say_the_same_as_the_detail_queries(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    await draft_plan(sen_bot, pupil.id, pupil_views="I like the quiet room", parent_views="Reads at home")
    await add_sessions(sen_bot, pupil.id)
    async with sen_bot.sessions() as s:
        staff_id = await s.scalar(select(Staff.id).order_by(Staff.id))
        school_id = await s.scalar(select(Pupil.school_id).where(Pupil.id == pupil.id))
    assert staff_id is not None and school_id is not None
    await add_referral(
        sen_bot.sessions, pupil.id, staff_id, status="report_received", updated_at=NOW, key="r" * 32
    )

    card = await say(sen_bot, f"evidence {pupil.given_name} {pupil.family_name}")
    if texts.PUPIL_WHICH.format(text=f"{pupil.given_name} {pupil.family_name}") in card_texts(card):
        card = await pack_card(sen_bot, pupil.id)
    assert texts.EVIDENCE_READY_TITLE.format(pupil=f"{pupil.given_name} {pupil.family_name}") in card_texts(
        card
    )
    pdf_url, json_url = open_urls(card)
    [made] = await audited(sen_bot, "evidence_made")
    assert made.pupil_id == pupil.id

    status, body, headers = await get(sen_bot, json_url)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    async with sen_bot.sessions() as s:
        [line] = [
            p
            for p in await provision_map.per_pupil(
                s, school_id, provision_map.financial_year_start(TODAY), TODAY
            )
            if p.pupil_id == pupil.id
        ]
    assert data["cost"]["cost_pence"] == line.year_to_date_pence == 1250 + 1250 + 800 + 800
    assert data["provision"]["sessions"] == line.sessions == 3
    assert data["provision"]["attended_minutes"] == line.attended_minutes == 105
    assert data["cost"]["threshold_pence"] == line.threshold_pence
    assert [p["parent_views"] for p in data["plans"]] == ["Reads at home"]
    assert data["plans"][0]["pupil_views"] == "I like the quiet room"
    assert [r["service"] for r in data["referrals"]] and data["referrals"][0]["status"] == "report_received"
    assert data["register"][0]["status"] == "K"

    status, pdf, headers = await get(sen_bot, pdf_url)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf)
    assert f"Evidence pack: {pupil.given_name} {pupil.family_name}" in text
    assert "Cost this financial year: \u00a341.00" in text
    assert "3 sessions attended, 1.8 hours" in text and "Reads at home" in text
    # Rendered to an image, as a person would see it: a real page with ink on it.
    document = pypdfium2.PdfDocument(pdf)
    image: Image.Image = document[0].render(scale=1).to_pil()
    assert image.width > 500 and image.height > 700
    dark = sum(image.convert("L").histogram()[:128])
    assert dark > 2000
    image.save(io.BytesIO(), format="PNG")
    downloads = await audited(sen_bot, "evidence_downloaded")
    assert sorted(e.entity_id for e in downloads) == ["evidence", "evidence_json"]
    assert {e.pupil_id for e in downloads} == {pupil.id}


async def test_the_head_opens_a_pack_without_money(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "E")
    await add_sessions(sen_bot, pupil.id)
    card = await pack_card(sen_bot, pupil.id, user=act.HEAD)
    pdf_url, json_url = open_urls(card)
    assert texts.EVIDENCE_START_EHCNA not in card_texts(card)
    status, body, _ = await get(sen_bot, json_url)
    data = json.loads(body)
    assert status == 200 and data["cost"] is None and data["provision"]["sessions"] == 3
    assert all("cost_pence" not in line for line in data["provision"]["lines"])
    assert data["ehc_plans"], "a demo E pupil has its plan on record"
    status, pdf, _ = await get(sen_bot, pdf_url)
    assert status == 200 and "\u00a3" not in pdf_text(pdf)


async def test_teachers_and_other_schools_are_refused(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    card = await pack_card(sen_bot, pupil.id, user=act.TEACHER)
    assert texts.NOT_ALLOWED in card_texts(card)
    assert [e.entity_id for e in await refusals(sen_bot, "route_refused")] == [Verb.EVIDENCE_MAKE.value]
    other = await foreign_pupil(sen_bot)
    card = await pack_card(sen_bot, other)
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert len(await refusals(sen_bot, "evidence_make")) == 1
    assert not await audited(sen_bot, "evidence_made")


async def test_a_link_is_refused_once_its_holder_lost_the_role(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    card = await pack_card(sen_bot, pupil.id, user=act.HEAD)
    pdf_url, _ = open_urls(card)
    from storage.models import StaffRole

    async with sen_bot.sessions.begin() as s:
        head = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.HEAD.aad_object_id))
        for role in (await s.execute(select(StaffRole).where(StaffRole.staff_id == head))).scalars():
            if role.role == "head":
                await s.delete(role)
    status, body, _ = await get(sen_bot, pdf_url)
    assert status == 403 and not body
    assert len(await refusals(sen_bot, "evidence_download_refused")) == 1
    status, _, _ = await get(sen_bot, pdf_url[:-3] + "xyz")
    assert status == 403


async def test_a_pack_in_a_team_channel_is_refused(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    status, _ = await sen_bot.post(
        act.message(f"evidence {pupil.given_name}", sen_bot.service_url, conversation_type="channel")
    )
    assert status == 201
    assert texts.PERSONAL_ONLY.format(command="evidence") in card_texts(sen_bot.connector.sent[-1].cards[0])
    assert not await audited(sen_bot, "evidence_made")
