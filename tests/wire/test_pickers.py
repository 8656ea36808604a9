"""Pupils offered in choices, over real HTTP: two pupils of the same name and year are told apart.

The demo school has two "Yusuf Begum" in Reception, in the same class: every picker names them with their
class and date of birth (never the UPN), and any other pupil by name and year alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cards.common import birthday
from cards.forms import MAX_STATIC_PUPILS
from storage.models import AuditEvent, ClassPupil, Pupil, SchoolClass
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


# -- type-ahead search (Data.Query) -------------------------------------------------------------------

SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"


async def search(bot: BotUnderTest, text: Any, **kw: Any) -> list[dict[str, str]]:
    status, body = await bot.post(act.search(text, bot.service_url, **kw))
    assert status == 200 and body["type"] == SEARCH_RESPONSE
    results: list[dict[str, str]] = body["value"]["results"]
    assert bot.connector.messages() == []  # answered in the invoke response, nothing posted to the chat
    return results


async def listed(bot: BotUnderTest) -> list[tuple[str | None, int | None]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(AuditEvent.entity, AuditEvent.pupil_id)
            .where(AuditEvent.action == "pupil_listed")
            .order_by(AuditEvent.id)
        )
        return [(r[0], r[1]) for r in rows]


def pupil_input(card: dict[str, Any], input_id: str) -> dict[str, Any]:
    [choice_set] = [b for b in card["body"] if b.get("id") == input_id]
    return choice_set


async def test_a_large_caseload_searches_as_you_type_with_a_static_fallback(bot: BotUnderTest) -> None:
    whole_school = await last_card(bot, "log", act.SENCO)  # 196 pupils
    for field in ("pupils", "absent"):
        picker = pupil_input(whole_school, field)
        assert picker["choices.data"] == {"type": "Data.Query", "dataset": "pupils"}
        assert len(picker["choices"]) == MAX_STATIC_PUPILS
    referral = await last_card(bot, "refer", act.SENCO)
    assert pupil_input(referral, "pupil")["choices.data"]["dataset"] == "pupils"
    assert len(pupil_input(referral, "pupil")["choices"]) == MAX_STATIC_PUPILS

    one_class = await last_card(bot, "log", RECEPTION_TEACHER)  # 28 pupils: all listed, no search
    assert "choices.data" not in pupil_input(one_class, "pupils")
    assert len(pupil_input(one_class, "pupils")["choices"]) == 28
    assert "choices.data" not in pupil_input(await last_card(bot, "refer", RECEPTION_TEACHER), "pupil")


async def test_a_pupil_chosen_beyond_the_fallback_stays_listed(bot: BotUnderTest) -> None:
    async with bot.sessions.begin() as session:
        last = await session.scalar(select(Pupil).where(Pupil.year_group == 6).order_by(Pupil.id.desc()))
        assert last is not None
        last.given_name, last.family_name = "Zebedee", "Quill"
    form = await last_card(bot, "refer zebedee quill", act.SENCO)
    picker = pupil_input(form, "pupil")
    assert picker["value"] == str(last.id)
    assert [c["value"] for c in picker["choices"]][-1] == str(last.id)
    assert len(picker["choices"]) == MAX_STATIC_PUPILS + 1


async def test_the_search_answers_matches_in_scope_named_as_every_picker_names_them(
    bot: BotUnderTest,
) -> None:
    first, second = await yusufs(bot)
    results = await search(bot, "yusuf beg")
    assert results == [
        {"title": expected(first), "value": str(first.id)},
        {"title": expected(second), "value": str(second.id)},
    ]
    assert await listed(bot) == [("pupil_search", first.id), ("pupil_search", second.id)]
    assert first.mis_id not in str(results)

    # Names that start with the text come first; never more than Teams shows (15).
    many = await search(bot, "a", top=50)
    assert len(many) == 15
    starts = [
        r["title"].lower().startswith("a") or " a" in r["title"].lower().split("\u00b7")[0] for r in many
    ]
    assert starts == sorted(starts, reverse=True)
    # The next page follows on, without repeating the first.
    page_two = await search(bot, "a", skip=15)
    assert {r["value"] for r in page_two}.isdisjoint({r["value"] for r in many})


async def test_the_search_never_leaves_the_persons_scope(bot: BotUnderTest) -> None:
    first, second = await yusufs(bot)
    assert len(await search(bot, "Yusuf Begum", user=RECEPTION_TEACHER)) == 2
    # A Year 4 teacher does not teach Reception: nothing, not an error.
    assert await search(bot, "Yusuf Begum", user=act.User(*_year4())) == []
    async with bot.sessions() as session:
        year4 = set(
            (
                await session.execute(
                    select(ClassPupil.pupil_id)
                    .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
                    .where(SchoolClass.name == "Year 4 Falcons")
                )
            ).scalars()
        )
    found = await search(bot, "e", user=act.User(*_year4()), top=15)
    assert found and {int(r["value"]) for r in found} <= year4


def _year4() -> tuple[str, str]:
    return ("00000000-0000-0000-0000-0000000000022", "Adele Vance")


@pytest.mark.parametrize(
    ("text", "kw"),
    [
        ("yusuf", {"dataset": "staff"}),  # a dataset nobody answers
        ("yusuf", {"dataset": None}),
        ("yusuf", {"user": act.STRANGER}),  # not in the directory
        ("yusuf", {"conversation_type": "groupChat"}),  # pupil names stay in the 1:1 chat
        (None, {}),
        ({"x": 1}, {}),
        ("", {}),
        ("   ", {}),
        ("%", {}),
        ("yusuf", {"top": "lots", "skip": -5}),
    ],
)
async def test_odd_or_refused_searches_get_an_empty_answer(
    bot: BotUnderTest, text: Any, kw: dict[str, Any]
) -> None:
    results = await search(bot, text, **kw)
    if kw.get("top") == "lots":
        # Odd paging is read as the first page of the usual size.
        assert [r["title"] for r in results][:1] and all("Yusuf" in r["title"] for r in results)
        return
    assert results == []
    assert await listed(bot) == []


async def test_a_search_from_another_tenant_is_refused_at_the_door(bot: BotUnderTest) -> None:
    status, _ = await bot.post(
        act.search("yusuf", bot.service_url, tenant="11111111-2222-3333-4444-555555555555")
    )
    assert status == 403
    assert await listed(bot) == []
