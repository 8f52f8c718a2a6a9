/*
 * sim_text.c - `\n` / `\\` escaping for control-protocol text (see
 * sim_text.h). Compiled into both raia-smsc-sim and raia-phone, which must
 * agree on it byte for byte.
 */
#include "sim_text.h"

long sim_text_escape(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = in[i] == '\n' ? "\\n" : in[i] == '\\' ? "\\\\" : NULL;
        size_t need = rep ? 2 : 1;
        if (o + need >= size)
            return -1;
        if (rep) {
            out[o++] = rep[0];
            out[o++] = rep[1];
        } else {
            out[o++] = in[i];
        }
    }
    if (size == 0)
        return -1;
    out[o] = '\0';
    return (long)o;
}

long sim_text_unescape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; in[i]; i++) {
        char c = in[i];
        if (c == '\\' && (in[i + 1] == 'n' || in[i + 1] == '\\')) {
            c = in[i + 1] == 'n' ? '\n' : '\\';
            i++;
        }
        if (o + 1 >= size)
            return -1;
        out[o++] = c;
    }
    if (size == 0)
        return -1;
    out[o] = '\0';
    return (long)o;
}
