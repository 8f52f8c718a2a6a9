/*
 * fuzz_charset.c - libFuzzer target for the text codecs fed by the network
 * (MO short_message in GSM 7-bit, UCS-2, Latin-1) and by flow files (UTF-8).
 * Every decode is re-encoded to check the decoders emit valid UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024)
        return 0;
    char out[3 * 1024 + 1];
    uint8_t enc[2 * 4 * 1024];
    long n = charset_gsm7_to_utf8(data, size, out, sizeof out);
    if (n < 0 || charset_utf8_chars(out, (size_t)n) < 0)
        abort();
    n = charset_ucs2_to_utf8(data, size, out, sizeof out);
    if (n < 0 || charset_utf8_to_ucs2(out, (size_t)n, enc, sizeof enc) < 0)
        abort();
    n = charset_latin1_to_utf8(data, size, out, sizeof out);
    if (n < 0 || charset_utf8_chars(out, (size_t)n) != (long)size)
        abort();
    charset_utf8_to_gsm7((const char *)data, size, enc, sizeof enc);
    charset_ucs2_length((const char *)data, size);
    return 0;
}
