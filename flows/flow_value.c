/*
 * flow_value.c - decimals as citizens type them ("2.5" or "2,5", the comma
 * being the decimal mark in much of Africa and Europe) and as they are
 * stored (a dot, no trailing zeros). The loader reads a decimal step's
 * min/max with the same parser the engine applies to answers, so a bound
 * means exactly what a citizen's answer means. Dates likewise: the file's
 * YYYY-MM-DD bounds and the citizen's DD/MM/YYYY both become YYYYMMDD
 * numbers, which compare as dates do.
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

static int leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Y, M, D as YYYYMMDD if they name a real day (years 1000-9999). */
static int make_date(long long y, long long m, long long d, long long *out)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1)
        return -1;
    if (d > days[m - 1] + (m == 2 && leap(y)))
        return -1;
    *out = y * 10000 + m * 100 + d;
    return 0;
}

/* n digits (min..max of them) at *s as a number; moves *s past them. */
static int digits(const char **s, size_t min, size_t max, long long *out)
{
    size_t n = strspn(*s, "0123456789");
    if (n < min || n > max)
        return -1;
    *out = 0;
    for (size_t i = 0; i < n; i++)
        *out = *out * 10 + ((*s)[i] - '0');
    *s += n;
    return 0;
}

int flow_date_parse_dmy(const char *s, long long *yyyymmdd)
{
    long long d, m, y;
    if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
        const char *p = s;
        digits(&p, 8, 8, &y); /* DDMMYYYY */
        return make_date(y % 10000, y / 10000 % 100, y / 1000000, yyyymmdd);
    }
    if (digits(&s, 1, 2, &d) < 0 || !*s || !strchr("/-.", *s))
        return -1;
    char sep = *s++;
    if (digits(&s, 1, 2, &m) < 0 || *s != sep)
        return -1;
    s++;
    if (digits(&s, 4, 4, &y) < 0 || *s)
        return -1;
    return make_date(y, m, d, yyyymmdd);
}

int flow_date_parse_iso(const char *s, long long *yyyymmdd)
{
    long long d, m, y;
    if (digits(&s, 4, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, 2, &m) < 0 || *s++ != '-' ||
        digits(&s, 2, 2, &d) < 0 || *s)
        return -1;
    return make_date(y, m, d, yyyymmdd);
}

void flow_date_format(long long yyyymmdd, char *out, size_t size)
{
    snprintf(out, size, "%04lld-%02lld-%02lld", yyyymmdd / 10000, yyyymmdd / 100 % 100,
             yyyymmdd % 100);
}
