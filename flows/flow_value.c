/*
 * flow_value.c - decimals as citizens type them ("2.5" or "2,5", the comma
 * being the decimal mark in much of Africa and Europe) and as they are
 * stored (a dot, no trailing zeros). The loader reads a decimal step's
 * min/max with the same parser the engine applies to answers, so a bound
 * means exactly what a citizen's answer means.
 */
#include <stdio.h>
#include <string.h>

#include "flow_def.h"

#define INT_DIGITS_MAX 9 /* with FLOW_DECIMALS_MAX, |scaled| stays far below 2^63 */

static long long pow10_of(int decimals)
{
    long long p = 1;
    while (decimals-- > 0)
        p *= 10;
    return p;
}

int flow_decimal_parse(const char *s, int decimals, long long *scaled)
{
    int negative = *s == '-';
    s += *s == '-' || *s == '+';
    size_t int_len = strspn(s, "0123456789");
    if (int_len == 0 || int_len > INT_DIGITS_MAX)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < int_len; i++)
        v = v * 10 + (s[i] - '0');
    const char *frac = s + int_len;
    size_t frac_len = 0;
    if (*frac == '.' || *frac == ',') {
        frac++;
        frac_len = strspn(frac, "0123456789");
        if (frac_len == 0) /* "2." is a slip, not a number */
            return -1;
    }
    if (frac[frac_len] != '\0' || frac_len > (size_t)decimals)
        return -1;
    for (int i = 0; i < decimals; i++)
        v = v * 10 + ((size_t)i < frac_len ? frac[i] - '0' : 0);
    *scaled = negative ? -v : v;
    return 0;
}

void flow_decimal_format(long long scaled, int decimals, char *out, size_t size)
{
    long long p = pow10_of(decimals);
    long long mag = scaled < 0 ? -scaled : scaled;
    long long frac = mag % p;
    int len = snprintf(out, size, "%s%lld", scaled < 0 ? "-" : "", mag / p);
    if (frac == 0 || len < 0 || (size_t)len >= size)
        return;
    while (frac % 10 == 0) { /* drop trailing zeros: 2.50 -> 2.5 */
        frac /= 10;
        decimals--;
    }
    snprintf(out + len, size - (size_t)len, ".%0*lld", decimals, frac);
}
