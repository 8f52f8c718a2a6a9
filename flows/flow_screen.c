/*
 * flow_screen.c - builds the text of every screen a flow shows and measures
 * it in the encoding the gateway will use. The engine (what a citizen sees),
 * the checker (does it fit) and `raia flows render` all build screens here,
 * so the three can never disagree.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "flow_def.h"

/* Appends printf-style text at *len, never past size; truncation is caught
 * by the checker, which measures the same screens before a flow goes live. */
__attribute__((format(printf, 4, 5))) static void put(char *out, size_t size, size_t *len,
                                                      const char *fmt, ...)
{
    if (*len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

void flow_screen_language(const struct flow_def *def, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < def->n_langs; i++)
        put(out, size, &len, "%s%zu %s", i ? "\n" : "", i + 1, def->language_names.s[i]);
}

void flow_screen_consent(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    put(out, size, &len, "%s", def->consent.text.s[lang]);
    put(out, size, &len, "\n1 %s\n2 %s", def->consent.accept.s[lang], def->consent.decline.s[lang]);
}

void flow_screen_step(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    put(out, size, &len, "%s", step->text.s[lang]);
    for (size_t i = 0; i < step->n_choices; i++)
        put(out, size, &len, "\n%zu %s", i + 1, step->choices[i].label.s[lang]);
    /* A choice step numbers the refusal after its choices; a free-entry
     * step cannot (any number may be an answer), so it offers "*". */
    if (step->optional && step->n_choices)
        put(out, size, &len, "\n%zu %s", step->n_choices + 1, def->prefer_not.s[lang]);
    else if (step->optional)
        put(out, size, &len, "\n%s %s", FLOW_REFUSED_INPUT, def->prefer_not.s[lang]);
}

void flow_screen_reprompt(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                          char *out, size_t size)
{
    char question[FLOW_SCREEN_MAX];
    size_t len = 0;
    flow_screen_step(def, step, lang, question, sizeof question);
    out[0] = '\0';
    put(out, size, &len, "%s\n%s",
        step->error.s[0] ? step->error.s[lang] : def->msg_invalid.s[lang], question);
}

/* The consent text was just on screen: repeat only the two choices, so
 * the re-prompt fits wherever the consent screen fits. */
void flow_screen_consent_reprompt(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    put(out, size, &len, "%s\n1 %s\n2 %s", def->msg_invalid.s[lang], def->consent.accept.s[lang],
        def->consent.decline.s[lang]);
}

/* As the consent re-prompt, help at consent repeats only the two choices. */
void flow_screen_help(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      char *out, size_t size)
{
    char screen[FLOW_SCREEN_MAX];
    size_t len = 0;
    if (step)
        flow_screen_step(def, step, lang, screen, sizeof screen);
    else
        snprintf(screen, sizeof screen, "1 %s\n2 %s", def->consent.accept.s[lang],
                 def->consent.decline.s[lang]);
    out[0] = '\0';
    put(out, size, &len, "%s\n%s", def->help.s[lang], screen);
}

/*
 * USSD: one screen is 160 octets, i.e. 182 packed GSM septets or 80 UCS-2
 * units (research U5). SMS: one part is 160 septets or 70 UCS-2 units.
 */
int flow_screen_fits(const char *screen, enum flow_channel channel, long *used, long *limit,
                     const char **encoding)
{
    size_t n = strlen(screen);
    long septets = charset_gsm7_length(screen, n);
    int ussd = channel == FLOW_CHANNEL_USSD;
    if (septets >= 0) {
        *used = septets;
        *limit = ussd ? FLOW_USSD_SCREEN_MAX : 160;
        *encoding = "GSM 7-bit";
    } else {
        *used = charset_ucs2_length(screen, n);
        *limit = ussd ? 80 : 70;
        *encoding = "UCS-2";
    }
    return *used >= 0 && *used <= *limit;
}
