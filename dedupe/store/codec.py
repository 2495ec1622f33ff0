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
of its story does not count again.

**Format 2** (`FORMAT`, recorded in the index's scheme): small integers are varints
(LEB128; the day zigzag-encoded), so a record is about 15 bytes of header, the id, and
then only what applies, with the keys' flags two to a byte; a count is a tag byte
giving the width (1, 2 or 4 bytes) of each field, then the fields. Format 1 (fixed
28-byte record headers, 10-byte count headers and 4-byte sites) is still read, by
`Record.unpack` and `Count.unpack` given ``fmt=1``: ``dedupe index import`` converts
an export of a format-1 index.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np

from ..index import FIGURE_PERM

FORMAT = 2  # layout of the packed values (see the module docstring)
UNKNOWN = 0xFFFFFFFF  # a first article no longer known (left the window)
# format 1: run, day, site, story, rep, flags, lengths (id, keys, anchors), kind
_HEADER_V1 = struct.Struct("<IiIIIHHHBB")
_BODY_V1 = struct.Struct("<QiiiB")  # exact digest, shingles, words, figures, tabular
_COUNT_V1 = struct.Struct("<IIH")  # stories, first article, its segment
_SITE = struct.Struct("<I")  # stories
_EXACT = struct.Struct("<Q")
_WIDTHS = (1, 2, 4)  # bytes of a count's field, by its 2-bit code
_CODES = "BHI"
_UNSIGNED = ("<u1", "<u2", "<u4")


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
        b = self.body
        kind = 2 if b is not None else 1 if self.exact is not None else 0
        head = bytearray()
        for value in (
            self.run, _zigzag(self.day), self.site, self.story, self.rep, int(self.flags),
            len(ident), len(self.keys), len(self.anchors),
            kind | (4 if b is not None and b.tabular else 0),
        ):  # fmt: skip
            _varint(head, value)
        parts = [bytes(head), ident]
        if kind:
            parts.append(_EXACT.pack(self.exact or 0))
            if b is not None:
                if len(b.figure_sig) != FIGURE_PERM:  # unpack reads exactly FIGURE_PERM
                    raise ValueError(f"a figure sketch has {FIGURE_PERM} values")
                sizes = bytearray()
                for value in (b.size, b.words, b.figure_count):
                    _varint(sizes, value)
                parts += [bytes(sizes), b.signature.astype("<u4").tobytes(),
                          b.figure_sig.astype("<u4").tobytes()]  # fmt: skip
        parts.append(self.anchors.astype("<u8").tobytes())
        parts.append(self.keys.astype("<u8").tobytes())
        parts.append(_nibbles(self.key_flags))
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes, num_perm: int, fmt: int = FORMAT) -> Record:
        if fmt == 1:
            return _unpack_record_v1(data, num_perm)
        at = 0
        fields = []
        for _ in range(10):
            value, at = _read_varint(data, at)
            fields.append(value)
        run, day, site, story, rep, flags, n_id, n_keys, n_anchors, kind = fields
        ident = data[at : at + n_id].decode("utf-8", "surrogatepass")
        at += n_id
        exact = None
        body = None
        if kind & 3:
            (exact,) = _EXACT.unpack_from(data, at)
            at += _EXACT.size
            if kind & 3 == 2:
                size, at = _read_varint(data, at)
                words, at = _read_varint(data, at)
                figures, at = _read_varint(data, at)
                sig = np.frombuffer(data, "<u4", num_perm, at).astype(np.uint32)
                at += 4 * num_perm
                fig = np.frombuffer(data, "<u4", FIGURE_PERM, at).astype(np.uint32)
                at += 4 * FIGURE_PERM
                body = Body(sig, size, words, fig, figures, bool(kind & 4))
        anchors = np.frombuffer(data, "<u8", n_anchors, at).astype(np.uint64)
        at += 8 * n_anchors
        keys = np.frombuffer(data, "<u8", n_keys, at).astype(np.uint64)
        at += 8 * n_keys
        packed = np.frombuffer(data, np.uint8, (n_keys + 1) // 2, at)
        key_flags = np.empty(2 * len(packed), np.uint8)
        key_flags[0::2], key_flags[1::2] = packed & 15, packed >> 4
        return cls(
            ident, run, _unzigzag(day), site, story, rep, RecordFlag(flags), exact, body,
            anchors, keys, key_flags[:n_keys],
        )  # fmt: skip


def _unpack_record_v1(data: bytes, num_perm: int) -> Record:
    run, day, site, story, rep, flags, n_id, n_keys, n_anchors, kind = _HEADER_V1.unpack_from(data)
    at = _HEADER_V1.size
    ident = data[at : at + n_id].decode("utf-8", "surrogatepass")
    at += n_id
    exact = None
    body = None
    if kind:
        digest, size, words, figures, tabular = _BODY_V1.unpack_from(data, at)
        at += _BODY_V1.size
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
    return Record(
        ident, run, day, site, story, rep, RecordFlag(flags), exact, body, anchors, keys,
        key_flags,
    )  # fmt: skip


@dataclass
class Count:
    """Distinct stories of a segment key (at a site, or across sites) and where it was
    first seen; ``sites`` (across sites only) lists the sites that have it."""

    stories: int
    first_doc: int
    first_segment: int
    sites: list[int] = field(default_factory=list)

    def pack(self) -> bytes:
        sites = self.sites
        codes = (_code(self.stories), _code(self.first_doc), _code(self.first_segment),
                 _code(max(sites)) if sites else 0)  # fmt: skip
        tag = codes[0] | codes[1] << 2 | codes[2] << 4 | codes[3] << 6
        head = _count_struct(tag).pack(tag, self.stories, self.first_doc, self.first_segment)
        if not sites:
            return head
        return head + np.array(sites, dtype=_UNSIGNED[codes[3]]).tobytes()

    @classmethod
    def unpack(cls, data: bytes, fmt: int = FORMAT) -> Count:
        if fmt == 1:
            stories, first, segment = _COUNT_V1.unpack_from(data)
            sites_v1 = np.frombuffer(data, "<u4", offset=_COUNT_V1.size).tolist()
            return cls(stories, first, segment, sites_v1)
        layout = _count_struct(data[0])
        _, stories, first, segment = layout.unpack_from(data)
        sites = np.frombuffer(data, _UNSIGNED[data[0] >> 6], offset=layout.size).tolist()
        return cls(stories, first, segment, sites)


_COUNT_STRUCTS: dict[int, struct.Struct] = {}


def _count_struct(tag: int) -> struct.Struct:
    """The layout of a count's tag byte and its three fields, by the tag's width codes."""
    layout = _COUNT_STRUCTS.get(tag)
    if layout is None:
        codes = "".join(_CODES[(tag >> shift) & 3] for shift in (0, 2, 4))
        layout = _COUNT_STRUCTS[tag] = struct.Struct("<B" + codes)
    return layout


def _code(value: int) -> int:
    """The 2-bit code of the narrowest width (1, 2 or 4 bytes) that holds ``value``."""
    return 0 if value < 0x100 else 1 if value < 0x10000 else 2


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _zigzag(value: int) -> int:
    return value << 1 if value >= 0 else (-value << 1) - 1


def _unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -((value + 1) >> 1)


def _nibbles(flags: np.ndarray) -> bytes:
    """Key flags (each below 16) two to a byte, the first in the low half."""
    f = np.asarray(flags, np.uint8)
    if len(f) and int(f.max()) > 15:
        raise ValueError("a key's flags fit in 4 bits")
    if len(f) % 2:
        f = np.r_[f, np.zeros(1, np.uint8)]
    packed: bytes = (f[0::2] | (f[1::2] << 4)).astype(np.uint8).tobytes()
    return packed


def pack_site(name: str, stories: int) -> bytes:
    return _SITE.pack(stories) + name.encode("utf-8", "surrogatepass")


def unpack_site(data: bytes) -> tuple[str, int]:
    (stories,) = _SITE.unpack_from(data)
    return data[_SITE.size :].decode("utf-8", "surrogatepass"), stories
