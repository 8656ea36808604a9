"""The Python side of driver.js: a person at their Teams window (their own Agents Playground page)."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class DriverError(AssertionError):
    """What the page did not do (no answer, an input not found, the client's own validation)."""


@dataclass
class Timings:
    """Click (or Send) to the next card, by what was done: the README's figures."""

    seen: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, what: str, ms: int) -> None:
        self.seen[what].append(ms)

    def table(self) -> list[tuple[str, int, int, int]]:
        return sorted((what, len(ms), int(statistics.median(ms)), max(ms)) for what, ms in self.seen.items())

    def write(self, path: Path) -> None:
        rows = [{"action": w, "n": n, "median_ms": m, "max_ms": x} for w, n, m, x in self.table()]
        path.write_text(json.dumps(rows, indent=1) + "\n")


class Driver:
    def __init__(self, argv: list[str], log: Path) -> None:
        self._log = log.open("w")
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1
        )
        self._n = 0
        self.timings = Timings()

    def call(self, cmd: str, **kw: Any) -> Any:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._n += 1
        self._proc.stdin.write(json.dumps({"id": self._n, "cmd": cmd, **kw}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise DriverError(f"the driver stopped (exit {self._proc.poll()}); see {self._log.name}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise DriverError(answer["error"])
        return answer["result"]

    def opened(self) -> list[str]:
        names: list[str] = self.call("opened")
        return names

    def close(self) -> None:
        try:
            self.call("quit")
            self._proc.wait(timeout=20)
        except Exception:
            self._proc.kill()
        self._log.close()


@dataclass(frozen=True)
class Card:
    text: str
    index: int
    ms: int


class Person:
    def __init__(self, driver: Driver, name: str) -> None:
        self.driver = driver
        self.name = name
        self.welcome: str = driver.call("open", user=name)["welcome"]

    def _do(self, cmd: str, **kw: Any) -> Any:
        return self.driver.call(cmd, user=self.name, **kw)

    def _card(self, answer: dict[str, Any], timed: str) -> Card:
        self.driver.timings.add(timed, answer["ms"])
        return Card(answer["text"], answer["index"], answer["ms"])

    def says(self, text: str) -> Card:
        """Types in the compose box and sends; the card the bot answers with."""
        return self._card(self._do("send_text", text=text), f"send `{text.split(maxsplit=1)[0]}`")

    def fill(self, label: str, value: str | int | bool, card: int | None = None) -> str:
        filled: str = self._do("fill", label=label, value=value, card=card)
        return filled

    def pick(self, label: str, *titles: str, card: int | None = None) -> str:
        shown: str = self._do("pick", label=label, values=list(titles), card=card)
        return shown

    def options(self, label: str, typed: str, card: int | None = None) -> list[str]:
        titles: list[str] = self._do("options", label=label, typed=typed, card=card)
        return titles

    def presses(self, title: str, card: int | None = None, timeout: int = 15000) -> Card:
        """Presses a card's button; the card that arrives or changes in answer."""
        return self._card(self._do("click", title=title, card=card, timeout=timeout), f"press {title}")

    def opens(self, title: str, card: int | None = None) -> None:
        """Presses a button that opens more of the card (Action.ShowCard; nothing reaches the bot)."""
        self._do("reveal", title=title, card=card)

    @contextmanager
    def expecting_card(self, what: str, timeout: int = 20000) -> Iterator[list[Card]]:
        """A card sent to this person while the block runs (proactively, from someone else's action)."""
        self._do("mark")
        got: list[Card] = []
        yield got
        got.append(self._card(self._do("wait_card", timeout=timeout), what))

    def card_text(self, card: int | None = None) -> str:
        text: str = self._do("card_text", card=card)
        return text

    def cards(self) -> list[str]:
        texts: list[str] = self._do("cards_text")
        return texts

    def field_errors(self, card: int | None = None) -> dict[str, str]:
        errors: dict[str, str] = self._do("field_errors", card=card)["fields"]
        return errors

    def screenshot(self, path: Path, *, card: int | None = None, full: bool = False) -> None:
        self._do("screenshot", path=str(path), card=card, full=full)

    def page_errors(self) -> list[str]:
        errors: list[str] = self._do("page_errors")
        return errors
