"""The hard labelled corpus (issue 8): real articles damaged the way real crawls are.

`make_corpus.py --hard` calls `build` and `write`.  Base articles are the same
real BBC and asprout articles as the easy corpus, plus Reuters-21578 wire bodies
(earnings tables, template reports, short briefs).  Every page is a list of
`Piece`s, each one line (or one span of a single-line text) with its label:
must stay (``rule`` None) or must go (``rule`` headline / paragraph /
boilerplate), and the phenomenon it stands for (``kind``).

Site templates copy the *shapes* of real pages (title-tag affixes, datelines,
bylines, timestamps, breadcrumbs and widgets seen on the L3S-GN1 Google News
pages); all site names, people and tweets are invented.

Labels are exact by construction and then checked (`check`): a boilerplate
line recurs in at least `MIN_STORIES` distinct stories of its site (its `shape`,
figures, month and weekday names masked, for varying lines), and is removed
from every page otherwise; no must-stay text
equals a boilerplate text; a must-stay text recurs in `MIN_STORIES` stories or
more only when it is a table row or a quoted tweet; short look-alike content
lines recur in at most `MAX_LOOKALIKE` stories; and in single-line texts every
span occurs exactly as often in the perfect output as the truth says.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchlib import Base, Wire, norm_line, shingles, words

MIN_STORIES = 5  # `dedupe clean --min-docs` default: boilerplate recurs in this many stories
RARE_RANGE = (6, 15)  # a rare site line is on this many stories of its site
MAX_LOOKALIKE = 3  # a short content line that looks like navigation: at most this many stories
NBSP = "\u00a0"
SIGNOFF = "Reuter"

# ------------------------------------------------------------------------------- model


@dataclass
class Piece:
    """One line of a page (one span of a single-line text) and its label."""

    text: str
    rule: str | None = None  # None: must stay; else headline | paragraph | boilerplate
    kind: str = "body"  # the phenomenon, e.g. "title-tag:underscore", "varying:timestamp"


@dataclass(frozen=True)
class SiteSpec:
    """A site template.  Slots name the furniture above the headline (``top``),
    right below it (``below``) and after the body (``bottom``)."""

    key: str
    name: str
    scraper: str  # page (line layouts) | space | hash (single-line texts) | wire
    title_tag: str | None = None  # format with {h} (headline) and {s} (section)
    title_tag_kind: str = ""
    top: tuple[str, ...] = ()
    below: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    nav: tuple[str, ...] = ()  # navigation lines that look like short content words
    stamp: str = ""  # timestamp style (see `stamp`)
    byline: str = ""  # byline format with {name} / {NAME}
    crumb: str = ""  # breadcrumb format with {s}
    section: str = ""  # section label format with {s}
    share: str = ""
    newsletter: str = ""
    footer: tuple[str, ...] = ()
    copyright: str = ""
    cookie: str = ""
    advert: str = ""
    poll: tuple[str, ...] = ()
    rare: tuple[str, ...] = ()  # lines on only RARE_RANGE stories of the site

    @property
    def host(self) -> str:
        return f"www.{self.key}.example"


@dataclass
class Doc:
    id: str
    site: SiteSpec
    layout: str  # blank | single (lines) | space | hash (single line)
    cluster: str
    copy_of: str | None = None
    dup_kind: str | None = None  # syndicated | abridged | recrawl | exact-short
    doc_kind: str = "article"  # article | quoting | quoted-source | wire-* | template-report
    title: str | None = None
    section: str = ""
    date: dt.datetime = dt.datetime(2019, 1, 1)
    paras: list[str] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    # planned negative cases and site lines
    tweet: tuple[str, str] | None = None  # (tweet text, attribution)
    lookalike: tuple[str, str] | None = None  # (kind, short content line)
    quote: list[str] = field(default_factory=list)  # paragraphs quoted from another story
    quoted: bool = False  # a source of quoted paragraphs (or tried as one)
    rare: list[str] = field(default_factory=list)
    wire_body: str = ""

    @property
    def planned(self) -> bool:
        return bool(self.tweet or self.lookalike or self.quote or self.quoted)

    @property
    def spans(self) -> bool:
        return self.layout in ("space", "hash")


# ------------------------------------------------------------------------------- sites

SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        key="harbourtelegraph",
        name="Harbour Telegraph",
        scraper="page",
        title_tag="{h} - {s} - News - Breaking News - Harbour Telegraph",
        title_tag_kind="multi-affix",
        top=("header", "crumb"),
        below=("byline", "stamp"),
        bottom=("variants", "share", "newsletter", "footer", "copyright", "rare"),
        header=("Skip to main content", "Harbour Telegraph | Today's paper | Subscribe"),
        stamp="usat",
        byline="By {name}, Staff Writer",
        crumb="Home > News > {s}",
        share="Share this article: Facebook | Twitter | Email",
        newsletter="Sign up to the Harbour Telegraph newsletter for the day's top stories.",
        footer=("About us", "Contact", "Advertise with us"),
        copyright="© 2019 Harbour Telegraph. All rights reserved.",
        advert="Advertisement",
        rare=("Sign up for our FREE newsletter",),
    ),
    SiteSpec(
        key="eveningstar",
        name="Evening Star",
        scraper="page",
        title_tag="Evening Star: The Best News 7 Days A Week :: {s} News :: {h}",
        title_tag_kind="site-prefix-multi",
        top=("section", "stamp"),
        below=("byline",),
        bottom=("variants", "share", "archive", "copyright", "cookie"),
        stamp="smh",
        byline="By {NAME}",
        section="{s} News",
        share="Tweet Share Email Print",
        copyright="Copyright © 2019 Evening Star Ltd. All Rights Reserved.",
        cookie="We use cookies to give you the best experience. By continuing you agree to our "
        "use of cookies.",
        advert="ADVERTISEMENT",
        rare=("Click here for advertising information.",),
    ),
    SiteSpec(
        key="orientnewswire",
        name="Orient Newswire",
        scraper="page",
        title_tag="{h}_English_Orient",
        title_tag_kind="underscore",
        top=("header", "stamp"),
        below=(),
        bottom=("variants", "pagination", "share", "copyright"),
        header=("Orient Newswire", "Editions:"),
        nav=("London", "New York", "Paris"),
        stamp="posted",
        share="Print | E-mail | Share",
        copyright="Copyright 2019 Orient Newswire. All rights reserved.",
        advert="Story continues below advertisement",
        rare=("Quote | Report this post",),
    ),
    SiteSpec(
        key="plainsdaily",
        name="Plains Daily",
        scraper="page",
        title_tag="{h} : {s}",
        title_tag_kind="colon-section",
        top=("crumb", "updated"),
        below=("byline",),
        bottom=("variants", "poll", "share", "newsletter", "copyright"),
        stamp="updated",
        byline="By {name}, {role}",
        crumb="Home > {s}",
        share="Share on Facebook Share on Twitter Share via Email",
        newsletter="Get the best of Plains Daily in your inbox. Sign up for our free daily "
        "newsletter.",
        copyright="(c) 2019 Plains Daily | Terms of use | Privacy policy",
        advert="Advert",
        poll=("Poll: Should the city council approve the new budget?", "Yes", "No", "Vote"),
        rare=("Page 1 of 1",),
    ),
    SiteSpec(
        key="southernnews",
        name="Southern News",
        scraper="page",
        title_tag="{h} - Southern News (Southern Broadcasting Corporation)",
        title_tag_kind="long-site",
        top=("byline",),
        below=("stamp",),
        bottom=("variants", "calendar", "share", "footer", "copyright"),
        stamp="reuters",
        byline="By {name}",
        share="Share this story",
        footer=("Terms and Conditions", "Privacy Notice"),
        copyright="© Southern Broadcasting Corporation 2019",
        advert="Advertisement",
        rare=("Have your say: comment on this story",),
    ),
    SiteSpec(
        key="valleyherald",
        name="Valley Herald",
        scraper="page",
        title_tag="Valley Herald | {s} | {h}",
        title_tag_kind="pipe-prefix",
        top=("header", "section"),
        below=("stamp",),
        bottom=("variants", "share", "newsletter", "copyright", "cookie"),
        header=("Menu", "Search"),
        nav=("News", "Photos", "Video"),
        stamp="cbs",
        section="{s}",
        share="SHARE THIS ARTICLE",
        newsletter="Don't miss a story: sign up for Valley Herald alerts and newsletters.",
        copyright="Copyright © 2019 Valley Herald. All Rights Reserved.",
        cookie="Valley Herald uses cookies to personalise content and ads. Manage your "
        "preferences.",
        advert="Advertisement",
        rare=("Reprints & Permissions",),
    ),
    SiteSpec(
        key="pressagency",
        name="The Press Agency",
        scraper="page",
        title_tag="The Press Agency: {h}",
        title_tag_kind="site-prefix",
        top=("stamp",),
        below=("byline",),
        bottom=("variants", "modified", "share", "copyright"),
        stamp="ist",
        byline="{name}, {role}",
        share="Email this story | Print this story",
        copyright="Copyright 2019 The Press Agency. All rights reserved.",
        advert="Advertisement",
        rare=("Got a story? Email newsdesk@pressagency.example",),
    ),
    SiteSpec(
        key="coastlinepost",
        name="Coastline Post",
        scraper="page",
        title_tag="{h} | {s} | Coastline Post Unlimited",
        title_tag_kind="pipe-suffix-multi",
        top=("section",),
        below=("byline", "stamp"),
        bottom=("variants", "share", "footer", "copyright", "cookie"),
        stamp="published",
        byline="By {name}, {role}",
        section="{s} News",
        share="Share this article",
        footer=("About us | Contact us | Careers",),
        copyright="© 2019 Coastline Post. All rights reserved.",
        cookie="This site uses cookies. Find out more in our cookie policy. Accept and close",
        advert="Advertisement",
        rare=("Print this article",),
    ),
    SiteSpec(
        key="metrocourier",
        name="Metro Courier",
        scraper="page",
        top=("byline", "updated"),
        below=(),
        bottom=("variants", "pagination", "share", "newsletter", "copyright"),
        stamp="updated",
        byline="By {name}, Staff Writer",
        share="Share this story: Facebook | Twitter | LinkedIn | WhatsApp",
        newsletter="Newsletter: Subscribe to receive our morning briefing.",
        copyright="© 2019 Metro Courier. All rights reserved.",
        advert="Advertisement",
        rare=("Most read this week",),
    ),
    SiteSpec(
        key="capitalledger",
        name="Capital Ledger",
        scraper="page",
        top=("crumb", "stamp"),
        below=("byline",),
        bottom=("variants", "share", "footer", "copyright", "cookie"),
        stamp="poster",
        byline="By {name}, {role}",
        crumb="Home > {s} > Latest",
        share="Share | Tweet | Email",
        footer=("Terms of Service", "Privacy Policy"),
        copyright="Copyright © 2019 Capital Ledger Inc.",
        cookie="Capital Ledger uses cookies to improve your experience. Manage cookie settings.",
        advert="Sponsored content",
        rare=("Story continues after the video",),
    ),
    SiteSpec(key="quickextract", name="Quick Extract", scraper="space"),
    SiteSpec(key="plainreader", name="Plain Reader", scraper="space"),
    SiteSpec(
        key="sproutdump",
        name="Sprout Dump",
        scraper="hash",
        share="Share this article",
        copyright="© 2019 Sprout Dump Media",
        advert="More",
        rare=("Related Topics",),
    ),
)
WIRE = SiteSpec(key="reuters21578", name="Reuters-21578", scraper="wire")

SECTIONS = {
    "business": "Business",
    "entertainment": "Entertainment",
    "politics": "Politics",
    "sport": "Sport",
    "tech": "Technology",
    "census": "US",
    "helsinki": "World",
    "spotify": "Technology",
}

FIRST = [
    "Alice",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Frank",
    "Grace",
    "Henry",
    "Irene",
    "James",
    "Karen",
    "Leo",
    "Maria",
    "Nadia",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tara",
    "Umar",
    "Vera",
    "Walter",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Bianca",
    "Carl",
    "Diana",
    "Emil",
    "Fiona",
    "Gareth",
    "Helen",
    "Ivan",
    "Julia",
    "Kofi",
    "Laura",
    "Martin",
    "Nora",
    "Owen",
    "Petra",
    "Rahul",
    "Sofia",
    "Tomas",
    "Ursula",
    "Victor",
    "Wendy",
    "Yara",
    "Zane",
]
LAST = [
    "Abbott",
    "Barker",
    "Castillo",
    "Dunmore",
    "Ellison",
    "Farrow",
    "Garside",
    "Holloway",
    "Iverson",
    "Jarvis",
    "Kimura",
    "Lindqvist",
    "Mercer",
    "Novak",
    "Okafor",
    "Pemberton",
    "Quayle",
    "Rasmussen",
    "Sterling",
    "Thornbury",
    "Underhill",
    "Vance",
    "Whitlock",
    "Yardley",
    "Zeller",
    "Ashdown",
    "Brennan",
    "Caldwell",
    "Delacroix",
    "Everett",
    "Fairbanks",
    "Gallagher",
    "Hartigan",
    "Ingram",
    "Jaworski",
    "Kettering",
    "Lachance",
    "Moreau",
    "Nightingale",
    "Ostrowski",
    "Prescott",
    "Redgrave",
    "Sandoval",
    "Tennant",
    "Upshaw",
    "Valentine",
    "Winslow",
    "Yeoman",
    "Zabala",
    "Harcourt",
]
ROLES = (
    "Political Correspondent",
    "Business Reporter",
    "Sports Editor",
    "Technology Correspondent",
    "Arts Reporter",
    "Chief Reporter",
    "Economics Editor",
)

# A short content line, how many stories may hold it, and the navigation line it looks like.
LOOKALIKES: tuple[tuple[str, str, str], ...] = (
    ("contact", "CONTACT:", "Contact"),
    ("dateline", "LONDON --", "London"),
    ("dateline", "NEW YORK --", "New York"),
    ("dateline", "PARIS --", "Paris"),
    ("answer", "Yes.", "Yes"),
    ("answer", "No.", "No"),
    ("media-label", "PHOTOS:", "Photos"),
    ("media-label", "VIDEO:", "Video"),
)
QUESTIONS = (
    "Q: Did you expect the result when you started out?",
    "Q: Will you stand again next year?",
    "Q: Was the decision taken by the whole board?",
    "Q: Have you spoken to the minister since then?",
    "Q: Is the project still on schedule?",
    "Q: Would you do anything differently now?",
    "Q: Were the workers told in advance?",
    "Q: Do you think the fans will understand?",
    "Q: Has the money been paid back?",
    "Q: Are you worried about the competition?",
    "Q: Did the weather play a part?",
    "Q: Is there a deal on the table?",
)
# Invented tweets, quoted by several outlets (shape of a real embedded-tweet dump).
TWEETS: tuple[tuple[str, str], ...] = (
    (
        "Proud to confirm the new river bridge opens to traffic next month. A great day for "
        "our city! pic.twitter.com/x7Hq2LmZ4a",
        "— Mayor Ellen Brandt (@MayorEllenBrandt) March 3, 2019",
    ),
    (
        "We will not accept a deal that leaves working families worse off. Full statement "
        "below. pic.twitter.com/Qw83JrT0pc",
        "— Daniel O. Whitcombe (@DanWhitcombeMP) July 16, 2018",
    ),
    (
        "Thank you to everyone who came out to support the team tonight. You were incredible "
        "and we owe you one!",
        "— Harbour City FC (@HarbourCityFC) November 24, 2018",
    ),
    (
        "Our thoughts are with all those affected by tonight's storm. Please stay indoors and "
        "follow official advice.",
        "— Regional Emergency Service (@RegionEmergency) January 9, 2019",
    ),
    (
        "Today we filed the papers. The fight for fair pay is far from over and we are ready "
        "for it. #FairPayNow",
        "— Marta Ilves (@MartaIlvesUnion) May 2, 2019",
    ),
    (
        "Just landed. Honoured to be leading the delegation and looking forward to "
        "constructive talks this week.",
        "— Sec. Paul Haverford (@SecHaverford) October 8, 2018",
    ),
)
# Reuters-21578 template reports: pairs of the same report with other figures.
TEMPLATE_PAIRS: tuple[tuple[str, str], ...] = (
    ("reuters-13978", "reuters-14078"),  # MINNEAPOLIS WHEAT price table, two times of day
    ("reuters-15610", "reuters-16274"),  # FHLBB discount note rate table
    ("reuters-62", "reuters-1308"),  # TREASURY BALANCES AT FED, two days
    ("reuters-12912", "reuters-13909"),  # FREDDIE MAC discount rate table
    ("reuters-3076", "reuters-11944"),  # TURKISH CENTRAL BANK lira rates, two days
)
EDIT_WORDS = {
    "said": "stated",
    "says": "states",
    "but": "however",
    "big": "large",
    "show": "indicate",
    "help": "assist",
    "also": "additionally",
    "buy": "purchase",
    "people": "persons",
    "government": "administration",
    "company": "firm",
    "about": "around",
    "many": "numerous",
    "because": "since",
    "after": "following",
}
CITIES = ["LONDON", "NEW YORK", "WASHINGTON", "PARIS", "BRUSSELS", "TOKYO", "SYDNEY", "BERLIN"]


# ------------------------------------------------------------------------------- shapes

MONTHS = list(calendar.month_name)[1:]
MON3 = list(calendar.month_abbr)[1:]
DAYS = list(calendar.day_name)
DAY3 = list(calendar.day_abbr)
_NAMES = {x.lower() for x in MONTHS + MON3 + DAYS + DAY3}
_LETTERS = re.compile(r"[A-Za-z]+")


def shape(line: str) -> str:
    """A line with figures, month and weekday names masked (how varying boilerplate recurs)."""
    masked = _LETTERS.sub(lambda m: "M" if m.group().lower() in _NAMES else m.group(), line)
    return re.sub(r"\d+", "0", " ".join(masked.split()))


def _h12(d: dt.datetime) -> tuple[int, str]:
    h = d.hour % 12 or 12
    return h, "am" if d.hour < 12 else "pm"


def stamp(style: str, d: dt.datetime, rng: random.Random) -> str:
    """A timestamp line in one of the real shapes seen on news pages."""
    h, ap = _h12(d)
    mon, day, year = MONTHS[d.month - 1], d.day, d.year
    if style == "usat":
        return f"Published {h}:{d.minute:02d} {ap[0]}.m. ET {mon} {day}, {year}"
    if style == "smh":
        return f"{day} {mon} {year} - {h}:{d.minute:02d}{ap.upper()}"
    if style == "posted":
        return (
            f"Posted: {DAYS[d.weekday()]}, {mon} {day}, {year}, {d.hour:02d}:{d.minute:02d} (GMT)"
        )
    if style == "reuters":
        return f"{DAY3[d.weekday()]} {MON3[d.month - 1]} {day}, {year} {h}:{d.minute:02d}{ap} GMT"
    if style == "cbs":
        return f"{MON3[d.month - 1]} {day}, {year} {h}:{d.minute:02d} {ap} US/Eastern"
    if style == "ist":
        return f"{day} {MON3[d.month - 1]}, {year}, {d.hour:02d}{d.minute:02d} hrs IST"
    if style == "published":
        return f"Published: {DAYS[d.weekday()]}, {mon} {day:02d}, {year}"
    if style == "poster":
        return f"POSTED: {h}:{d.minute:02d} {ap} EST {mon} {day}, {year}"
    if style == "updated":
        n = rng.randint(1, 23)
        if rng.random() < 0.3:
            return f"Updated {rng.randint(2, 59)} minutes ago"
        return f"Updated {n} hour{'s' if n > 1 else ''} ago"
    if style == "modified":
        return (
            f"Last modified on {DAY3[d.weekday()]} {day} {MON3[d.month - 1]} {year} "
            f"{d.hour:02d}.{d.minute:02d} BST"
        )
    raise ValueError(style)


def calendar_lines(d: dt.datetime) -> list[str]:
    """A month calendar widget as a page dump shows it: month, weekdays, one line per week."""
    out = [f"{MONTHS[d.month - 1]} {d.year}", "Mo Tu We Th Fr Sa Su"]
    for week in calendar.Calendar().monthdayscalendar(d.year, d.month):
        out.append(" ".join(str(x) for x in week if x))
    return out


def archive_lines(d: dt.datetime) -> list[str]:
    """An archive list: the six months before the page's month."""
    out = []
    y, m = d.year, d.month
    for _ in range(6):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{MONTHS[m - 1]} {y}")
    return out


# ------------------------------------------------------------------------------- edits


def edit_words(text: str, rng: random.Random, n: int) -> str:
    """Change ``n`` words (synonyms, else drop a word); figures are never touched."""
    toks = text.split(" ")
    cands = [i for i, t in enumerate(toks) if t.lower() in EDIT_WORDS]
    rng.shuffle(cands)
    changed = 0
    for i in cands[:n]:
        rep = EDIT_WORDS[toks[i].lower()]
        toks[i] = rep.capitalize() if toks[i][:1].isupper() else rep
        changed += 1
    while changed < n and len(toks) > 8:
        plain = [i for i in range(1, len(toks) - 1) if not any(c.isdigit() for c in toks[i])]
        if not plain:
            break
        del toks[rng.choice(plain)]
        changed += 1
    return " ".join(toks)


def light_edit(text: str, rng: random.Random) -> str:
    """A repeated paragraph, lightly edited: a word changed or dropped, or punctuation."""
    for _ in range(6):
        kind = rng.choice(["word", "drop", "punct"])
        if kind == "word":
            out = edit_words(text, rng, 1)
        elif kind == "drop":
            toks = text.split(" ")
            plain = [i for i in range(1, len(toks) - 1) if not any(c.isdigit() for c in toks[i])]
            if not plain:
                continue
            del toks[rng.choice(plain)]
            out = " ".join(toks)
        else:
            out = text[:-1] if text.endswith(".") else text + "."
        if out != text:
            return out
    return text.rstrip(".") + "!"


def retitle(title: str, rng: random.Random) -> str:
    kind = rng.choice(["suffix", "words", "same", "same"])
    if kind == "suffix":
        return title + rng.choice([", officials say", ": report", " - sources"])
    if kind == "words":
        out = edit_words(title, rng, 1)
        return out if out != title and len(out.split()) >= 3 else title
    return title


# ------------------------------------------------------------------------------- planning


class Names:
    """Unique invented people."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        for _ in range(1000):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            name = f"{first} {last}"
            if self.rng.random() < 0.4:
                name = f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of names")


_NOT_HEADLINE = re.compile(
    r"^(?:by\b|updated|published|posted)|@|\||\d{1,2}:\d\d|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d",
    re.IGNORECASE,
)


# asprout bases whose first chunk is not a headline (a share bar, a caption, a browser or
# comment notice), found by reading every asprout title that `headline_like` accepts.
NOT_HEADLINES = frozenset(
    [
        "asp-census-1766",
        "asp-census-8985",
        "asp-helsinki-77",
        "asp-helsinki-163",
        "asp-helsinki-1607",
        "asp-helsinki-2258",
        "asp-helsinki-3706",
        "asp-helsinki-4604",
        "asp-helsinki-5397",
        "asp-helsinki-7060",
        "asp-helsinki-7196",
        "asp-helsinki-8263",
        "asp-helsinki-9442",
        "asp-spotify-3744",
    ]
)


def headline_like(title: str) -> bool:
    """A base title that is a plain headline (a few asprout titles are bylines, dates or
    photo credits: those bases are left out, so the headline label is exact)."""
    n = len(title.split())
    return (
        3 <= n <= 20
        and not _NOT_HEADLINE.search(title)
        and not title.endswith(":")
        and not title.isupper()
    )


def usable_bases(bases: list[Base]) -> list[Base]:
    """The bases whose title is a plain headline."""
    return [b for b in bases if headline_like(b.title) and b.id not in NOT_HEADLINES]


def section_of(base_id: str) -> str:
    parts = base_id.split("-")
    return SECTIONS.get(parts[1], "News")


def layout_for(site: SiteSpec, rng: random.Random) -> str:
    if site.scraper in ("space", "hash"):
        return site.scraper
    return rng.choice(["blank", "single"])


def random_date(rng: random.Random) -> dt.datetime:
    start = dt.datetime(2018, 1, 1)
    return start + dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))


def abridge(paras: list[str]) -> list[str] | None:
    """The first third of an article (by words), or None if it cannot be cut so."""
    total = sum(len(p.split()) for p in paras)
    acc = 0
    for k, p in enumerate(paras, 1):
        acc += len(p.split())
        if acc >= total / 3:
            if k < len(paras) and acc <= 0.5 * total and acc >= 40:
                return paras[:k]
            return None
    return None


def syndicate(base: Base, rng: random.Random, site: SiteSpec) -> tuple[str, list[str]]:
    paras = list(base.paragraphs)
    if len(paras) >= 5 and rng.random() < 0.5:
        del paras[rng.randrange(1, len(paras))]
    if len(paras) >= 5 and rng.random() < 0.4:
        paras = paras[: max(3, int(len(paras) * rng.uniform(0.7, 0.9)))]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(paras))
        paras[i] = edit_words(paras[i], rng, 1)
    if rng.random() < 0.6:
        paras[0] = f"{rng.choice(CITIES)} ({site.name}) - {paras[0]}"
    return retitle(base.title, rng), paras


def plan_articles(
    bases: list[Base], n_articles: int, copy_rate: float, rng: random.Random
) -> list[Doc]:
    """Originals on a random site and their copies (syndicated, abridged, recrawled)."""
    chosen = rng.sample(bases, min(n_articles, len(bases)))
    docs: list[Doc] = []
    for base in chosen:
        site = rng.choice(SITES)
        d = Doc(base.id, site, layout_for(site, rng), base.id)
        d.title, d.section, d.date = base.title, section_of(base.id), random_date(rng)
        d.paras = list(base.paragraphs)
        docs.append(d)
        if rng.random() >= copy_rate:
            continue
        others = [s for s in SITES if s is not site]
        for k in range(rng.randint(1, 3)):
            kind = rng.choices(["syndicated", "abridged", "recrawl"], [0.6, 0.28, 0.12])[0]
            short = abridge(list(base.paragraphs)) if kind == "abridged" else None
            if kind == "abridged" and short is None:
                kind = "syndicated"
            if kind == "recrawl":
                c = Doc(f"{base.id}-r{k + 1}", site, d.layout, base.id, base.id, "recrawl")
                c.title, c.section, c.date = d.title, d.section, d.date
                docs.append(c)
                continue
            csite = rng.choice(others)
            c = Doc(f"{base.id}-s{k + 1}", csite, layout_for(csite, rng), base.id, base.id, kind)
            c.section = d.section
            c.date = d.date + dt.timedelta(minutes=rng.randrange(30, 48 * 60))
            if kind == "abridged" and short is not None:
                paras = list(short)
                if rng.random() < 0.5:
                    i = rng.randrange(len(paras))
                    paras[i] = edit_words(paras[i], rng, 1)
                c.title, c.paras = base.title, paras
            else:
                c.title, c.paras = syndicate(base, rng, csite)
            docs.append(c)
    return docs


def _eligible(docs: list[Doc]) -> list[Doc]:
    """Originals with no copies on page sites: room for negative cases."""
    copied = {d.copy_of for d in docs if d.copy_of}
    return [
        d
        for d in docs
        if d.site.scraper == "page" and d.copy_of is None and d.id not in copied and not d.planned
    ]


def plan_negatives(docs: list[Doc], n_articles: int, rng: random.Random) -> None:
    """Choose the articles that get a negative case (content that must stay)."""
    by_site: dict[str, list[Doc]] = defaultdict(list)
    # quoted tweets: one tweet per story, stories on different sites
    n_tweets = max(2, min(len(TWEETS), n_articles // 400))
    for tweet in TWEETS[:n_tweets]:
        pool = _eligible(docs)
        by_site.clear()
        for d in pool:
            by_site[d.site.key].append(d)
        keys = sorted(by_site)
        rng.shuffle(keys)
        for key in keys[: rng.randint(6, 9)]:
            rng.choice(by_site[key]).tweet = tweet
    # short content lines that look like navigation
    for kind, text, nav in LOOKALIKES:
        pool = _eligible(docs)
        twin = [d for d in pool if nav in d.site.nav + d.site.footer + d.site.poll]
        picks = rng.sample(twin, 1) if twin else []
        rest = [d for d in pool if d not in picks]
        picks += rng.sample(rest, min(MAX_LOOKALIKE - len(picks), len(rest)))
        for d in picks:
            d.lookalike = (kind, text)
    # stories quoting two paragraphs of another story
    n_quotes = max(1, n_articles // 100)
    for _ in range(n_quotes):
        pool = _eligible(docs)
        sources = [d for d in pool if len(d.paras) >= 6]
        if not sources:
            break
        src = rng.choice(sources)
        i = rng.randrange(len(src.paras) - 1)
        quoted = src.paras[i : i + 2]
        qwords = sum(len(p.split()) for p in quoted)
        if qwords * 3 > sum(len(p.split()) for p in src.paras):
            src.quoted = True  # too big a share of the source: not used again
            continue
        hosts = [
            d for d in pool if d is not src and sum(len(p.split()) for p in d.paras) >= 3 * qwords
        ]
        if not hosts:
            continue
        host = rng.choice(hosts)
        host.quote = quoted
        host.doc_kind = "quoting"
        src.quoted = True
        src.doc_kind = "quoted-source"


def plan_rare(docs: list[Doc], rng: random.Random) -> None:
    """Each rare site line goes on 6-15 stories (distinct clusters) of its site."""
    for site in SITES:
        clusters: dict[str, list[Doc]] = defaultdict(list)
        for d in docs:
            if d.site is site:
                clusters[d.cluster].append(d)
        keys = list(clusters)
        for line in site.rare:
            lo, hi = RARE_RANGE
            if len(keys) < lo:
                continue
            for key in rng.sample(keys, rng.randint(lo, min(hi, len(keys)))):
                for d in clusters[key]:
                    if d.dup_kind != "recrawl":
                        d.rare.append(line)


# ------------------------------------------------------------------------------- wire


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_FIGURE = re.compile(r"\S*\d\S*")
_ROW_LABEL = re.compile(r"^(?:year|qtr|\w+ mths|\w+ months|\w+ weeks|\w+ qtr|note:?.*)$", re.I)


def furniture() -> set[str]:
    """Every fixed line the site templates print (a wire story holding one is left out)."""
    out: set[str] = set()
    for s in SITES:
        out.update(s.header + s.nav + s.footer + s.poll + s.rare)
        out.update(x for x in (s.share, s.newsletter, s.copyright, s.cookie, s.advert) if x)
    return out | {"Archives", "Mo Tu We Th Fr Sa Su"}


_FURNITURE = furniture()


def _clean_wire(w: Wire) -> bool:
    """No control characters, no line twice (a repeated row would be ambiguous), no line
    that is also a site's navigation or widget line."""
    if _CONTROL.search(w.body) or "###" in w.body:
        return False
    lines = [x.strip() for x in w.body.split("\n") if x.strip()]
    return len(lines) == len(set(lines)) and not _FURNITURE.intersection(lines)


def _is_row(line: str) -> bool:
    """A table row or row label of a Reuters table (``Shr 19 cts vs 38 cts``, ``Nine mths``)."""
    s = line.strip()
    if not s or s == SIGNOFF:
        return False
    if len(s) <= 60 and len(_FIGURE.findall(s)) >= 0.3 * len(s.split()):
        return True
    return bool(_ROW_LABEL.match(s))


def _category(w: Wire) -> str | None:
    n = len(words(w.body))
    lines = w.body.split("\n")
    if n < 20:
        return "wire-brief"
    if any(x.lstrip().startswith("Shr ") for x in lines):
        return "wire-table"
    if n >= 60 and not any(_is_row(x) for x in lines):
        return "wire-prose"
    return None


def plan_wire(wires: tuple[Wire, ...], n_wire: int, rng: random.Random) -> list[Doc]:
    """Reuters stories on one wire site: earnings tables, prose, short briefs, byte-identical
    short repeats, and template reports that differ only in their figures."""
    if not wires or n_wire <= 0:
        return []
    bodies = Counter(w.body for w in wires)
    mask = Counter(re.sub(r"\d", "#", w.title or "") for w in wires)
    by_id = {w.id: w for w in wires}
    template_ids = {i for pair in TEMPLATE_PAIRS for i in pair}
    docs: list[Doc] = []
    taken: list[set[str]] = []

    def free(w: Wire) -> bool:  # no overlap with an already chosen story
        sh = shingles(w.body, 5)
        if any(len(sh & t) >= 0.05 * min(len(sh), len(t)) for t in taken if t and sh):
            return False
        taken.append(sh)
        return True

    def add(w: Wire, kind: str, titled: bool, cluster: str | None = None) -> Doc:
        d = Doc(w.id, WIRE, "single", cluster or w.id, doc_kind=kind)
        d.title = w.title if titled else None
        d.wire_body = w.body
        docs.append(d)
        return d

    # byte-identical short repeats: real pairs of stories with the same short body
    n_pairs = max(2, round(0.08 * n_wire))
    seen: dict[str, Wire] = {}
    real = 0
    for w in wires:
        if real >= n_pairs or bodies[w.body] != 2 or len(words(w.body)) >= 20:
            continue
        if w.body not in seen:
            seen[w.body] = w
            continue
        first = seen[w.body]
        if _clean_wire(w) and first.body.endswith(SIGNOFF) and free(first):
            add(first, "wire-brief", False)
            c = add(w, "wire-brief", False, cluster=first.id)
            c.copy_of, c.dup_kind = first.id, "exact-short"
            real += 1
    # the general pool, classified lazily in a seeded random order
    quota = {
        "wire-table": round(0.45 * n_wire),
        "wire-prose": round(0.25 * n_wire),
        "wire-brief": round(0.15 * n_wire),
    }
    pool = [
        w
        for w in wires
        if bodies[w.body] == 1
        and w.id not in template_ids
        and w.title
        and mask[re.sub(r"\d", "#", w.title)] == 1
        and w.body.endswith("\n " + SIGNOFF)
    ]
    for w in rng.sample(pool, len(pool)):
        if not any(quota.values()):
            break
        kind = _category(w)
        if kind is None or not quota[kind] or not _clean_wire(w) or not free(w):
            continue
        quota[kind] -= 1
        add(w, kind, kind == "wire-prose" or (kind == "wire-table" and rng.random() < 0.5))
    # the same short briefs crawled twice
    paired = {d.copy_of for d in docs if d.copy_of}
    singles = [d for d in docs if d.doc_kind == "wire-brief" and not d.copy_of]
    singles = [d for d in singles if d.id not in paired]
    for d in rng.sample(singles, min(len(singles), max(0, n_pairs - real))):
        c = Doc(f"{d.id}-r1", WIRE, "single", d.cluster, d.id, "exact-short", "wire-brief")
        c.wire_body = d.wire_body
        docs.append(c)
    n_templates = min(len(TEMPLATE_PAIRS), max(1, n_wire // 40))
    for a, b in TEMPLATE_PAIRS[:n_templates]:
        for i in (a, b):
            if i in by_id:
                add(by_id[i], "template-report", False)
    rng.shuffle(docs)
    # a repeat comes after the story it repeats
    order = {d.id: k for k, d in enumerate(docs)}
    docs.sort(key=lambda d: (order[d.copy_of] + 0.5) if d.copy_of else order[d.id])
    return docs


def render_wire(d: Doc) -> None:
    body = d.wire_body
    kind = {"wire-prose": "wire", "template-report": "template-report"}.get(d.doc_kind, "table")
    pieces = [Piece(d.title, None, "wire-title")] if d.title else []
    for line in body.split("\n"):
        if not line.strip():
            pieces.append(Piece(line, None, "blank"))
        elif line.strip() in (SIGNOFF, SIGNOFF.upper()):
            pieces.append(Piece(line, "boilerplate", "exact:signoff"))
        else:
            pieces.append(Piece(line, None, kind))
    d.pieces = pieces


# ------------------------------------------------------------------------------- rendering


class Renderer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = Names(rng)
        self.questions = list(QUESTIONS)
        rng.shuffle(self.questions)
        self.phones: set[str] = set()

    # -- headline variants ------------------------------------------------------------

    def variants(self, d: Doc) -> list[tuple[str, Piece]]:
        """Headline variants after the headline: (place, piece); place below|between|bottom."""
        rng, h, s = self.rng, d.title or "", d.site
        n = rng.choice([0, 1, 1, 2])
        kinds = ["exact-copy", "case-copy", "teaser", "suffix-video", "label-prefix"]
        kinds += ["quotes", "site-affix", "nbsp"]
        out: list[tuple[str, Piece]] = []
        for kind in rng.sample(kinds, n):
            hw = h.split()
            if kind == "exact-copy":
                text = h
            elif kind == "case-copy":
                text = h.upper() if rng.random() < 0.6 else h.lower()
                if text == h:
                    continue
            elif kind == "teaser":
                if len(hw) < 5:
                    continue
                k = rng.randint(4, len(hw) - 1)
                text = " ".join(hw[:k]) + rng.choice(["…", "...", " …", " ..."])
            elif kind == "suffix-video":
                text = rng.choice(["{} (VIDEO)", "{} - video", "{} | Video"]).format(h)
            elif kind == "label-prefix":
                text = rng.choice(
                    ["BREAKING: {}", "UPDATE 2-{}", "UPDATE 1-{}", "EXCLUSIVE-{}", "EXCLUSIVE: {}"]
                ).format(h)
            elif kind == "quotes":
                text = rng.choice(["“{}”", '"{}"', "‘{}’"]).format(h)
            elif kind == "site-affix":
                text = rng.choice(["{} | {}", "{} - {}"]).format(h, s.name)
            else:
                if " " not in h:
                    continue
                text = h.replace(" ", NBSP)
            if kind in ("exact-copy", "case-copy"):
                place = rng.choice(["below", "between", "bottom"])
            elif kind in ("quotes", "site-affix", "nbsp"):
                place = rng.choice(["below", "bottom"])
            else:
                place = "bottom"
            out.append((place, Piece(text, "headline", kind)))
        return out

    # -- furniture --------------------------------------------------------------------

    def slot(self, slot: str, d: Doc) -> list[Piece]:
        rng, s = self.rng, d.site
        bp = "boilerplate"
        if slot == "header":
            if rng.random() < 0.85:
                return [Piece(x, bp, "exact:nav") for x in s.header] + [
                    Piece(x, bp, "exact:lookalike-nav") for x in s.nav
                ]
            return []
        if slot == "crumb":
            return (
                [Piece(s.crumb.format(s=d.section), bp, "exact:crumb")]
                if rng.random() < 0.9
                else []
            )
        if slot == "section":
            if rng.random() < 0.9:
                return [Piece(s.section.format(s=d.section), bp, "exact:section")]
            return []
        if slot == "stamp":
            if rng.random() < 0.95:
                return [Piece(stamp(s.stamp, d.date, rng), bp, "varying:timestamp")]
            return []
        if slot == "updated":
            return [Piece(stamp("updated", d.date, rng), bp, "varying:updated")]
        if slot == "modified":
            mod = d.date + dt.timedelta(minutes=rng.randrange(5, 3000))
            return [Piece(stamp("modified", mod, rng), bp, "varying:modified")]
        if slot == "pagination":
            if rng.random() < 0.7:
                m = rng.randint(2, 6)
                return [Piece(f"Page {rng.randint(1, m)} of {m}", bp, "varying:page")]
            return []
        if slot == "byline":
            if rng.random() >= 0.6:
                return []
            name = self.names.new()
            text = s.byline.format(name=name, NAME=name.upper(), role=rng.choice(ROLES))
            return [Piece(text, None, "byline")]
        if slot == "archive":
            if rng.random() < 0.6:
                return [Piece("Archives", bp, "exact:widget")] + [
                    Piece(x, bp, "varying:archive") for x in archive_lines(d.date)
                ]
            return []
        if slot == "calendar":
            if rng.random() < 0.6:
                lines = calendar_lines(d.date)
                return (
                    [Piece(lines[0], bp, "varying:calendar")]
                    + [Piece(lines[1], bp, "exact:widget")]
                    + [Piece(x, bp, "varying:calendar") for x in lines[2:]]
                )
            return []
        if slot == "poll":
            if rng.random() < 0.8:
                return [
                    Piece(x, bp, "exact:lookalike-nav" if x in ("Yes", "No") else "exact:widget")
                    for x in s.poll
                ]
            return []
        if slot == "share":
            return [Piece(s.share, bp, "exact:share")] if rng.random() < 0.8 else []
        if slot == "newsletter":
            return [Piece(s.newsletter, bp, "exact:newsletter")] if rng.random() < 0.6 else []
        if slot == "footer":
            if rng.random() < 0.7:
                return [
                    Piece(x, bp, "exact:lookalike-nav" if x == "Contact" else "exact:footer")
                    for x in s.footer
                ]
            return []
        if slot == "copyright":
            return [Piece(s.copyright, bp, "exact:copyright")] if rng.random() < 0.85 else []
        if slot == "cookie":
            return [Piece(s.cookie, bp, "exact:cookie")] if rng.random() < 0.5 else []
        if slot == "rare":
            return [Piece(x, bp, "rare") for x in d.rare]
        raise ValueError(slot)

    # -- the article body -------------------------------------------------------------

    def body(self, d: Doc) -> list[Piece]:
        """Content with negative cases, a repeated paragraph and adverts."""
        rng = self.rng
        content = [Piece(p, None, "body") for p in d.paras]
        if d.quote:
            j = rng.randint(1, len(content) - 1) if len(content) > 1 else 1
            content[j:j] = [Piece(p, None, "quote") for p in d.quote]
        if d.tweet is not None:
            text, who = d.tweet
            j = rng.randint(1, len(content) - 1) if len(content) > 1 else 1
            content[j:j] = [Piece(text, None, "tweet"), Piece(who, None, "tweet")]
        if d.lookalike is not None:
            kind, text = d.lookalike
            lk = f"lookalike:{kind}"
            if kind == "dateline":
                content.insert(0, Piece(text, None, lk))
            elif kind == "answer":
                j = rng.randint(1, len(content) - 1) if len(content) > 1 else 1
                q = self.questions.pop() if self.questions else None
                if q is not None:
                    content[j:j] = [Piece(q, None, "interview"), Piece(text, None, lk)]
            elif kind == "media-label":
                j = rng.randint(1, len(content) - 1) if len(content) > 1 else 1
                content.insert(j, Piece(text, None, lk))
            else:  # a press release's contact block
                phone = ""
                while not phone or phone in self.phones:
                    phone = f"+44 20 7946 {rng.randrange(10000):04d}"
                self.phones.add(phone)
                content += [
                    Piece(text, None, lk),
                    Piece(f"{self.names.new()}, Press Office", None, "press-contact"),
                    Piece(phone, None, "press-contact"),
                ]
        # a paragraph repeated later, exact or lightly edited
        own = [i for i, p in enumerate(content) if p.kind == "body" and len(p.text.split()) >= 12]
        if own and len(content) >= 3 and rng.random() < 0.45:
            i = rng.choice(own[: max(1, len(own) // 2 + 1)])
            exact = rng.random() < 0.5
            text = content[i].text if exact else light_edit(content[i].text, rng)
            j = rng.randint(i + 2, len(content)) if i + 2 <= len(content) else len(content)
            content.insert(j, Piece(text, "paragraph", "exact" if exact else "edited"))
        return content

    def adverts(self, d: Doc, content: list[Piece]) -> list[Piece]:
        """Adverts between two plain paragraphs (never next to a negative case)."""
        rng = self.rng
        if not d.site.advert or len(content) < 3 or rng.random() >= 0.6:
            return content
        plain = {"body", "exact", "edited"}
        for _ in range(rng.randint(1, 2)):
            spots = [
                j
                for j in range(1, len(content))
                if content[j - 1].kind in plain and content[j].kind in plain
            ]
            if spots:
                content.insert(
                    rng.choice(spots), Piece(d.site.advert, "boilerplate", "exact:advert")
                )
        return content

    # -- whole pages ------------------------------------------------------------------

    def page(self, d: Doc) -> None:
        rng, s = self.rng, d.site
        h = d.title or ""
        pieces: list[Piece] = []
        if s.title_tag and rng.random() < 0.7:
            tag = s.title_tag.format(h=h, s=d.section)
            pieces.append(Piece(tag, "headline", f"title-tag:{s.title_tag_kind}"))
        for slot in s.top:
            pieces += self.slot(slot, d)
        rare_done = False
        if d.rare and rng.random() < 0.3:
            pieces += self.slot("rare", d)
            rare_done = True
        pieces.append(Piece(h, None, "title"))
        variants = self.variants(d)
        pieces += [p for place, p in variants if place == "below"]
        for slot in s.below:
            pieces += self.slot(slot, d)
        content = self.body(d)
        for place, p in variants:
            if place == "between" and len(content) > 1:
                content.insert(rng.randint(1, len(content) - 1), p)
            elif place == "between":
                content.append(p)
        content = self.adverts(d, content)
        pieces += content
        for slot in s.bottom:
            if slot == "variants":
                pieces += [p for place, p in variants if place == "bottom"]
            elif slot == "rare":
                if not rare_done:
                    pieces += self.slot("rare", d)
            else:
                pieces += self.slot(slot, d)
        if not rare_done and "rare" not in s.bottom:
            pieces += self.slot("rare", d)
        d.pieces = pieces

    def oneline(self, d: Doc) -> None:
        """A single-line text: paragraphs joined by a space (an extraction with no line
        breaks) or by `` ### `` (the asprout layout, with its site's chunks)."""
        rng, s, h = self.rng, d.site, d.title or ""
        pieces: list[Piece] = []
        if d.layout == "space":
            mode = rng.choices(["none", "once", "twice"], [0.3, 0.35, 0.35])[0]
            if mode != "none":
                pieces.append(Piece(h, None, "title"))
            if mode == "twice":
                pieces.append(Piece(h, "headline", "oneline-repeat"))
            pieces += [Piece(p, None, "body") for p in d.paras]
            d.pieces = pieces
            return
        pieces.append(Piece(h, None, "title"))
        if rng.random() < 0.5:
            pieces.append(Piece(h, "headline", "hash-repeat"))
        if rng.random() < 0.3:
            name = self.names.new()
            pieces.append(Piece(f"By {name}", None, "byline"))
        content = [Piece(p, None, "body") for p in d.paras]
        own = [i for i, p in enumerate(content) if len(p.text.split()) >= 12]
        if own and len(content) >= 3 and rng.random() < 0.45:
            i = rng.choice(own[: max(1, len(own) // 2 + 1)])
            exact = rng.random() < 0.5
            text = content[i].text
            if not exact:  # an edit that is not a substring of the paragraph (spans are counted)
                for _ in range(6):
                    text = light_edit(content[i].text, rng)
                    if text not in content[i].text:
                        break
            j = rng.randint(i + 2, len(content)) if i + 2 <= len(content) else len(content)
            content.insert(j, Piece(text, "paragraph", "exact" if exact else "edited"))
        pieces += self.adverts(d, content)
        if rng.random() < 0.8:
            pieces.append(Piece(s.share, "boilerplate", "exact:share"))
        pieces += self.slot("rare", d)
        if rng.random() < 0.85:
            pieces.append(Piece(s.copyright, "boilerplate", "exact:copyright"))
        # their own kinds, so the tables show what splitting at ` ### ` would gain
        for p in pieces:
            if p.rule in ("paragraph", "boilerplate"):
                p.kind = HASH_KINDS.get(p.kind, p.kind)
        d.pieces = pieces


HASH_KINDS = {
    "exact": "hash:exact",
    "edited": "hash:edited",
    "exact:advert": "hash:more",
    "exact:share": "hash:share",
    "exact:copyright": "hash:copyright",
    "rare": "hash:rare",
}


def render(docs: list[Doc], rng: random.Random) -> None:
    r = Renderer(rng)
    by_id = {d.id: d for d in docs}
    for d in docs:
        if d.site.scraper == "wire":
            render_wire(d)
        elif d.dup_kind == "recrawl" and d.copy_of is not None:
            src = by_id[d.copy_of]
            d.layout, d.pieces = src.layout, [replace(p) for p in src.pieces]
        elif d.spans:
            r.oneline(d)
        else:
            r.page(d)


# ------------------------------------------------------------------------------- checks


def sep_of(layout: str) -> str:
    return {"blank": "\n\n", "single": "\n", "space": " ", "hash": " ### "}[layout]


def label_text(d: Doc, p: Piece) -> str:
    return p.text if d.spans else norm_line(p.text)


def perfect_text(d: Doc) -> str:
    return sep_of(d.layout).join(p.text for p in d.pieces if p.rule is None)


def _stories(docs: Iterable[Doc], pred: Callable[[Doc, Piece], str | None]) -> dict[str, set[str]]:
    """Key -> distinct clusters holding a piece with that key."""
    out: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        for p in d.pieces:
            key = pred(d, p)
            if key is not None:
                out[key].add(d.cluster)
    return out


def check(docs: list[Doc]) -> dict[str, int]:
    """Make every label exact (drop boilerplate too rare to be boilerplate), then assert the
    invariants of the module docstring.  Returns how many pieces were dropped, per kind."""
    dropped: Counter[str] = Counter()
    # single-line texts: every span occurs as often in the perfect output as labelled
    for d in docs:
        if not d.spans:
            continue
        perfect = perfect_text(d)
        stay = Counter(p.text for p in d.pieces if p.rule is None)
        keep = []
        for p in d.pieces:
            if p.rule is not None and perfect.count(p.text) != stay[p.text]:
                dropped[p.kind] += 1
                continue
            keep.append(p)
        d.pieces = keep
        perfect = perfect_text(d)
        for text, n in stay.items():
            assert perfect.count(text) == n, (d.id, text)

    def bkey(d: Doc, p: Piece) -> str | None:
        if p.rule != "boilerplate":
            return None
        if p.kind.startswith("varying:"):  # it recurs by its shape
            return f"{d.site.key}\t{shape(label_text(d, p))}"
        return f"{d.site.key}\t{label_text(d, p)}"

    counts = _stories(docs, bkey)
    for d in docs:
        keep = []
        for p in d.pieces:
            key = bkey(d, p)
            if key is not None and len(counts[key]) < MIN_STORIES:
                dropped[p.kind] += 1
                continue
            keep.append(p)
        d.pieces = keep
    # no must-stay text is a boilerplate text; recurring content is a table row or a tweet
    boiler = {label_text(d, p) for d in docs for p in d.pieces if p.rule == "boilerplate"}
    varying = {
        shape(label_text(d, p))
        for d in docs
        for p in d.pieces
        if p.rule == "boilerplate" and p.kind.startswith("varying:")
    }
    stay_stories = _stories(
        docs, lambda d, p: label_text(d, p) if p.rule is None and p.text.strip() else None
    )
    kinds: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        for p in d.pieces:
            if p.rule is None:
                kinds[label_text(d, p)].add(p.kind)
    for text, clusters in stay_stories.items():
        assert text not in boiler, f"must-stay text is boilerplate elsewhere: {text!r}"
        if len(text) <= 100 and not kinds[text] & {"table", "template-report"}:
            assert shape(text) not in varying, f"must-stay text has a boilerplate shape: {text!r}"
        if len(clusters) >= MIN_STORIES:
            assert kinds[text] <= {"table", "tweet", "wire"}, f"recurring: {text!r} {kinds[text]}"
        if any(k.startswith("lookalike:") for k in kinds[text]):
            assert len(clusters) <= MAX_LOOKALIKE, text
    # a headline repeat never equals other content of its page
    for d in docs:
        stays = {label_text(d, p) for p in d.pieces if p.rule is None and p.kind != "title"}
        for p in d.pieces:
            if p.rule in ("headline", "boilerplate"):
                assert label_text(d, p) not in stays, (d.id, p.text)
    return dict(sorted(dropped.items()))


# ------------------------------------------------------------------------------- API


def build(
    bases: list[Base],
    wires: tuple[Wire, ...],
    n_articles: int,
    copy_rate: float,
    seed: int,
) -> tuple[list[Doc], dict[str, int]]:
    rng = random.Random(seed)
    bases = usable_bases(bases)
    docs = plan_articles(bases, n_articles, copy_rate, rng)
    plan_negatives(docs, n_articles, rng)
    plan_rare(docs, rng)
    docs += plan_wire(wires, max(10, n_articles // 10), rng)
    render(docs, rng)
    dropped = check(docs)
    return docs, dropped


def write(docs: list[Doc], out: Path) -> dict[str, int]:
    if out.exists():
        for sub in ("txt", "jsonl"):
            shutil.rmtree(out / sub, ignore_errors=True)
    (out / "txt").mkdir(parents=True, exist_ok=True)
    (out / "jsonl").mkdir(parents=True, exist_ok=True)
    by_site: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    with (out / "truth.jsonl").open("w", encoding="utf-8") as truth:
        for d in docs:
            sep = sep_of(d.layout)
            texts = [p.text for p in d.pieces]
            path = out / "txt" / d.site.key / f"{d.id}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sep.join(texts) + "\n", encoding="utf-8")
            titled = not d.spans and bool(d.pieces) and d.pieces[0].kind in ("title", "wire-title")
            rec: dict[str, object] = {"id": d.id}
            if titled:
                rec["title"] = texts[0]
                rec["text"] = sep.join(texts[1:])
            else:
                rec["text"] = sep.join(texts)
            rec["site"] = d.site.key
            rec["url"] = f"https://{d.site.host}/{d.section.lower() or 'news'}/{d.id}"
            by_site.setdefault(d.site.key, []).append(json.dumps(rec, ensure_ascii=False))
            labelled = [p for p in d.pieces if p.text.strip()]
            stay = [p for p in labelled if p.rule is None]
            go = [p for p in labelled if p.rule is not None]
            counts["articles"] += 1
            counts["copies"] += d.copy_of is not None
            counts["stay"] += len(stay)
            counts["go"] += len(go)
            counts[f"layout_{d.layout}"] += 1
            row: dict[str, object] = {
                "id": d.id,
                "site": d.site.key,
                "txt": f"{d.site.key}/{d.id}.txt",
                "jsonl": f"{d.site.key}.jsonl",
                "layout": d.layout,
                "scoring": "spans" if d.spans else "lines",
            }
            if d.spans:
                row["sep"] = sep
            row |= {
                "cluster": d.cluster,
                "copy_of": d.copy_of,
                "dup_kind": d.dup_kind,
                "doc_kind": d.doc_kind,
                "title_field": titled,
                "stay": [label_text(d, p) for p in stay],
                "stay_kind": [p.kind for p in stay],
                "go": [{"text": label_text(d, p), "rule": p.rule, "kind": p.kind} for p in go],
            }
            truth.write(json.dumps(row, ensure_ascii=False) + "\n")
    for key in sorted(by_site):
        (out / "jsonl" / f"{key}.jsonl").write_text("\n".join(by_site[key]) + "\n", "utf-8")
    return dict(counts)


def kinds_summary(docs: list[Doc]) -> dict[str, int]:
    """Labelled pieces per rule/kind, for meta.json."""
    c: Counter[str] = Counter()
    for d in docs:
        for p in d.pieces:
            if p.text.strip():
                c[f"{p.rule or 'stay'}/{p.kind}"] += 1
        if d.dup_kind:
            c[f"document/{d.dup_kind}"] += 1
    return dict(sorted(c.items()))


# What each label kind stands for (the rows of the phenomenon table in bench/README.md).
KIND_LABELS: dict[str, str] = {
    # must stay
    "title": "the headline (its one plain copy)",
    "body": "article paragraphs",
    "byline": "one-off byline (`By Jane Doe, Staff Writer`), often above the headline",
    "quote": "two paragraphs quoted from another story",
    "tweet": "quoted tweet + attribution, quoted by 6-9 sites",
    "table": "Reuters table rows (`Shr 19 cts vs 38 cts`, `Nine mths`)",
    "wire": "Reuters wire text (hard-wrapped lines)",
    "wire-title": "Reuters headline",
    "template-report": "template report rows (`MINNEAPOLIS WHEAT`, rate tables)",
    "lookalike:contact": "`CONTACT:` in a press release (nav `Contact` elsewhere)",
    "lookalike:dateline": "`LONDON --` dateline line (nav `London` elsewhere)",
    "lookalike:answer": "`Yes.` / `No.` answering a question (poll `Yes` elsewhere)",
    "lookalike:media-label": "`PHOTOS:` / `VIDEO:` content labels (nav `Photos` elsewhere)",
    "interview": "interview question line",
    "press-contact": "press-release contact name and phone",
    # headline
    "title-tag:multi-affix": "title tag `Headline - Section - News - Breaking News - Site`",
    "title-tag:site-prefix-multi": "title tag `Site: Slogan :: Section News :: Headline`",
    "title-tag:underscore": "title tag `Headline_English_Site`",
    "title-tag:colon-section": "title tag `Headline : Section`",
    "title-tag:long-site": "title tag `Headline - Site (Site Corporation)`",
    "title-tag:pipe-prefix": "title tag `Site | Section | Headline`",
    "title-tag:site-prefix": "title tag `Site: Headline`",
    "title-tag:pipe-suffix-multi": "title tag `Headline | Section | Site`",
    "teaser": "teaser cut with an ellipsis (4+ words of the headline's start)",
    "suffix-video": "`Headline (VIDEO)` / `- video` / `| Video`",
    "label-prefix": "`BREAKING:` / `UPDATE 2-` / `EXCLUSIVE-` + headline",
    "exact-copy": "exact copy further down the page",
    "case-copy": "upper- or lower-case copy further down",
    "quotes": "headline in quotes",
    "site-affix": "`Headline | Site` / `Headline - Site`",
    "nbsp": "headline with no-break spaces",
    "oneline-repeat": "`Title Title Body` at the start of a one-line text",
    "hash-repeat": "`Title ### Title ###` (asprout layout)",
    # paragraph
    "exact": "exact repeat",
    "edited": "lightly edited repeat",
    "hash:exact": "exact repeat, in a ` ### ` text",
    "hash:edited": "lightly edited repeat, in a ` ### ` text",
    # boilerplate
    "exact:nav": "header navigation",
    "exact:lookalike-nav": "one-word navigation/poll lines (`Contact`, `London`, `Yes`, `Photos`)",
    "exact:crumb": "breadcrumb (`Home > News > World`), above the headline",
    "exact:section": "section label (`Sport News`), above the headline",
    "exact:share": "share bar",
    "exact:newsletter": "newsletter prompt",
    "exact:footer": "footer links",
    "exact:copyright": "copyright line",
    "exact:cookie": "cookie notice",
    "exact:advert": "advert label between paragraphs",
    "exact:widget": "widget headers (`Archives`, weekday row, poll question)",
    "exact:signoff": "wire sign-off (` Reuter`)",
    "varying:timestamp": "timestamp line, one format per site (`Published 10:49 p.m. ET ...`)",
    "varying:updated": "`Updated 3 hours ago`",
    "varying:modified": "`Last modified on Tue 4 Jun 2019 10.21 BST`",
    "varying:page": "`Page 2 of 5`",
    "varying:archive": "archive list of months (`December 2018`)",
    "varying:calendar": "calendar widget: month and week rows of day numbers",
    "rare": "site line on only 6-15 stories (< 1% of the corpus)",
    "hash:more": "`More` chunk between paragraphs, in ` ### ` texts",
    "hash:share": "share chunk, in ` ### ` texts",
    "hash:copyright": "copyright chunk, in ` ### ` texts",
    "hash:rare": "rare site chunk (6-15 stories), in ` ### ` texts",
    # documents
    "doc:syndicated": "syndicated copy (edits, dropped paragraphs, dateline, retitled)",
    "doc:abridged": "abridged copy (the first third of the original)",
    "doc:recrawl": "the same page crawled twice (byte-identical)",
    "doc:exact-short": "byte-identical repeat of a wire brief under 20 words",
    "doc:quoting": "story quoting two paragraphs of another",
    "doc:quoted-source": "story whose paragraphs another quotes",
    "doc:template-report": "template report differing only in figures (pairs)",
    "doc:wire-brief": "distinct wire briefs under 20 words",
    "doc:wire-table": "Reuters earnings tables",
}


__all__ = ["Doc", "Piece", "SiteSpec", "build", "check", "kinds_summary", "shape", "write"]
