/**
 * my_data.h - the citizen's "my data" USSD menu: which flows hold their
 * answers, withdrawing from one (its answers erased, and an opt-out), or
 * erasing everything, each after a confirmation screen (docs/privacy.md).
 *
 * Pure: screens and decisions only. gateway/session.c asks PostgreSQL for
 * the list (storage/pg_lookup.h), stores the menu's state in the session key
 * between turns, and turns a confirmed choice into an erase event in the
 * answer stream. Texts are English (docs/privacy.md, "Known limits").
 */
#ifndef RAIA_MY_DATA_H
#define RAIA_MY_DATA_H

#include <stddef.h>

#include "pg_lookup.h"

#define MY_DATA_SCREEN_MAX 400
#define MY_DATA_TITLE_MAX 41 /* a flow's title as listed, cut to fit */

enum my_data_stage {
    MY_DATA_LIST = 0,     /* the flows, then "erase everything" and "exit" */
    MY_DATA_WITHDRAW = 1, /* confirm withdrawing from flows[picked] */
    MY_DATA_ERASE = 2     /* confirm erasing everything */
};

/** The menu between turns: what was listed, and where the citizen is. */
struct my_data_state {
    enum my_data_stage stage;
    size_t picked; /* MY_DATA_WITHDRAW: index into flow_id */
    size_t n;
    char flow_id[PG_LOOKUP_FLOWS_MAX][PG_LOOKUP_FLOW_ID_MAX];
    char title[PG_LOOKUP_FLOWS_MAX][MY_DATA_TITLE_MAX];
};

/** What a turn decided. */
enum my_data_action {
    MY_DATA_NONE = 0,    /* show the screen, wait for input */
    MY_DATA_EXIT,        /* show the screen, end: nothing changed */
    MY_DATA_DO_WITHDRAW, /* erase flow_id[picked] and opt out of it, then end */
    MY_DATA_DO_ERASE     /* erase everything, then end */
};

/** 1 if blob (from the session key) is a my-data menu state rather than a survey's. */
int my_data_is_state(const char *blob, size_t len);
/** Encode st as printable text without '|' in ids; returns the length, or -1 if it does not fit. */
int my_data_encode(const struct my_data_state *st, char *buf, size_t size);
/** Decode what my_data_encode wrote; -RAIA_EPROTO on anything else (it came from Redis). */
int my_data_decode(const char *blob, size_t len, struct my_data_state *st);

/**
 * The first screen for what PostgreSQL listed (titles[i] is flow i's name
 * for citizens, borrowed). Returns MY_DATA_EXIT with a "nothing stored"
 * screen when the list is empty, else MY_DATA_NONE with st filled.
 */
enum my_data_action my_data_start(const struct pg_lookup_flows *flows, const char *const *titles,
                                  struct my_data_state *st, char *screen, size_t size);
/** One answer to the current screen: updates st and writes the next screen. */
enum my_data_action my_data_step(struct my_data_state *st, const char *input, char *screen,
                                 size_t size);

/** The screens when the list cannot be had (PostgreSQL down or slow) or the change not saved. */
extern const char my_data_unavailable_screen[];

#endif
