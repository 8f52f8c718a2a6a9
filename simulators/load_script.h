/**
 * load_script.h - what a raia-load phone says and expects to see: the
 * community report flow (config/flows/community-report.yaml) as a fixed
 * script of turns.
 *
 * Turn 0 dials the code; each later turn answers the screen the previous
 * one brought. After turn k the gateway must show the screen whose text
 * starts with load_script_expect(k); the screen after the last turn ends
 * the dialogue. Used by raia_load.c. Pure functions, no I/O.
 */
#ifndef RAIA_LOAD_SCRIPT_H
#define RAIA_LOAD_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

/** Number of turns in a full session (the dial included). */
#define LOAD_SCRIPT_TURNS 5

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
 * terminated): the code (borrowed) for turn 0, then consent "1", a random
 * category 1-4, a random severity 1-5 and a short description, drawn from
 * *rng (a xorshift state, never 0). Returns the length, or -1 if out is
 * too small.
 */
int load_script_text(int turn, const char *code, uint32_t *rng, char *out, size_t size);

/** The prefix of the screen expected after turn; the last turn's is the end screen. */
const char *load_script_expect(int turn);

/** 1 if screen (UTF-8, borrowed) starts with load_script_expect(turn), else 0. */
int load_script_match(int turn, const char *screen);

/** Which refusal screen screen is, LOAD_REFUSAL_NONE if none of them. */
enum load_refusal load_script_refusal(const char *screen);

/** The next pseudo-random number of a xorshift32 state (*s != 0). */
uint32_t load_script_rand(uint32_t *s);

#endif
