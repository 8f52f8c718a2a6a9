/*
 * smpp_operator_test.c - per-operator settings on the SMPP side: the
 * `sms_charset` key of an smsc entry (config check), and how each USSD
 * profile classifies what a network sends to end a dialogue (the
 * deliver_sm raia-smsc-sim's ABORT sends, decoded by the codec).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "raia_err.h"
#include "smpp_pdu.h"
#include "smpp_text.h"
#include "test_help.h"
#include "ussd_profile.h"

static const char *const tail =
    "redis:    { url: \"redis://127.0.0.1:6379/0\" }\n"
    "postgres: { conninfo: \"host=127.0.0.1 port=5432 dbname=raia user=raia\" }\n"
    "privacy:  { key_file: config/dev-pseudonym.key }\n"
    "flows:    { dir: config/flows }\n";

/* A config with two binds of operator-a whose sms_charset lines are a and b
 * ("" = key left out); returns how many errors it has, and the first in msg. */
static size_t load_two(const char *a, const char *b, char msg[512], char cs[2][16])
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "smsc:\n"
             "  - name: a-1\n    operator: operator-a\n    host: 127.0.0.1\n"
             "    system_id: raia\n    password: secret\n%s"
             "  - name: a-2\n    operator: operator-a\n    host: 127.0.0.1\n"
             "    system_id: raia\n    password: secret\n%s%s",
             a, b, tail);
    struct raia_errlist errs = {0};
    struct raia_config *cfg = config_load_buf("t.yaml", yaml, strlen(yaml), &errs);
    msg[0] = '\0';
    if (errs.n)
        raia_err_format(&errs.items[0], msg, 512);
    for (int i = 0; cfg && i < 2; i++)
        snprintf(cs[i], 16, "%s", cfg->smsc[i].sms_charset);
    size_t n = errs.n;
    config_free(cfg);
    raia_errlist_free(&errs);
    return n;
}

static void test_sms_charset_key(void)
{
    char msg[512], cs[2][16];
    test_cond("sms_charset defaults to gsm7",
              load_two("", "", msg, cs) == 0 && strcmp(cs[0], "gsm7") == 0);
    test_cond("latin1 on both binds of an operator",
              load_two("    sms_charset: latin1\n", "    sms_charset: latin1\n", msg, cs) == 0 &&
                  strcmp(cs[1], "latin1") == 0);
    test_cond("unknown alphabet refused with its place",
              load_two("    sms_charset: latin-1\n", "", msg, cs) == 1 &&
                  strstr(msg, "t.yaml:7:18") &&
                  strstr(msg, "sms_charset: 'latin-1' is not gsm7, latin1 or ucs2"));
    test_cond("binds of one operator must agree",
              load_two("    sms_charset: latin1\n", "    sms_charset: ucs2\n", msg, cs) == 1 &&
                  strstr(msg, "smsc[1].sms_charset: 'ucs2' differs from 'latin1' of a-1"));
}

/* The deliver_sm of ABORT msisdn [op]: op and its_session_info with bit 0 set. */
static struct smpp_sm network_end(int op, int its)
{
    struct smpp_sm sm, out;
    uint8_t pdu[SMPP_PDU_MAX];
    uint32_t st = 0;
    memset(&sm, 0, sizeof sm);
    strcpy(sm.service_type, "USSD");
    sm.source_addr_ton = sm.source_addr_npi = 1;
    strcpy(sm.source_addr, "256700000001");
    strcpy(sm.destination_addr, "*384*12#");
    sm.ussd_service_op = op;
    sm.its_session_info = its;
    long n = smpp_encode_sm(SMPP_DELIVER_SM, 5, &sm, pdu, sizeof pdu);
    memset(&out, 0, sizeof out);
    if (n < 0 || smpp_decode_sm(pdu, (size_t)n, &out, &st) < 0)
        out.ussd_service_op = out.its_session_info = -2;
    return out;
}

static int kind(const char *preset, const struct smpp_sm *mo)
{
    struct ussd_profile p;
    ussd_profile_preset(preset, &p);
    return (int)ussd_profile_classify(&p, mo->ussd_service_op, mo->its_session_info);
}

static void test_network_end(void)
{
    struct smpp_sm end = network_end(SMPP_USSD_USSR_CONF, 0x2A01);
    test_cond("ABORT's deliver_sm decodes with the end bit",
              end.ussd_service_op == 18 && end.its_session_info == 0x2A01);
    test_cond("smpp34: end bit is an abort", kind("smpp34", &end) == USSD_MO_ABORT);
    test_cond("tata: end bit is an abort", kind("tata", &end) == USSD_MO_ABORT);
    test_cond("sixdee: end bit is an abort", kind("sixdee", &end) == USSD_MO_ABORT);
    struct smpp_sm cont = network_end(SMPP_USSD_USSR_CONF, 0x2A00);
    test_cond("without the bit it continues", kind("smpp34", &cont) == USSD_MO_CONTINUE);
    struct smpp_sm vendor = network_end(0x81, 0x2A00);
    test_cond("sixdee: vendor 0x81 alone aborts", kind("sixdee", &vendor) == USSD_MO_ABORT);
    test_cond("smpp34: 0x81 alone is an unknown op: continue",
              kind("smpp34", &vendor) == USSD_MO_CONTINUE);
    struct smpp_sm pssr = network_end(SMPP_USSD_PSSR_RESP, 0x2A00);
    test_cond("tata: PSSR response from the network aborts", kind("tata", &pssr) == USSD_MO_ABORT);
    struct ussd_profile p;
    ussd_profile_from_config("smpp34", -1, -1, 0x20, 0, &p);
    struct smpp_sm op20 = network_end(0x20, 0x2A00);
    test_cond("ussd_abort_op 0x20 without end bit: abort",
              ussd_profile_classify(&p, 0x20, 0x2A00) == USSD_MO_ABORT &&
                  op20.ussd_service_op == 0x20);
    test_cond("ussd_end_bit 0: the bit alone is no abort",
              ussd_profile_classify(&p, 18, 0x2A01) == USSD_MO_CONTINUE);
}

int main(void)
{
    test_sms_charset_key();
    test_network_end();
    TEST_REPORT();
}
