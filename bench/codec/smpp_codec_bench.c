/*
 * smpp_codec_bench.c - micro-benchmark of the SMPP codecs (bench/codec/run,
 * docs/performance.md "The SMPP codec").
 *
 * Times one encode + decode of a small MO deliver_sm with one TLV
 * (ussd_service_op) through three paths, and the four PDUs of a gateway turn
 * (decode the MO deliver_sm, encode its deliver_sm_resp, encode the MT
 * submit_sm, decode the submit_sm_resp) through two:
 *
 *   libsmpp34  smpp34_pack + smpp34_unpack alone (what issue 7 measured)
 *   pdu        smpp_encode_sm + smpp_decode_sm (gateway/smpp_pdu.c, today)
 *   fast       smpp_fast_encode_sm + smpp_fast_decode_sm (gateway/smpp_fast.c)
 *   turn-pdu, turn-fast   the four PDUs of a turn, each way
 *
 * Usage: smpp_codec_bench MODE [ROUNDS]. Prints "MODE ns_per_round" (best of
 * five timed batches). Under callgrind the script collects only
 * bench_round() (--toggle-collect) and divides by ROUNDS. Exits 1 if a round
 * fails, so a broken codec cannot look fast.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* clang-format off */
#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
/* clang-format on */

#include "smpp_fast.h"
#include "smpp_pdu.h"

static struct smpp_sm mo_sm, mt_sm, scratch;
static uint8_t wire[SMPP_PDU_MAX + 1], mo_wire[SMPP_PDU_MAX], resp_wire[64];
static size_t resp_len;
static deliver_sm_t raw_mo;
static volatile uint32_t sink;

/* The MO of a USSD turn: +256700000001 -> 384, "1", ussd_service_op PSSR. */
static void setup(void)
{
    memset(&mo_sm, 0, sizeof mo_sm);
    strcpy(mo_sm.service_type, "USSD");
    mo_sm.source_addr_ton = 1;
    mo_sm.source_addr_npi = 1;
    strcpy(mo_sm.source_addr, "256700000001");
    mo_sm.dest_addr_npi = 1;
    strcpy(mo_sm.destination_addr, "384");
    mo_sm.short_message[0] = '1';
    mo_sm.sm_length = 1;
    mo_sm.ussd_service_op = SMPP_USSD_PSSR_IND;
    mo_sm.its_session_info = -1;

    mt_sm = mo_sm; /* the reply screen, as the gateway sends it */
    strcpy(mt_sm.source_addr, "384");
    strcpy(mt_sm.destination_addr, "256700000001");
    mt_sm.source_addr_ton = 0;
    mt_sm.dest_addr_ton = 1;
    static const char screen[] = "Thank you. How did you hear about this survey?\n1 Radio\n"
                                 "2 Friend\n3 Church or mosque\n4 Other";
    memcpy(mt_sm.short_message, screen, sizeof screen - 1);
    mt_sm.sm_length = sizeof screen - 1;
    mt_sm.ussd_service_op = SMPP_USSD_USSR_REQ;

    memset(&raw_mo, 0, sizeof raw_mo);
    raw_mo.command_id = SMPP_DELIVER_SM;
    raw_mo.sequence_number = 1;
    strcpy((char *)raw_mo.service_type, "USSD");
    raw_mo.source_addr_ton = 1;
    raw_mo.source_addr_npi = 1;
    strcpy((char *)raw_mo.source_addr, "256700000001");
    raw_mo.dest_addr_npi = 1;
    strcpy((char *)raw_mo.destination_addr, "384");
    raw_mo.sm_length = 1;
    raw_mo.short_message[0] = '1';
    tlv_t t;
    memset(&t, 0, sizeof t);
    t.tag = TLVID_ussd_service_op;
    t.length = 1;
    t.value.octet[0] = SMPP_USSD_PSSR_IND;
    if (build_tlv(&raw_mo.tlv, &t) != 0)
        exit(1);

    long n =
        smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0, 7, "0a1b2c3d", resp_wire, sizeof resp_wire);
    if (n < 0)
        exit(1);
    resp_len = (size_t)n;
}

static int round_libsmpp34(void)
{
    int len = 0;
    deliver_sm_t out;
    if (smpp34_pack(SMPP_DELIVER_SM, wire, (int)sizeof wire, &len, &raw_mo) != 0)
        return -1;
    memset(&out, 0, sizeof out);
    int rc = smpp34_unpack(SMPP_DELIVER_SM, &out, wire, len);
    sink += out.sm_length;
    destroy_tlv(out.tlv);
    return rc;
}

typedef int (*decode_sm_fn)(const uint8_t *, size_t, struct smpp_sm *, uint32_t *);
typedef long (*encode_sm_fn)(uint32_t, uint32_t, const struct smpp_sm *, uint8_t *, size_t);
typedef int (*decode_resp_fn)(const uint8_t *, size_t, char *);

static size_t mo_len;

/* One encode + decode of the MO deliver_sm. */
static int round_sm(encode_sm_fn enc, decode_sm_fn dec)
{
    uint32_t st;
    long n = enc(SMPP_DELIVER_SM, 1, &mo_sm, wire, sizeof wire);
    if (n < 0 || dec(wire, (size_t)n, &scratch, &st) != 0)
        return -1;
    sink += (uint32_t)scratch.sm_length;
    return 0;
}

static int round_pdu(void)
{
    return round_sm(smpp_encode_sm, smpp_decode_sm);
}

static int round_fast(void)
{
    return round_sm(smpp_fast_encode_sm, smpp_fast_decode_sm);
}

/* The codec work of one gateway turn; mo_wire holds the MO deliver_sm. */
static int turn(decode_sm_fn dec, encode_sm_fn enc, decode_resp_fn dec_resp)
{
    uint8_t out[SMPP_PDU_MAX];
    char message_id[SMPP_MSG_ID_MAX];
    uint32_t st;
    if (dec(mo_wire, mo_len, &scratch, &st) != 0)
        return -1;
    if (smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, 0, 1, NULL, out, sizeof out) < 0)
        return -1;
    long n = enc(SMPP_SUBMIT_SM, 2, &mt_sm, out, sizeof out);
    if (n < 0 || dec_resp(resp_wire, resp_len, message_id) != 0)
        return -1;
    sink += (uint32_t)n + (uint8_t)message_id[0];
    return 0;
}

static int round_turn_pdu(void)
{
    return turn(smpp_decode_sm, smpp_encode_sm, smpp_decode_sm_resp);
}

static int round_turn_fast(void)
{
    return turn(smpp_fast_decode_sm, smpp_fast_encode_sm, smpp_fast_decode_sm_resp);
}

static int (*round_fn)(void);

/* The unit callgrind counts; kept out of line so --toggle-collect finds it. */
__attribute__((noinline)) static int bench_round(void)
{
    return round_fn();
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(void);
    } modes[] = {{"libsmpp34", round_libsmpp34},
                 {"pdu", round_pdu},
                 {"fast", round_fast},
                 {"turn-pdu", round_turn_pdu},
                 {"turn-fast", round_turn_fast}};
    if (argc < 2) {
        fprintf(stderr, "usage: %s libsmpp34|pdu|fast|turn-pdu|turn-fast [rounds]\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            round_fn = modes[i].fn;
    char *end = NULL;
    long rounds = argc > 2 ? strtol(argv[2], &end, 10) : 200000;
    if (!round_fn || rounds <= 0 || (end && *end)) {
        fprintf(stderr, "%s: bad mode or rounds\n", argv[0]);
        return 2;
    }
    setup();
    long n = smpp_encode_sm(SMPP_DELIVER_SM, 1, &mo_sm, mo_wire, sizeof mo_wire);
    if (n < 0)
        return 1;
    mo_len = (size_t)n;

    double best = 0;
    for (int batch = 0; batch < 5; batch++) {
        double t0 = now_ns();
        for (long i = 0; i < rounds; i++)
            if (bench_round() != 0) {
                fprintf(stderr, "%s: a round failed\n", argv[1]);
                return 1;
            }
        double ns = (now_ns() - t0) / (double)rounds;
        if (batch == 0 || ns < best)
            best = ns;
    }
    printf("%s %.1f\n", argv[1], best);
    destroy_tlv(raw_mo.tlv);
    return 0;
}
