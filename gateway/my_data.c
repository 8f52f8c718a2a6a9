/*
 * my_data.c - screens and decisions of the "my data" menu (see my_data.h).
 * Called by gateway/session.c.
 */
#include "my_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "str_copy.h"

#define LIST_BUDGET 160 /* the list screen stays within one SMS-sized USSD screen */

const char my_data_unavailable_screen[] =
    "Sorry, your data cannot be shown right now. Please try again later.";
static const char nothing_screen[] = "No answers from this phone are kept here. Thank you.";
static const char unchanged_screen[] = "Nothing was changed. Thank you.";
static const char list_head[] = "Your answers are kept for:";
static const char list_tail[] = "9 Erase all my answers\n0 Exit";

int my_data_is_state(const char *blob, size_t len)
{
    return len >= 2 && blob[0] == 'M' && blob[1] == '|';
}

int my_data_encode(const struct my_data_state *st, char *buf, size_t size)
{
    int n = snprintf(buf, size, "M|%d|%zu|%zu", (int)st->stage, st->picked, st->n);
    for (size_t i = 0; i < st->n && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, "|%s|%s", st->flow_id[i], st->title[i]);
    return n > 0 && (size_t)n < size ? n : -1;
}

/* Copies the next '|'-separated field of [*p, end) into out; -1 if too long. */
static int field(const char **p, const char *end, char *out, size_t size)
{
    const char *bar = memchr(*p, '|', (size_t)(end - *p));
    const char *stop = bar ? bar : end;
    size_t n = (size_t)(stop - *p);
    if (n >= size)
        return -1;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = bar ? bar + 1 : end;
    return 0;
}

static int small_number(const char *s, long max, long *out)
{
    char *end;
    *out = strtol(s, &end, 10);
    return *s && !*end && *out >= 0 && *out <= max ? 0 : -1;
}

int my_data_decode(const char *blob, size_t len, struct my_data_state *st)
{
    const char *p = blob + 2, *end = blob + len;
    char num[8];
    long stage, picked, n;
    memset(st, 0, sizeof *st);
    if (!my_data_is_state(blob, len) || field(&p, end, num, sizeof num) < 0 ||
        small_number(num, MY_DATA_ERASE, &stage) < 0 || field(&p, end, num, sizeof num) < 0 ||
        small_number(num, PG_LOOKUP_FLOWS_MAX - 1, &picked) < 0 ||
        field(&p, end, num, sizeof num) < 0 || small_number(num, PG_LOOKUP_FLOWS_MAX, &n) < 0)
        return -RAIA_EPROTO;
    st->stage = (enum my_data_stage)stage;
    st->picked = (size_t)picked;
    for (st->n = 0; st->n < (size_t)n; st->n++)
        if (p >= end || field(&p, end, st->flow_id[st->n], sizeof st->flow_id[0]) < 0 || p >= end ||
            field(&p, end, st->title[st->n], sizeof st->title[0]) < 0 || !st->flow_id[st->n][0] ||
            !st->title[st->n][0])
            return -RAIA_EPROTO;
    if (p != end || blob[len - 1] == '|' || (st->stage == MY_DATA_WITHDRAW && st->picked >= st->n))
        return -RAIA_EPROTO;
    return 0;
}

static void list_screen(const struct my_data_state *st, const char *prefix, char *screen,
                        size_t size)
{
    int n = snprintf(screen, size, "%s%s", prefix, list_head);
    for (size_t i = 0; i < st->n && n > 0 && (size_t)n < size; i++)
        n += snprintf(screen + n, size - (size_t)n, "\n%zu %s", i + 1, st->title[i]);
    if (n > 0 && (size_t)n < size)
        snprintf(screen + n, size - (size_t)n, "\n%s", list_tail);
}

/* A title as a citizen reads it in the list: cut to fit at a word, no '|' (the state's
 * separator). */
static void list_title(const char *title, char *out, size_t size)
{
    str_copy(out, size, title);
    char *space = strrchr(out, ' ');
    if (strlen(title) >= size && space && space > out)
        *space = '\0';
    for (char *c = out; *c; c++)
        if (*c == '|' || *c == '\n')
            *c = ' ';
}

enum my_data_action my_data_start(const struct pg_lookup_flows *flows, const char *const *titles,
                                  struct my_data_state *st, char *screen, size_t size)
{
    memset(st, 0, sizeof *st);
    size_t used = strlen(list_head) + strlen(list_tail) + 1;
    for (size_t i = 0; i < flows->n && i < PG_LOOKUP_FLOWS_MAX; i++) {
        list_title(titles[i], st->title[st->n], sizeof st->title[0]);
        size_t line = 3 + strlen(st->title[st->n]);
        if (used + line > LIST_BUDGET)
            break; /* the rest are still covered by "erase all" */
        used += line;
        str_copy(st->flow_id[st->n], sizeof st->flow_id[0], flows->flow_id[i]);
        st->n++;
    }
    if (flows->n == 0) {
        str_copy(screen, size, nothing_screen);
        return MY_DATA_EXIT;
    }
    list_screen(st, "", screen, size);
    return MY_DATA_NONE;
}

static enum my_data_action list_turn(struct my_data_state *st, const char *in, char *screen,
                                     size_t size)
{
    long pick;
    if (strcmp(in, "0") == 0) {
        str_copy(screen, size, unchanged_screen);
        return MY_DATA_EXIT;
    }
    if (strcmp(in, "9") == 0) {
        st->stage = MY_DATA_ERASE;
        snprintf(screen, size,
                 "Erase all your answers to every survey here? This cannot be undone.\n"
                 "1 Yes, erase all\n2 No");
        return MY_DATA_NONE;
    }
    if (small_number(in, (long)st->n, &pick) < 0 || pick < 1) {
        list_screen(st, "Please choose a number from the list.\n", screen, size);
        return MY_DATA_NONE;
    }
    st->stage = MY_DATA_WITHDRAW;
    st->picked = (size_t)pick - 1;
    snprintf(screen, size,
             "Withdraw from %s? Your answers to it will be erased and it will not contact you "
             "again.\n1 Yes, withdraw\n2 No",
             st->title[st->picked]);
    return MY_DATA_NONE;
}

enum my_data_action my_data_step(struct my_data_state *st, const char *input, char *screen,
                                 size_t size)
{
    char in[8];
    size_t skip = strspn(input, " \t\r\n"), n = strcspn(input + skip, " \t\r\n");
    snprintf(in, sizeof in, "%.*s", n < sizeof in ? (int)n : 0, input + skip);
    if (st->stage == MY_DATA_LIST)
        return list_turn(st, in, screen, size);
    if (strcmp(in, "1") != 0) {
        str_copy(screen, size, unchanged_screen);
        return MY_DATA_EXIT;
    }
    if (st->stage == MY_DATA_WITHDRAW) {
        snprintf(screen, size, "Done. Your answers to %s will be erased within minutes. Thank you.",
                 st->title[st->picked]);
        return MY_DATA_DO_WITHDRAW;
    }
    snprintf(screen, size, "Done. All your answers will be erased within minutes. Thank you.");
    return MY_DATA_DO_ERASE;
}
