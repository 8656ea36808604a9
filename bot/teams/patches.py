"""Patches to the SDK's own classes (msrest 0.7.1 under botbuilder 4.17.1), applied by `apply_sdk_patches`.

Why a function and not an import side effect: importing a module of bot/teams leaves the SDK as shipped, so
what the seam changes is stated in one call the seam makes when it is built (docs/design.md, "SDK defects"
5). Both patches give the SDK's own results (tests/unit/test_seam_reuse.py); msrest 0.7.1 is final, so
they cannot drift. Calling it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msrest.serialization import Deserializer, Serializer
from msrest.universal_http.requests import ClientRetryPolicy

# The shipped functions, kept to fall back on (and for the tests to compare against).
ORIGINAL_SERIALIZE_UNICODE: Callable[[Any], Any] = Serializer.serialize_unicode
ORIGINAL_DESERIALIZE_UNICODE: Callable[[Any], Any] = Deserializer.deserialize_unicode


def fast_serialize_unicode(data: Any) -> Any:
    return data if type(data) is str else ORIGINAL_SERIALIZE_UNICODE(data)


def fast_deserialize_unicode(data: Any) -> Any:
    return data if type(data) is str else ORIGINAL_DESERIALIZE_UNICODE(data)


def apply_sdk_patches() -> None:
    # Defect 5: every ClientRetryPolicy tests `i not in safe_codes` over a 500-element list for 999 codes,
    # twice per activity (~17 ms of CPU). A frozenset gives the same retry codes in microseconds.
    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
    # msrest's (de)serializer handles each string through two raised and caught exceptions
    # (`data.value` → AttributeError, then the Python 2 name `unicode` → NameError) before returning
    # `str(data)`. A card is hundreds of strings: ~0.5 ms, 15% of the bot's CPU per `help`. For an exact
    # `str` the result is the string itself; every other type (enums, str subclasses) keeps the original.
    setattr(Serializer, "serialize_unicode", staticmethod(fast_serialize_unicode))  # noqa: B010
    setattr(Deserializer, "deserialize_unicode", staticmethod(fast_deserialize_unicode))  # noqa: B010
