"""Parent contacts through real HTTP: the SENCO adds, edits and removes; bad input, scope and roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cards import texts
from cards.verbs import Verb
from storage.models import ParentContact
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.sen import (  # noqa: F401  (sen_bot_fixture is a fixture)
    actions,
    audited,
    card_texts,
    foreign_pupil,
    inputs,
    press,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
)


async def contacts_of(bot: BotUnderTest, pupil_id: int) -> list[ParentContact]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(ParentContact).where(ParentContact.pupil_id == pupil_id).order_by(ParentContact.id)
        )
        return list(rows.scalars())


async def open_form(bot: BotUnderTest, pupil_id: int, contact_id: int = 0) -> dict[str, Any]:
    card = await press(
        bot, {"verb": Verb.CONTACTS_SHOW.value, "pupil_id": pupil_id, "contact_id": contact_id}
    )
    [save] = actions(card, Verb.CONTACT_SAVE.value)
    return {**inputs(card), **save}


async def add_contact(bot: BotUnderTest, pupil_id: int, **values: Any) -> dict[str, Any]:
    form = await open_form(bot, pupil_id)
    base = {"name": "Sara Khan", "relationship": "Mother", "email": "sara.khan@example.org", "phone": ""}
    return await press(bot, {**form, **base, **values})


async def test_senco_adds_edits_and_removes_a_contact(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    card = await say(sen_bot, f"contacts {pupil.display_name}")
    if texts.PUPIL_WHICH.format(text=pupil.display_name) in card_texts(card):
        card = await press(sen_bot, {"verb": Verb.CONTACTS_SHOW.value, "pupil_id": pupil.id})
    assert texts.CONTACTS_NONE in card_texts(card)
    card = await add_contact(sen_bot, pupil.id, email="  Sara.Khan@Example.org ")
    assert texts.CONTACT_SAVED in card_texts(card) and "Sara Khan" in card_texts(card)
    [c] = await contacts_of(sen_bot, pupil.id)
    assert (c.email, c.preferred) == ("Sara.Khan@example.org", True)
    form = await open_form(sen_bot, pupil.id, c.id)
    assert form["name"] == "Sara Khan"
    await press(sen_bot, {**form, "phone": "+44 (0)1632 960000"})
    [c] = await contacts_of(sen_bot, pupil.id)
    assert c.phone == "+44 (0)1632 960000"
    card = await press(sen_bot, {"verb": Verb.CONTACT_REMOVE.value, "pupil_id": pupil.id, "contact_id": c.id})
    assert texts.CONTACT_REMOVED in card_texts(card)
    assert await contacts_of(sen_bot, pupil.id) == []
    # Replayed removal: nothing to remove.
    card = await press(sen_bot, {"verb": Verb.CONTACT_REMOVE.value, "pupil_id": pupil.id, "contact_id": c.id})
    assert texts.CONTACT_UNKNOWN in card_texts(card)
    assert len(await audited(sen_bot, "parent_contact_saved")) == 2
    assert [e.pupil_id for e in await audited(sen_bot, "parent_contact_removed")] == [pupil.id]


async def test_bad_input_comes_back_on_the_field_and_writes_nothing(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    cases = [
        ({"email": "not-an-email"}, texts.CONTACT_EMAIL_BAD.split("{")[0]),
        ({"email": "a@b"}, texts.CONTACT_EMAIL_BAD.split("{")[0]),
        ({"name": ""}, texts.CONTACT_NAME_REQUIRED),
        ({"relationship": ""}, texts.CONTACT_RELATIONSHIP_REQUIRED),
        ({"phone": "call me maybe"}, texts.CONTACT_PHONE_BAD),
        ({"name": "x" * 5000}, texts.TOO_LONG.format(limit=200)),
        ({"email": ["a@b.org"]}, texts.BAD_CARD),
        ({"preferred": "maybe"}, texts.BAD_CARD),
    ]
    for values, message in cases:
        card = await add_contact(sen_bot, pupil.id, **values)
        assert message in card_texts(card), values
        assert actions(card, Verb.CONTACT_SAVE.value)
    assert await contacts_of(sen_bot, pupil.id) == []
    # Someone else's contact id under this pupil: not found, nothing changed.
    other = await pupil_with_status(sen_bot, "E")
    await add_contact(sen_bot, other.id)
    [theirs] = await contacts_of(sen_bot, other.id)
    form = await open_form(sen_bot, pupil.id)
    card = await press(
        sen_bot, {**form, "contact_id": theirs.id, "name": "X", "relationship": "Y", "email": ""}
    )
    assert texts.CONTACT_UNKNOWN in card_texts(card)
    assert (await contacts_of(sen_bot, other.id))[0].name == "Sara Khan"
    card = await press(sen_bot, {**form, "contact_id": "abc"})
    assert texts.BAD_CARD in card_texts(card)


async def test_only_the_senco_and_only_in_scope(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    card = await say(sen_bot, f"contacts {pupil.display_name}", user=act.TEACHER)
    assert texts.NOT_ALLOWED in card_texts(card)
    stranger = await foreign_pupil(sen_bot)
    card = await press(
        sen_bot,
        {
            "verb": Verb.CONTACT_SAVE.value,
            "pupil_id": stranger,
            "contact_id": 0,
            "name": "A",
            "relationship": "B",
        },
    )
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert await contacts_of(sen_bot, stranger) == []
    assert [e.entity_id for e in await refusals(sen_bot, "parent_contact_save")] == [str(stranger)]
