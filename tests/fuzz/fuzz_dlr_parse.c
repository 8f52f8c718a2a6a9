/*
 * fuzz_dlr_parse.c - libFuzzer target for the receipt parser
 * (gateway/dlr_parse.c).
 *
 * Input layout: byte 0 is flags (bit 0: a message_state TLV is present, with
 * byte 1 as its value; bit 1: a receipted_message_id TLV is present, made of
 * the first bytes of the text up to a NUL); the rest is the text body. The
 * text is passed in an exact-size buffer so ASan sees any read past len. A
 * parse must return 0 or -RAIA_EPROTO; on 0 the result must be a valid id, a
 * known state and a consistent final flag.
 */
#include <stdlib.h>
#include <string.h>

#include "dlr_parse.h"

#define TLV_ID_MAX 80 /* longer than DLR_ID_MAX, so over-long TLV ids get tried */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct dlr *d)
{
    size_t n = strnlen(d->message_id, sizeof d->message_id);
    int final = d->state == DLR_DELIVERED || d->state == DLR_EXPIRED || d->state == DLR_DELETED ||
                d->state == DLR_UNDELIVERABLE || d->state == DLR_REJECTED;
    if (n == 0 || n > DLR_ID_MAX || !memchr(d->err, 0, sizeof d->err) || d->final != final ||
        (d->state > DLR_ACCEPTED && d->state != DLR_REJECTED) || !dlr_state_name(d->state) ||
        !dlr_id_equal(d->message_id, d->message_id))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t len = size - 2;
    uint8_t *text = malloc(len ? len : 1);
    if (!text)
        return 0;
    memcpy(text, data + 2, len);
    char tlv_id[TLV_ID_MAX + 1];
    size_t id_len = len < TLV_ID_MAX ? len : TLV_ID_MAX;
    memcpy(tlv_id, text, id_len);
    tlv_id[id_len] = '\0';

    struct dlr d;
    int rc = dlr_parse(text, len, data[0] & 2 ? tlv_id : NULL, data[0] & 1 ? data[1] : -1, &d);
    if (rc == 0)
        check(&d);
    else if (rc != -RAIA_EPROTO)
        abort();
    free(text);
    return 0;
}
