/*
 * charset_test.c - GSM 03.38 / UCS-2 / Latin-1 conversions: lengths,
 * round trips, '@' as 0x00, extension characters, surrogate pairs, and
 * replacement of bytes that cannot be mapped.
 */
#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "test_help.h"

static void test_gsm7(void)
{
    uint8_t buf[64];
    char back[200];
    const char *s = "@Hi \xE2\x82\xAC{x}"; /* @Hi €{x} */
    long n = charset_utf8_to_gsm7(s, strlen(s), buf, sizeof buf);
    test_cond("gsm7 length with 3 extension chars", n == 4 + 2 + 2 + 1 + 2);
    test_cond("gsm7_length agrees", charset_gsm7_length(s, strlen(s)) == n);
    test_cond("'@' is septet 0", buf[0] == 0x00);
    test_cond("euro is ESC 0x65", buf[4] == 0x1B && buf[5] == 0x65);
    test_cond("round trip",
              charset_gsm7_to_utf8(buf, (size_t)n, back, sizeof back) > 0 && strcmp(back, s) == 0);
    test_cond("amharic not gsm7", charset_gsm7_length("\xE1\x88\x80", 3) == -1);
    test_cond("output too small", charset_utf8_to_gsm7("abcd", 4, buf, 3) == -2);
    const uint8_t bad[] = {0x41, 0x80, 0x1B, 0x21, 0x1B};
    test_cond("bad septets become '?'",
              charset_gsm7_to_utf8(bad, sizeof bad, back, sizeof back) == 4 &&
                  strcmp(back, "A???") == 0);
}

static void test_ucs2(void)
{
    uint8_t buf[64];
    char back[200];
    const char *s = "a\xE1\x88\x80\xF0\x9F\x98\x80"; /* a, U+1200, U+1F600 */
    long n = charset_utf8_to_ucs2(s, strlen(s), buf, sizeof buf);
    test_cond("ucs2 bytes incl. surrogate pair", n == 8);
    test_cond("ucs2 units", charset_ucs2_length(s, strlen(s)) == 4);
    test_cond("surrogates", buf[4] == 0xD8 && buf[5] == 0x3D && buf[6] == 0xDE && buf[7] == 0x00);
    test_cond("round trip",
              charset_ucs2_to_utf8(buf, (size_t)n, back, sizeof back) > 0 && strcmp(back, s) == 0);
    const uint8_t odd[] = {0x00, 0x41, 0xD8};
    test_cond("odd byte replaced", charset_ucs2_to_utf8(odd, sizeof odd, back, sizeof back) == 4 &&
                                       strcmp(back, "A\xEF\xBF\xBD") == 0);
}

static void test_utf8_validation(void)
{
    test_cond("overlong refused", charset_utf8_chars("\xC0\xAF", 2) == -1);
    test_cond("surrogate refused", charset_utf8_chars("\xED\xA0\x80", 3) == -1);
    test_cond("above U+10FFFF refused", charset_utf8_chars("\xF4\x90\x80\x80", 4) == -1);
    test_cond("truncated refused", charset_utf8_chars("\xE1\x88", 2) == -1);
    test_cond("chars counted", charset_utf8_chars("a\xC3\xA9z", 4) == 3);
    char out[8];
    const uint8_t latin[] = {0x41, 0xE9};
    test_cond("latin-1", charset_latin1_to_utf8(latin, 2, out, sizeof out) == 3 &&
                             strcmp(out, "A\xC3\xA9") == 0);
}

/* Every printable ASCII character but ` survives GSM 7-bit both ways (the encoder
 * takes a shortcut for those at their ASCII position), with the known
 * exceptions mapped where GSM 03.38 puts them. */
static void test_gsm7_ascii(void)
{
    int ok = 1;
    for (int c = 32; c < 127; c++) {
        char in[2] = {(char)c, 0}, back[8];
        uint8_t septets[4];
        long n = charset_utf8_to_gsm7(in, 1, septets, sizeof septets);
        if (c == '`') { /* the one printable ASCII character GSM 03.38 lacks */
            ok &= n == -1;
            continue;
        }
        if (n < 1 || charset_gsm7_to_utf8(septets, (size_t)n, back, sizeof back) < 0 ||
            strcmp(back, in) != 0)
            ok = 0;
    }
    test_cond("printable ASCII round trips through GSM 7-bit", ok);
    uint8_t s[4];
    test_cond("@ is septet 0", charset_utf8_to_gsm7("@", 1, s, sizeof s) == 1 && s[0] == 0);
    test_cond("$ is septet 2", charset_utf8_to_gsm7("$", 1, s, sizeof s) == 1 && s[0] == 2);
    test_cond("_ is septet 0x11", charset_utf8_to_gsm7("_", 1, s, sizeof s) == 1 && s[0] == 0x11);
    test_cond("ASCII into too small a buffer", charset_utf8_to_gsm7("abc", 3, s, 2) == -2);
    test_cond("[ is ESC <",
              charset_utf8_to_gsm7("[", 1, s, sizeof s) == 2 && s[0] == 0x1B && s[1] == 0x3C);
}

/* The combined measure (with its ASCII shortcut) agrees with the two
 * separate ones on every ASCII character, alone and after a non-GSM one. */
static void test_gsm7_ucs2_length(void)
{
    int ok = 1;
    for (int c = 1; c < 128; c++) {
        char alone[2] = {(char)c, 0}, mixed[8];
        snprintf(mixed, sizeof mixed, "a\xE1\x88\x80%c", c); /* Amharic: UCS-2 only */
        const char *texts[] = {alone, mixed};
        for (int t = 0; t < 2; t++) {
            size_t n = strlen(texts[t]);
            long units, septets = charset_gsm7_ucs2_length(texts[t], n, &units);
            ok &= septets == charset_gsm7_length(texts[t], n) &&
                  units == charset_ucs2_length(texts[t], n);
        }
    }
    test_cond("gsm7_ucs2_length agrees with both measures on ASCII", ok);
    long units;
    test_cond("ESC is not a GSM character", charset_gsm7_ucs2_length("\x1B", 1, &units) == -1);
    test_cond("[ counts two septets",
              charset_gsm7_ucs2_length("a[b", 3, &units) == 4 && units == 3);
    test_cond("invalid utf-8 after ASCII",
              charset_gsm7_ucs2_length("ab\xC3", 3, &units) == -1 && units == -1);
}

static void test_latin1(void)
{
    uint8_t buf[16];
    char back[64];
    const char *s = "Caf\xC3\xA9 \xC3\xBF\xC2\xA3!"; /* Café ÿ£! */
    long n = charset_utf8_to_latin1(s, strlen(s), buf, sizeof buf);
    test_cond("latin1 one octet a character", n == 8);
    test_cond("latin1 e acute is 0xE9, y diaeresis 0xFF, pound 0xA3",
              buf[3] == 0xE9 && buf[5] == 0xFF && buf[6] == 0xA3);
    test_cond("latin1 count only", charset_utf8_to_latin1(s, strlen(s), NULL, 0) == 8);
    test_cond("latin1 round trip", charset_latin1_to_utf8(buf, (size_t)n, back, sizeof back) > 0 &&
                                       strcmp(back, s) == 0);
    test_cond("euro has no latin1 form", charset_utf8_to_latin1("\xE2\x82\xAC", 3, buf, 16) == -1);
    test_cond("amharic has no latin1 form",
              charset_utf8_to_latin1("\xE1\x88\x80", 3, buf, 16) == -1);
    test_cond("invalid utf-8 refused", charset_utf8_to_latin1("\xC3", 1, buf, 16) == -1);
    test_cond("latin1 output too small", charset_utf8_to_latin1("abc", 3, buf, 2) == -2);
}

int main(void)
{
    test_latin1();
    test_gsm7_ascii();
    test_gsm7_ucs2_length();
    test_gsm7();
    test_ucs2();
    test_utf8_validation();
    TEST_REPORT();
}
