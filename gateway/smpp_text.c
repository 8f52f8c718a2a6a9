/*
 * smpp_text.c - short_message text by data_coding (see smpp_text.h). Thin
 * glue over common/charset.c.
 */
#include "smpp_text.h"

#include <string.h>

#include "charset.h"
#include "raia_err.h"

int smpp_text_set(struct smpp_sm *sm, const char *utf8)
{
    size_t len = strlen(utf8);
    long n = charset_utf8_to_gsm7(utf8, len, sm->short_message, SMPP_SM_SEND_MAX);
    if (n >= 0) {
        sm->data_coding = SMPP_DC_DEFAULT;
        sm->sm_length = (size_t)n;
        return 0;
    }
    if (n == -2 && charset_gsm7_length(utf8, len) >= 0)
        return -RAIA_EFULL; /* GSM text that is simply too long: UCS-2 would be longer still */
    n = charset_utf8_to_ucs2(utf8, len, sm->short_message, SMPP_SM_SEND_MAX);
    if (n == -1)
        return -RAIA_EINVAL;
    if (n < 0)
        return -RAIA_EFULL;
    sm->data_coding = SMPP_DC_UCS2;
    sm->sm_length = (size_t)n;
    return 0;
}

int smpp_charset_parse(const char *name, enum smpp_charset *out)
{
    static const char *const names[] = {"gsm7", "latin1", "ucs2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum smpp_charset)i;
            return 0;
        }
    }
    return -RAIA_EINVAL;
}

long smpp_text_decode(uint8_t data_coding, const uint8_t *in, size_t len, char *out, size_t size)
{
    long n;
    switch (data_coding) {
    case SMPP_DC_UCS2:
        n = charset_ucs2_to_utf8(in, len, out, size);
        break;
    case SMPP_DC_LATIN1:
        n = charset_latin1_to_utf8(in, len, out, size);
        break;
    default:
        n = charset_gsm7_to_utf8(in, len, out, size);
        break;
    }
    if (n < 0 && size > 0)
        out[0] = '\0';
    return n;
}
