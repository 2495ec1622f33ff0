#!/usr/bin/env python3
"""Build a labelled corpus of damaged news scrapes from real articles.

Real BBC and asprout articles (read at run time from ``--data``; base articles
that overlap each other are left out so labels are exact) get the damage seen
in real scrapes: repeated headlines (exact and variants), a paragraph repeated
later (exact or lightly edited), per-site boilerplate lines, and syndicated
copies at other sites (dateline, dropped/truncated paragraphs, changed words,
retitled headline).  Both paragraph layouts are used.

Writes into OUT:
  txt/<site>/<id>.txt     one article per file, first line the title
  jsonl/<site>.jsonl      the same articles, fields id, title, text, site, url
  truth.jsonl             per article: lines that must stay, lines that must go
                          (with the rule), cluster and which article it copies
  meta.json               the options used and counts

With --hard, the hard corpus of issue 8 instead (see bench/hardcorpus.py and
bench/README.md): real pages' phenomena (title-tag variants, timestamps and
bylines above the headline, single-line texts, varying and rare boilerplate,
abridged copies, byte-identical short repeats) and negative cases that must stay
(quoted paragraphs, short look-alike lines, tables, quoted tweets, template
reports).  Its truth.jsonl adds per article "scoring" ("lines", or "spans" for
single-line texts with their "sep"), "stay_kind", a "kind" per must-go item,
"dup_kind" and "doc_kind".

Example: python bench/make_corpus.py --articles 400 --seed 1 --out /tmp/corpus
         python bench/make_corpus.py --hard --articles 2000 --seed 1 --out /tmp/hard
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import DEFAULT_DATA, Base, load_bases, load_reuters

NBSP = "\u00a0"

SITE_NAMES = [
    ("The Daily Courier", "dailycourier"),
    ("Metro Ledger", "metroledger"),
    ("Northern Star Online", "northernstar"),
    ("The Evening Gazette", "eveninggazette"),
    ("Capital Wire", "capitalwire"),
    ("Harbour Times", "harbourtimes"),
    ("The Plainsman", "plainsman"),
    ("Riverside Post", "riversidepost"),
    ("Global Dispatch", "globaldispatch"),
    ("The Valley Herald", "valleyherald"),
    ("Coastline News", "coastlinenews"),
    ("Summit Observer", "summitobserver"),
]

HEADERS = [
    ["Skip to main content", "Home | News | World | Business | Sport | Opinion"],
    ["Menu", "Search", "Sign in"],
    ["Jump to navigation", "News Politics Business Tech Culture Sport"],
    ["Home > News > Latest"],
    ["Subscribe now | Log in", "Today's paper"],
    ["Breaking News", "Trending: Politics, Economy, Weather"],
]
SHARES = [
    "Share this article",
    "Share on Facebook Share on Twitter Share via Email",
    "Share this story: Facebook | Twitter | LinkedIn | WhatsApp",
    "Tweet Share Email Print",
    "SHARE THIS ARTICLE",
]
NEWSLETTERS = [
    "Sign up to the {name} newsletter for the day's top stories, delivered every morning.",
    "Get the best of {name} in your inbox. Sign up for our free daily newsletter.",
    "Newsletter: Subscribe to receive our morning briefing.",
    "Don't miss a story: sign up for {name} alerts and newsletters.",
]
COPYRIGHTS = [
    "© {year} {name}. All rights reserved.",
    "Copyright © {year} {name} Ltd. All Rights Reserved.",
    "(c) {year} {name} | Terms of use | Privacy policy",
]
COOKIES = [
    "We use cookies to give you the best experience on our website. By continuing to browse "
    "you agree to our use of cookies.",
    "This site uses cookies. Find out more in our cookie policy. Accept and close",
    "{name} uses cookies to personalise content and ads. Manage your preferences.",
]
ADVERTS = ["Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Advert"]
FOOTERS = [
    ["About us | Contact | Careers | Advertise with us"],
    ["Follow us on Facebook, Twitter and Instagram"],
    ["Terms and Conditions", "Privacy Notice"],
]
CITIES = ["LONDON", "NEW YORK", "WASHINGTON", "PARIS", "BRUSSELS", "TOKYO", "SYDNEY", "BERLIN"]
SYNONYMS = {
    "said": "stated",
    "says": "states",
    "but": "however",
    "big": "large",
    "show": "indicate",
    "shows": "indicates",
    "help": "assist",
    "also": "additionally",
    "buy": "purchase",
    "start": "begin",
    "people": "persons",
    "government": "administration",
    "company": "firm",
    "new": "fresh",
    "about": "around",
    "many": "numerous",
    "very": "highly",
    "because": "since",
    "before": "prior to",
    "after": "following",
}


@dataclass
class Site:
    key: str
    name: str
    header: list[str]
    share: str
    newsletter: str
    copyright_: list[str]
    cookie: str
    advert: str
    footer: list[str]


@dataclass
class Doc:
    id: str
    site: Site
    title: str
    layout: str  # "blank" | "single"
    cluster: str
    copy_of: str | None
    # ordered body lines, each (text, rule or None for must-stay)
    body: list[tuple[str, str | None]] = field(default_factory=list)


def make_sites(n: int, rng: random.Random) -> list[Site]:
    sites = []
    for i in range(n):
        name, key = SITE_NAMES[i % len(SITE_NAMES)]
        if i >= len(SITE_NAMES):
            key, name = f"{key}{i}", f"{name} {i}"
        years = ["2018", "2019"]
        sites.append(
            Site(
                key=key,
                name=name,
                header=list(HEADERS[rng.randrange(len(HEADERS))]),
                share=rng.choice(SHARES),
                newsletter=rng.choice(NEWSLETTERS).format(name=name),
                copyright_=[rng.choice(COPYRIGHTS).format(year=y, name=name) for y in years],
                cookie=rng.choice(COOKIES).format(name=name),
                advert=rng.choice(ADVERTS),
                footer=list(FOOTERS[rng.randrange(len(FOOTERS))]),
            )
        )
    return sites


def headline_variant(title: str, site: Site, rng: random.Random) -> str:
    kind = rng.choice(["exact", "exact", "upper", "lower", "quotes", "pipe", "dash", "nbsp"])
    if kind == "upper":
        return title.upper()
    if kind == "lower":
        return title.lower()
    if kind == "quotes":
        return rng.choice(["“{}”", '"{}"', "‘{}’"]).format(title)
    if kind == "pipe":
        return f"{title} | {site.name}"
    if kind == "dash":
        return f"{title} - {site.name}"
    if kind == "nbsp":
        return title.replace(" ", NBSP)
    return title


def change_words(text: str, rng: random.Random, n: int) -> str:
    toks = text.split(" ")
    cands = [i for i, t in enumerate(toks) if t.lower() in SYNONYMS]
    rng.shuffle(cands)
    changed = 0
    for i in cands[:n]:
        rep = SYNONYMS[toks[i].lower()]
        toks[i] = rep.capitalize() if toks[i][:1].isupper() else rep
        changed += 1
    while changed < n and len(toks) > 8:  # fall back to deleting a word
        del toks[rng.randrange(1, len(toks) - 1)]
        changed += 1
    return " ".join(toks)


def light_edit(text: str, rng: random.Random) -> str:
    """A lightly edited paragraph: one word changed or dropped, or punctuation changed."""
    for _ in range(4):
        kind = rng.choice(["word", "drop", "punct", "quote"])
        if kind == "word" or kind == "drop":
            out = change_words(text, rng, 1) if kind == "word" else change_words(text, rng, 0)
            if kind == "drop" or out == text:
                toks = text.split(" ")
                del toks[rng.randrange(1, len(toks) - 1)]
                out = " ".join(toks)
        elif kind == "punct":
            out = text[:-1] if text.endswith(".") else text + "."
        else:
            out = text.replace('"', "“", 1) if '"' in text else text.replace(",", "", 1)
        if out != text:
            return out
    return text + " "  # never reached for real paragraphs; keeps the edit non-empty


def retitle(title: str, rng: random.Random) -> str:
    kind = rng.choice(["update", "suffix", "prefix", "words"])
    if kind == "update":
        return f"UPDATE {rng.randint(1, 3)}-{title}"
    if kind == "suffix":
        return f"{title}{rng.choice([', officials say', ': report', ' - sources', ' (video)'])}"
    if kind == "prefix":
        return f"{rng.choice(['Analysis', 'Explainer', 'Update', 'Watch'])}: {title}"
    out = change_words(title, rng, 1)
    return out if out != title else f"{title} again"


def syndicate(base: Base, rng: random.Random, site: Site) -> tuple[str, list[str]]:
    paras = list(base.paragraphs)
    if len(paras) >= 5 and rng.random() < 0.5:  # drop one paragraph (not the lead)
        del paras[rng.randrange(1, len(paras))]
    if len(paras) >= 5 and rng.random() < 0.4:  # truncate
        keep = max(3, int(len(paras) * rng.uniform(0.7, 0.9)))
        paras = paras[:keep]
    for _ in range(rng.randint(1, 3)):  # a few changed words
        i = rng.randrange(len(paras))
        paras[i] = change_words(paras[i], rng, 1)
    if rng.random() < 0.6:  # dateline
        city = rng.choice(CITIES)
        paras[0] = f"{city} ({site.name}) - {paras[0]}"
    title = retitle(base.title, rng) if rng.random() < 0.5 else base.title
    return title, paras


def damage(doc: Doc, paras: list[str], rng: random.Random) -> None:
    """Fill ``doc.body`` from clean paragraphs, adding scrape damage with labels."""
    s = doc.site
    body: list[tuple[str, str | None]] = []
    if rng.random() < 0.85:
        body += [(h, "boilerplate") for h in s.header]
    if rng.random() < 0.7:
        body.append((headline_variant(doc.title, s, rng), "headline"))
    content: list[tuple[str, str | None]] = [(p, None) for p in paras]
    # a paragraph repeated later, exact or lightly edited
    long_ix = [i for i, p in enumerate(paras) if len(p.split()) >= 12]
    if long_ix and len(paras) >= 3 and rng.random() < 0.45:
        i = rng.choice(long_ix[: max(1, len(long_ix) // 2 + 1)])
        rep = paras[i] if rng.random() < 0.5 else light_edit(paras[i], rng)
        j = rng.randint(i + 2, len(content)) if i + 2 <= len(content) else len(content)
        content.insert(j, (rep, "paragraph"))
    # adverts between paragraphs
    if len(content) >= 3 and rng.random() < 0.6:
        for _ in range(rng.randint(1, 2)):
            j = rng.randint(1, len(content) - 1)
            content.insert(j, (s.advert, "boilerplate"))
    body += content
    if rng.random() < 0.3:
        body.append((headline_variant(doc.title, s, rng), "headline"))
    if rng.random() < 0.8:
        body.append((s.share, "boilerplate"))
    if rng.random() < 0.7:
        body.append((s.newsletter, "boilerplate"))
    if rng.random() < 0.5:
        body += [(f, "boilerplate") for f in s.footer]
    if rng.random() < 0.85:
        body.append((rng.choice(s.copyright_), "boilerplate"))
    if rng.random() < 0.6:
        body.append((s.cookie, "boilerplate"))
    doc.body = body


def build(
    bases: list[Base], n_articles: int, n_sites: int, copy_rate: float, seed: int
) -> list[Doc]:
    rng = random.Random(seed)
    sites = make_sites(n_sites, rng)
    chosen = rng.sample(bases, min(n_articles, len(bases)))
    docs: list[Doc] = []
    for base in chosen:
        site = rng.choice(sites)
        layout = rng.choice(["blank", "single"])
        d = Doc(base.id, site, base.title, layout, base.id, None)
        damage(d, list(base.paragraphs), rng)
        docs.append(d)
        if rng.random() < copy_rate:
            others = [x for x in sites if x is not site]
            for k, csite in enumerate(rng.sample(others, min(len(others), rng.randint(1, 3)))):
                title, paras = syndicate(base, rng, csite)
                c = Doc(
                    f"{base.id}-s{k + 1}",
                    csite,
                    title,
                    rng.choice(["blank", "single"]),
                    base.id,
                    base.id,
                )
                damage(c, paras, rng)
                docs.append(c)
    return docs


def write(docs: list[Doc], out: Path) -> dict[str, int]:
    if out.exists():
        for sub in ("txt", "jsonl"):
            shutil.rmtree(out / sub, ignore_errors=True)
    (out / "txt").mkdir(parents=True, exist_ok=True)
    (out / "jsonl").mkdir(parents=True, exist_ok=True)
    by_site: dict[str, list[str]] = {}
    counts = {"articles": len(docs), "copies": 0, "stay": 0, "go": 0}
    with (out / "truth.jsonl").open("w", encoding="utf-8") as truth:
        for d in docs:
            sep = "\n\n" if d.layout == "blank" else "\n"
            lines = [d.title] + [t for t, _ in d.body]
            path = out / "txt" / d.site.key / f"{d.id}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sep.join(lines) + "\n", encoding="utf-8")
            rec = {
                "id": d.id,
                "title": d.title,
                "text": sep.join(t for t, _ in d.body),
                "site": d.site.key,
                "url": f"https://{d.site.key}.example/{d.id}",
            }
            by_site.setdefault(d.site.key, []).append(json.dumps(rec, ensure_ascii=False))
            stay = [d.title] + [t for t, r in d.body if r is None]
            go = [{"text": t, "rule": r} for t, r in d.body if r is not None]
            counts["stay"] += len(stay)
            counts["go"] += len(go)
            counts["copies"] += d.copy_of is not None
            truth.write(
                json.dumps(
                    {
                        "id": d.id,
                        "site": d.site.key,
                        "txt": f"{d.site.key}/{d.id}.txt",
                        "jsonl": f"{d.site.key}.jsonl",
                        "layout": d.layout,
                        "cluster": d.cluster,
                        "copy_of": d.copy_of,
                        "stay": stay,
                        "go": go,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    for key in sorted(by_site):
        (out / "jsonl" / f"{key}.jsonl").write_text("\n".join(by_site[key]) + "\n", "utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--articles", type=int, default=1000, help="base articles to use")
    ap.add_argument("--hard", action="store_true", help="build the hard corpus (issue 8)")
    ap.add_argument(
        "--sites", type=int, default=8, help="number of sites (easy corpus; the hard one has 14)"
    )
    ap.add_argument(
        "--copy-rate",
        type=float,
        default=0.15,
        help="share of base articles syndicated to 1-3 other sites",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--sources",
        default=None,
        help="comma list: bbc, asprout, reuters (default: bbc,asprout; --hard adds reuters)",
    )
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        ap.error(f"data folder not found: {args.data}")
    if args.sources is None:
        args.sources = "bbc,asprout,reuters" if args.hard else "bbc,asprout"
    sources = tuple(args.sources.split(","))
    bases = load_bases(args.data, tuple(s for s in sources if s != "reuters"))
    if args.hard:
        return main_hard(args, bases, sources)
    docs = build(bases, args.articles, args.sites, args.copy_rate, args.seed)
    counts = write(docs, args.out)
    meta = {
        "seed": args.seed,
        "base_articles": args.articles,
        "sites": args.sites,
        "copy_rate": args.copy_rate,
        "sources": args.sources,
        "bases_available": len(bases),
        **counts,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(meta))
    return 0


def main_hard(args: argparse.Namespace, bases: list[Base], sources: tuple[str, ...]) -> int:
    import hardcorpus

    wires = load_reuters(args.data) if "reuters" in sources else ()
    docs, dropped = hardcorpus.build(bases, wires, args.articles, args.copy_rate, args.seed)
    counts = hardcorpus.write(docs, args.out)
    meta = {
        "corpus": "hard",
        "seed": args.seed,
        "base_articles": args.articles,
        "copy_rate": args.copy_rate,
        "sources": args.sources,
        "bases_available": len(bases),
        "bases_headline_like": len(hardcorpus.usable_bases(bases)),
        "reuters_available": len(wires),
        **counts,
        "dropped_by_check": dropped,
        "labels": hardcorpus.kinds_summary(docs),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in meta.items() if k not in ("labels", "dropped_by_check")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
