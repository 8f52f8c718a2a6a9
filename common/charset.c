/*
 * charset.c - GSM 03.38 (unpacked septets), UCS-2/UTF-16BE and Latin-1
 * conversions to and from UTF-8.
 *
 * Pure functions used by the flow checker (screen lengths), the session
 * layer (MT encoding, MO decoding) and the simulators. Bytes from the network
 * never index past the tables: decoders replace what they cannot map.
 */
#include "charset.h"

#include <string.h>

#define GSM_ESC 0x1B
#define REPLACEMENT 0xFFFD

/* GSM 03.38 default alphabet: septet value -> Unicode code point. */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table: septet after ESC -> code point. */
static const struct {
    uint8_t septet;
    uint16_t cp;
} gsm_ext[] = {
    {0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D}, {0x2F, 0x005C},
    {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D}, {0x40, 0x007C}, {0x65, 0x20AC},
};

/*
 * Decodes one UTF-8 character at s (n bytes left) into *cp; returns its
 * length, or -1 for overlongs, surrogates, values above U+10FFFF, bad or
 * missing continuation bytes.
 */
static int utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int len;
    uint32_t min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return -1;
    }
    if ((size_t)len > n)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return -1;
    return len;
}

/* Appends cp as UTF-8; returns bytes written or -2 when out is too small. */
static long utf8_put(uint32_t cp, char *out, size_t size, size_t at)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6)), b[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (at + n + 1 > size)
        return -2;
    memcpy(out + at, b, n);
    return (long)n;
}

/*
 * Most characters on a screen (letters, digits, space, most punctuation)
 * sit at their ASCII position in the GSM table: one septet, one UCS-2
 * unit, their own code. The converters take them without a table scan,
 * and the loops below without decoding them as UTF-8.
 */
static int gsm_in_place(uint32_t cp)
{
    return cp < 128 && cp != GSM_ESC && gsm_basic[cp] == cp;
}

/* Septets of cp in GSM 7-bit: 1 basic, 2 extension, 0 not encodable; *code gets the septet. */
static int gsm_lookup(uint32_t cp, uint8_t *code)
{
    if (gsm_in_place(cp)) {
        *code = (uint8_t)cp;
        return 1;
    }
    for (int i = 0; i < 128; i++) {
        if (gsm_basic[i] == cp && i != GSM_ESC) {
            *code = (uint8_t)i;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof gsm_ext / sizeof gsm_ext[0]; i++) {
        if (gsm_ext[i].cp == cp) {
            *code = gsm_ext[i].septet;
            return 2;
        }
    }
    return 0;
}

long charset_utf8_to_gsm7(const char *utf8, size_t len, uint8_t *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        if (gsm_in_place(s[i])) {
            if (out) {
                if (at + 1 > size)
                    return -2;
                out[at] = s[i];
            }
            at++;
            i++;
            continue;
        }
        uint32_t cp;
        int n = utf8_next(s + i, len - i, &cp);
        uint8_t code;
        int septets = n < 0 ? 0 : gsm_lookup(cp, &code);
        if (septets == 0)
            return -1;
        if (out) {
            if (at + (size_t)septets > size)
                return -2;
            if (septets == 2)
                out[at] = GSM_ESC;
            out[at + (size_t)septets - 1] = code;
        }
        at += (size_t)septets;
        i += (size_t)n;
    }
    return (long)at;
}

long charset_gsm7_length(const char *utf8, size_t len)
{
    return charset_utf8_to_gsm7(utf8, len, NULL, 0);
}

long charset_utf8_to_ucs2(const char *utf8, size_t len, uint8_t *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = utf8_next(s + i, len - i, &cp);
        if (n < 0)
            return -1;
        uint16_t units[2];
        size_t k = 1;
        if (cp >= 0x10000) {
            units[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
            units[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
            k = 2;
        } else {
            units[0] = (uint16_t)cp;
        }
        for (size_t j = 0; j < k; j++) {
            if (out) {
                if (at + 2 > size)
                    return -2;
                out[at] = (uint8_t)(units[j] >> 8);
                out[at + 1] = (uint8_t)(units[j] & 0xFF);
            }
            at += 2;
        }
        i += (size_t)n;
    }
    return (long)at;
}

long charset_ucs2_length(const char *utf8, size_t len)
{
    long bytes = charset_utf8_to_ucs2(utf8, len, NULL, 0);
    return bytes < 0 ? -1 : bytes / 2;
}

long charset_gsm7_ucs2_length(const char *utf8, size_t len, long *units)
{
    const unsigned char *s = (const unsigned char *)utf8;
    long septets = 0;
    *units = 0;
    for (size_t i = 0; i < len;) {
        if (gsm_in_place(s[i])) { /* the menu's paging measures every label, every turn */
            septets += septets >= 0;
            ++*units;
            i++;
            continue;
        }
        uint32_t cp;
        uint8_t code;
        int n = utf8_next(s + i, len - i, &cp);
        if (n < 0) {
            *units = -1;
            return -1;
        }
        *units += cp >= 0x10000 ? 2 : 1;
        if (septets >= 0) {
            int k = gsm_lookup(cp, &code);
            septets = k ? septets + k : -1;
        }
        i += (size_t)n;
    }
    return septets;
}

long charset_utf8_chars(const char *utf8, size_t len)
{
    const unsigned char *s = (const unsigned char *)utf8;
    long chars = 0;
    for (size_t i = 0; i < len; chars++) {
        uint32_t cp;
        int n = utf8_next(s + i, len - i, &cp);
        if (n < 0)
            return -1;
        i += (size_t)n;
    }
    return chars;
}

long charset_gsm7_to_utf8(const uint8_t *in, size_t len, char *out, size_t size)
{
    size_t at = 0;
    if (size == 0)
        return -2;
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = '?';
        if (in[i] == GSM_ESC && i + 1 < len) {
            i++;
            for (size_t k = 0; k < sizeof gsm_ext / sizeof gsm_ext[0]; k++)
                if (gsm_ext[k].septet == in[i])
                    cp = gsm_ext[k].cp;
        } else if (in[i] < 0x80 && in[i] != GSM_ESC) {
            cp = gsm_basic[in[i]];
        }
        long n = utf8_put(cp, out, size, at);
        if (n < 0)
            return n;
        at += (size_t)n;
    }
    out[at] = '\0';
    return (long)at;
}

long charset_ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t size)
{
    size_t at = 0;
    if (size == 0)
        return -2;
    for (size_t i = 0; i < len; i += 2) {
        uint32_t cp = REPLACEMENT;
        if (i + 1 < len) {
            uint32_t u = ((uint32_t)in[i] << 8) | in[i + 1];
            if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
                uint32_t lo = ((uint32_t)in[i + 2] << 8) | in[i + 3];
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            } else if (u < 0xD800 || u > 0xDFFF) {
                cp = u;
            }
        }
        long n = utf8_put(cp, out, size, at);
        if (n < 0)
            return n;
        at += (size_t)n;
    }
    out[at] = '\0';
    return (long)at;
}

long charset_latin1_to_utf8(const uint8_t *in, size_t len, char *out, size_t size)
{
    size_t at = 0;
    if (size == 0)
        return -2;
    for (size_t i = 0; i < len; i++) {
        long n = utf8_put(in[i], out, size, at);
        if (n < 0)
            return n;
        at += (size_t)n;
    }
    out[at] = '\0';
    return (long)at;
}

/*
 * ISO-8859-1 is the first 256 code points, one octet each: SMSCs that take
 * data_coding 3 (Latin-1) for Western European text where GSM 7-bit would
 * lose letters the SMSC cannot map. Called by sms_concat_split_as().
 */
long charset_utf8_to_latin1(const char *utf8, size_t len, uint8_t *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = utf8_next(s + i, len - i, &cp);
        if (n < 0 || cp > 0xFF)
            return -1;
        if (out) {
            if (at == size)
                return -2;
            out[at] = (uint8_t)cp;
        }
        at++;
        i += (size_t)n;
    }
    return (long)at;
}
