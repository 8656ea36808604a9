"""provisions through real HTTP: SENCO/admin only; add, edit, retire; bad input kept on the form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cards import provisions as prov_cards
from cards import texts
from cards.verbs import Verb
from storage.models import AuditEvent, InterventionSession, ProvisionType
from tests.conftest import BotUnderTest, Clock
from tests.support import activities as act
from tests.support import school
from tests.support.cards import card_texts
from tests.wire.test_log import NOW, inputs, open_form, send, valid_form


@pytest.fixture(autouse=True)
def frozen(clock: Clock) -> Clock:
    clock.at = NOW
    return clock


GOOD = {
    "name": "Colourful semantics",
    "broad_area": "Communication and interaction",
    "default_minutes": "25",
    "default_group_size": "4",
    "hourly": "16.40",
    "per_pupil": "\u00a30.5",
}


async def provision(bot: BotUnderTest, name: str) -> ProvisionType | None:
    async with bot.sessions() as session:
        return (
            await session.execute(select(ProvisionType).where(ProvisionType.name == name))
        ).scalar_one_or_none()


async def test_the_senco_lists_the_catalogue_with_rates(bot: BotUnderTest) -> None:
    await bot.post(act.message("provisions", bot.service_url))
    body = card_texts(bot.connector.messages()[-1].cards[0])
    assert "Lego therapy" in body and "\u00a315.00/hour" in body and "\u00a31.00 per pupil" in body


@pytest.mark.parametrize("user", [act.TEACHER, act.TA, act.HEAD])
async def test_others_may_not_see_or_change_the_catalogue(bot: BotUnderTest, user: act.User) -> None:
    await bot.post(act.message("provisions", bot.service_url, user=user))
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.NOT_ALLOWED
    await send(bot, {"verb": Verb.PROVISION_SAVE.value, **GOOD}, user=user)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.NOT_ALLOWED
    assert await provision(bot, GOOD["name"]) is None


async def test_add_a_provision_then_it_is_offered_on_the_log_card(bot: BotUnderTest) -> None:
    await send(bot, {"verb": Verb.PROVISION_NEW.value}, user=act.SENCO)
    assert set(inputs(bot.connector.messages()[-1].cards[0])) == set(prov_cards.FIELDS)
    await send(bot, {"verb": Verb.PROVISION_SAVE.value, **GOOD}, user=act.SENCO)
    assert bot.connector.messages()[-2].text == texts.PROVISIONS_SAVED.format(name=GOOD["name"])
    row = await provision(bot, GOOD["name"])
    assert row is not None
    assert (
        row.default_minutes,
        row.default_group_size,
        row.staff_hourly_cost_pence,
        row.per_pupil_cost_pence,
    ) == (
        25,
        4,
        1640,
        50,
    )
    offered = [c["title"] for c in inputs(await open_form(bot))["provision"]["choices"]]
    assert "Colourful semantics (25 min, groups of 4)" in offered
    async with bot.sessions() as session:
        assert await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "provision_added")
        )


async def test_edit_changes_rates_for_new_sessions_only(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, value)
    maths = await school.provision_id(bot.sessions, "Maths intervention")
    await send(bot, {"verb": Verb.PROVISION_EDIT.value, "provision": maths}, user=act.SENCO)
    form = bot.connector.messages()[-1].cards[0]
    assert inputs(form)["hourly"]["value"] == "15.50"
    edited = {k: v["value"] for k, v in inputs(form).items()} | {"hourly": "20"}
    await send(bot, {"verb": Verb.PROVISION_SAVE.value, "provision": maths, **edited}, user=act.SENCO)
    row = await provision(bot, "Maths intervention")
    assert row is not None and row.staff_hourly_cost_pence == 2000
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.staff_hourly_cost_pence)) == 1550


async def test_retire_keeps_past_sessions_and_removes_it_from_the_log_card(bot: BotUnderTest) -> None:
    await send(bot, await valid_form(bot))
    maths = await school.provision_id(bot.sessions, "Maths intervention")
    await send(bot, {"verb": Verb.PROVISION_RETIRE.value, "provision": maths}, user=act.SENCO)
    assert bot.connector.messages()[-2].text == texts.PROVISIONS_RETIRED_DONE.format(
        name="Maths intervention"
    )
    assert texts.PROVISIONS_RETIRED in card_texts(bot.connector.messages()[-1].cards[0])
    offered = [c["value"] for c in inputs(await open_form(bot))["provision"]["choices"]]
    assert str(maths) not in offered
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.provision_type_id)) == maths
    await send(bot, {"verb": Verb.PROVISION_RETIRE.value, "provision": maths}, user=act.SENCO)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.PROVISIONS_UNKNOWN


BAD: dict[str, tuple[str, Any, str]] = {
    "name missing": ("name", "  ", texts.ERR_NAME_MISSING),
    "name too long": ("name", "n" * 121, texts.ERR_NAME_TOO_LONG.format(max=120)),
    "name taken": ("name", "lego THERAPY", texts.ERR_NAME_TAKEN),
    "name a list": ("name", ["x"], texts.ERR_FIELD_WRONG_TYPE),
    "area too long": ("broad_area", "a" * 81, texts.ERR_AREA_TOO_LONG.format(max=80)),
    "minutes zero": ("default_minutes", "0", texts.ERR_MINUTES),
    "minutes 601": ("default_minutes", "601", texts.ERR_MINUTES),
    "group 31": ("default_group_size", "31", texts.ERR_GROUP),
    "group text": ("default_group_size", "four", texts.ERR_GROUP),
    "hourly negative": ("hourly", "-1", texts.ERR_MONEY),
    "hourly three decimals": ("hourly", "15.555", texts.ERR_MONEY),
    "hourly huge": ("hourly", "5000", texts.ERR_MONEY),
    "per pupil a number": ("per_pupil", 5, texts.ERR_FIELD_WRONG_TYPE),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_input_comes_back_on_the_field_and_nothing_is_saved(bot: BotUnderTest, case: str) -> None:
    field, bad, message = BAD[case]
    await send(bot, {"verb": Verb.PROVISION_SAVE.value, **GOOD, field: bad}, user=act.SENCO)
    card = bot.connector.replaced_card()
    assert inputs(card)[field]["errorMessage"] == message
    if field != "name":
        assert inputs(card)["name"]["value"] == GOOD["name"]
        assert await provision(bot, GOOD["name"]) is None
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProvisionType)) == 8


@pytest.mark.parametrize("ref", [None, "\u00b3", [3], 10**12, 999999])
async def test_edit_or_save_of_an_unknown_provision_changes_nothing(bot: BotUnderTest, ref: Any) -> None:
    await send(bot, {"verb": Verb.PROVISION_EDIT.value, "provision": ref}, user=act.SENCO)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.PROVISIONS_UNKNOWN
    await send(bot, {"verb": Verb.PROVISION_SAVE.value, "provision": ref, **GOOD}, user=act.SENCO)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.PROVISIONS_UNKNOWN
    assert await provision(bot, GOOD["name"]) is None
