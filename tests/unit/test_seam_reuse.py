"""The seam's performance work-arounds (bot/teams/) keep the SDK's results identical."""

from __future__ import annotations

import enum
import subprocess
import sys
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.serialization import Deserializer, Serializer

from bot.teams import adapter, patches
from bot.teams.connector import activity_json
from cards.help import CommandLine, help_card


class Colour(enum.Enum):
    RED = "red"


class Kind(enum.StrEnum):
    MESSAGE = "message"


def test_fast_string_serialization_gives_what_msrest_gave() -> None:
    patches.apply_sdk_patches()
    original_ser = patches.ORIGINAL_SERIALIZE_UNICODE
    original_de = patches.ORIGINAL_DESERIALIZE_UNICODE
    assert Serializer.serialize_unicode is patches.fast_serialize_unicode
    assert Deserializer.deserialize_unicode is patches.fast_deserialize_unicode
    for value in ["", "help", "é ✓ 😀", Kind.MESSAGE, Colour.RED, 42, None]:
        assert Serializer.serialize_unicode(value) == original_ser(value)
        assert type(Serializer.serialize_unicode(value)) is type(original_ser(value))
        assert Deserializer.deserialize_unicode(value) == original_de(value)
        assert type(Deserializer.deserialize_unicode(value)) is type(original_de(value))


class CountingFactory:
    def __init__(self) -> None:
        self.created: list[tuple[str, str | None]] = []

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        self.created.append((service_url, audience))
        return object()


async def test_connector_clients_are_reused_per_service_url_and_bounded() -> None:
    inner = CountingFactory()
    reused = adapter._ReusedConnectorFactory(limit=2)
    assert not reused.bound
    reused.bind(inner)
    first = await reused.create("https://smba.example/uk/", "aud")
    assert await reused.create("https://smba.example/uk/", "aud") is first
    other = await reused.create("https://smba.example/emea/", "aud")
    assert other is not first
    assert await reused.create("https://smba.example/uk/", "other-aud") is not first
    # Limit 2: the least recently used (uk/aud was used before emea) is built again.
    assert await reused.create("https://smba.example/uk/", "aud") is not first
    assert len(inner.created) == 4


_json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
_json = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(cards=st.lists(st.dictionaries(st.text(max_size=8), _json, max_size=6), max_size=3), text=st.text())
def test_reply_json_equals_the_sdk_serialisation(cards: list[dict[str, Any]], text: str) -> None:
    activity = MessageFactory.carousel([CardFactory.adaptive_card(card) for card in cards], text=text)
    activity.reply_to_id = "1:abc"
    expected = activity.serialize()
    assert activity_json(activity) == expected
    # The activity is left as it was (its cards are put back after the envelope is serialised).
    assert [a.content for a in activity.attachments] == cards


def test_reply_json_of_the_help_card_equals_the_sdk_serialisation() -> None:
    lines = [CommandLine(usage=f"word{i} <name>", summary=f"What word {i} does") for i in range(20)]
    activity = MessageFactory.attachment(CardFactory.adaptive_card(help_card(lines, can_log=True)))
    assert activity_json(activity) == activity.serialize()


# In a fresh interpreter: importing the whole seam patches nothing; building a seam applies both patches.
_PATCHES_ON_BUILD_ONLY = """
from msrest.serialization import Serializer
from msrest.universal_http.requests import ClientRetryPolicy
from bot.settings import Settings
from bot.teams import patches, seam
assert Serializer.serialize_unicode is not patches.fast_serialize_unicode
assert not isinstance(ClientRetryPolicy.safe_codes, frozenset)
codes = set(ClientRetryPolicy.safe_codes)
seam.TeamsSeam(Settings(database_url="sqlite+aiosqlite://"), None, None)
assert Serializer.serialize_unicode is patches.fast_serialize_unicode
assert ClientRetryPolicy.safe_codes == frozenset(codes)
print("ok")
"""


def test_sdk_patches_are_applied_when_the_seam_is_built_not_on_import() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PATCHES_ON_BUILD_ONLY],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
