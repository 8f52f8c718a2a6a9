/*
 * smpp_text_test.c - the operator's MT alphabet (sms_charset: gsm7, latin1,
 * ucs2) through sms_concat_split_as(), and Latin-1 MO (data_coding 3)
 * through the decoder, the reassembly table and smpp_text_decode().
 */
#include <string.h>

#include "raia_err.h"
#include "smpp_pdu.h"
#include "smpp_text.h"
#include "sms_concat.h"
#include "test_help.h"

static void test_parse(void)
{
    enum smpp_charset cs = SMPP_CHARSET_UCS2;
    test_cond("gsm7 parses", smpp_charset_parse("gsm7", &cs) == 0 && cs == SMPP_CHARSET_GSM7);
    test_cond("latin1 parses", smpp_charset_parse("latin1", &cs) == 0 && cs == SMPP_CHARSET_LATIN1);
    test_cond("ucs2 parses", smpp_charset_parse("ucs2", &cs) == 0 && cs == SMPP_CHARSET_UCS2);
    test_cond("unknown refused", smpp_charset_parse("latin-1", &cs) == -RAIA_EINVAL);
    test_cond("case matters", smpp_charset_parse("GSM7", &cs) == -RAIA_EINVAL);
}

/* Text of n characters: 'a'..'z' over and over, with 'é' at every 10th place. */
static size_t latin_text(char *out, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 10 == 9) {
            out[at++] = (char)0xC3;
            out[at++] = (char)0xA9;
        } else {
            out[at++] = (char)('a' + i % 26);
        }
    }
    out[at] = '\0';
    return at;
}

static void test_split_latin1(void)
{
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    char text[4096];
    const char *cafe = "Caf\xC3\xA9 \xC2\xA3"; /* Café £ */
    int n = sms_concat_split_as(cafe, strlen(cafe), 1, SMPP_CHARSET_LATIN1, parts);
    test_cond("latin1: one part", n == 1 && parts[0].esm_class == 0);
    test_cond("latin1: data_coding 3", parts[0].data_coding == SMPP_DC_LATIN1);
    static const uint8_t want[] = {'C', 'a', 'f', 0xE9, ' ', 0xA3};
    test_cond("latin1: one octet a character",
              parts[0].sm_length == sizeof want &&
                  memcmp(parts[0].short_message, want, sizeof want) == 0);

    n = sms_concat_split_as(cafe, strlen(cafe), 1, SMPP_CHARSET_GSM7, parts);
    test_cond("gsm7 preference: é and £ are GSM", n == 1 && parts[0].data_coding == 0);
    test_cond("gsm7 preference is sms_concat_split",
              sms_concat_split(cafe, strlen(cafe), 1, parts) == 1 && parts[0].data_coding == 0);

    size_t len = latin_text(text, 140);
    n = sms_concat_split_as(text, len, 9, SMPP_CHARSET_LATIN1, parts);
    test_cond("140 latin1 characters fit one part", n == 1 && parts[0].sm_length == 140);
    len = latin_text(text, 141);
    n = sms_concat_split_as(text, len, 9, SMPP_CHARSET_LATIN1, parts);
    test_cond("141 latin1 characters: two parts", n == 2);
    test_cond("part 1: UDH + 134 octets", parts[0].sm_length == 6 + 134 &&
                                              parts[0].esm_class == 0x40 &&
                                              parts[0].data_coding == SMPP_DC_LATIN1);
    test_cond("part 2: UDH + 7 octets", parts[1].sm_length == 6 + 7);
    static const uint8_t udh2[] = {5, 0, 3, 9, 2, 2};
    test_cond("part 2 UDH", memcmp(parts[1].short_message, udh2, sizeof udh2) == 0);
    test_cond("é at place 10 is 0xE9", parts[0].short_message[6 + 9] == 0xE9);
    len = latin_text(text, 1340);
    test_cond("1340 latin1 characters: ten parts",
              sms_concat_split_as(text, len, 9, SMPP_CHARSET_LATIN1, parts) == 10);
    len = latin_text(text, 1341);
    test_cond("1341 latin1 characters: too long",
              sms_concat_split_as(text, len, 9, SMPP_CHARSET_LATIN1, parts) == -RAIA_EFULL);

    const char *euro = "5 \xE2\x82\xAC"; /* 5 € : no Latin-1 form */
    n = sms_concat_split_as(euro, strlen(euro), 1, SMPP_CHARSET_LATIN1, parts);
    test_cond("latin1 preference, € : UCS-2",
              n == 1 && parts[0].data_coding == SMPP_DC_UCS2 && parts[0].sm_length == 6);
    const char *amh = "\xE1\x88\x80";
    n = sms_concat_split_as(amh, strlen(amh), 1, SMPP_CHARSET_LATIN1, parts);
    test_cond("latin1 preference, Amharic: UCS-2", n == 1 && parts[0].data_coding == SMPP_DC_UCS2);
    n = sms_concat_split_as(cafe, strlen(cafe), 1, SMPP_CHARSET_UCS2, parts);
    test_cond("ucs2 preference: always UCS-2",
              n == 1 && parts[0].data_coding == SMPP_DC_UCS2 && parts[0].sm_length == 12);
    test_cond("invalid UTF-8 refused",
              sms_concat_split_as("\xC3", 1, 1, SMPP_CHARSET_LATIN1, parts) == -RAIA_EINVAL);
}

/* A deliver_sm carrying part (esm_class, data_coding 3) decodes and joins. */
static void test_mo_latin1(void)
{
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];
    char text[4096], back[4096];
    size_t len = latin_text(text, 200);
    int n = sms_concat_split_as(text, len, 42, SMPP_CHARSET_LATIN1, parts);
    test_cond("200 latin1 characters: two parts", n == 2);
    struct sms_concat *t = sms_concat_new(4, 60000);
    static struct smpp_sm mo, dec;
    static struct sms_concat_msg msg;
    int rc = -1;
    for (int i = n - 1; i >= 0; i--) { /* last part first */
        uint8_t pdu[SMPP_PDU_MAX];
        memset(&mo, 0, sizeof mo);
        mo.ussd_service_op = mo.its_session_info = -1;
        mo.source_addr_ton = mo.source_addr_npi = 1;
        strcpy(mo.source_addr, "256700000001");
        strcpy(mo.destination_addr, "15012");
        mo.esm_class = parts[i].esm_class;
        mo.data_coding = parts[i].data_coding;
        memcpy(mo.short_message, parts[i].short_message, parts[i].sm_length);
        mo.sm_length = parts[i].sm_length;
        long plen = smpp_encode_sm(SMPP_DELIVER_SM, 7, &mo, pdu, sizeof pdu);
        uint32_t st = 0;
        test_cond("latin1 part decodes", plen > 0 &&
                                             smpp_decode_sm(pdu, (size_t)plen, &dec, &st) == 0 &&
                                             dec.data_coding == SMPP_DC_LATIN1);
        rc = sms_concat_mo(t, &dec, 1000, &msg);
    }
    test_cond("latin1 parts join",
              rc == SMS_CONCAT_DONE && msg.data_coding == SMPP_DC_LATIN1 && msg.len == 200);
    test_cond("joined latin1 text decodes to the UTF-8 sent",
              smpp_text_decode(msg.data_coding, msg.data, msg.len, back, sizeof back) ==
                      (long)len &&
                  strcmp(back, text) == 0);
    sms_concat_free(t);
    static const uint8_t l1[] = {'N', 0xE3, 'o', ' ', 0xA7, 0xFF};
    test_cond("data_coding 3 decodes as Latin-1",
              smpp_text_decode(SMPP_DC_LATIN1, l1, sizeof l1, back, sizeof back) > 0 &&
                  strcmp(back, "N\xC3\xA3o \xC2\xA7\xC3\xBF") == 0);
}

int main(void)
{
    test_parse();
    test_split_latin1();
    test_mo_latin1();
    TEST_REPORT();
}
