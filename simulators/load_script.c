/*
 * load_script.c - the community report as raia-load plays it (see
 * load_script.h). The prefixes are the first words of the screens the flow
 * file defines; the refusal prefixes are the gateway's own screens in
 * gateway/session.c. Kept short on purpose: a check on the start of each
 * screen is enough to tell a right screen from a wrong or refused one
 * without copying the flow's full text here.
 */
#include "load_script.h"

#include <stdio.h>
#include <string.h>

static const char *const expect[LOAD_SCRIPT_TURNS] = {
    "Community Reports asks about local services.", /* consent, after the dial */
    "Which service has a problem?",                 /* category, after "1" (I agree) */
    "How serious is it?",                           /* severity */
    "Describe the problem",                         /* details */
    "Thank you. Your report was recorded.",         /* end */
};

static const char *const details[] = {
    "Pump broken since Monday",
    "No nurse at the clinic today",
    "School roof leaks when it rains",
    "Water point dry for a week",
};

static const struct {
    const char *prefix;
    enum load_refusal kind;
} refusals[] = {
    {"Sorry, the service is busy", LOAD_REFUSAL_BUSY},
    {"Too many messages from your phone", LOAD_REFUSAL_SLOW_DOWN},
    {"Your session has ended", LOAD_REFUSAL_EXPIRED},
    {"Sorry, there is no survey", LOAD_REFUSAL_UNKNOWN},
};

uint32_t load_script_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

int load_script_text(int turn, const char *code, uint32_t *rng, char *out, size_t size)
{
    int n;
    switch (turn) {
    case 0:
        n = snprintf(out, size, "%s", code);
        break;
    case 1:
        n = snprintf(out, size, "1");
        break;
    case 2:
        n = snprintf(out, size, "%u", 1u + load_script_rand(rng) % 4u);
        break;
    case 3:
        n = snprintf(out, size, "%u", 1u + load_script_rand(rng) % 5u);
        break;
    default:
        n = snprintf(out, size, "%s",
                     details[load_script_rand(rng) % (sizeof details / sizeof details[0])]);
        break;
    }
    return n >= 0 && (size_t)n < size ? n : -1;
}

const char *load_script_expect(int turn)
{
    if (turn < 0 || turn >= LOAD_SCRIPT_TURNS)
        return "";
    return expect[turn];
}

int load_script_match(int turn, const char *screen)
{
    const char *p = load_script_expect(turn);
    return *p && strncmp(screen, p, strlen(p)) == 0;
}

enum load_refusal load_script_refusal(const char *screen)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strncmp(screen, refusals[i].prefix, strlen(refusals[i].prefix)) == 0)
            return refusals[i].kind;
    return LOAD_REFUSAL_NONE;
}
