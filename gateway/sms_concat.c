/*
 * sms_concat.c - long SMS: MT splitting and MO reassembly.
 *
 * Owns the concatenation rules of research M7-M11: which alphabet an MT
 * text goes out in, where it is cut, the UDH raia writes (05 00 03 ref total
 * seq), the UDH forms and SAR TLVs it reads, and the table that holds MO
 * parts until their message is whole. Called by the gateway (MT before
 * smpp_conn_submit(), MO after smpp_decode_sm()), by the simulators and by
 * the fuzz target. No I/O, no clock (the caller passes now_ms, so tests are
 * deterministic) and no logging: the table holds phone numbers.
 */
#include "sms_concat.h"

#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "raia_err.h"

#define GSM_ESC 0x1B
#define UDHI 0x40
#define UDH8_LEN 6 /* 05 00 03 ref total seq */

/* ---- MT split ---- */

/*
 * Cuts the encoded text enc[0..n) into parts. unit is 1 (GSM septets) or 2
 * (UTF-16BE); single and each are the octets one part holds without and
 * with the UDH. A cut never leaves an ESC or a high surrogate at the end of
 * a part: charset_utf8_to_gsm7() writes 0x1B only as the ESC of an
 * extension pair, so the last octet alone tells.
 */
static int split_encoded(const uint8_t *enc, size_t n, int unit, size_t single, size_t each,
                         uint8_t dc, uint8_t ref, struct sms_part *parts)
{
    if (n <= single) {
        memset(&parts[0], 0, sizeof parts[0]);
        parts[0].data_coding = dc;
        memcpy(parts[0].short_message, enc, n);
        parts[0].sm_length = n;
        return 1;
    }
    size_t count = 0, off = 0;
    while (off < n) {
        if (count == SMS_CONCAT_MAX_PARTS)
            return -RAIA_EFULL;
        size_t take = n - off < each ? n - off : each;
        if (off + take < n) {
            if (unit == 1 && enc[off + take - 1] == GSM_ESC)
                take--;
            else if (unit == 2 && (enc[off + take - 2] & 0xFC) == 0xD8)
                take -= 2;
        }
        struct sms_part *p = &parts[count++];
        memset(p, 0, sizeof *p);
        p->data_coding = dc;
        p->esm_class = UDHI;
        memcpy(p->short_message + UDH8_LEN, enc + off, take);
        p->sm_length = UDH8_LEN + take;
        off += take;
    }
    for (size_t i = 0; i < count; i++) {
        static const uint8_t head[3] = {UDH8_LEN - 1, 0x00, 0x03};
        memcpy(parts[i].short_message, head, sizeof head);
        parts[i].short_message[3] = ref;
        parts[i].short_message[4] = (uint8_t)count;
        parts[i].short_message[5] = (uint8_t)(i + 1);
    }
    return (int)count;
}

/*
 * GSM 7-bit if every character has a GSM form (so Latin text costs 160, not
 * 70, per part), else UCS-2. The whole text is encoded once into a buffer
 * of ten parts' worth; a text that does not fit it needs too many parts.
 */
int sms_concat_split(const char *utf8, size_t len, uint8_t ref,
                     struct sms_part parts[SMS_CONCAT_MAX_PARTS])
{
    return sms_concat_split_as(utf8, len, ref, SMPP_CHARSET_GSM7, parts);
}

/* The operator's alphabet when it holds the text (GSM 7-bit, or Latin-1 at
 * one octet a character), else UCS-2. */
int sms_concat_split_as(const char *utf8, size_t len, uint8_t ref, enum smpp_charset charset,
                        struct sms_part parts[SMS_CONCAT_MAX_PARTS])
{
    uint8_t enc[SMS_CONCAT_MAX_PARTS * SMS_PART_MAX];
    if (charset_ucs2_length(utf8, len) < 0)
        return -RAIA_EINVAL;
    if (charset == SMPP_CHARSET_LATIN1 && charset_utf8_to_latin1(utf8, len, NULL, 0) >= 0) {
        long n = charset_utf8_to_latin1(utf8, len, enc, sizeof enc);
        if (n < 0)
            return -RAIA_EFULL;
        return split_encoded(enc, (size_t)n, 1, 140, 134, SMPP_DC_LATIN1, ref, parts);
    }
    if (charset == SMPP_CHARSET_GSM7 && charset_gsm7_length(utf8, len) >= 0) {
        long n = charset_utf8_to_gsm7(utf8, len, enc, sizeof enc);
        if (n < 0)
            return -RAIA_EFULL;
        return split_encoded(enc, (size_t)n, 1, 160, 153, SMPP_DC_DEFAULT, ref, parts);
    }
    long n = charset_utf8_to_ucs2(utf8, len, enc, sizeof enc);
    if (n < 0)
        return -RAIA_EFULL;
    return split_encoded(enc, (size_t)n, 2, 140, 134, SMPP_DC_UCS2, ref, parts);
}

/* ---- UDH ---- */

/*
 * Walks the information elements of the UDH (research M8). Called for every
 * MO with UDHI by sms_concat_mo() and by the fuzz target; every index is
 * checked against UDHL, and UDHL against len, before it is used.
 */
int sms_concat_udh(uint8_t esm_class, const uint8_t *sm, size_t len, struct sms_udh *out)
{
    memset(out, 0, sizeof *out);
    if (!(esm_class & UDHI))
        return 0;
    if (len == 0 || (size_t)sm[0] + 1 > len)
        return -RAIA_EPROTO;
    size_t end = (size_t)sm[0] + 1;
    for (size_t i = 1; i < end;) {
        if (end - i < 2 || sm[i + 1] > end - i - 2)
            return -RAIA_EPROTO;
        uint8_t iei = sm[i], iel = sm[i + 1];
        const uint8_t *v = sm + i + 2;
        if (iei == 0x00 && !out->has_concat) {
            if (iel != 3)
                return -RAIA_EPROTO;
            out->ref = v[0];
            out->total = v[1];
            out->seq = v[2];
            out->has_concat = 1;
        } else if (iei == 0x08 && !out->has_concat) {
            if (iel != 4)
                return -RAIA_EPROTO;
            out->ref = (uint16_t)(v[0] << 8 | v[1]);
            out->total = v[2];
            out->seq = v[3];
            out->ref16 = 1;
            out->has_concat = 1;
        }
        i += 2 + (size_t)iel;
    }
    out->payload_off = end;
    return 0;
}

/* ---- MO reassembly ---- */

struct entry {
    int used;
    char src[SMS_CONCAT_ADDR_MAX], dst[SMS_CONCAT_ADDR_MAX];
    enum sms_concat_kind kind;
    uint16_t ref;
    uint8_t total, have, data_coding;
    uint32_t present; /* bit seq-1 */
    size_t bytes;
    uint64_t first_ms;
    uint8_t *part[SMS_CONCAT_MO_MAX_PARTS];
    size_t part_len[SMS_CONCAT_MO_MAX_PARTS];
};

struct sms_concat {
    struct entry *e;
    size_t cap, used;
    uint64_t timeout_ms;
};

/* memset that the compiler may not drop: the octets are phone numbers and
 * citizens' text (raia_common has no crypto library to lend a cleanse). */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static void entry_free(struct sms_concat *t, struct entry *e)
{
    for (size_t i = 0; i < SMS_CONCAT_MO_MAX_PARTS; i++) {
        if (e->part[i]) {
            wipe(e->part[i], e->part_len[i]);
            free(e->part[i]);
        }
    }
    wipe(e, sizeof *e);
    t->used--;
}

struct sms_concat *sms_concat_new(size_t max_pending, uint64_t timeout_ms)
{
    if (max_pending == 0)
        return NULL;
    struct sms_concat *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->e = calloc(max_pending, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    t->cap = max_pending;
    t->timeout_ms = timeout_ms;
    return t;
}

void sms_concat_free(struct sms_concat *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].used)
            entry_free(t, &t->e[i]);
    free(t->e);
    free(t);
}

size_t sms_concat_expire(struct sms_concat *t, uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        struct entry *e = &t->e[i];
        if (e->used && now_ms >= e->first_ms && now_ms - e->first_ms >= t->timeout_ms) {
            entry_free(t, e);
            n++;
        }
    }
    return n;
}

size_t sms_concat_pending(const struct sms_concat *t)
{
    return t->used;
}

static struct entry *entry_find(struct sms_concat *t, const struct sms_concat_part *p)
{
    for (size_t i = 0; i < t->cap; i++) {
        struct entry *e = &t->e[i];
        if (e->used && e->kind == p->kind && e->ref == p->ref && e->total == p->total &&
            strcmp(e->src, p->src) == 0 && strcmp(e->dst, p->dst) == 0)
            return e;
    }
    return NULL;
}

/* A free slot, or the oldest entry evicted to make one (the flood bound). */
static struct entry *entry_new(struct sms_concat *t, const struct sms_concat_part *p,
                               uint64_t now_ms)
{
    struct entry *slot = NULL;
    for (size_t i = 0; i < t->cap && !slot; i++)
        if (!t->e[i].used)
            slot = &t->e[i];
    if (!slot) {
        slot = &t->e[0];
        for (size_t i = 1; i < t->cap; i++)
            if (t->e[i].first_ms < slot->first_ms)
                slot = &t->e[i];
        entry_free(t, slot);
    }
    slot->used = 1;
    memcpy(slot->src, p->src, strlen(p->src) + 1);
    memcpy(slot->dst, p->dst, strlen(p->dst) + 1);
    slot->kind = p->kind;
    slot->ref = p->ref;
    slot->total = p->total;
    slot->data_coding = p->data_coding;
    slot->first_ms = now_ms;
    t->used++;
    return slot;
}

/* Copies a message of its own (total 1, or no concatenation at all) to out. */
static int single(const uint8_t *data, size_t len, uint8_t dc, struct sms_concat_msg *out)
{
    if (len > sizeof out->data)
        return -RAIA_EFULL;
    out->data_coding = dc;
    out->len = len;
    if (len > 0)
        memcpy(out->data, data, len);
    return SMS_CONCAT_DONE;
}

/*
 * The MO side of research M11: out-of-order parts and duplicates are fine
 * (a duplicate is acknowledged by the caller and stored once); the message
 * is complete when parts 1..total are all present.
 */
int sms_concat_add(struct sms_concat *t, const struct sms_concat_part *p, uint64_t now_ms,
                   struct sms_concat_msg *out)
{
    if (!memchr(p->src, 0, SMS_CONCAT_ADDR_MAX) || !memchr(p->dst, 0, SMS_CONCAT_ADDR_MAX) ||
        p->len > SMPP_PAYLOAD_MAX)
        return -RAIA_EINVAL;
    if (p->total == 0 || p->seq == 0 || p->seq > p->total)
        return -RAIA_EPROTO;
    if (p->total > SMS_CONCAT_MO_MAX_PARTS)
        return -RAIA_EFULL;
    if (p->total == 1)
        return single(p->data, p->len, p->data_coding, out);

    sms_concat_expire(t, now_ms);
    struct entry *e = entry_find(t, p);
    if (!e)
        e = entry_new(t, p, now_ms);
    uint32_t bit = 1u << (p->seq - 1);
    if (e->present & bit)
        return 0;
    if (e->bytes + p->len > SMS_CONCAT_MSG_MAX) {
        entry_free(t, e);
        return -RAIA_EFULL;
    }
    if (p->len > 0) {
        e->part[p->seq - 1] = malloc(p->len);
        if (!e->part[p->seq - 1]) {
            if (e->have == 0)
                entry_free(t, e);
            return -RAIA_ENOMEM;
        }
        memcpy(e->part[p->seq - 1], p->data, p->len);
    }
    e->part_len[p->seq - 1] = p->len;
    e->present |= bit;
    e->bytes += p->len;
    if (++e->have < e->total)
        return 0;

    out->data_coding = e->data_coding;
    out->len = 0;
    for (size_t i = 0; i < e->total; i++) {
        if (e->part_len[i] > 0)
            memcpy(out->data + out->len, e->part[i], e->part_len[i]);
        out->len += e->part_len[i];
    }
    entry_free(t, e);
    return SMS_CONCAT_DONE;
}

/*
 * Where the part number comes from: the UDH (research M8) wins; SAR TLVs
 * (M9) only count when the decoder found all three, which it never does
 * together with UDHI (X11).
 */
int sms_concat_mo(struct sms_concat *t, const struct smpp_sm *sm, uint64_t now_ms,
                  struct sms_concat_msg *out)
{
    const uint8_t *text = sm->has_payload ? sm->payload : sm->short_message;
    size_t len = sm->has_payload ? sm->payload_len : sm->sm_length;
    if (len > (sm->has_payload ? sizeof sm->payload : sizeof sm->short_message))
        return -RAIA_EINVAL;
    struct sms_udh udh;
    if (sms_concat_udh(sm->esm_class, text, len, &udh) < 0)
        return -RAIA_EPROTO;
    struct sms_concat_part p = {
        .src = sm->source_addr,
        .dst = sm->destination_addr,
        .data_coding = sm->data_coding,
        .data = text + udh.payload_off,
        .len = len - udh.payload_off,
    };
    if (udh.has_concat) {
        p.kind = udh.ref16 ? SMS_CONCAT_UDH16 : SMS_CONCAT_UDH8;
        p.ref = udh.ref;
        p.total = udh.total;
        p.seq = udh.seq;
    } else if (sm->has_sar) {
        p.kind = SMS_CONCAT_SAR;
        p.ref = sm->sar_msg_ref_num;
        p.total = sm->sar_total_segments;
        p.seq = sm->sar_segment_seqnum;
    } else {
        return single(p.data, p.len, p.data_coding, out);
    }
    return sms_concat_add(t, &p, now_ms, out);
}
