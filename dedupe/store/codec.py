"""Packed values of an index: article records, segment-key counts, sites.

Every value is little-endian bytes of fixed layout, so that SQLite, Redis and the
memory store hold the same bytes and an export is the same from each.

An **article record** (table ``articles``, key: the article number) holds what later
runs need of an article: its id, run, day, site and story; for an indexed article (a
kept one, or a dropped copy that stays in the index so that a copy of a copy is found:
its ``rep`` is then the kept article) its exact digest and, when it is long enough to
be matched, its body's MinHash signature, sizes, figure sketch and paragraph anchors;
and the segment keys whose counts it brought (``keys``, each with `KeyFlag` bits), so
that the counts can be taken back when it leaves the window and so that a later copy
of its story does not count again. A record is 28 bytes of header, the id, and then
only what applies.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np

from ..index import FIGURE_PERM

UNKNOWN = 0xFFFFFFFF  # a first article no longer known (left the window)
# run, day, site, story, rep, flags, lengths (id, keys, anchors), kind
_HEADER = struct.Struct("<IiIIIHHHBB")
_BODY = struct.Struct("<QiiiB")  # exact digest, shingles, words, figures, tabular
_COUNT = struct.Struct("<IIH")  # stories, first article, its segment
_SITE = struct.Struct("<I")  # stories


class RecordFlag(IntFlag):
    NONE = 0
    SITE_STORY = 1  # brought its story to its site's story count
    ACROSS_STORY = 2  # brought its story to the count of stories across sites
    TOMBSTONE = 4  # left the window; kept only as the first article of some counts


class KeyFlag(IntFlag):
    LOCAL = 1  # brought (key at its site, its story) to the site's counts
    ACROSS = 2  # brought (key, its story) to the counts across sites
    PART = 4  # a title-tag part (counted per site only)


@dataclass
class Body:
    """What the near-duplicate check needs of a kept article's body."""

    signature: np.ndarray  # (num_perm,) uint32
    size: int  # shingles
    words: int
    figure_sig: np.ndarray  # (FIGURE_PERM,) uint32
    figure_count: int
    tabular: bool


@dataclass
class Record:
    """One indexed article."""

    id: str
    run: int
    day: int
    site: int
    story: int
    rep: int  # the kept article it stands for: itself, or the one it duplicates (chained)
    flags: RecordFlag = RecordFlag.NONE
    exact: int | None = None  # exact digest (indexed articles with words)
    body: Body | None = None  # indexed articles long enough to be matched
    anchors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    key_flags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))

    def pack(self) -> bytes:
        ident = self.id.encode("utf-8", "surrogatepass")
        kind = 2 if self.body is not None else 1 if self.exact is not None else 0
        parts = [
            _HEADER.pack(
                self.run,
                self.day,
                self.site,
                self.story,
                self.rep,
                int(self.flags),
                len(ident),
                len(self.keys),
                len(self.anchors),
                kind,
            ),  # fmt: skip
            ident,
        ]
        if kind:
            b = self.body
            parts.append(
                _BODY.pack(
                    self.exact or 0,
                    b.size if b else 0,
                    b.words if b else 0,
                    b.figure_count if b else 0,
                    int(b.tabular) if b else 0,
                )
            )
            if b is not None:
                if len(b.figure_sig) != FIGURE_PERM:  # unpack reads exactly FIGURE_PERM
                    raise ValueError(f"a figure sketch has {FIGURE_PERM} values")
                parts.append(b.signature.astype("<u4").tobytes())
                parts.append(b.figure_sig.astype("<u4").tobytes())
        parts.append(self.anchors.astype("<u8").tobytes())
        parts.append(self.keys.astype("<u8").tobytes())
        parts.append(self.key_flags.astype(np.uint8).tobytes())
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes, num_perm: int) -> Record:
        run, day, site, story, rep, flags, n_id, n_keys, n_anchors, kind = _HEADER.unpack_from(data)
        at = _HEADER.size
        ident = data[at : at + n_id].decode("utf-8", "surrogatepass")
        at += n_id
        exact = None
        body = None
        if kind:
            digest, size, words, figures, tabular = _BODY.unpack_from(data, at)
            at += _BODY.size
            exact = digest
            if kind == 2:
                sig = np.frombuffer(data, "<u4", num_perm, at).astype(np.uint32)
                at += 4 * num_perm
                fig = np.frombuffer(data, "<u4", FIGURE_PERM, at).astype(np.uint32)
                at += 4 * FIGURE_PERM
                body = Body(sig, size, words, fig, figures, bool(tabular))
        anchors = np.frombuffer(data, "<u8", n_anchors, at).astype(np.uint64)
        at += 8 * n_anchors
        keys = np.frombuffer(data, "<u8", n_keys, at).astype(np.uint64)
        at += 8 * n_keys
        key_flags = np.frombuffer(data, np.uint8, n_keys, at).copy()
        return cls(
            ident,
            run,
            day,
            site,
            story,
            rep,
            RecordFlag(flags),
            exact,
            body,
            anchors,
            keys,
            key_flags,
        )


@dataclass
class Count:
    """Distinct stories of a segment key (at a site, or across sites) and where it was
    first seen; ``sites`` (across sites only) lists the sites that have it."""

    stories: int
    first_doc: int
    first_segment: int
    sites: list[int] = field(default_factory=list)

    def pack(self) -> bytes:
        head = _COUNT.pack(self.stories, self.first_doc, self.first_segment)
        return head + np.array(self.sites, dtype="<u4").tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> Count:
        stories, first, segment = _COUNT.unpack_from(data)
        sites = np.frombuffer(data, "<u4", offset=_COUNT.size).tolist()
        return cls(stories, first, segment, sites)


def pack_site(name: str, stories: int) -> bytes:
    return _SITE.pack(stories) + name.encode("utf-8", "surrogatepass")


def unpack_site(data: bytes) -> tuple[str, int]:
    (stories,) = _SITE.unpack_from(data)
    return data[_SITE.size :].decode("utf-8", "surrogatepass"), stories
