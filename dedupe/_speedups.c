/*
 * dedupe._speedups: the compiled fingerprint kernel (optional; see dedupe/kernel.py).
 *
 * Plain C99 against the CPython C API only (no numpy headers). Every function takes
 * its inputs as buffers (bytes, memoryview, C-contiguous numpy arrays) and writes into
 * output buffers allocated by the Python wrapper in dedupe/kernel.py, which is the only
 * caller: it checks dtypes and shapes and sizes the outputs; here only byte lengths are
 * checked, so that no input can make the kernel read or write outside a buffer.
 *
 * All work runs with the GIL released, and the kernel keeps no mutable state between
 * calls (scratch memory is per call), so threads can fingerprint batches in parallel.
 * The results are bit-identical to the numpy path (dedupe/normalize.py, minhash.py,
 * index.py, rules/paragraph.py): tests/test_kernel.py compares every output array.
 *
 * MinHash has a generic variant (auto-vectorised by the compiler for the target's
 * baseline) and, on x86, an AVX2 variant chosen at run time; both compute the same
 * exact integer arithmetic, so the variant never changes a result.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DISTINCT_START ((Py_ssize_t)1 << 12) /* slots a segment starts with, at most */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define DEDUPE_X86_DISPATCH 1
#include <immintrin.h>
#endif
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define DEDUPE_SSE2 1 /* baseline on x86-64: no run-time check needed */
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------------------------- */
/* shared definitions (mirroring dedupe/normalize.py and dedupe/minhash.py)           */

/* bit 1: a word byte (ASCII letters, digits, '_', any byte >= 0x80); 2: a letter; 4: a digit */
static const unsigned char BYTE_CLASS[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 1,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};
#define IS_WORD(c) (BYTE_CLASS[(c)] & 1)
#define IS_LETTER(c) ((BYTE_CLASS[(c)] >> 1) & 1)
#define IS_DIGIT(c) (BYTE_CLASS[(c)] >> 2)

#define WORD_P 0x100000001B3ULL      /* normalize._P: polynomial base of word hashes */
#define GOLDEN 0x9E3779B97F4A7C15ULL /* position salt (segment keys), band mixing */
#define EMPTY32 0xFFFFFFFFU          /* minhash.EMPTY */

/* normalize._MIX: multipliers of the word n-gram hash */
static const uint32_t NGRAM_MIX[8] = {
    0x9E3779B1U, 0x85EBCA77U, 0xC2B2AE3DU, 0x27D4EB2FU,
    0x165667B1U, 0xD3A2646DU, 0xFD7046C5U, 0xB55A4F09U,
};

static inline uint64_t
fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint32_t
fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    h ^= h >> 16;
    return h;
}

#if defined(__GNUC__)
#define CTZ64(x) __builtin_ctzll(x)
#define CLZ64(x) __builtin_clzll(x)
#else
static inline int
CTZ64(uint64_t x)
{
    int n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}
static inline int
CLZ64(uint64_t x)
{
    int n = 0;
    while (!(x >> 63)) {
        x <<= 1;
        n++;
    }
    return n;
}
#endif

/* ---------------------------------------------------------------------------------- */
/* buffer helpers                                                                      */

/* Element count of a buffer holding items of `size` bytes, or -1 (with an exception). */
static Py_ssize_t
items(const Py_buffer *view, Py_ssize_t size, const char *name)
{
    if (view->len % size != 0) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of %zd-byte items",
                     name, view->len, size);
        return -1;
    }
    return view->len / size;
}

static int
expect(Py_ssize_t got, Py_ssize_t want, const char *name)
{
    if (got != want) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items, expected %zd", name, got, want);
        return -1;
    }
    return 0;
}

/* An optional read buffer: None leaves view->buf NULL. */
static int
optional_buffer(PyObject *obj, Py_buffer *view)
{
    if (obj == Py_None) {
        memset(view, 0, sizeof(*view));
        return 0;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

static void
release_optional(Py_buffer *view)
{
    if (view->buf != NULL || view->obj != NULL)
        PyBuffer_Release(view);
}

/* ---------------------------------------------------------------------------------- */
/* tokenize: words of NUL-joined segments                                              */

/* WORD_P ** k for k < 64: a word's hash then needs no chain of multiplications */
static const uint64_t WORD_POW[64] = {
    0x0000000000000001ULL, 0x00000100000001B3ULL, 0x000366000002E329ULL,
    0x08A97B0004E7FEABULL, 0x9FFAAC085635BC91ULL, 0x0CAEE32A7D4F6A63ULL,
    0xDC966432EDF1C639ULL, 0xC5527B8A51D3D2DBULL, 0x1EFAC7090AEF4A21ULL,
    0x936A555D949AF613ULL, 0x18A5210383502249ULL, 0x30B961F8212A420BULL,
    0xF54383A05ACE38B1ULL, 0x8FF15A7A4C6A54C3ULL, 0x017180CFD8AE0759ULL,
    0x21E53A2D2FB67C3BULL, 0x4EFE15C813151841ULL, 0x4ED743F86CD83673ULL,
    0xCFFEF220F3648569ULL, 0xD2BAD6FD93CEB16BULL, 0xE22CBBE2283778D1ULL,
    0x897C124A56424B23ULL, 0xE01E375092A5AC79ULL, 0x790476E92F84119BULL,
    0x26A7A93BBD69EA61ULL, 0x18CEF182DAF942D3ULL, 0x20E7345A158C8C89ULL,
    0x756A7E129DD2CCCBULL, 0x56C104A22D31FCF1ULL, 0x9BF7D092CBF0CD83ULL,
    0xF6E4EC708A2D3599ULL, 0xB4335C3ACAD212FBULL, 0x0558B2E6A2F64081ULL,
    0x0BF87EE6E86F9B33ULL, 0xC6DAD55CF5A4B7A9ULL, 0x8A9035F566E4142BULL,
    0x571FDAFDD58E4511ULL, 0x99662E51E0BF5BE3ULL, 0x67FC9820E52922B9ULL,
    0xDB5938E564E6005BULL, 0x9E9C08CA72D29AA1ULL, 0x55BD91011BDCBF93ULL,
    0x8DDCF7E2581986C9ULL, 0x27FFFE9BB360078BULL, 0x58052D91CC2CD131ULL,
    0xBD9D9FBDF0277643ULL, 0x5A4CB2BF130DF3D9ULL, 0x7E4793AD60B559BBULL,
    0x48F9AA9B542778C1ULL, 0x27B5A6EFFF122FF3ULL, 0x8BDA9CCE6BE779E9ULL,
    0x8BF25BC15A5426EBULL, 0x20F8D48C7CFE2151ULL, 0x04F27BB863D29CA3ULL,
    0x3AA4DD519EE028F9ULL, 0x864D0AB0F6E59F1BULL, 0x1A8845B3882D5AE1ULL,
    0x42E9511065116C53ULL, 0xC3E111DBBC9B1109ULL, 0x728261617B7DF24BULL,
    0x117DC3A4D702B571ULL, 0xBB68E219599A4F03ULL, 0x0D87341341344219ULL,
    0x30FF95B7CBCC507BULL,
};

/* The hash of the word b[s..e): sum of b[t] * P**(t - s), plus its length, mixed. */
static inline uint64_t
word_hash(const unsigned char *b, Py_ssize_t n, Py_ssize_t s, Py_ssize_t e)
{
    Py_ssize_t len = e - s, t;
    uint64_t h = 0;
    if (len <= 8 && s + 8 <= n) { /* most words: eight independent products, no branch */
        for (t = 0; t < 8; t++)
            h += ((uint64_t)b[s + t] & (0 - (uint64_t)(t < len))) * WORD_POW[t];
    }
    else {
        uint64_t pw = 1;
        for (t = 0; t < len; t++) {
            h += (uint64_t)b[s + t] * (t < 64 ? WORD_POW[t] : pw);
            if (t >= 63)
                pw = (t == 63 ? WORD_POW[63] : pw) * WORD_P;
        }
    }
    return fmix64(h + (uint64_t)len);
}

/* The words of ``b`` (segments separated by NUL), found 64 bytes at a time from bit masks
 * of word bytes, letters, digits and NULs. Returns the number of words, or -1 when ``b``
 * holds more than nseg - 1 NULs, or fewer. */
static Py_ssize_t
tokenize_bytes(const unsigned char *b, Py_ssize_t n, Py_ssize_t nseg, uint64_t *hashes,
               Py_ssize_t *owner, Py_ssize_t *counts, Py_ssize_t *lettered,
               unsigned char *numeric)
{
    Py_ssize_t k = 0, seg = 0, start = 0, last_letter = -1, last_figure = -1, base, j;
    uint64_t carry = 0; /* the byte before this block is a word byte */
    for (base = 0; base < n; base += 64) {
        Py_ssize_t len = n - base < 64 ? n - base : 64;
        uint64_t word = 0, letter = 0, figure = 0, nul = 0, prev, starts, ends, events;
#ifdef DEDUPE_SSE2
        if (len == 64) {
            for (j = 0; j < 64; j += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(b + base + j));
                __m128i vd = _mm_sub_epi8(v, _mm_set1_epi8('0'));
                __m128i va = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                                          _mm_set1_epi8('a'));
                /* unsigned x <= m  <=>  min(x, m) == x */
                vd = _mm_cmpeq_epi8(_mm_min_epu8(vd, _mm_set1_epi8(9)), vd);
                va = _mm_cmpeq_epi8(_mm_min_epu8(va, _mm_set1_epi8(25)), va);
                uint64_t high = (uint64_t)(unsigned)_mm_movemask_epi8(v); /* >= 0x80 */
                uint64_t lett = high | (uint64_t)(unsigned)_mm_movemask_epi8(va);
                uint64_t under = (uint64_t)(unsigned)_mm_movemask_epi8(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
                uint64_t zero = (uint64_t)(unsigned)_mm_movemask_epi8(
                    _mm_cmpeq_epi8(v, _mm_setzero_si128()));
                uint64_t digits = (uint64_t)(unsigned)_mm_movemask_epi8(vd);
                word |= (lett | digits | under) << j;
                letter |= lett << j;
                figure |= digits << j;
                nul |= zero << j;
            }
        }
        else
#endif
        {
            for (j = 0; j < len; j++) {
                unsigned c = BYTE_CLASS[b[base + j]];
                word |= (uint64_t)(c & 1) << j;
                letter |= (uint64_t)((c >> 1) & 1) << j;
                figure |= (uint64_t)(c >> 2) << j;
                nul |= (uint64_t)(b[base + j] == 0) << j;
            }
        }
        prev = word << 1 | carry;
        starts = word & ~prev;
        ends = ~word & prev; /* a word ends before this byte (or before n) */
        events = starts | ends | nul;
        while (events) {
            int bit = CTZ64(events);
            uint64_t one = (uint64_t)1 << bit;
            Py_ssize_t pos = base + bit;
            events &= events - 1;
            if (ends & one) {
                /* the last letter (figure) before this end lies in the word, if it has one */
                uint64_t below = letter & (one - 1), figures = figure & (one - 1);
                Py_ssize_t lastl = below ? base + 63 - CLZ64(below) : last_letter;
                Py_ssize_t lastd = figures ? base + 63 - CLZ64(figures) : last_figure;
                if (seg >= nseg)
                    return -1;
                hashes[k] = word_hash(b, n, start, pos);
                owner[k] = seg;
                counts[seg] += 1;
                lettered[seg] += lastl >= start;
                numeric[k] = lastd >= start;
                k++;
            }
            seg += (nul & one) != 0;
            if (starts & one)
                start = pos;
        }
        if (letter)
            last_letter = base + 63 - CLZ64(letter);
        if (figure)
            last_figure = base + 63 - CLZ64(figure);
        carry = word >> 63;
    }
    if (carry) { /* a word runs to the end (n is a multiple of 64) */
        if (seg >= nseg)
            return -1;
        hashes[k] = word_hash(b, n, start, n);
        owner[k] = seg;
        counts[seg] += 1;
        lettered[seg] += last_letter >= start;
        numeric[k] = last_figure >= start;
        k++;
    }
    return seg == nseg - 1 ? k : -1;
}

PyDoc_STRVAR(tokenize_doc,
"tokenize(data, segments, hashes, owner, numeric, counts, lettered) -> int or None\n\n"
"Hash the words of ``data`` (``segments`` segments joined by NUL) as normalize.tokenize:\n"
"fill uint64 ``hashes``, intp ``owner`` and bool ``numeric`` (capacity at least\n"
"(len(data) + 1) // 2 each) and intp ``counts`` and ``lettered`` (one per segment);\n"
"return the number of words, or None when ``data`` does not hold exactly segments - 1\n"
"NUL bytes.");

static PyObject *
py_tokenize(PyObject *self, PyObject *args)
{
    Py_buffer data, hb, ob, nb, cb, lb;
    Py_ssize_t nseg, cap, capo, capn, ncounts, nlet, k = 0;
    int bad = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nw*w*w*w*w*:tokenize", &data, &nseg, &hb, &ob, &nb, &cb,
                          &lb))
        return NULL;
    cap = items(&hb, 8, "hashes");
    capo = cap < 0 ? -1 : items(&ob, sizeof(Py_ssize_t), "owner");
    capn = capo < 0 ? -1 : items(&nb, 1, "numeric");
    ncounts = capn < 0 ? -1 : items(&cb, sizeof(Py_ssize_t), "counts");
    nlet = ncounts < 0 ? -1 : items(&lb, sizeof(Py_ssize_t), "lettered");
    if (nlet < 0 || expect(capo, cap, "owner") || expect(capn, cap, "numeric") ||
        expect(ncounts, nseg, "counts") || expect(nlet, nseg, "lettered"))
        goto done;
    if (cap < (data.len + 1) / 2) {
        PyErr_SetString(PyExc_ValueError, "tokenize: hashes and owner are too small");
        goto done;
    }
    {
        const unsigned char *b = (const unsigned char *)data.buf;
        Py_ssize_t n = data.len;
        uint64_t *hashes = (uint64_t *)hb.buf;
        Py_ssize_t *owner = (Py_ssize_t *)ob.buf, *counts = (Py_ssize_t *)cb.buf;
        Py_ssize_t *lettered = (Py_ssize_t *)lb.buf;
        Py_BEGIN_ALLOW_THREADS
        memset(counts, 0, (size_t)nseg * sizeof(Py_ssize_t));
        memset(lettered, 0, (size_t)nseg * sizeof(Py_ssize_t));
        k = tokenize_bytes(b, n, nseg, hashes, owner, counts, lettered,
                           (unsigned char *)nb.buf);
        Py_END_ALLOW_THREADS
        bad = k < 0;
    }
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&hb);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&nb);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&lb);
    if (PyErr_Occurred())
        return NULL;
    if (bad)
        Py_RETURN_NONE;
    return PyLong_FromSsize_t(k);
}

/* ---------------------------------------------------------------------------------- */
/* word n-grams                                                                        */

/* Shingles of one segment of c words, given n and whether it is included. */
static inline Py_ssize_t
segment_shingles(Py_ssize_t c, Py_ssize_t n)
{
    return c >= n ? c - n + 1 : (c > 0 ? 1 : 0);
}

/* Check counts (non-negative, summing to the word count); 0 or -1 with an exception. */
static int
check_counts(const Py_ssize_t *counts, Py_ssize_t nseg, Py_ssize_t nwords)
{
    Py_ssize_t s, total = 0;
    for (s = 0; s < nseg; s++) {
        if (counts[s] < 0 || counts[s] > nwords - total) {
            PyErr_SetString(PyExc_ValueError, "counts do not add up to the number of words");
            return -1;
        }
        total += counts[s];
    }
    return expect(total, nwords, "words (sum of counts)");
}

PyDoc_STRVAR(ngram_count_doc,
"ngram_count(counts, n, include) -> int\n\n"
"Number of shingles ``ngrams`` gives for these intp word ``counts`` (``include``:\n"
"None or one byte per segment).");

static PyObject *
py_ngram_count(PyObject *self, PyObject *args)
{
    Py_buffer cb, ib;
    PyObject *include;
    Py_ssize_t n, nseg, total = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nO:ngram_count", &cb, &n, &include))
        return NULL;
    if (optional_buffer(include, &ib) < 0) {
        PyBuffer_Release(&cb);
        return NULL;
    }
    nseg = items(&cb, sizeof(Py_ssize_t), "counts");
    if (nseg >= 0 && n < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be at least 1");
        nseg = -1;
    }
    if (nseg >= 0 && ib.buf != NULL && ib.len < nseg) {
        PyErr_SetString(PyExc_ValueError, "include is shorter than counts");
        nseg = -1;
    }
    if (nseg >= 0) {
        const Py_ssize_t *counts = (const Py_ssize_t *)cb.buf;
        const unsigned char *inc = (const unsigned char *)ib.buf;
        Py_ssize_t s;
        Py_BEGIN_ALLOW_THREADS
        for (s = 0; s < nseg; s++)
            if (inc == NULL || inc[s])
                total += segment_shingles(counts[s], n);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&cb);
    release_optional(&ib);
    if (nseg < 0)
        return NULL;
    return PyLong_FromSsize_t(total);
}

PyDoc_STRVAR(ngrams_doc,
"ngrams(hashes, counts, n, include, shingles, owner)\n\n"
"Fill uint32 ``shingles`` and intp ``owner`` as normalize.ngrams (sized by ngram_count).");

static PyObject *
py_ngrams(PyObject *self, PyObject *args)
{
    Py_buffer hb, cb, ib, sb, ob;
    PyObject *include;
    Py_ssize_t n, nwords, nseg, nout, nown, need = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*nOw*w*:ngrams", &hb, &cb, &n, &include, &sb, &ob))
        return NULL;
    if (optional_buffer(include, &ib) < 0) {
        ib.buf = NULL;
        ib.obj = NULL;
        goto done;
    }
    nwords = items(&hb, 8, "hashes");
    nseg = nwords < 0 ? -1 : items(&cb, sizeof(Py_ssize_t), "counts");
    nout = nseg < 0 ? -1 : items(&sb, 4, "shingles");
    nown = nout < 0 ? -1 : items(&ob, sizeof(Py_ssize_t), "owner");
    if (nown < 0 || expect(nown, nout, "owner"))
        goto done;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be at least 1");
        goto done;
    }
    if (ib.buf != NULL && ib.len < nseg) {
        PyErr_SetString(PyExc_ValueError, "include is shorter than counts");
        goto done;
    }
    if (check_counts((const Py_ssize_t *)cb.buf, nseg, nwords) < 0)
        goto done;
    {
        const uint64_t *hashes = (const uint64_t *)hb.buf;
        const Py_ssize_t *counts = (const Py_ssize_t *)cb.buf;
        const unsigned char *inc = (const unsigned char *)ib.buf;
        uint32_t *out = (uint32_t *)sb.buf;
        Py_ssize_t *owner = (Py_ssize_t *)ob.buf;
        Py_ssize_t s;
        for (s = 0; s < nseg; s++)
            if (inc == NULL || inc[s])
                need += segment_shingles(counts[s], n);
        if (expect(nout, need, "shingles"))
            goto done;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t pos = 0, k = 0, p, q;
        for (s = 0; s < nseg; pos += counts[s], s++) {
            Py_ssize_t c = counts[s], m = c < n ? c : n;
            if ((inc != NULL && !inc[s]) || c == 0)
                continue;
            /* one shingle of all words when c < n; else one per window of n words */
            for (p = pos; p + m <= pos + c; p++) {
                uint32_t h = 0;
                for (q = 0; q < m; q++)
                    h = h * NGRAM_MIX[q & 7] + (uint32_t)(hashes[p + q] >> 32) + (uint32_t)q;
                out[k] = h;
                owner[k] = s;
                k++;
            }
        }
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&hb);
    PyBuffer_Release(&cb);
    release_optional(&ib);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&ob);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------------------------- */
/* segment keys and fmix64                                                             */

PyDoc_STRVAR(segment_keys_doc,
"segment_keys(hashes, counts, keys)\n\n"
"Fill uint64 ``keys`` (one per segment) as normalize.segment_keys; segments without\n"
"words get 0 (the wrapper hashes their text).");

static PyObject *
py_segment_keys(PyObject *self, PyObject *args)
{
    Py_buffer hb, cb, kb;
    Py_ssize_t nwords, nseg, nkeys;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*:segment_keys", &hb, &cb, &kb))
        return NULL;
    nwords = items(&hb, 8, "hashes");
    nseg = nwords < 0 ? -1 : items(&cb, sizeof(Py_ssize_t), "counts");
    nkeys = nseg < 0 ? -1 : items(&kb, 8, "keys");
    if (nkeys < 0 || expect(nkeys, nseg, "keys"))
        goto done;
    if (check_counts((const Py_ssize_t *)cb.buf, nseg, nwords) < 0)
        goto done;
    {
        const uint64_t *hashes = (const uint64_t *)hb.buf;
        const Py_ssize_t *counts = (const Py_ssize_t *)cb.buf;
        uint64_t *keys = (uint64_t *)kb.buf;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t s, p, pos = 0;
        for (s = 0; s < nseg; s++) {
            Py_ssize_t c = counts[s];
            uint64_t key = 0;
            if (c > 0) {
                for (p = 0; p < c; p++)
                    key += fmix64(hashes[pos + p] + (uint64_t)p * GOLDEN);
                key += (uint64_t)c;
            }
            keys[s] = key;
            pos += c;
        }
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&hb);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&kb);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(sequence_digest_doc,
"sequence_digest(hashes, owner, out) -> bool\n\n"
"Fill uint64 ``out`` (one per group) as normalize.sequence_digest: a digest of each\n"
"group's word hashes in order, 0 for an empty group. False (``out`` untouched) unless\n"
"the intp ``owner`` is non-decreasing and within [0, len(out)).");

static PyObject *
py_sequence_digest(PyObject *self, PyObject *args)
{
    Py_buffer hb, ob, db;
    Py_ssize_t n, no, count;
    int bad = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*:sequence_digest", &hb, &ob, &db))
        return NULL;
    n = items(&hb, 8, "hashes");
    no = n < 0 ? -1 : items(&ob, sizeof(Py_ssize_t), "owner");
    count = no < 0 ? -1 : items(&db, 8, "out");
    if (count >= 0 && expect(no, n, "owner") == 0) {
        const uint64_t *hashes = (const uint64_t *)hb.buf;
        const Py_ssize_t *owner = (const Py_ssize_t *)ob.buf;
        uint64_t *out = (uint64_t *)db.buf;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t i, j;
        for (i = 0; i < n; i++)
            if (owner[i] < 0 || owner[i] >= count || (i > 0 && owner[i] < owner[i - 1])) {
                bad = 1;
                break;
            }
        if (!bad) {
            memset(out, 0, (size_t)count * 8);
            for (i = 0; i < n; i = j) {
                uint64_t sum = 0;
                for (j = i; j < n && owner[j] == owner[i]; j++)
                    sum += fmix64(hashes[j] + (uint64_t)(j - i) * GOLDEN);
                out[owner[i]] = fmix64(sum + (uint64_t)(j - i)) | 1;
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&hb);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&db);
    if (PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(!bad);
}

PyDoc_STRVAR(distinct_words_doc,
"distinct_words(hashes, counts, out)\n\n"
"Fill intp ``out`` with the number of distinct word hashes of each segment (the words\n"
"of segment s are the next counts[s] hashes), as fingerprint.distinct_words.");

static PyObject *
py_distinct_words(PyObject *self, PyObject *args)
{
    Py_buffer hb, cb, ob;
    Py_ssize_t nwords, nseg, nout, most = 0, s;
    int nomem = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*:distinct_words", &hb, &cb, &ob))
        return NULL;
    nwords = items(&hb, 8, "hashes");
    nseg = nwords < 0 ? -1 : items(&cb, sizeof(Py_ssize_t), "counts");
    nout = nseg < 0 ? -1 : items(&ob, sizeof(Py_ssize_t), "out");
    if (nout < 0 || expect(nout, nseg, "out") ||
        check_counts((const Py_ssize_t *)cb.buf, nseg, nwords) < 0)
        goto done;
    for (s = 0; s < nseg; s++)
        most = ((const Py_ssize_t *)cb.buf)[s] > most ? ((const Py_ssize_t *)cb.buf)[s] : most;
    {
        const uint64_t *hashes = (const uint64_t *)hb.buf;
        const Py_ssize_t *counts = (const Py_ssize_t *)cb.buf;
        Py_ssize_t *out = (Py_ssize_t *)ob.buf;
        Py_BEGIN_ALLOW_THREADS
        /* one open-addressing table for all segments: a slot belongs to the segment whose
         * number (plus one) it is stamped with, so nothing is cleared between segments.
         * A segment's part starts small and doubles when half full (its words moved over),
         * so the table grows with the distinct words, not with the words. */
        Py_ssize_t cap = 16, pos = 0, room = 0;
        uint64_t *keys = NULL, *moved = NULL;
        Py_ssize_t *stamp = NULL;
        while (cap < 2 * most && cap < DISTINCT_START)
            cap <<= 1;
        keys = (uint64_t *)malloc((size_t)cap * sizeof(uint64_t));
        stamp = (Py_ssize_t *)calloc((size_t)cap, sizeof(Py_ssize_t));
        if (keys == NULL || stamp == NULL) {
            nomem = 1;
        }
        else {
            for (s = 0; s < nseg && !nomem; pos += counts[s], s++) {
                Py_ssize_t c = counts[s], size = 16, mask, t, distinct = 0;
                if (c < 2) {
                    out[s] = c;
                    continue;
                }
                while (size < 2 * c && size < DISTINCT_START)
                    size <<= 1;
                mask = size - 1;
                for (t = 0; t < c; t++) {
                    uint64_t h = hashes[pos + t];
                    Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)mask);
                    while (stamp[slot] == s + 1 && keys[slot] != h)
                        slot = (slot + 1) & mask;
                    if (stamp[slot] == s + 1)
                        continue;
                    stamp[slot] = s + 1;
                    keys[slot] = h;
                    if (2 * ++distinct <= size)
                        continue;
                    /* half full: double this segment's part, moving its words over */
                    if (2 * size > cap) {
                        uint64_t *k2 = (uint64_t *)realloc(keys, (size_t)(2 * size) * 8);
                        Py_ssize_t *s2;
                        if (k2 == NULL) {
                            nomem = 1;
                            break;
                        }
                        keys = k2;
                        s2 = (Py_ssize_t *)realloc(stamp, (size_t)(2 * size) * sizeof(Py_ssize_t));
                        if (s2 == NULL) {
                            nomem = 1;
                            break;
                        }
                        stamp = s2;
                        memset(stamp + cap, 0, (size_t)(2 * size - cap) * sizeof(Py_ssize_t));
                        cap = 2 * size;
                    }
                    if (distinct > room) {
                        uint64_t *m2 = (uint64_t *)realloc(moved, (size_t)(2 * distinct) * 8);
                        if (m2 == NULL) {
                            nomem = 1;
                            break;
                        }
                        moved = m2;
                        room = 2 * distinct;
                    }
                    {
                        Py_ssize_t k = 0, i;
                        for (i = 0; i < size; i++) {
                            if (stamp[i] == s + 1) {
                                moved[k++] = keys[i];
                                stamp[i] = 0;
                            }
                        }
                        size *= 2;
                        mask = size - 1;
                        for (i = 0; i < k; i++) {
                            Py_ssize_t j = (Py_ssize_t)(moved[i] & (uint64_t)mask);
                            while (stamp[j] == s + 1)
                                j = (j + 1) & mask;
                            stamp[j] = s + 1;
                            keys[j] = moved[i];
                        }
                    }
                }
                out[s] = distinct;
            }
        }
        free(moved);
        free(keys);
        free(stamp);
        Py_END_ALLOW_THREADS
    }
    if (nomem)
        PyErr_NoMemory();
done:
    PyBuffer_Release(&hb);
    PyBuffer_Release(&cb);
    PyBuffer_Release(&ob);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(fmix64_doc, "fmix64(values, out)\n\nMurmurHash3's 64-bit finalizer, uint64 to uint64.");

static PyObject *
py_fmix64(PyObject *self, PyObject *args)
{
    Py_buffer vb, ob;
    Py_ssize_t n, m;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*:fmix64", &vb, &ob))
        return NULL;
    n = items(&vb, 8, "values");
    m = n < 0 ? -1 : items(&ob, 8, "out");
    if (m >= 0 && expect(m, n, "out") == 0) {
        const uint64_t *v = (const uint64_t *)vb.buf;
        uint64_t *o = (uint64_t *)ob.buf;
        Py_ssize_t i;
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < n; i++)
            o[i] = fmix64(v[i]);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&vb);
    PyBuffer_Release(&ob);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------------------------- */
/* MinHash: datasketch's affine32 scheme, min over a * fmix32(x) + b (mod 2**32)       */

#define MH_CHUNK 256 /* shingles pre-mixed at a time */

/* Lower ``row`` (num_perm values) by the m pre-mixed shingles ``hv``. */
static void
mh_update_generic(uint32_t *row, const uint32_t *hv, Py_ssize_t m, const uint32_t *a,
                  const uint32_t *b, Py_ssize_t num_perm)
{
    Py_ssize_t k = 0, t, q;
    for (; k + 32 <= num_perm; k += 32) {
        uint32_t acc[32];
        memcpy(acc, row + k, sizeof(acc));
        for (t = 0; t < m; t++) {
            uint32_t h = hv[t];
            for (q = 0; q < 32; q++) {
                uint32_t v = a[k + q] * h + b[k + q];
                acc[q] = v < acc[q] ? v : acc[q];
            }
        }
        memcpy(row + k, acc, sizeof(acc));
    }
    for (; k < num_perm; k++) {
        uint32_t acc = row[k];
        for (t = 0; t < m; t++) {
            uint32_t v = a[k] * hv[t] + b[k];
            acc = v < acc ? v : acc;
        }
        row[k] = acc;
    }
}

#ifdef DEDUPE_X86_DISPATCH
__attribute__((target("avx2"))) static void
mh_update_avx2(uint32_t *row, const uint32_t *hv, Py_ssize_t m, const uint32_t *a,
               const uint32_t *b, Py_ssize_t num_perm)
{
    Py_ssize_t k = 0, t;
    /* 64 permutations at a time: 8 accumulators stay in registers over the shingles */
    for (; k + 64 <= num_perm; k += 64) {
        __m256i c0 = _mm256_loadu_si256((const __m256i *)(row + k));
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(row + k + 8));
        __m256i c2 = _mm256_loadu_si256((const __m256i *)(row + k + 16));
        __m256i c3 = _mm256_loadu_si256((const __m256i *)(row + k + 24));
        __m256i c4 = _mm256_loadu_si256((const __m256i *)(row + k + 32));
        __m256i c5 = _mm256_loadu_si256((const __m256i *)(row + k + 40));
        __m256i c6 = _mm256_loadu_si256((const __m256i *)(row + k + 48));
        __m256i c7 = _mm256_loadu_si256((const __m256i *)(row + k + 56));
        const __m256i *av = (const __m256i *)(a + k), *bv = (const __m256i *)(b + k);
        for (t = 0; t < m; t++) {
            __m256i h = _mm256_set1_epi32((int)hv[t]);
#define MH_LANE(c, j)                                                                     \
    c = _mm256_min_epu32(                                                                  \
        c, _mm256_add_epi32(_mm256_mullo_epi32(_mm256_loadu_si256(av + j), h),             \
                            _mm256_loadu_si256(bv + j)))
            MH_LANE(c0, 0);
            MH_LANE(c1, 1);
            MH_LANE(c2, 2);
            MH_LANE(c3, 3);
            MH_LANE(c4, 4);
            MH_LANE(c5, 5);
            MH_LANE(c6, 6);
            MH_LANE(c7, 7);
#undef MH_LANE
        }
        _mm256_storeu_si256((__m256i *)(row + k), c0);
        _mm256_storeu_si256((__m256i *)(row + k + 8), c1);
        _mm256_storeu_si256((__m256i *)(row + k + 16), c2);
        _mm256_storeu_si256((__m256i *)(row + k + 24), c3);
        _mm256_storeu_si256((__m256i *)(row + k + 32), c4);
        _mm256_storeu_si256((__m256i *)(row + k + 40), c5);
        _mm256_storeu_si256((__m256i *)(row + k + 48), c6);
        _mm256_storeu_si256((__m256i *)(row + k + 56), c7);
    }
    for (; k + 8 <= num_perm; k += 8) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(row + k));
        __m256i av = _mm256_loadu_si256((const __m256i *)(a + k));
        __m256i bv = _mm256_loadu_si256((const __m256i *)(b + k));
        for (t = 0; t < m; t++) {
            __m256i h = _mm256_set1_epi32((int)hv[t]);
            c = _mm256_min_epu32(c, _mm256_add_epi32(_mm256_mullo_epi32(av, h), bv));
        }
        _mm256_storeu_si256((__m256i *)(row + k), c);
    }
    if (k < num_perm)
        mh_update_generic(row + k, hv, m, a + k, b + k, num_perm - k);
}
#endif

typedef void (*mh_update_fn)(uint32_t *, const uint32_t *, Py_ssize_t, const uint32_t *,
                             const uint32_t *, Py_ssize_t);

enum { VARIANT_AUTO = 0, VARIANT_GENERIC = 1, VARIANT_AVX2 = 2 };

static int have_avx2 = 0; /* set once when the module is initialised, read-only after */

PyDoc_STRVAR(signatures_doc,
"signatures(shingles, groups, a, b, out, variant=0) -> bool\n\n"
"Fill each row ``out[g]`` (uint32, num_perm = len(a) per row) with the MinHash of set\n"
"``g``: uint32 ``shingles``, intp ``groups`` (non-decreasing, each in [0, rows)); a set\n"
"without shingles gets 0xFFFFFFFF everywhere. False (and ``out`` untouched) when the\n"
"groups are not so. ``variant``: 0 best available, 1 generic, 2 AVX2.");

static PyObject *
py_signatures(PyObject *self, PyObject *args)
{
    Py_buffer sb, gb, ab, bb, ob;
    Py_ssize_t n, ng, num_perm, nb, nout, rows = 0;
    int variant = VARIANT_AUTO, bad = 0;
    mh_update_fn update = mh_update_generic;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*|i:signatures", &sb, &gb, &ab, &bb, &ob, &variant))
        return NULL;
    n = items(&sb, 4, "shingles");
    ng = n < 0 ? -1 : items(&gb, sizeof(Py_ssize_t), "groups");
    num_perm = ng < 0 ? -1 : items(&ab, 4, "a");
    nb = num_perm < 0 ? -1 : items(&bb, 4, "b");
    nout = nb < 0 ? -1 : items(&ob, 4, "out");
    if (nout < 0 || expect(ng, n, "groups") || expect(nb, num_perm, "b"))
        goto done;
    if (num_perm < 1 || nout % num_perm != 0) {
        PyErr_SetString(PyExc_ValueError, "out must hold whole rows of len(a) values");
        goto done;
    }
    rows = nout / num_perm;
    if (variant == VARIANT_AVX2 || (variant == VARIANT_AUTO && have_avx2)) {
#ifdef DEDUPE_X86_DISPATCH
        if (have_avx2)
            update = mh_update_avx2;
        else
#endif
        {
            PyErr_SetString(PyExc_ValueError, "the AVX2 variant is not available on this CPU");
            goto done;
        }
    }
    else if (variant != VARIANT_AUTO && variant != VARIANT_GENERIC) {
        PyErr_Format(PyExc_ValueError, "unknown variant %d", variant);
        goto done;
    }
    {
        const uint32_t *shingles = (const uint32_t *)sb.buf;
        const Py_ssize_t *groups = (const Py_ssize_t *)gb.buf;
        const uint32_t *a = (const uint32_t *)ab.buf, *b = (const uint32_t *)bb.buf;
        uint32_t *out = (uint32_t *)ob.buf;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t i, j;
        uint32_t hv[MH_CHUNK];
        for (i = 0; i < n; i++)
            if (groups[i] < 0 || groups[i] >= rows || (i > 0 && groups[i] < groups[i - 1])) {
                bad = 1;
                break;
            }
        if (!bad) {
            memset(out, 0xFF, (size_t)nout * 4);
            for (i = 0; i < n; i = j) {
                Py_ssize_t g = groups[i];
                for (j = i; j < n && groups[j] == g && j - i < MH_CHUNK; j++)
                    hv[j - i] = fmix32(shingles[j]);
                update(out + g * num_perm, hv, j - i, a, b, num_perm);
            }
        }
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&sb);
    PyBuffer_Release(&gb);
    PyBuffer_Release(&ab);
    PyBuffer_Release(&bb);
    PyBuffer_Release(&ob);
    if (PyErr_Occurred())
        return NULL;
    return PyBool_FromLong(!bad);
}

/* ---------------------------------------------------------------------------------- */
/* LSH band keys (index.band_keys)                                                     */

PyDoc_STRVAR(band_keys_doc,
"band_keys(signatures, num_perm, bands, rows, out)\n\n"
"Fill uint32 ``out`` (bands per signature) as index.band_keys.");

static PyObject *
py_band_keys(PyObject *self, PyObject *args)
{
    Py_buffer sb, ob;
    Py_ssize_t num_perm, bands, rows, nsig, nout;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnnw*:band_keys", &sb, &num_perm, &bands, &rows, &ob))
        return NULL;
    nsig = items(&sb, 4, "signatures");
    nout = nsig < 0 ? -1 : items(&ob, 4, "out");
    if (nout < 0)
        goto done;
    if (num_perm < 1 || bands < 0 || rows < 0 || (rows > 0 && bands > num_perm / rows) ||
        nsig % num_perm != 0) {
        PyErr_SetString(PyExc_ValueError, "band_keys: bad shape");
        goto done;
    }
    if (expect(nout, nsig / num_perm * bands, "out"))
        goto done;
    {
        const uint32_t *sig = (const uint32_t *)sb.buf;
        uint32_t *out = (uint32_t *)ob.buf;
        Py_ssize_t count = nsig / num_perm;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t i, band, r;
        for (i = 0; i < count; i++) {
            const uint32_t *s = sig + i * num_perm;
            for (band = 0; band < bands; band++) {
                uint64_t h = (uint64_t)band;
                for (r = 0; r < rows; r++) {
                    h = (h ^ s[band * rows + r]) * GOLDEN;
                    h ^= h >> 29;
                }
                out[i * bands + band] = (uint32_t)(h >> 32);
            }
        }
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&sb);
    PyBuffer_Release(&ob);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------------------------- */
/* repeated paragraphs (rules/paragraph.repeated_pairs), one article at a time         */

typedef struct {
    Py_ssize_t *i, *j;
    double *score;
    Py_ssize_t len, cap;
} Hits;

static int
hits_push(Hits *h, Py_ssize_t i, Py_ssize_t j, double score)
{
    if (h->len == h->cap) {
        Py_ssize_t cap = h->cap ? 2 * h->cap : 256;
        Py_ssize_t *ni = (Py_ssize_t *)realloc(h->i, (size_t)cap * sizeof(Py_ssize_t));
        Py_ssize_t *nj;
        double *ns;
        if (ni == NULL)
            return -1;
        h->i = ni;
        nj = (Py_ssize_t *)realloc(h->j, (size_t)cap * sizeof(Py_ssize_t));
        if (nj == NULL)
            return -1;
        h->j = nj;
        ns = (double *)realloc(h->score, (size_t)cap * sizeof(double));
        if (ns == NULL)
            return -1;
        h->score = ns;
        h->cap = cap;
    }
    h->i[h->len] = i;
    h->j[h->len] = j;
    h->score[h->len] = score;
    h->len++;
    return 0;
}

/* Per-call scratch memory, sized for the largest article. */
typedef struct {
    Py_ssize_t *compact; /* per gram: its segment's number within the article */
    Py_ssize_t *segid;   /* per article segment: global segment number */
    Py_ssize_t *size;    /* per article segment: distinct grams */
    Py_ssize_t *slots;   /* hash table of grams: entry number or -1 */
    uint32_t *egram;     /* per entry: the gram */
    Py_ssize_t *ehead, *etail, *elen;
    Py_ssize_t *nseg, *nnext; /* per node (distinct gram of a segment) */
    Py_ssize_t *chain;        /* one entry's segments */
    uint32_t *dense;          /* inter counts, dense_max ** 2 */
    uint64_t *pairs;          /* pair codes (sparse path) */
    Py_ssize_t pairs_cap;
} Scratch;

static int
cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static int
judge(Hits *hits, const Scratch *w, Py_ssize_t i, Py_ssize_t j, Py_ssize_t inter, double threshold,
      double containment)
{
    double jac = (double)inter / (double)(w->size[i] + w->size[j] - inter);
    double inside = (double)inter / (double)w->size[j];
    if (jac >= threshold || inside >= containment)
        return hits_push(hits, w->segid[i], w->segid[j], jac >= inside ? jac : inside);
    return 0;
}

/* Pairs of one article's grams[0..m) (segments seg[0..m), non-decreasing). */
static int
article_pairs(const uint32_t *grams, const Py_ssize_t *seg, Py_ssize_t m, Scratch *w,
              Py_ssize_t window, Py_ssize_t dense_max, double threshold, double containment,
              Hits *hits)
{
    Py_ssize_t t, s = 0, cap = 16, mask, entries = 0, nodes = 0, e, p, q, total = 0;
    /* number the article's segments 0..s */
    for (t = 0; t < m; t++) {
        if (t > 0 && seg[t] != seg[t - 1])
            s++;
        w->compact[t] = s;
        w->segid[s] = seg[t];
        w->size[s] = 0;
    }
    s++;
    if (s < 2)
        return 0;
    while (cap < 2 * m)
        cap <<= 1;
    mask = cap - 1;
    for (t = 0; t < cap; t++)
        w->slots[t] = -1;
    /* group by gram: each entry chains its segments in order, once each */
    for (t = 0; t < m; t++) {
        uint32_t g = grams[t];
        Py_ssize_t slot = (Py_ssize_t)(fmix32(g) & (uint32_t)mask), c = w->compact[t];
        while ((e = w->slots[slot]) >= 0 && w->egram[e] != g)
            slot = (slot + 1) & mask;
        if (e < 0) {
            e = entries++;
            w->slots[slot] = e;
            w->egram[e] = g;
            w->ehead[e] = w->etail[e] = nodes;
            w->elen[e] = 1;
        }
        else if (w->nseg[w->etail[e]] == c) {
            continue; /* the same gram again in the same segment */
        }
        else {
            w->nnext[w->etail[e]] = nodes;
            w->etail[e] = nodes;
            w->elen[e]++;
        }
        w->nseg[nodes] = c;
        w->nnext[nodes] = -1;
        nodes++;
        w->size[c]++;
    }
    /* pairs within ``window`` places of each other in a gram's chain */
    if (s <= dense_max) {
        uint32_t *d = w->dense;
        memset(d, 0, (size_t)(s * s) * sizeof(uint32_t));
        for (e = 0; e < entries; e++) {
            Py_ssize_t k = 0, node;
            if (w->elen[e] < 2)
                continue;
            for (node = w->ehead[e]; node >= 0; node = w->nnext[node])
                w->chain[k++] = w->nseg[node];
            for (p = 0; p < k; p++)
                for (q = p + 1; q < k && q - p <= window; q++)
                    d[w->chain[p] * s + w->chain[q]]++;
        }
        for (p = 0; p < s; p++)
            for (q = p + 1; q < s; q++)
                if (d[p * s + q] &&
                    judge(hits, w, p, q, (Py_ssize_t)d[p * s + q], threshold, containment) < 0)
                    return -1;
        return 0;
    }
    for (e = 0; e < entries; e++)
        for (p = 0; p < w->elen[e]; p++)
            total += (w->elen[e] - 1 - p) < window ? (w->elen[e] - 1 - p) : window;
    if (total > w->pairs_cap) {
        uint64_t *grown = (uint64_t *)realloc(w->pairs, (size_t)total * sizeof(uint64_t));
        if (grown == NULL)
            return -1;
        w->pairs = grown;
        w->pairs_cap = total;
    }
    total = 0;
    for (e = 0; e < entries; e++) {
        Py_ssize_t k = 0, node;
        if (w->elen[e] < 2)
            continue;
        for (node = w->ehead[e]; node >= 0; node = w->nnext[node])
            w->chain[k++] = w->nseg[node];
        for (p = 0; p < k; p++)
            for (q = p + 1; q < k && q - p <= window; q++)
                w->pairs[total++] = (uint64_t)w->chain[p] << 32 | (uint64_t)w->chain[q];
    }
    qsort(w->pairs, (size_t)total, sizeof(uint64_t), cmp_u64);
    for (p = 0; p < total; p = q) {
        for (q = p + 1; q < total && w->pairs[q] == w->pairs[p]; q++)
            ;
        if (judge(hits, w, (Py_ssize_t)(w->pairs[p] >> 32),
                  (Py_ssize_t)(w->pairs[p] & 0xFFFFFFFFU), q - p, threshold, containment) < 0)
            return -1;
    }
    return 0;
}

PyDoc_STRVAR(repeated_pairs_doc,
"repeated_pairs(grams, seg, article_of, threshold, containment, window, dense_max)\n"
"    -> (i, j, score) as bytes, or None when article_of is not non-decreasing\n\n"
"Pairs (earlier i, later j) of segments of one article whose distinct gram sets reach\n"
"``threshold`` Jaccard or ``containment`` of j in i, counting shared grams between\n"
"segments at most ``window`` apart in a gram's list (rules/paragraph.repeated_pairs).\n"
"``grams`` uint32 and ``seg`` intp come from ngrams; ``article_of`` intp per segment.\n"
"Articles with more than ``dense_max`` segments count pairs by sorting.");

static PyObject *
py_repeated_pairs(PyObject *self, PyObject *args)
{
    Py_buffer gb, sb, ab;
    Py_ssize_t n, ns, nart, window, dense_max, t, biggest = 0, most_segs = 0, lo;
    double threshold, containment;
    int status = 0; /* 1: not monotone (caller falls back), -1: no memory, -2: bad seg */
    Hits hits = {NULL, NULL, NULL, 0, 0};
    Scratch w;
    PyObject *result = NULL;
    (void)self;
    memset(&w, 0, sizeof(w));
    if (!PyArg_ParseTuple(args, "y*y*y*ddnn:repeated_pairs", &gb, &sb, &ab, &threshold,
                          &containment, &window, &dense_max))
        return NULL;
    n = items(&gb, 4, "grams");
    ns = n < 0 ? -1 : items(&sb, sizeof(Py_ssize_t), "seg");
    nart = ns < 0 ? -1 : items(&ab, sizeof(Py_ssize_t), "article_of");
    if (nart < 0 || expect(ns, n, "seg"))
        goto done;
    if (dense_max < 0 || dense_max > 4096)
        dense_max = 4096;
    {
        const uint32_t *grams = (const uint32_t *)gb.buf;
        const Py_ssize_t *seg = (const Py_ssize_t *)sb.buf;
        const Py_ssize_t *article = (const Py_ssize_t *)ab.buf;
        Py_BEGIN_ALLOW_THREADS
        /* check, and size the scratch for the largest article */
        for (t = 0; t < n && status == 0; t++) {
            if (seg[t] < 0 || seg[t] >= nart || (t > 0 && seg[t] < seg[t - 1]))
                status = -2;
            else if (t > 0 && article[seg[t]] < article[seg[t - 1]])
                status = 1;
        }
        for (lo = 0; lo < n && status == 0;) {
            Py_ssize_t hi = lo + 1, segs = 1;
            for (; hi < n && article[seg[hi]] == article[seg[lo]]; hi++)
                segs += seg[hi] != seg[hi - 1];
            biggest = hi - lo > biggest ? hi - lo : biggest;
            most_segs = segs > most_segs ? segs : most_segs;
            lo = hi;
        }
        if (status == 0 && n > 0) {
            Py_ssize_t cap = 16, dense = most_segs < dense_max ? most_segs : dense_max;
            while (cap < 2 * biggest)
                cap <<= 1;
            w.compact = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.segid = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.size = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.slots = (Py_ssize_t *)malloc((size_t)cap * sizeof(Py_ssize_t));
            w.egram = (uint32_t *)malloc((size_t)biggest * sizeof(uint32_t));
            w.ehead = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.etail = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.elen = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.nseg = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.nnext = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.chain = (Py_ssize_t *)malloc((size_t)biggest * sizeof(Py_ssize_t));
            w.dense = (uint32_t *)malloc((size_t)(dense * dense + 1) * sizeof(uint32_t));
            if (!w.compact || !w.segid || !w.size || !w.slots || !w.egram || !w.ehead ||
                !w.etail || !w.elen || !w.nseg || !w.nnext || !w.chain || !w.dense)
                status = -1;
        }
        for (lo = 0; lo < n && status == 0;) {
            Py_ssize_t hi = lo + 1;
            for (; hi < n && article[seg[hi]] == article[seg[lo]]; hi++)
                ;
            if (article_pairs(grams + lo, seg + lo, hi - lo, &w, window, dense_max, threshold,
                              containment, &hits) < 0)
                status = -1;
            lo = hi;
        }
        Py_END_ALLOW_THREADS
    }
    if (status == -1)
        PyErr_NoMemory();
    else if (status == -2)
        PyErr_SetString(PyExc_ValueError, "seg must be non-decreasing segment numbers");
    else if (status == 1)
        result = Py_NewRef(Py_None);
    else if (hits.len == 0) /* "y#" would turn a NULL pointer into None */
        result = Py_BuildValue("y#y#y#", "", (Py_ssize_t)0, "", (Py_ssize_t)0, "",
                               (Py_ssize_t)0);
    else
        result = Py_BuildValue(
            "y#y#y#", (const char *)hits.i, hits.len * (Py_ssize_t)sizeof(Py_ssize_t),
            (const char *)hits.j, hits.len * (Py_ssize_t)sizeof(Py_ssize_t),
            (const char *)hits.score, hits.len * (Py_ssize_t)sizeof(double));
done:
    free(hits.i);
    free(hits.j);
    free(hits.score);
    free(w.compact);
    free(w.segid);
    free(w.size);
    free(w.slots);
    free(w.egram);
    free(w.ehead);
    free(w.etail);
    free(w.elen);
    free(w.nseg);
    free(w.nnext);
    free(w.chain);
    free(w.dense);
    free(w.pairs);
    PyBuffer_Release(&gb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&ab);
    return result;
}

/* ---------------------------------------------------------------------------------- */
/* module                                                                              */

static PyMethodDef methods[] = {
    {"tokenize", py_tokenize, METH_VARARGS, tokenize_doc},
    {"ngram_count", py_ngram_count, METH_VARARGS, ngram_count_doc},
    {"ngrams", py_ngrams, METH_VARARGS, ngrams_doc},
    {"segment_keys", py_segment_keys, METH_VARARGS, segment_keys_doc},
    {"sequence_digest", py_sequence_digest, METH_VARARGS, sequence_digest_doc},
    {"distinct_words", py_distinct_words, METH_VARARGS, distinct_words_doc},
    {"fmix64", py_fmix64, METH_VARARGS, fmix64_doc},
    {"signatures", py_signatures, METH_VARARGS, signatures_doc},
    {"band_keys", py_band_keys, METH_VARARGS, band_keys_doc},
    {"repeated_pairs", py_repeated_pairs, METH_VARARGS, repeated_pairs_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "The compiled fingerprint kernel of dedupe (use it through dedupe.kernel).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m;
#ifdef DEDUPE_X86_DISPATCH
    __builtin_cpu_init();
    have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
#ifdef Py_GIL_DISABLED
    PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);
#endif
    if (PyModule_AddStringConstant(m, "SIMD", have_avx2 ? "avx2" : "generic") < 0 ||
        PyModule_AddIntConstant(m, "SSIZE", (long)sizeof(Py_ssize_t)) < 0 ||
        PyModule_AddIntConstant(m, "HAVE_AVX2", have_avx2) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
