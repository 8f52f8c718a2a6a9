/*
 * flat_json.c - one flat JSON object, read without allocating (see
 * flat_json.h).
 */
#include "flat_json.h"

#include <stdint.h>
#include <string.h>

struct reader {
    const char *s;
    size_t len, pos;
    char *out; /* next free byte of the caller's scratch */
    const char *why;
};

static int fail(struct reader *r, const char *why)
{
    r->why = why;
    return -1;
}

static void skip_space(struct reader *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                               r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

static int next_is(struct reader *r, char c)
{
    return r->pos < r->len && r->s[r->pos] == c;
}

static int hex4(struct reader *r, unsigned *out)
{
    if (r->len - r->pos < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos++];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static void put_utf8(struct reader *r, unsigned cp)
{
    if (cp < 0x80) {
        *r->out++ = (char)cp;
    } else if (cp < 0x800) {
        *r->out++ = (char)(0xC0 | cp >> 6);
        *r->out++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *r->out++ = (char)(0xE0 | cp >> 12);
        *r->out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *r->out++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *r->out++ = (char)(0xF0 | cp >> 18);
        *r->out++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *r->out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *r->out++ = (char)(0x80 | (cp & 0x3F));
    }
}

/* \uXXXX after the backslash and 'u': one code point, a surrogate pair joined.
 * PostgreSQL refuses U+0000 in text, and so does this. */
static int unicode_escape(struct reader *r)
{
    unsigned cp, low;
    if (hex4(r, &cp) < 0)
        return fail(r, "bad \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(r, "unpaired surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
            return fail(r, "unpaired surrogate");
        r->pos += 2;
        if (hex4(r, &low) < 0 || low < 0xDC00 || low > 0xDFFF)
            return fail(r, "unpaired surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp == 0)
        return fail(r, "escaped NUL");
    put_utf8(r, cp);
    return 0;
}

/* The bytes that end a plain run in a string: one table lookup a byte. */
static const unsigned char ends_run[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

/*
 * Where the plain run of a string that starts at pos ends: at the first
 * quote, backslash or control byte, or at len. Strings are most of a
 * document, so eight bytes are tested at a time: in each 64-bit word, a
 * byte's high bit is set by (v - 0x01...) & ~v when the byte v is zero
 * (and by (x - 0x20...) & ~x when x is below 0x20). Those tests can also set
 * bits above a byte that matched, never below, so the lowest bit set marks
 * the first byte that ends the run.
 */
static size_t plain_run(const char *s, size_t pos, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (len - pos >= 8) {
        uint64_t x;
        memcpy(&x, s + pos, 8);
        uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
        uint64_t hits = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                        ((x - ones * 0x20) & ~x);
        hits &= high;
        if (hits)
            return pos + (size_t)__builtin_ctzll(hits) / 8;
        pos += 8;
    }
#endif
    while (pos < len && !ends_run[(unsigned char)s[pos]])
        pos++;
    return pos;
}

/* A string at pos (its opening quote). One without escapes is given where
 * it stands in the text; one with escapes is unescaped into out. */
static int string(struct reader *r, const char **value, size_t *value_len)
{
    if (!next_is(r, '"'))
        return fail(r, "expected a string");
    size_t start = ++r->pos;
    char *copy = NULL; /* where in out the unescaped copy begins, once there is one */
    for (;;) {
        /* the plain run up to the next quote, backslash or control byte */
        size_t run = plain_run(r->s, r->pos, r->len);
        if (copy) {
            memcpy(r->out, r->s + r->pos, run - r->pos);
            r->out += run - r->pos;
        }
        r->pos = run;
        if (r->pos >= r->len)
            return fail(r, "unterminated string");
        char c = r->s[r->pos++];
        if (c == '"')
            break;
        if (c != '\\')
            return fail(r, "control character in a string");
        if (!copy) { /* the first escape: what came before it goes first */
            copy = r->out;
            memcpy(r->out, r->s + start, r->pos - 1 - start);
            r->out += r->pos - 1 - start;
        }
        if (r->pos >= r->len)
            return fail(r, "unterminated string");
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        char e = r->s[r->pos++];
        const char *at = memchr(from, e, sizeof from - 1);
        if (at)
            *r->out++ = to[at - from];
        else if (e != 'u')
            return fail(r, "bad escape");
        else if (unicode_escape(r) < 0)
            return -1;
    }
    *value = copy ? copy : r->s + start;
    *value_len = copy ? (size_t)(r->out - copy) : r->pos - 1 - start;
    return 0;
}

static size_t digits(struct reader *r)
{
    size_t n = 0;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
        r->pos++;
        n++;
    }
    return n;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number(struct reader *r, const char **value, size_t *value_len)
{
    size_t start = r->pos;
    if (next_is(r, '-'))
        r->pos++;
    if (next_is(r, '0'))
        r->pos++;
    else if (digits(r) == 0)
        return fail(r, "bad number");
    if (next_is(r, '.')) {
        r->pos++;
        if (digits(r) == 0)
            return fail(r, "bad number");
    }
    if (next_is(r, 'e') || next_is(r, 'E')) {
        r->pos++;
        if (next_is(r, '+') || next_is(r, '-'))
            r->pos++;
        if (digits(r) == 0)
            return fail(r, "bad number");
    }
    *value = r->s + start;
    *value_len = r->pos - start;
    return 0;
}

static int literal(struct reader *r, const char *word, enum flat_json_type type,
                   struct flat_json_member *m)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
        return fail(r, "bad value");
    r->pos += n;
    m->type = type;
    return 0;
}

static int value(struct reader *r, struct flat_json_member *m)
{
    m->value = NULL;
    m->value_len = 0;
    if (r->pos >= r->len)
        return fail(r, "missing value");
    switch (r->s[r->pos]) {
    case '"':
        m->type = FLAT_JSON_STRING;
        return string(r, &m->value, &m->value_len);
    case 't':
        return literal(r, "true", FLAT_JSON_TRUE, m);
    case 'f':
        return literal(r, "false", FLAT_JSON_FALSE, m);
    case 'n':
        return literal(r, "null", FLAT_JSON_NULL, m);
    case '{':
    case '[':
        return fail(r, "nested value");
    default:
        m->type = FLAT_JSON_NUMBER;
        return number(r, &m->value, &m->value_len);
    }
}

/* The members after the object's '{', through its '}'. */
static int members(struct reader *r,
                   int (*on_member)(void *ctx, const struct flat_json_member *m, const char **why),
                   void *ctx)
{
    skip_space(r);
    if (next_is(r, '}')) {
        r->pos++;
        return 0;
    }
    for (;;) {
        struct flat_json_member m;
        skip_space(r);
        if (string(r, &m.key, &m.key_len) < 0)
            return -1;
        skip_space(r);
        if (!next_is(r, ':'))
            return fail(r, "expected ':'");
        r->pos++;
        skip_space(r);
        if (value(r, &m) < 0)
            return -1;
        int rc = on_member(ctx, &m, &r->why);
        if (rc < 0)
            return rc;
        skip_space(r);
        if (!next_is(r, ','))
            break;
        r->pos++;
    }
    if (!next_is(r, '}'))
        return fail(r, "expected ',' or '}'");
    r->pos++;
    return 0;
}

int flat_json_read(const char *text, size_t len, char *scratch,
                   int (*on_member)(void *ctx, const struct flat_json_member *m, const char **why),
                   void *ctx, const char **why)
{
    struct reader r = {.s = text, .len = len, .out = scratch};
    skip_space(&r);
    int rc;
    if (next_is(&r, '{')) {
        r.pos++;
        rc = members(&r, on_member, ctx);
    } else {
        rc = fail(&r, "not an object");
    }
    if (rc == 0) {
        skip_space(&r);
        if (r.pos != r.len)
            rc = fail(&r, "text after the object");
    }
    if (rc < 0 && why)
        *why = r.why;
    return rc;
}
