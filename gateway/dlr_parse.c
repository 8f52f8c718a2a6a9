/*
 * dlr_parse.c - delivery receipts: the esm_class test, the SMPP 3.4 Appendix B
 * text body and its vendor variants, the receipt TLVs, and id comparison.
 *
 * Called by the SMPP receive path for every deliver_sm whose esm_class says
 * "receipt", and by the fuzz target fuzz_dlr_parse. Bytes come straight from
 * an SMSC, so every read is bounded by len and a field that does not parse
 * is dropped rather than trusted; see docs/receipts.md.
 */
#include "dlr_parse.h"

#include <string.h>
#include <strings.h>
#include <time.h>

enum text_field { F_ID, F_SUBMIT, F_DONE, F_STAT, F_ERR, F_TEXT };

/* sub: and dlvrd: are not listed: they say nothing reliable (vumi PR #991),
 * and an unlisted key is skipped like any vendor extra. */
static const struct {
    const char *name;
    enum text_field field;
} text_keys[] = {
    {"id", F_ID},          {"submit date", F_SUBMIT}, {"submit_date", F_SUBMIT},
    {"done date", F_DONE}, {"done_date", F_DONE},     {"stat", F_STAT},
    {"err", F_ERR},        {"text", F_TEXT},
};

/* The 7-letter stat: words of Appendix B and the full names some SMSCs use. */
static const struct {
    enum dlr_state state;
    const char *abbrev, *name;
} states[] = {
    {DLR_UNKNOWN, "UNKNOWN", "UNKNOWN"},     {DLR_ENROUTE, "ENROUTE", "ENROUTE"},
    {DLR_DELIVERED, "DELIVRD", "DELIVERED"}, {DLR_EXPIRED, "EXPIRED", "EXPIRED"},
    {DLR_DELETED, "DELETED", "DELETED"},     {DLR_UNDELIVERABLE, "UNDELIV", "UNDELIVERABLE"},
    {DLR_ACCEPTED, "ACCEPTD", "ACCEPTED"},   {DLR_REJECTED, "REJECTD", "REJECTED"},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

int dlr_is_receipt(uint8_t esm_class)
{
    int type = esm_class & 0x3C;
    return type == 0x04 || type == 0x20;
}

const char *dlr_state_name(enum dlr_state s)
{
    for (size_t i = 0; i < N_ELEMS(states); i++)
        if (states[i].state == s)
            return states[i].name;
    return "UNKNOWN";
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* n bytes at p equal the NUL-terminated word w, ignoring ASCII case. */
static int word_is(const uint8_t *p, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp((const char *)p, w, n) == 0;
}

/* The key that starts at p and is followed by ':', or -1; *klen gets its length. */
static int match_key(const uint8_t *p, size_t n, size_t *klen)
{
    for (size_t i = 0; i < N_ELEMS(text_keys); i++) {
        size_t k = strlen(text_keys[i].name);
        if (n > k && p[k] == ':' && word_is(p, k, text_keys[i].name)) {
            *klen = k;
            return (int)text_keys[i].field;
        }
    }
    return -1;
}

/* Copy an id of 1..DLR_ID_MAX printable, non-space ASCII bytes; -1 otherwise. */
static int copy_id(char dst[DLR_ID_MAX + 1], const uint8_t *p, size_t n)
{
    if (n == 0 || n > DLR_ID_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7F)
            return -1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

/* A stat: word that is not in the table still says "this is a receipt":
 * it reads as DLR_UNKNOWN rather than failing the whole receipt. */
static enum dlr_state state_from_word(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < N_ELEMS(states); i++)
        if (word_is(p, n, states[i].abbrev) || word_is(p, n, states[i].name))
            return states[i].state;
    return DLR_UNKNOWN;
}

/* message_state TLV: 7 (UNKNOWN) and values SMPP 3.4 lacks (0 SCHEDULED and
 * 9 SKIPPED are SMPP 5.0) are DLR_UNKNOWN. */
static enum dlr_state state_from_tlv(int v)
{
    return (v >= DLR_ENROUTE && v <= DLR_ACCEPTED) || v == DLR_REJECTED ? (enum dlr_state)v
                                                                        : DLR_UNKNOWN;
}

static int two_digits(const uint8_t *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * YYMMDDhhmm or YYMMDDhhmmss, UTC, to ms since the epoch; -1 when it is not
 * such a date. timegm() normalizes out-of-range fields (month 13, 31 April)
 * in place, so a field that changed means the date was invalid.
 */
static long long parse_date(const uint8_t *p, size_t n)
{
    if (n != 10 && n != 12)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return -1;
    struct tm tm = {0};
    tm.tm_year = 100 + two_digits(p);
    tm.tm_mon = two_digits(p + 2) - 1;
    tm.tm_mday = two_digits(p + 4);
    tm.tm_hour = two_digits(p + 6);
    tm.tm_min = two_digits(p + 8);
    tm.tm_sec = n == 12 ? two_digits(p + 10) : 0;
    struct tm want = tm;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday ||
        tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
        return -1;
    return (long long)t * 1000;
}

static void set_field(enum text_field f, const uint8_t *v, size_t n, struct dlr *out,
                      int *has_state)
{
    switch (f) {
    case F_ID:
        (void)copy_id(out->message_id, v, n); /* a bad id stays absent */
        break;
    case F_SUBMIT:
        out->submit_ms = parse_date(v, n);
        break;
    case F_DONE:
        out->done_ms = parse_date(v, n);
        break;
    case F_STAT:
        if (n > 0) {
            out->state = state_from_word(v, n);
            *has_state = 1;
        }
        break;
    case F_ERR:
        /* Longer codes are vendor noise; the state is what matters. */
        if (n < sizeof out->err) {
            memcpy(out->err, v, n);
            out->err[n] = '\0';
        }
        break;
    case F_TEXT:
        break;
    }
}

/*
 * Walk "key:value" tokens separated by whitespace, in any order. Unknown
 * tokens are skipped. text: ends the walk: what follows is the start of our
 * own MT, which may contain anything, including "stat:".
 */
static void parse_text(const uint8_t *t, size_t len, struct dlr *out, int *has_state)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(t[i]))
            i++;
        size_t klen = 0;
        int f = match_key(t + i, len - i, &klen);
        if (f == F_TEXT)
            return;
        size_t v = f < 0 ? i : i + klen + 1, end = v;
        while (end < len && !is_space(t[end]))
            end++;
        if (f >= 0)
            set_field((enum text_field)f, t + v, end - v, out, has_state);
        i = end;
    }
}

int dlr_parse(const uint8_t *text, size_t len, const char *tlv_message_id, int tlv_message_state,
              struct dlr *out)
{
    int has_state = 0;
    memset(out, 0, sizeof *out);
    out->submit_ms = out->done_ms = -1;
    if (text)
        parse_text(text, len, out, &has_state);
    if (tlv_message_id)
        (void)copy_id(out->message_id, (const uint8_t *)tlv_message_id,
                      strnlen(tlv_message_id, DLR_ID_MAX + 1));
    if (tlv_message_state >= 0) {
        out->state = state_from_tlv(tlv_message_state);
        has_state = 1;
    }
    if (!out->message_id[0] || !has_state)
        return -RAIA_EPROTO;
    out->final = out->state == DLR_DELIVERED || out->state == DLR_EXPIRED ||
                 out->state == DLR_DELETED || out->state == DLR_UNDELIVERABLE ||
                 out->state == DLR_REJECTED;
    return 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s as an unsigned number in base 10 or 16 (no sign, no 0x, no spaces);
 * -1 when empty, when a character is not a digit of base, or on overflow. */
static int parse_number(const char *s, unsigned base, unsigned long long *v)
{
    *v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        int d = digit_value(*s);
        if (d < 0 || (unsigned)d >= base || *v > (~0ULL - (unsigned)d) / base)
            return -1;
        *v = *v * base + (unsigned)d;
    }
    return 0;
}

int dlr_id_equal(const char *a, const char *b)
{
    static const unsigned bases[] = {10, 16};
    if (!a || !b)
        return 0;
    if (strcasecmp(a, b) == 0)
        return 1;
    for (size_t i = 0; i < N_ELEMS(bases); i++) {
        for (size_t j = 0; j < N_ELEMS(bases); j++) {
            unsigned long long x, y;
            if (parse_number(a, bases[i], &x) == 0 && parse_number(b, bases[j], &y) == 0 && x == y)
                return 1;
        }
    }
    return 0;
}
