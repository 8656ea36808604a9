"""Cards of the letters flow: pick a letter, the letter ready (download, email), the template editor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from microsoft_teams.cards.core import Action, CardElement, OpenUrlAction

from cards import texts
from cards.common import SUBMISSION, Card, card, facts, paragraph, submit, title
from cards.forms import banner, text_input
from cards.verbs import Verb

TEMPLATE_LIMIT = 20_000


def pick_card(*, pupil_id: int, pupil_name: str) -> Card:
    return card(
        [title(texts.LETTER_PICK_TITLE.format(pupil=pupil_name)), paragraph(texts.LETTER_PICK_INTRO)],
        [
            submit(words, Verb.LETTER_MAKE, {"pupil_id": pupil_id, "kind": kind})
            for kind, words in texts.LETTER_KIND_WORDS.items()
        ],
    )


def ready_card(*, pupil_id: int, pupil_name: str, kind: str, url: str, can_email: bool) -> Card:
    actions: list[Action] = [OpenUrlAction(title=texts.LETTER_DOWNLOAD, url=url)]
    if can_email:
        actions.append(
            submit(texts.LETTER_EMAIL, Verb.LETTER_SEND_PREVIEW, {"pupil_id": pupil_id, "kind": kind})
        )
    return card(
        [
            title(texts.LETTER_READY_TITLE.format(letter=texts.LETTER_KIND_WORDS[kind], pupil=pupil_name)),
            paragraph(texts.LETTER_READY),
        ],
        actions,
    )


def template_card(
    *,
    kind: str,
    body: str,
    names: Iterable[str],
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
) -> Card:
    blocks: list[CardElement] = [
        title(texts.LETTER_TEMPLATE_TITLE.format(letter=texts.LETTER_KIND_WORDS[kind]))
    ]
    if message:
        blocks.append(banner(message, good=good))
    blocks.append(paragraph(texts.LETTER_TEMPLATE_INTRO.format(names=", ".join(sorted(names))), subtle=True))
    blocks += text_input(
        "body",
        texts.LETTER_TEMPLATE_LABEL,
        body,
        max_length=TEMPLATE_LIMIT,
        multiline=True,
        errors=errors,
        required=texts.LETTER_TEMPLATE_EMPTY,
    )
    return card(blocks, [submit(texts.LETTER_TEMPLATE_SAVE, Verb.LETTER_TEMPLATE_SAVE, {"kind": kind})])


def preview_card(
    *,
    pupil_id: int,
    pupil_name: str,
    kind: str,
    mailbox: str,
    to: list[tuple[str, str]],
    subject: str,
    key: str,
) -> Card:
    return card(
        [
            title(texts.MAIL_PREVIEW_TITLE.format(letter=texts.LETTER_KIND_WORDS[kind])),
            facts(
                [
                    (texts.MAIL_PREVIEW_FROM, mailbox),
                    (texts.MAIL_PREVIEW_TO, "; ".join(f"{n} <{e}>" for n, e in to)),
                    (texts.MAIL_PREVIEW_SUBJECT, subject),
                ]
            ),
            paragraph(texts.MAIL_PREVIEW_NOTE, subtle=True),
        ],
        [
            submit(
                texts.MAIL_SEND,
                Verb.LETTER_SEND,
                {"pupil_id": pupil_id, "kind": kind, SUBMISSION: key},
                style="positive",
            ),
            submit(texts.LETTER_DOWNLOAD, Verb.LETTER_MAKE, {"pupil_id": pupil_id, "kind": kind}),
        ],
    )
