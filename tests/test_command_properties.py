"""Properties of the `/csip` command parser over any text hypothesis can make: it answers with a
command whose fields have their declared types or refuses with an InputError, never anything
else; well-formed commands give back exactly what was typed, a note or reason is the rest of
the text as typed; and what is echoed back to Slack carries no live mention or link."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.blocks import SECTION_LIMIT
from bot.commands import (
    Command,
    Help,
    Mine,
    OpenUpdateModal,
    Overdue,
    Reassign,
    Report,
    Reschedule,
    Show,
    Summary,
    UpdateRag,
    parse_command,
)
from bot.views import Reply, error_reply, help_reply
from plan.errors import InputError
from plan.model import Rag
from plan.parsing import parse_ref

# The same examples on every run, and none remembered between runs; a few hundred examples a
# property keeps the whole file to a couple of seconds.
deterministic = settings(derandomize=True, database=None, max_examples=200, deadline=None)

# Everything str.split() splits on, the separators between a command's words (all in the BMP).
WHITESPACE = "".join(chr(code) for code in range(0x10000) if chr(code).isspace())
SPACING = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=3)
EDGE_SPACING = st.text(st.sampled_from(WHITESPACE), max_size=3)
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # surrogates and controls too

VERBS = ("help", "update", "show", "mine", "overdue", "summary", "report", "due", "assign")
RAG_WORDS: dict[str, Rag] = {
    "r": Rag.RED,
    "red": Rag.RED,
    "a": Rag.AMBER,
    "amber": Rag.AMBER,
    "g": Rag.GREEN,
    "green": Rag.GREEN,
    "c": Rag.COMPLETE,
    "complete": Rag.COMPLETE,
    "completed": Rag.COMPLETE,
    "b": Rag.COMPLETE,
    "blue": Rag.COMPLETE,
}


def in_case(word: str, mask: int) -> str:
    """``word`` with the letters whose bits are set in ``mask`` in capitals."""
    return "".join(char.upper() if mask >> i & 1 else char.lower() for i, char in enumerate(word))


def any_case(word: str) -> st.SearchStrategy[str]:
    """``word`` with each letter in either case: `uPdAtE`, `AMBER`."""
    return st.integers(0, 2 ** len(word) - 1).map(lambda mask: in_case(word, mask))


# Words that mean something to the parser or to Slack, and words that nearly do.
NOTABLE_WORDS = st.sampled_from(
    [
        *RAG_WORDS,
        "5.3",
        "5.10",
        "05.1",
        "5.1.2",
        "5.3.",
        "A5.3b",
        "5..3",
        ".5",
        "31/10/2017",
        "31/02/2025",
        "29/02/2024",
        "29/02/2023",
        "2017-10-31",
        "31/10/17",
        "43039",
        "#####",
        "0",
        "007",
        "-1",
        "<@U123|name>",
        "<@W0ABC>",
        "<@u123>",
        "<@U123",
        "@jo",
        "<!channel>",
        "<!here|here>",
        "<#C123|general>",
        "<https://example.org|a link>",
        "&",
        "&amp;",
        "&lt;",
        "<",
        ">",
        "*bold*",
        "`code`",
    ]
)
WORD = st.one_of(
    st.builds(in_case, st.sampled_from(VERBS), st.integers(0, 2**7 - 1)),
    NOTABLE_WORDS,
    st.text(ANY_CHARACTER, min_size=1, max_size=12),
)


@st.composite
def command_texts(draw: st.DrawFn) -> str:
    """Words the parser knows, mixed with any others, between runs of any whitespace."""
    words = draw(st.lists(WORD, max_size=8))
    text = draw(EDGE_SPACING)
    for word in words:
        text += word + draw(SPACING)
    return text + draw(EDGE_SPACING)


# Text long enough to be clipped where it is shown: a long unknown verb, a long note.
LONG_TEXT = st.builds(
    lambda start, chunk, times: start + chunk * times,
    st.sampled_from(["", "update 5.3 red ", "due 5.3 31/10/2017 ", "assign 5.3 ", "summary "]),
    st.sampled_from(["&", "<!channel>", "é", "x ", "\u3000", "9"]),
    st.integers(1000, 5000),
)
ANY_TEXT = st.one_of(st.text(ANY_CHARACTER), command_texts(), LONG_TEXT)

# A ref as plans write them (`5.3`, `05.1`, `5.10`, `A5.3b`, `5.1.2`) and a Slack user id.
REF = st.builds(
    lambda letter, numbers, suffix: letter + ".".join(numbers) + suffix,
    st.sampled_from(["", *string.ascii_letters]),
    st.lists(st.text(string.digits, min_size=1, max_size=3), min_size=1, max_size=4),
    st.sampled_from(["", *string.ascii_lowercase]),
)
USER_ID = st.builds(
    str.__add__,
    st.sampled_from("UW"),
    st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=11),
)
ALL_SLACK_ENTITIES = re.compile(r"&(amp|lt|gt);")
LIVE_TOKEN = re.compile(r"<[!@#]")
WARNING = ":warning:"


def _check_shape(parsed: Command, text: str) -> None:
    """``parsed`` is the command its first word names, each field of its declared type."""
    words = text.split()
    verb = words[0].lower() if words else ""
    match parsed:
        case Help(problem):
            assert isinstance(problem, str)
            assert (verb in ("", "help")) == (problem == "")
            if problem:
                assert verb not in VERBS
                assert verb in problem  # it says what it did not understand
        case OpenUpdateModal(ref):
            assert verb == "update" and len(words) <= 2
            assert ref is None if len(words) == 1 else ref == _ref_typed(words[1])
        case UpdateRag(ref, rag, note):
            assert verb == "update"
            assert ref == _ref_typed(words[1])
            assert isinstance(rag, Rag)
            _check_rest_of_text(note, text, words)
        case Show(ref):
            assert verb == "show" and ref == _ref_typed(words[1])
        case Mine():
            assert verb == "mine"
        case Overdue():
            assert verb == "overdue"
        case Summary(priority):
            assert verb == "summary"
            assert priority is None or (type(priority) is int and priority >= 0)
        case Report(as_at):
            assert verb == "report"
            assert as_at is None or type(as_at) is dt.date
        case Reschedule(ref, due, reason):
            assert verb == "due" and ref == _ref_typed(words[1])
            assert type(due) is dt.date
            _check_rest_of_text(reason, text, words)
        case Reassign(ref, user_id):
            assert verb == "assign" and ref == _ref_typed(words[1])
            assert re.fullmatch(r"[UW][A-Z0-9]+", user_id)
        case _:
            pytest.fail(f"not a command: {parsed!r}")


def _ref_typed(word: str) -> str:
    """The ref a word gives: the word itself less any full stops after it, and a ref that
    reads back as itself."""
    ref = word.rstrip(".")
    assert isinstance(ref, str) and parse_ref(ref) == ref
    return ref


def _check_rest_of_text(note: str, text: str, words: list[str]) -> None:
    """A note is the text after the first three words as typed: no word dropped or moved, its
    own spacing and line breaks kept, only the ends trimmed."""
    assert isinstance(note, str)
    assert note.split() == words[3:]
    assert text.strip().endswith(note)
    assert note == note.strip()


def _texts(value: object) -> Iterator[str]:
    """Every "text" string anywhere in a block's dict."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _unescape(shown: str) -> str:
    return ALL_SLACK_ENTITIES.sub(lambda match: {"amp": "&", "lt": "<", "gt": ">"}[match[1]], shown)


# Typed text as shown: &, < and > only as entities; at the end, where a long text is clipped,
# perhaps the first letters of one entity and an ellipsis.
INERT = re.compile(r"((?:[^&<>]|&(?:amp|lt|gt);)*?)(&(?:a|am|amp|l|lt|g|gt)?)?(…?)", re.DOTALL)


def _check_echo(shown: str, typed: str) -> None:
    """``shown`` is ``typed`` escaped for mrkdwn, whole or clipped: no <, > or & of it is live."""
    match = INERT.fullmatch(shown)
    assert match, f"unescaped text in {shown[:200]!r}"
    body, partial, ellipsis = match.groups()
    if _unescape(shown) == typed:
        return
    assert ellipsis, f"{shown[:200]!r} is neither the text nor a clipped start of it"
    assert typed.startswith(_unescape(body))
    assert not partial or typed[len(_unescape(body))] in "&<>"


def _check_reply_is_inert(reply: Reply, typed: str) -> None:
    """The reply's fallback text is the typed text escaped, one section is a warning sign and
    the typed text escaped (perhaps clipped), and no text anywhere has a live mention or link."""
    _check_echo(reply.text, typed)
    texts = list(_texts(reply.blocks))
    echoes = [text for text in texts if text.startswith(WARNING)]
    assert len(echoes) == 1
    # Clipping trims trailing whitespace, so a problem of blanks may take the space with it.
    _check_echo(echoes[0].removeprefix(WARNING).removeprefix(" "), typed)
    assert all(len(text) <= SECTION_LIMIT for text in texts)
    assert not any(LIVE_TOKEN.search(text) for text in [reply.text, *texts])


@deterministic
@given(ANY_TEXT)
@example("")
@example("\u3000\x85\u2028")
@example("UPDATE 5.3 Amber  Two spaces\nand a line\t")
@example("update 5.10. completed <!channel> & <@U123|jo>")
@example("due 05.1 31/02/2025 board")
@example("due 5.1.2 2017-10-31T00:00 moved")
@example("report 43039")
@example("assign 5.3 <@U0ABC|jo> and <@U0DEF>")
@example("assign 5.3 <@U0ABC|<!channel>")
@example("summary -1")
@example("<!channel>")
@example("\ud800 \udfff")
@example("&" * 4000)
def test_any_text_is_a_command_or_an_input_error(text: str) -> None:
    """parse_command documents one way to refuse, InputError; anything else would reach the
    person as "something went wrong on csip's side". What it returns is the command its first
    word names with fields of their declared types, and whatever it echoes is shown inert."""
    try:
        parsed = parse_command(text)
    except InputError as error:
        message = str(error)
        assert message.strip()
        _check_reply_is_inert(error_reply(message), message)
        return
    _check_shape(parsed, text)
    if isinstance(parsed, Help) and parsed.problem:
        _check_reply_is_inert(help_reply(parsed.problem), parsed.problem)


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[str, dt.date]:
    """A date written as people do: day first with or without leading zeros and with /, . or -,
    or ISO, perhaps with the midnight a spreadsheet adds."""
    day = draw(st.dates(min_value=dt.date(1000, 1, 1)))
    if draw(st.booleans()):
        written = day.isoformat()
    else:
        width = draw(st.sampled_from(["", "02"]))
        first, second = draw(st.sampled_from("/.-")), draw(st.sampled_from("/.-"))
        written = f"{day.day:{width}}{first}{day.month:{width}}{second}{day.year}"
    return written + draw(st.sampled_from(["", "T00:00", "T00:00:00", "T00:00:00.000"])), day


# A verb on its own, and what it asks for.
BARE_COMMANDS: dict[str, Command] = {
    "": Help(),
    "help": Help(),
    "mine": Mine(),
    "overdue": Overdue(),
    "summary": Summary(),
    "report": Report(),
    "update": OpenUpdateModal(),
}


@st.composite
def valid_commands(draw: st.DrawFn) -> tuple[str, Command]:
    """A well-formed command as someone might type it, and the command it means."""
    ref = draw(REF)
    typed_ref = ref + draw(st.sampled_from(["", ".", ".."]))
    note = draw(st.text(ANY_CHARACTER))
    kind = draw(st.sampled_from(["update", "open", "show", "due", "assign", "summary", "report", "bare"]))
    expected: Command
    match kind:
        case "update":
            rag_word = draw(st.sampled_from(sorted(RAG_WORDS)))
            words = ["update", typed_ref, draw(any_case(rag_word))]
            expected = UpdateRag(ref, RAG_WORDS[rag_word], note.strip())
        case "open":
            words, expected = ["update", typed_ref], OpenUpdateModal(ref)
            note = ""
        case "show":
            words, expected, note = ["show", typed_ref], Show(ref), ""
        case "due":
            written, day = draw(written_dates())
            words, expected = ["due", typed_ref, written], Reschedule(ref, day, note.strip())
        case "assign":
            user_id = draw(USER_ID)
            name = draw(
                st.none()
                | st.text(
                    st.characters(codec=None, exclude_categories=(), exclude_characters=">" + WHITESPACE)
                )
            )
            mention = f"<@{user_id}>" if name is None else f"<@{user_id}|{name}>"
            words, expected, note = ["assign", typed_ref, mention], Reassign(ref, user_id), ""
        case "summary":
            number = draw(st.integers(0, 10**6))
            written_number = f"{number:0{draw(st.integers(0, 8))}d}"
            words, expected, note = ["summary", written_number], Summary(number), ""
        case "report":
            written, day = draw(written_dates())
            words, expected, note = ["report", written], Report(day), ""
        case _:
            verb = draw(st.sampled_from(sorted(BARE_COMMANDS)))
            words, expected, note = [verb], BARE_COMMANDS[verb], ""
    words[0] = draw(any_case(words[0]))
    text = draw(EDGE_SPACING)
    for word in words:
        text += word + draw(SPACING)
    return text + note + draw(EDGE_SPACING), expected


@deterministic
@given(valid_commands())
@example(
    (
        "update 5.10 AMBER Waiting on  the board\n\nagain ",
        UpdateRag("5.10", Rag.AMBER, "Waiting on  the board\n\nagain"),
    )
)
@example(("update 05.1 blue", UpdateRag("05.1", Rag.COMPLETE, "")))
@example(
    (
        "due 5.1.2. 29/02/2024 Moved\u3000by the board",
        Reschedule("5.1.2", dt.date(2024, 2, 29), "Moved\u3000by the board"),
    )
)
@example(("assign 5.3 <@W0ABC|jo.bloggs>", Reassign("5.3", "W0ABC")))
@example(("report 1.2.2017", Report(dt.date(2017, 2, 1))))
@example(("summary 007", Summary(7)))
def test_a_well_formed_command_gives_back_what_was_typed(case: tuple[str, Command]) -> None:
    """The verb and RAG word in any case, any whitespace between words, a ref with a full stop
    after it, dates day first or ISO, a Slack mention with or without its name: the command
    holds exactly the ref, RAG, date, person and number typed, and the note or reason as typed
    with only its ends trimmed (the spacing and line breaks inside it kept)."""
    text, expected = case
    assert parse_command(text) == expected


@deterministic
@given(
    st.sampled_from(["update 5.3 red", "due 5.3 31/10/2017", "UPDATE 5.3. c", "Due 5.3 2017-10-31"]),
    SPACING,
    st.lists(st.tuples(WORD, SPACING), max_size=8).map(lambda pairs: "".join(w + s for w, s in pairs)),
)
@example("update 5.3 red", " ", "<!channel> &amp; <@U123|jo>  twice\n")
@example("due 5.3 31/10/2017", "\n", "red 5.3 update due ")
def test_a_note_is_the_rest_of_the_text(start: str, spacing: str, rest: str) -> None:
    """Whatever follows the third word, even words that look like a ref, a RAG or a verb, is
    the note or reason, word for word in the order typed."""
    parsed = parse_command(start + spacing + rest)
    assert isinstance(parsed, UpdateRag | Reschedule)
    note = parsed.note if isinstance(parsed, UpdateRag) else parsed.reason
    assert note == rest.strip()
    assert note.split() == rest.split()


@deterministic
@given(st.integers(0, 99), st.integers(0, 99), st.integers(1000, 9999), st.sampled_from("/.-"))
@example(31, 2, 2025, "/")
@example(29, 2, 2024, "/")
@example(29, 2, 2023, "/")
@example(31, 4, 2025, ".")
@example(0, 1, 2025, "/")
@example(1, 13, 2025, "/")
def test_a_written_date_is_read_only_when_it_is_real(day: int, month: int, year: int, sep: str) -> None:
    """`31/02/2025` is refused with an InputError, never read as 3 March or passed on."""
    try:
        real: dt.date | None = dt.date(year, month, day)
    except ValueError:
        real = None
    for text in (f"report {day}{sep}{month}{sep}{year}", f"due 5.3 {day:02}{sep}{month:02}{sep}{year} why"):
        if real is None:
            with pytest.raises(InputError):
                parse_command(text)
        else:
            parsed = parse_command(text)
            assert isinstance(parsed, Report | Reschedule)
            assert (parsed.as_at if isinstance(parsed, Report) else parsed.due) == real


@deterministic
@given(ANY_TEXT)
@example("<!channel>")
@example("<@U123|jo> <#C123|general> <!subteam^S123>")
@example("&lt;!channel&gt;")
@example("&" * 3000)
@example("<" * 3000 + "!channel>")
@example("a" * 2989 + "<!here>")
@example("\u3000" * 3000)
def test_help_reply_shows_a_problem_inert(problem: str) -> None:
    """A Help problem names what was typed: in the reply's text and in its blocks every <, >
    and & of it is escaped, so `<!channel>` or `<@U123>` pings nobody, even when a long problem
    is clipped; the help itself is the same whatever the problem."""
    assume(problem)
    reply = help_reply(problem)
    _check_reply_is_inert(reply, problem)
    assert reply.blocks[-1] == help_reply().blocks[-1]


# Digits str.isdigit() accepts but int() does not read: superscripts, circled digits and such
# (those in the BMP are plenty).
NOT_DECIMAL_DIGITS = "".join(
    chr(code) for code in range(0x10000) if chr(code).isdigit() and not chr(code).isdecimal()
)


@deterministic
@given(st.text(st.sampled_from("0123456789" + NOT_DECIMAL_DIGITS), min_size=1))
@example("²")
@example("9" * 5000)
def test_summary_refuses_any_priority_it_cannot_read(number: str) -> None:
    """`/csip summary ²` is answered with an InputError, like `/csip summary x`."""
    try:
        parsed = parse_command(f"summary {number}")
    except InputError:
        return
    assert isinstance(parsed, Summary) and parsed.priority == int(number)
