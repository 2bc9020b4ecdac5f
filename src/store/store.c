/* The store front: opening a source or sink by its spec, and the content
 * hash every backend uses for local bytes.
 *
 * The hash reads the bytes as little-endian 64-bit words into four
 * independent lanes (so the multiplies overlap), folds the lanes, the tail
 * bytes and the length together and finishes with an avalanche step, so a
 * one-bit change anywhere flips about half of the output bits. */
#include <string.h>

#include "pixpipe/store.h"

#define K1 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio */
#define K2 0xD6E8FEB86659FD93ull
#define K3 0xFF51AFD7ED558CCDull
#define K4 0xC4CEB9FE1A85EC53ull

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t mix_lane(uint64_t lane, uint64_t word)
{
    return rotl(lane ^ (word * K2), 31) * K1;
}

void pp_hash64_init(pp_hash64 *h)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < 4; i++)
        h->lane[i] = K1 * (uint64_t)(i + 1) ^ K4;
}

static void blocks(pp_hash64 *h, const uint8_t *p, size_t nblocks)
{
    uint64_t a = h->lane[0], b = h->lane[1], c = h->lane[2], d = h->lane[3];
    for (size_t i = 0; i < nblocks; i++, p += 32) {
        a = mix_lane(a, load_le64(p));
        b = mix_lane(b, load_le64(p + 8));
        c = mix_lane(c, load_le64(p + 16));
        d = mix_lane(d, load_le64(p + 24));
    }
    h->lane[0] = a;
    h->lane[1] = b;
    h->lane[2] = c;
    h->lane[3] = d;
}

void pp_hash64_update(pp_hash64 *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    h->total += len;
    if (h->nbuf) {
        size_t take = 32 - h->nbuf < len ? 32 - h->nbuf : len;
        memcpy(h->buf + h->nbuf, p, take);
        h->nbuf += take;
        p += take;
        len -= take;
        if (h->nbuf < 32)
            return;
        blocks(h, h->buf, 1);
        h->nbuf = 0;
    }
    blocks(h, p, len / 32);
    p += len / 32 * 32;
    len %= 32;
    memcpy(h->buf, p, len);
    h->nbuf = len;
}

uint64_t pp_hash64_final(const pp_hash64 *h)
{
    uint64_t x =
        rotl(h->lane[0], 1) + rotl(h->lane[1], 7) + rotl(h->lane[2], 12) + rotl(h->lane[3], 18);
    for (size_t i = 0; i < h->nbuf; i++)
        x = rotl(x ^ (h->buf[i] * K2), 11) * K1;
    x ^= h->total * K4;
    x ^= x >> 33;
    x *= K3;
    x ^= x >> 33;
    x *= K4;
    x ^= x >> 33;
    return x;
}

bool pp__store_key_safe(const char *key)
{
    if (!*key || key[0] == '/')
        return false;
    for (const char *p = key; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

/* "file://PATH" and "PATH" name a local folder; other schemes come later. */
static const char *local_path(const char *spec, pp_err *err)
{
    if (strncmp(spec, "file://", 7) == 0)
        return spec + 7;
    if (strstr(spec, "://")) {
        pp_err_set(err, PP_ENOTBUILT, "%s: no store backend for this scheme in this pixpipe", spec);
        return NULL;
    }
    return spec;
}

pp_source *pp_source_open(const char *spec, const pp_source_opts *o, pp_err *err)
{
    const char *path = local_path(spec, err);
    return path ? pp__source_local_open(path, o, err) : NULL;
}

void pp_source_close(pp_source *s)
{
    if (s)
        s->ops->close(s);
}

pp_sink *pp_sink_open(const char *spec, pp_err *err)
{
    const char *path = local_path(spec, err);
    return path ? pp__sink_local_open(path, err) : NULL;
}

void pp_sink_close(pp_sink *s)
{
    if (s)
        s->ops->close(s);
}
