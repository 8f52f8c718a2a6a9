/*
 * fuzz_sms_concat.c - libFuzzer target for gateway/sms_concat.c.
 *
 * The input is a sequence of MO records fed to one small reassembly table
 * (4 entries, 1 s timeout, so eviction and expiry both happen):
 *
 *   esm_class, data_coding, flags, length, [4 SAR octets], length octets
 *
 * flags bits 0-1 pick one of four source addresses, bit 2 adds SAR TLVs
 * (ref hi, ref lo, total, seq from the 4 octets), bit 3 carries the text as
 * message_payload, bits 4-7 advance the clock by 250 ms steps. Every record
 * also goes through sms_concat_udh() on its own. Nothing may crash, read out
 * of bounds or leak, and what comes out must be within its bounds. The whole
 * input is then split as MT text, and the parts, fed back in reverse order,
 * must reassemble to exactly the encoded text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "sms_concat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const srcs[4] = {"256700000001", "256700000002", "", "12345678901234567890"};

static void feed_records(const uint8_t *data, size_t size)
{
    static struct sms_concat_msg out;
    static struct smpp_sm sm;
    struct sms_concat *t = sms_concat_new(4, 1000);
    uint64_t now = 0;
    if (!t)
        return;
    while (size >= 4) {
        uint8_t flags = data[2];
        size_t len = data[3];
        memset(&sm, 0, sizeof sm);
        sm.ussd_service_op = -1;
        sm.its_session_info = -1;
        sm.esm_class = data[0];
        sm.data_coding = data[1];
        strcpy(sm.source_addr, srcs[flags & 3]);
        strcpy(sm.destination_addr, "384");
        data += 4;
        size -= 4;
        if ((flags & 4) && size >= 4) {
            sm.has_sar = 1;
            sm.sar_msg_ref_num = (uint16_t)(data[0] << 8 | data[1]);
            sm.sar_total_segments = data[2];
            sm.sar_segment_seqnum = data[3];
            data += 4;
            size -= 4;
        }
        if (len > size)
            len = size;
        if (flags & 8) {
            sm.has_payload = 1;
            sm.payload_len = len;
            memcpy(sm.payload, data, len);
        } else {
            sm.sm_length = len;
            memcpy(sm.short_message, data, len);
        }
        data += len;
        size -= len;
        now += (uint64_t)(flags >> 4) * 250;

        struct sms_udh udh;
        const uint8_t *text = sm.has_payload ? sm.payload : sm.short_message;
        if (sms_concat_udh(sm.esm_class, text, len, &udh) == 0 && udh.payload_off > len)
            abort();
        int rc = sms_concat_mo(t, &sm, now, &out);
        if (rc == SMS_CONCAT_DONE && out.len > SMS_CONCAT_MSG_MAX)
            abort();
        if (rc != SMS_CONCAT_DONE && rc != 0 && rc != -RAIA_EPROTO && rc != -RAIA_EFULL)
            abort();
        if (sms_concat_pending(t) > 4)
            abort();
    }
    sms_concat_free(t);
}

/* MT split then MO reassembly must give back the encoded text. */
static void split_round_trip(const uint8_t *data, size_t size)
{
    static struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    static struct sms_concat_msg out;
    static struct smpp_sm sm;
    int n = sms_concat_split((const char *)data, size, 42, parts);
    if (n < 0)
        return;
    struct sms_concat *t = sms_concat_new(2, 1000);
    if (!t)
        return;
    size_t want = 0;
    int rc = 0;
    for (int i = n - 1; i >= 0; i--) {
        const struct sms_part *p = &parts[i];
        if (p->sm_length > SMS_PART_MAX || (n > 1 && p->esm_class != 0x40))
            abort();
        memset(&sm, 0, sizeof sm);
        strcpy(sm.source_addr, "256700000001");
        sm.esm_class = p->esm_class;
        sm.data_coding = p->data_coding;
        memcpy(sm.short_message, p->short_message, p->sm_length);
        sm.sm_length = p->sm_length;
        want += p->sm_length - (n > 1 ? 6 : 0);
        rc = sms_concat_mo(t, &sm, 0, &out);
        if (rc != (i == 0 ? SMS_CONCAT_DONE : 0))
            abort();
    }
    if (out.len != want)
        abort();
    sms_concat_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    feed_records(data, size);
    split_round_trip(data, size);
    return 0;
}
