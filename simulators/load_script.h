/**
 * load_script.h - what a raia-load phone says and expects to see: the
 * community report flow (config/flows/community-report.yaml) as a fixed
 * script of turns, the same over USSD and SMS.
 *
 * Turn 0 dials the code (or sends the SMS keyword); each later turn answers
 * the screen the previous one brought. After turn k the gateway must show
 * the screen load_script_screen() accepts for k. The report asks consent,
 * category, severity and details (five turns); when the flow also asks
 * where the problem is (an area step after the details), turn 5 answers
 * "Prefer not to say", and the screen after it ends the dialogue. Used by
 * raia_load.c. Pure functions, no I/O.
 */
#ifndef RAIA_LOAD_SCRIPT_H
#define RAIA_LOAD_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

/** Turns of a report without the area step (the dial included). */
#define LOAD_SCRIPT_TURNS 5
/** Most turns of a session: the five, and the area when the flow asks it. */
#define LOAD_SCRIPT_TURNS_MAX 6

/** What a screen means after a turn. */
enum load_screen {
    LOAD_SCREEN_WRONG = 0, /* not a screen the script expects there */
    LOAD_SCREEN_NEXT,      /* the next question: the script goes on */
    LOAD_SCREEN_END        /* the end screen: the report is recorded */
};

/** What a failed turn showed instead of the expected screen. */
enum load_refusal {
    LOAD_REFUSAL_NONE = 0,  /* some other, unexpected screen */
    LOAD_REFUSAL_BUSY,      /* storage refused the turn */
    LOAD_REFUSAL_SLOW_DOWN, /* redis.turns_per_minute flood guard */
    LOAD_REFUSAL_EXPIRED,   /* session state lost or timed out */
    LOAD_REFUSAL_UNKNOWN    /* no flow behind the code */
};

/**
 * The text of turn (0..LOAD_SCRIPT_TURNS-1) into out (size bytes, NUL
 * terminated): first (borrowed: the USSD code dialled, or the SMS keyword)
 * for turn 0, then consent "1", a random category 1-4, a random severity
 * 1-5 and a short description, drawn from *rng (a xorshift state, never
 * 0). Turn 5 answers the area screen: its text is the number
 * load_script_prefer_not() found there. Returns the length, or -1 if out
 * is too small or turn is out of range.
 */
int load_script_text(int turn, const char *first, uint32_t *rng, char *out, size_t size);

/** What screen (UTF-8, borrowed) means after turn. */
enum load_screen load_script_screen(int turn, const char *screen);

/** The number of the "Prefer not to say" item of an area screen (borrowed), or -1. */
int load_script_prefer_not(const char *screen);

/** Which refusal screen screen is, LOAD_REFUSAL_NONE if none of them. */
enum load_refusal load_script_refusal(const char *screen);

/** The next pseudo-random number of a xorshift32 state (*s != 0). */
uint32_t load_script_rand(uint32_t *s);

#endif
