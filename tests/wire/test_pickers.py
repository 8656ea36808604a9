"""Pupils offered in choices, over real HTTP: two pupils of the same name and year are told apart.

The demo school has two "Yusuf Begum" in Reception, in the same class: every picker names them with their
class and date of birth (never the UPN), and any other pupil by name and year alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cards.common import birthday
from storage.models import Pupil
from tests.conftest import BotUnderTest
from tests.support import activities as act

RECEPTION_TEACHER = act.User("d0000000-0000-4000-8000-000000000002", "Tom Hughes")


async def yusufs(bot: BotUnderTest) -> list[Pupil]:
    async with bot.sessions() as session:
        found = await session.execute(
            select(Pupil).where(Pupil.given_name == "Yusuf", Pupil.family_name == "Begum").order_by(Pupil.id)
        )
        rows = list(found.scalars())
    assert len(rows) == 2 and rows[0].year_group == rows[1].year_group == 0
    assert rows[0].date_of_birth != rows[1].date_of_birth
    return rows


def expected(p: Pupil) -> str:
    return f"Yusuf Begum \u00b7 Reception \u00b7 Reception Robins \u00b7 born {birthday(p.date_of_birth)}"


async def last_card(bot: BotUnderTest, text: str, user: act.User = act.SENCO) -> dict[str, Any]:
    status, _ = await bot.post(act.message(text, bot.service_url, user=user))
    assert status == 201
    return bot.connector.messages()[-1].cards[0]


def choice_titles(card: dict[str, Any], input_id: str) -> dict[str, str]:
    [choice_set] = [b for b in card["body"] if b.get("id") == input_id]
    return {c["value"]: c["title"] for c in choice_set["choices"]}


def button_titles(card: dict[str, Any], key: str) -> dict[str, str]:
    actions = list(card.get("actions") or [])
    for block in card["body"]:
        actions += block.get("actions") or []
    return {str(a["data"][key]): a["title"] for a in actions}


@pytest.mark.parametrize("user", [act.SENCO, RECEPTION_TEACHER], ids=["senco", "teacher"])
async def test_the_log_form_tells_the_two_yusufs_apart(bot: BotUnderTest, user: act.User) -> None:
    first, second = await yusufs(bot)
    form = await last_card(bot, "log", user)
    for field in ("pupils", "absent"):
        titles = choice_titles(form, field)
        assert titles[str(first.id)] == expected(first)
        assert titles[str(second.id)] == expected(second)
        assert first.mis_id not in str(form) and second.mis_id not in str(form)
        # A pupil whose name and year nobody else shares is named by those alone.
        unique = [t for t in titles.values() if t.startswith("Yusuf ") and "Begum" not in t]
        assert unique and all(t.count("\u00b7") == 1 for t in unique)


async def test_the_referral_form_tells_the_two_yusufs_apart(bot: BotUnderTest) -> None:
    first, second = await yusufs(bot)
    form = await last_card(bot, "refer", RECEPTION_TEACHER)
    titles = choice_titles(form, "pupil")
    assert (titles[str(first.id)], titles[str(second.id)]) == (expected(first), expected(second))


@pytest.mark.parametrize("command", ["plan", "review", "register", "concern", "letter", "contacts"])
async def test_a_typed_name_matching_both_offers_both_apart(bot: BotUnderTest, command: str) -> None:
    first, second = await yusufs(bot)
    picker = await last_card(bot, f"{command} Yusuf Begum")
    assert picker["body"][0]["text"].startswith("More than one pupil matches")
    assert button_titles(picker, "pupil_id") == {
        str(first.id): expected(first),
        str(second.id): expected(second),
    }


async def test_the_pupil_search_list_tells_them_apart(bot: BotUnderTest) -> None:
    first, second = await yusufs(bot)
    picker = await last_card(bot, "pupil Yusuf Begum")
    titles = button_titles(picker, "pupil")
    assert titles[str(first.id)].startswith(expected(first) + " \u00b7 ")
    assert titles[str(second.id)].startswith(expected(second) + " \u00b7 ")
