/*
 * batch_params.c - stream entries as binary PostgreSQL arrays, one a column
 * (see batch_params.h).
 *
 * An array in the binary format: dimensions (1), a has-nulls flag, the
 * element type's OID, then for the one dimension its length and lower
 * bound (1); then each element as a 4-byte length (-1: NULL) and its bytes
 * in the type's own binary format. Every integer is big-endian.
 */
#include "batch_params.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "flat_json.h"

enum column_type { COL_TEXT, COL_INT4, COL_INT8, COL_BOOL };

/* PostgreSQL's OIDs of the element types (pg_type.dat) */
static const uint32_t type_oid[] = {
    [COL_TEXT] = 25, [COL_INT4] = 23, [COL_INT8] = 20, [COL_BOOL] = 16};

#define HEADER_SIZE 20
#define HAS_NULL_AT 4
#define LENGTH_AT 12

/* In the order of sql/write_batch.sql's parameters; the stream id comes first. */
static const struct column {
    const char *name;
    size_t len;
    enum column_type type;
} columns[BATCH_PARAMS_N] = {
/* clang-format off */
#define COLUMN(name, type) {name, sizeof name - 1, type}
    /* clang-format on */
    COLUMN("stream_id", COL_TEXT),
    COLUMN("kind", COL_TEXT),
    COLUMN("at", COL_INT8),
    COLUMN("flow", COL_TEXT),
    COLUMN("flow_version", COL_INT4),
    COLUMN("flow_checksum", COL_TEXT),
    COLUMN("consent_version", COL_TEXT),
    COLUMN("channel", COL_TEXT),
    COLUMN("operator", COL_TEXT),
    COLUMN("session", COL_TEXT),
    COLUMN("pseudonym", COL_TEXT),
    COLUMN("language", COL_TEXT),
    COLUMN("started", COL_INT8),
    COLUMN("ttl", COL_INT4),
    COLUMN("question", COL_TEXT),
    COLUMN("code", COL_TEXT),
    COLUMN("value", COL_TEXT),
    COLUMN("attempts", COL_INT4),
    COLUMN("outcome", COL_TEXT),
    COLUMN("message_id", COL_TEXT),
    COLUMN("state", COL_TEXT),
    COLUMN("final", COL_BOOL),
    COLUMN("sealed", COL_TEXT),
    COLUMN("title", COL_TEXT),
    COLUMN("definition", COL_TEXT),
#undef COLUMN
};

static void append_be32(struct strbuf *sb, uint32_t v)
{
    unsigned char b[4];
    be32_put(b, v);
    strbuf_append(sb, (const char *)b, 4);
}

void batch_params_reset(struct batch_params *p)
{
    p->rows = 0;
    for (int i = 0; i < BATCH_PARAMS_N; i++) {
        strbuf_reset(&p->col[i]);
        p->has_null[i] = 0;
        append_be32(&p->col[i], 1); /* dimensions */
        append_be32(&p->col[i], 0); /* has nulls: set by batch_params_finish */
        append_be32(&p->col[i], type_oid[columns[i].type]);
        append_be32(&p->col[i], 0); /* length: set by batch_params_finish */
        append_be32(&p->col[i], 1); /* lower bound */
    }
}

/* One document's members, by column (0: the stream id, not from the document). */
struct doc_fields {
    struct flat_json_member m[BATCH_PARAMS_N];
    int seen[BATCH_PARAMS_N];
    int next; /* where the next key is looked for first */
};

static int is_column(const struct flat_json_member *m, int i)
{
    return columns[i].len == m->key_len && memcmp(columns[i].name, m->key, m->key_len) == 0;
}

/* The document's column named by m's key, searched from column from on:
 * store_event.c writes the fields in the columns' order, so the search
 * starts after the last one found and mostly ends there. 0: none (column
 * 0, the stream id, is not the document's). */
static int find_column(const struct flat_json_member *m, int from)
{
    for (int i = from; i < BATCH_PARAMS_N; i++)
        if (is_column(m, i))
            return i;
    for (int i = 1; i < from; i++)
        if (is_column(m, i))
            return i;
    return 0;
}

static int on_member(void *ctx, const struct flat_json_member *m, const char **why)
{
    struct doc_fields *f = ctx;
    (void)why;
    int i = find_column(m, f->next);
    if (i == 0)
        return 0; /* other members ("v") are not columns */
    f->m[i] = *m; /* a repeated key: the last one counts, as in PostgreSQL's readers */
    f->seen[i] = 1;
    f->next = i + 1;
    return 0;
}

/* A JSON number without fraction or exponent, within [min, max]. */
static int integer(const struct flat_json_member *m, long long min, long long max, long long *out)
{
    if (m->type != FLAT_JSON_NUMBER)
        return -1;
    size_t i = m->value[0] == '-';
    if (i == m->value_len)
        return -1;
    unsigned long long v = 0, limit = m->value[0] == '-' ? 0ULL - (unsigned long long)min
                                                         : (unsigned long long)max;
    for (; i < m->value_len; i++) {
        char c = m->value[i];
        if (c < '0' || c > '9' || v > (limit - (unsigned long long)(c - '0')) / 10)
            return -1;
        v = v * 10 + (unsigned long long)(c - '0');
    }
    *out = m->value[0] == '-' ? (long long)(0ULL - v) : (long long)v;
    return 0;
}

/* Checks f's typed members; their values land in ints. */
static int check_types(const struct doc_fields *f, long long ints[BATCH_PARAMS_N], const char **why)
{
    for (int i = 1; i < BATCH_PARAMS_N; i++) {
        const struct flat_json_member *m = &f->m[i];
        if (!f->seen[i] || m->type == FLAT_JSON_NULL)
            continue;
        switch (columns[i].type) {
        case COL_INT4:
            if (integer(m, INT32_MIN, INT32_MAX, &ints[i]) < 0) {
                *why = "a 32-bit field is not a 32-bit integer";
                return -1;
            }
            break;
        case COL_INT8:
            if (integer(m, INT64_MIN, INT64_MAX, &ints[i]) < 0) {
                *why = "a 64-bit field is not a 64-bit integer";
                return -1;
            }
            break;
        case COL_BOOL:
            if (m->type != FLAT_JSON_TRUE && m->type != FLAT_JSON_FALSE) {
                *why = "a boolean field is not true or false";
                return -1;
            }
            break;
        case COL_TEXT:
            break;
        }
    }
    return 0;
}

/* Appends one element to col: its length (-1: NULL) and its n bytes. */
static void put_element(struct strbuf *col, int32_t len, const void *bytes, size_t n)
{
    if (strbuf_reserve(col, 4 + n) < 0)
        return;
    unsigned char *at = (unsigned char *)col->data + col->len;
    be32_put(at, (uint32_t)len);
    if (n)
        memcpy(at + 4, bytes, n);
    col->len += 4 + n;
    col->data[col->len] = '\0';
}

static void put_text(struct strbuf *col, const char *bytes, size_t n)
{
    put_element(col, (int32_t)n, bytes, n);
}

static void append_field(struct batch_params *p, int i, const struct doc_fields *f, long long v)
{
    struct strbuf *col = &p->col[i];
    const struct flat_json_member *m = &f->m[i];
    if (!f->seen[i] || m->type == FLAT_JSON_NULL) {
        put_element(col, -1, NULL, 0);
        p->has_null[i] = 1;
        return;
    }
    unsigned char b[8];
    switch (columns[i].type) {
    case COL_INT4:
        be32_put(b, (uint32_t)v);
        put_element(col, 4, b, 4);
        break;
    case COL_INT8:
        be32_put(b, (uint32_t)((unsigned long long)v >> 32));
        be32_put(b + 4, (uint32_t)v);
        put_element(col, 8, b, 8);
        break;
    case COL_BOOL:
        b[0] = m->type == FLAT_JSON_TRUE;
        put_element(col, 1, b, 1);
        break;
    case COL_TEXT: /* a number or a literal as written, as PostgreSQL's JSON readers give it */
        if (m->type == FLAT_JSON_TRUE)
            put_text(col, "true", 4);
        else if (m->type == FLAT_JSON_FALSE)
            put_text(col, "false", 5);
        else
            put_text(col, m->value, m->value_len);
        break;
    }
}

int batch_params_add(struct batch_params *p, const char *stream_id, const char *doc,
                     const char **why)
{
    size_t len = strlen(doc);
    if (len > p->scratch_cap) {
        char *grown = realloc(p->scratch, len);
        if (!grown)
            return -2;
        p->scratch = grown;
        p->scratch_cap = len;
    }
    struct doc_fields f;
    memset(f.seen, 0, sizeof f.seen);
    f.next = 1;
    long long ints[BATCH_PARAMS_N] = {0};
    if (flat_json_read(doc, len, p->scratch, on_member, &f, why) < 0 ||
        check_types(&f, ints, why) < 0)
        return -1;
    put_text(&p->col[0], stream_id, strlen(stream_id));
    for (int i = 1; i < BATCH_PARAMS_N; i++)
        append_field(p, i, &f, ints[i]);
    p->rows++;
    return 0;
}

struct pg_params batch_params_finish(struct batch_params *p)
{
    for (int i = 0; i < BATCH_PARAMS_N; i++) {
        struct strbuf *col = &p->col[i];
        if (col->oom || col->len < HEADER_SIZE || col->len > INT_MAX)
            return (struct pg_params){0};
        be32_put((unsigned char *)col->data + HAS_NULL_AT, (uint32_t)p->has_null[i]);
        be32_put((unsigned char *)col->data + LENGTH_AT, (uint32_t)p->rows);
        p->values[i] = col->data;
        p->lengths[i] = (int)col->len;
        p->formats[i] = 1; /* binary */
    }
    return (struct pg_params){
        .n = BATCH_PARAMS_N, .values = p->values, .lengths = p->lengths, .formats = p->formats};
}

void batch_params_free(struct batch_params *p)
{
    for (int i = 0; i < BATCH_PARAMS_N; i++)
        strbuf_free(&p->col[i]);
    free(p->scratch);
    p->scratch = NULL;
    p->scratch_cap = 0;
}
