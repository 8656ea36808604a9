"""The SEN register through real HTTP: listing, paging, every census rule, history, scope, replay."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from cards import texts
from cards.register import NO_NEED
from cards.verbs import Verb
from storage.models import RegisterEntry
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.cards import card_texts
from tests.support.sen import (  # noqa: F401  (sen_bot is a fixture)
    TODAY,
    actions,
    audited,
    foreign_pupil,
    inputs,
    press,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
    with_ehc_plan,
)


async def entries(bot: BotUnderTest, pupil_id: int) -> list[RegisterEntry]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(RegisterEntry).where(RegisterEntry.pupil_id == pupil_id).order_by(RegisterEntry.id)
        )
        return list(rows.scalars())


async def change_form(bot: BotUnderTest, pupil_id: int) -> dict:
    card = await press(bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil_id})
    [save] = actions(card, Verb.REGISTER_SAVE.value)[:1]
    return {**inputs(card), **save}


async def test_register_lists_k_and_e_by_need_with_counts_and_pages(sen_bot: BotUnderTest) -> None:
    card = await say(sen_bot, "register")
    body = card_texts(card)
    # The demo school has 40 pupils on the register: 33 K and 7 E.
    assert texts.REGISTER_COUNTS.format(total=40, k=33, e=7) in body
    assert "Specific learning difficulty" in body and "Autistic spectrum disorder" in body
    assert texts.REGISTER_PAGE.format(page=1, pages=2) in body
    assert len(actions(card, Verb.REGISTER_PUPIL.value)) == 25
    assert len(json.dumps(card).encode("utf-16-le")) < 80_000
    [nxt] = actions(card, Verb.REGISTER_PAGE.value)
    page2 = await press(sen_bot, nxt)
    assert texts.REGISTER_PAGE.format(page=2, pages=2) in card_texts(page2)
    assert len(actions(page2, Verb.REGISTER_PUPIL.value)) == 15
    ids1 = {a["pupil_id"] for a in actions(card, Verb.REGISTER_PUPIL.value)}
    ids2 = {a["pupil_id"] for a in actions(page2, Verb.REGISTER_PUPIL.value)}
    assert not ids1 & ids2
    [prev] = actions(page2, Verb.REGISTER_PAGE.value)
    assert prev["page"] == 1
    assert len(await audited(sen_bot, "register_listed")) == 2


async def test_head_reads_the_register_but_cannot_change_it(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    card = await say(sen_bot, "register", user=act.HEAD)
    assert texts.REGISTER_TITLE in card_texts(card)
    card = await press(sen_bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil.id}, user=act.HEAD)
    assert texts.REGISTER_READ_ONLY in card_texts(card)
    assert not actions(card, Verb.REGISTER_SAVE.value)
    forged = {
        "verb": Verb.REGISTER_SAVE.value,
        "pupil_id": pupil.id,
        "entry_id": 1,
        "submission": "a" * 32,
        "status": "E",
        "need1": "ASD",
        "reason": "x",
    }
    card = await press(sen_bot, forged, user=act.HEAD)
    assert texts.NOT_ALLOWED in card_texts(card)
    assert len(await entries(sen_bot, pupil.id)) == 1


@pytest.mark.parametrize("user", [act.TEACHER, act.TA])
async def test_teachers_and_tas_are_refused_and_audited(sen_bot: BotUnderTest, user: act.User) -> None:
    card = await say(sen_bot, "register", user=user)
    assert texts.NOT_ALLOWED in card_texts(card)
    [event] = await refusals(sen_bot, "route_refused")
    assert event.entity_id == "register"


async def test_add_change_and_end_keep_history(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, None)
    card = await say(sen_bot, f"register {pupil.given_name} {pupil.family_name}")
    if texts.PUPIL_WHICH.format(text=f"{pupil.given_name} {pupil.family_name}") in card_texts(card):
        card = await press(sen_bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil.id})
    assert texts.REGISTER_NOT_ON in card_texts(card)
    [add] = actions(card, Verb.REGISTER_SAVE.value)
    # The secondary need is left at its default, "(none)".
    assert inputs(card)["need2"] == NO_NEED
    card = await press(sen_bot, {**inputs(card), **add, "status": "K", "need1": "SPLD", "reason": "Assessed"})
    assert texts.REGISTER_SAVED in card_texts(card)
    [first] = await entries(sen_bot, pupil.id)
    assert (first.status, first.need_rank1, first.need_rank2) == ("K", "SPLD", None)
    assert (first.ended_on, first.started_on) == (None, TODAY)

    await with_ehc_plan(sen_bot, pupil.id)
    form = await change_form(sen_bot, pupil.id)
    card = await press(
        sen_bot, {**form, "status": "E", "need1": "SPLD", "need2": "SLCN", "reason": "EHC plan issued"}
    )
    assert texts.REGISTER_SAVED in card_texts(card)
    [end] = actions(card, Verb.REGISTER_SAVE.value)[1:]
    assert end["end"] is True
    card = await press(sen_bot, {**end, "reason": "Good progress"})
    assert texts.REGISTER_NOT_ON in card_texts(card)
    rows = await entries(sen_bot, pupil.id)
    assert [(r.status, r.need_rank1, r.need_rank2) for r in rows] == [
        ("K", "SPLD", None),
        ("E", "SPLD", "SLCN"),
        ("N", None, None),
    ]
    assert [r.ended_on for r in rows] == [TODAY, TODAY, None]
    assert [r.reason for r in rows] == ["Assessed", "EHC plan issued", "Good progress"]
    assert len({r.changed_by for r in rows}) == 1
    assert len(await audited(sen_bot, "register_changed")) == 3

    card = await say(sen_bot, f"register history {pupil.given_name} {pupil.family_name}")
    if texts.PUPIL_WHICH.format(text=f"{pupil.given_name} {pupil.family_name}") in card_texts(card):
        card = await press(sen_bot, {"verb": Verb.REGISTER_HISTORY.value, "pupil_id": pupil.id})
    body = card_texts(card)
    assert "Good progress" in body and "EHC plan issued" in body and "Alex Wilber" in body
    assert [e.pupil_id for e in await audited(sen_bot, "register_history_read")] == [pupil.id]


CENSUS = [
    ({"status": "K", "need1": "", "reason": "r"}, "need1", texts.NEED_REQUIRED),
    ({"status": "E", "need1": "", "reason": "r"}, "need1", texts.NEED_REQUIRED),
    ({"status": "K", "need1": "SPLD", "need2": "SPLD", "reason": "r"}, "need2", texts.NEED_SAME),
    ({"status": "E", "need1": "NSA", "reason": "r"}, "need1", texts.NSA_ONLY_K),
    ({"status": "E", "need1": "ASD", "need2": "NSA", "reason": "r"}, "need2", texts.NSA_ONLY_K),
    ({"status": "K", "need1": "SPLD,MLD", "reason": "r"}, "need2", texts.TOO_MANY_NEEDS),
    (
        {"status": "K", "need1": "SPLD", "need2": "MLD", "need3": "ASD", "reason": "r"},
        "need2",
        texts.TOO_MANY_NEEDS,
    ),
    ({"status": "S", "need1": "SPLD", "reason": "r"}, "status", texts.STATUS_S),
    ({"status": "X", "need1": "SPLD", "reason": "r"}, "status", texts.STATUS_UNKNOWN),
    ({"status": "K", "need1": "DS", "reason": "r"}, "need1", texts.NEED_UNKNOWN),
    ({"status": "K", "need1": "SPLD", "reason": ""}, "reason", texts.REASON_REQUIRED),
    ({"status": "K", "need1": "SPLD", "reason": "x" * 501}, "reason", texts.TOO_LONG.format(limit=500)),
    ({"status": 3, "need1": "SPLD", "reason": "r"}, "status", texts.BAD_CARD),
    ({"status": "K", "need1": ["SPLD"], "reason": "r"}, "need1", texts.BAD_CARD),
]


@pytest.mark.parametrize(("fields", "field", "message"), CENSUS)
async def test_census_rules_are_refused_with_the_message_on_the_field(
    sen_bot: BotUnderTest, fields: dict, field: str, message: str
) -> None:
    pupil = await pupil_with_status(sen_bot, None)
    form = await change_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, "need2": "", **fields})
    body = [b for b in card["body"]]
    ids = [b.get("id") for b in body]
    # The error sits right under its field, and the person's input is kept.
    assert body[ids.index(field) + 1]["text"] == message
    if isinstance(fields.get("reason"), str) and len(fields["reason"]) <= 500:
        assert inputs(card)["reason"] == fields["reason"]
    assert await entries(sen_bot, pupil.id) == []


async def test_retired_need_is_refused(sen_bot: BotUnderTest) -> None:
    from storage.models import NeedType

    async with sen_bot.sessions.begin() as s:
        need = await s.get(NeedType, "MSI")
        assert need is not None
        need.valid_to = TODAY
    pupil = await pupil_with_status(sen_bot, None)
    form = await change_form(sen_bot, pupil.id)
    assert "MSI" not in json.dumps(form)
    card = await press(sen_bot, {**form, "status": "K", "need1": "MSI", "reason": "r"})
    assert texts.NEED_UNKNOWN in card_texts(card)
    assert await entries(sen_bot, pupil.id) == []


async def test_no_change_and_ending_someone_not_on_the_register_are_refused(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    [entry] = await entries(sen_bot, pupil.id)
    form = await change_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, "reason": "same again"})
    assert texts.NO_CHANGE in card_texts(card)
    other = await pupil_with_status(sen_bot, None)
    form = await change_form(sen_bot, other.id)
    card = await press(sen_bot, {**form, "status": "N", "reason": "r"})
    assert texts.NOT_ON_REGISTER in card_texts(card)
    assert await entries(sen_bot, other.id) == []
    assert [e.id for e in await entries(sen_bot, pupil.id)] == [entry.id]


async def test_replayed_and_stale_cards_change_once(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    await with_ehc_plan(sen_bot, pupil.id)
    form = await change_form(sen_bot, pupil.id)
    submitted = {**form, "status": "E", "need1": "ASD", "need2": "", "reason": "EHC plan"}
    assert texts.REGISTER_SAVED in card_texts(await press(sen_bot, submitted))
    # The same card again (double click, Teams retry): recorded once.
    assert texts.REGISTER_ALREADY in card_texts(await press(sen_bot, submitted))
    # The same old card with a fresh key: it was built from an entry that is no longer current.
    card = await press(sen_bot, {**submitted, "submission": "b" * 32, "need1": "SLCN"})
    assert texts.REGISTER_STALE in card_texts(card)
    rows = await entries(sen_bot, pupil.id)
    assert [r.status for r in rows] == ["K", "E"]


@pytest.mark.parametrize(
    "bad",
    [
        {"pupil_id": "abc"},
        {"pupil_id": None},
        {"pupil_id": True},
        {"pupil_id": "9" * 40},
        {"submission": ""},
        {"submission": "x" * 65},
        {"submission": 5},
        {"entry_id": "nope"},
    ],
)
async def test_malformed_card_data_is_refused(sen_bot: BotUnderTest, bad: dict) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    form = await change_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, "status": "E", "need1": "ASD", "reason": "r", **bad})
    assert texts.BAD_CARD in card_texts(card)
    assert len(await entries(sen_bot, pupil.id)) == 1


async def test_out_of_scope_pupil_is_refused_audited_and_nothing_written(sen_bot: BotUnderTest) -> None:
    foreign = await foreign_pupil(sen_bot)
    pupil = await pupil_with_status(sen_bot, "K")
    form = await change_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, "pupil_id": foreign, "status": "K", "need1": "ASD", "reason": "r"})
    assert texts.OUT_OF_SCOPE in card_texts(card)
    [event] = await refusals(sen_bot, "register_change")
    assert event.entity_id == str(foreign)
    card = await press(sen_bot, {"verb": Verb.REGISTER_HISTORY.value, "pupil_id": foreign})
    assert texts.OUT_OF_SCOPE in card_texts(card)
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).where(RegisterEntry.pupil_id == foreign)) == 0


async def test_reads_are_audited_with_ids_only(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "E")
    await press(sen_bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil.id})
    [event] = await audited(sen_bot, "register_read")
    assert (event.pupil_id, event.entity, event.entity_id) == (pupil.id, "pupil", str(pupil.id))


async def test_unknown_and_ambiguous_names(sen_bot: BotUnderTest) -> None:
    card = await say(sen_bot, "register Zzyzx")
    assert texts.PUPIL_NOT_FOUND.format(text="Zzyzx") in card_texts(card)
    card = await say(sen_bot, "register a")
    assert texts.PUPIL_WHICH.format(text="a") in card_texts(card)
    assert actions(card, Verb.REGISTER_PUPIL.value)


async def test_concurrent_double_post_records_once(sen_bot: BotUnderTest) -> None:
    # Four deliveries of one card at once (Teams retries, two replicas): one change, one current entry.
    for status in ("K", None):
        pupil = await pupil_with_status(sen_bot, status)
        await with_ehc_plan(sen_bot, pupil.id)
        form = await change_form(sen_bot, pupil.id)
        submitted = {**form, "status": "E", "need1": "ASD", "need2": "", "reason": "double"}
        results = await asyncio.gather(
            *(sen_bot.post(act.submit(submitted, sen_bot.service_url)) for _ in range(4))
        )
        assert all(code == 201 for code, _ in results)
        rows = await entries(sen_bot, pupil.id)
        assert [r.reason for r in rows].count("double") == 1
        assert sum(r.ended_on is None for r in rows) == 1
