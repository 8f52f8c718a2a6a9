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
#include <stdlib.h>
#include <string.h>

/* The screen expected after each of the first four turns. */
static const char *const expect[LOAD_SCRIPT_TURNS - 1] = {
    "Community Reports asks about local services.", /* consent, after the dial */
    "Which service has a problem?",                 /* category, after "1" (I agree) */
    "How serious is it?",                           /* severity */
    "Describe the problem",                         /* details */
};
static const char end_screen[] = "Thank you. Your report was recorded.";
static const char area_screen[] = "Where is the problem?"; /* the optional area step */
static const char prefer_not[] = "Prefer not to say";

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

int load_script_text(int turn, const char *first, uint32_t *rng, char *out, size_t size)
{
    int n;
    switch (turn) {
    case 0:
        n = snprintf(out, size, "%s", first);
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
    case 4:
        n = snprintf(out, size, "%s",
                     details[load_script_rand(rng) % (sizeof details / sizeof details[0])]);
        break;
    default:
        return -1;
    }
    return n >= 0 && (size_t)n < size ? n : -1;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum load_screen load_script_screen(int turn, const char *screen)
{
    if (turn >= 0 && turn < LOAD_SCRIPT_TURNS - 1)
        return starts(screen, expect[turn]) ? LOAD_SCREEN_NEXT : LOAD_SCREEN_WRONG;
    if (turn == LOAD_SCRIPT_TURNS - 1 && starts(screen, area_screen))
        return load_script_prefer_not(screen) > 0 ? LOAD_SCREEN_NEXT : LOAD_SCREEN_WRONG;
    if (turn >= LOAD_SCRIPT_TURNS - 1 && turn < LOAD_SCRIPT_TURNS_MAX && starts(screen, end_screen))
        return LOAD_SCREEN_END;
    return LOAD_SCREEN_WRONG;
}

int load_script_prefer_not(const char *screen)
{
    /* a menu line: "<number> Prefer not to say" */
    for (const char *line = screen; line; line = strchr(line, '\n')) {
        line += *line == '\n';
        char *end;
        long n = strtol(line, &end, 10);
        if (end != line && *end == ' ' && starts(end + 1, prefer_not) && n > 0 && n < 100)
            return (int)n;
    }
    return -1;
}

enum load_refusal load_script_refusal(const char *screen)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (starts(screen, refusals[i].prefix))
            return refusals[i].kind;
    return LOAD_REFUSAL_NONE;
}
