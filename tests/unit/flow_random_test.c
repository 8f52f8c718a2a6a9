/*
 * flow_random_test.c - every flow in config/flows/, on each channel it
 * declares, fed thousands of sessions of random input: valid answers
 * (numbers of the list on screen, values in range, dates, texts, lists of
 * choices), out-of-range numbers, paging numbers, choice codes, STOP and
 * HELP in each of the flow's words and in odd case and spacing, empty and
 * blank input, long strings, UTF-8, emoji and broken UTF-8, and now and
 * then a dropped USSD session (resume prompt, then the screen again).
 *
 * Checks on every turn: flow_step answers 0 with a non-empty screen that
 * fits the channel (flow_screen_fits, the checker's own rule); the state
 * survives encode/decode as it does through Redis; answers name a step or a
 * derived variable, and a list's answer carries one of its codes. Every
 * session ends or waits for input, STOP ends a session that still waits,
 * and a session given only valid answers completes within a bound set by
 * the number of steps (no loop without an exit). Each flow and channel
 * must see every outcome (completed, refused, abandoned, stopped).
 *
 * The seed is fixed (RAIA_RANDOM_SEED overrides it) and printed, so a
 * failure replays; each flow and channel draws from its own stream.
 * Includes flow_def.h to read the steps' types, ranges and lists; linked
 * with raia_flows only; run from the source root.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flow_def.h"
#include "flows_help.h" /* load_file */
#include "test_help.h"

#define FLOWS_DIR "config/flows"
#define SESSIONS 3000      /* random sessions per flow and channel */
#define VALID_SESSIONS 300 /* sessions with valid answers only */
#define TURNS_MAX 300      /* turns of random input before STOP is sent */

static unsigned long long rng_state;

/* xorshift64*: small, deterministic on every platform. */
static unsigned long long rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* A number in [0, n), n > 0. */
static unsigned long long below(unsigned long long n)
{
    return rnd() % n;
}

/* A number in [lo, hi]. */
static long long between(long long lo, long long hi)
{
    return lo + (long long)below((unsigned long long)(hi - lo) + 1);
}

static const struct flow_step_def *current_step(const struct flow_def *def,
                                                const struct flow_state *st)
{
    return st->consented ? flow_def_step(def, st->step) : NULL;
}

static size_t session_lang(const struct flow_def *def, const struct flow_state *st)
{
    int l = flow_def_lang_index(def, st->language);
    return l < 0 ? 0 : (size_t)l;
}

/* A date between the step's min and max, as a citizen types it (DD/MM/YYYY). */
static void valid_date(const struct flow_step_def *step, char *buf, size_t size)
{
    long long y = between(step->min / 10000, step->max / 10000);
    long long d = y * 10000 + between(1, 12) * 100 + between(1, 28);
    if (d < step->min)
        d = step->min;
    if (d > step->max)
        d = step->max;
    snprintf(buf, size, "%02lld/%02lld/%04lld", d % 100, d / 100 % 100, d / 10000);
}

/* Some text of 1..max_length characters, now and then with a non-ASCII letter. */
static void valid_text(const struct flow_step_def *step, char *buf, size_t size)
{
    long len = (long)between(1, step->max_length < 40 ? step->max_length : 40);
    size_t n = 0;
    for (long i = 0; i < len && n + 3 < size; i++) {
        if (i > 0 && below(10) == 0) {
            memcpy(buf + n, "\xc3\xa9", 2); /* é */
            n += 2;
        } else {
            buf[n++] = (char)('a' + below(26));
        }
    }
    buf[n] = '\0';
}

/* A list answer: a single number shown, or (multi_choice) a list of distinct ones. */
static void valid_list(const struct flow_def *def, const struct flow_step_def *step,
                       enum flow_channel channel, const struct flow_state *st, char *buf,
                       size_t size)
{
    struct flow_menu m;
    if (flow_menu_of(def, step, session_lang(def, st), channel, st, &m) < 0 || m.n == 0) {
        snprintf(buf, size, "1");
        return;
    }
    if (step->type != STEP_MULTI || (m.refusal && below(10) == 0)) {
        snprintf(buf, size, "%llu", between(1, (long long)m.n));
        return;
    }
    size_t choices = step->n_choices, len = 0;
    long long want =
        between(step->min, step->max < (long long)choices ? step->max : (long long)choices);
    unsigned long long used = 0;
    buf[0] = '\0';
    for (long long k = 0; k < want; k++) {
        size_t c;
        do
            c = (size_t)below(choices);
        while (used >> c & 1);
        used |= 1ull << c;
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", k ? (below(2) ? " " : ",") : "",
                                c + 1);
    }
}

/* A valid answer to the screen state waits on. */
static void valid_input(const struct flow_def *def, enum flow_channel channel,
                        const struct flow_state *st, char *buf, size_t size)
{
    const struct flow_step_def *step = current_step(def, st);
    if (!st->consented && strcmp(st->step, FLOW_LANGUAGE_STEP) == 0 && def->n_langs > 1) {
        size_t l = (size_t)below(def->n_langs);
        if (below(4))
            snprintf(buf, size, "%zu", l + 1);
        else
            snprintf(buf, size, "%s", def->langs[l]); /* by SMS, the code is handy */
        return;
    }
    if (!step) {
        snprintf(buf, size, "%s", below(8) ? "1" : "2");
        return;
    }
    if (step->optional && step->type != STEP_CHOICE && step->type != STEP_YES_NO &&
        step->type != STEP_MULTI && step->type != STEP_LOCATION && below(10) == 0) {
        snprintf(buf, size, "%s", FLOW_REFUSED_INPUT);
        return;
    }
    switch (step->type) {
    case STEP_CHOICE:
    case STEP_YES_NO:
    case STEP_MULTI:
    case STEP_LOCATION:
        valid_list(def, step, channel, st, buf, size);
        break;
    case STEP_NUMBER:
    case STEP_AGE:
    case STEP_YEAR:
        snprintf(buf, size, "%lld", between(step->min, step->max));
        break;
    case STEP_DECIMAL:
        flow_decimal_format(between(step->min, step->max), step->decimals, buf, size);
        break;
    case STEP_DATE:
        valid_date(step, buf, size);
        break;
    case STEP_TEXT:
        valid_text(step, buf, size);
        break;
    }
}

/* STOP or HELP: the English word or the flow's word in one of its languages, odd case, spaces. */
static void keyword(const struct flow_def *def, const char *word, const struct flow_text *t,
                    char *buf, size_t size)
{
    const char *w = word;
    size_t l = (size_t)below(def->n_langs);
    if (below(2) && t->s[l])
        w = t->s[l];
    size_t n = 0;
    if (below(4) == 0)
        buf[n++] = ' ';
    for (; *w && n + 2 < size; w++) {
        char c = *w;
        if (c >= 'a' && c <= 'z' && below(2))
            c = (char)(c - 'a' + 'A');
        else if (c >= 'A' && c <= 'Z' && below(2))
            c = (char)(c - 'A' + 'a');
        buf[n++] = c;
    }
    if (below(4) == 0)
        buf[n++] = '\n';
    buf[n] = '\0';
}

/* A random choice code of some step of def (or of the current one). */
static const char *some_code(const struct flow_def *def, const struct flow_step_def *step)
{
    if (!step || step->n_choices == 0 || below(3) == 0)
        step = &def->steps[below(def->n_steps)];
    if (step->type == STEP_LOCATION && step->n_areas)
        return step->areas[below(step->n_areas)].code;
    return step->n_choices ? step->choices[below(step->n_choices)].code : "refused";
}

/* One random input for the screen state waits on. */
static void random_input(const struct flow_def *def, enum flow_channel channel,
                         const struct flow_state *st, char *buf, size_t size)
{
    static const char *const odd[] = {
        "",
        " ",
        "\t\n",
        "0",
        "-1",
        "+3",
        "00001",
        "98",
        "99",
        "100",
        "999999999999",
        "9999999999999999999999",
        "1.5",
        "2,5",
        "1e3",
        "*",
        "**",
        "1 1",
        "1,,3",
        "1 2 3 4 5 6 7 8 9",
        "0x10",
        "29/02/2023",
        "31/12/1899",
        "12/12/2999",
        "1900",
        "yes",
        "NO",
        "{seeing}",
        "%s%n%x",
        "caf\xc3\xa9",
        "\xf0\x9f\x98\x80",                                                         /* emoji */
        "\xe1\x8b\xa8\xe1\x8b\x8d\xe1\x88\x83",                                     /* Ethiopic */
        "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87", /* Devanagari */
        "\xc3\x28", /* broken UTF-8 */
        "\xff\xfe",
        "\xe2\x82\xac\xe2\x82\xac", /* euro signs */
    };
    const struct flow_step_def *step = current_step(def, st);
    unsigned long long r = below(100);
    if (r < 45) {
        valid_input(def, channel, st, buf, size);
    } else if (r < 50) {
        keyword(def, "STOP", &def->stop_word, buf, size);
    } else if (r < 55) {
        keyword(def, "HELP", &def->help_word, buf, size);
    } else if (r < 75) {
        snprintf(buf, size, "%s", odd[below(sizeof odd / sizeof odd[0])]);
    } else if (r < 80) {
        size_t n = (size_t)between(150, (long long)size - 1);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)between(' ', '~');
        buf[n] = '\0';
    } else if (r < 84) {
        /* 1..120 thumbs-up emoji (4 bytes) and c-cedillas (2 bytes, not in GSM 7-bit) */
        size_t n = 0;
        for (long long k = between(1, 120); k > 0 && n + 5 < size; k--) {
            const char *c = below(2) ? "\xf0\x9f\x91\x8d" : "\xc3\xa7";
            memcpy(buf + n, c, strlen(c));
            n += strlen(c);
        }
        buf[n] = '\0';
    } else if (r < 92) {
        snprintf(buf, size, "%s", some_code(def, step));
    } else {
        snprintf(buf, size, "%lld", between(-2, 120));
    }
}

/* Counts of what sessions of one flow and channel did. */
struct tally {
    long sessions, turns, outcome[5], waiting, resumes;
};

static const char *const outcome_names[] = {"none", "completed", "refused", "abandoned", "stopped"};

/* 1 if the answer names a step (with a code of its list) or a derived variable. */
static int answer_ok(const struct flow_def *def, const struct flow_answer *a)
{
    const struct flow_step_def *step = flow_def_step(def, a->question);
    if (!step) {
        for (size_t d = 0; d < def->n_derived; d++)
            if (strcmp(def->derived[d].id, a->question) == 0)
                return a->code[0] != '\0';
        return 0;
    }
    if (strcmp(a->code, FLOW_REFUSED_CODE) == 0)
        return step->optional;
    if (step->type == STEP_CHOICE || step->type == STEP_YES_NO) {
        for (size_t c = 0; c < step->n_choices; c++)
            if (strcmp(a->code, step->choices[c].code) == 0)
                return a->value[0] != '\0';
        return 0;
    }
    if (step->type == STEP_LOCATION)
        return flow_def_area_index(step, a->code) >= 0;
    if (step->type == STEP_MULTI)
        return a->code[0] != '\0';
    return a->value[0] != '\0';
}

/* Checks one turn's output and the state after it; prints what is wrong. */
static int turn_ok(const struct flow_def *def, enum flow_channel channel, int rc,
                   const struct flow_output *out, struct flow_state *st, const char *input)
{
    long used = 0, limit = 0;
    const char *enc = "";
    const char *why = NULL;
    char buf[FLOW_STATE_MAX];
    int len;
    if (rc != 0)
        why = "the engine returned an error";
    else if (!out->screen[0])
        why = "empty screen";
    else if (!flow_screen_fits(out->screen, channel, &used, &limit, &enc))
        why = "the screen does not fit";
    else if (out->n_answers > FLOW_ANSWERS_MAX)
        why = "too many answers";
    else if (out->end &&
             (out->outcome < FLOW_OUTCOME_COMPLETED || out->outcome > FLOW_OUTCOME_STOPPED))
        why = "an end without an outcome";
    else if ((len = flow_state_encode(st, buf, sizeof buf)) < 0 ||
             flow_state_decode(buf, (size_t)len, st) != 0)
        why = "the state does not survive encode/decode";
    for (size_t i = 0; !why && i < out->n_answers; i++)
        if (!answer_ok(def, &out->answers[i]))
            why = "an answer names no step or carries a code not in its list";
    if (why)
        printf("  %s (%s): input \"%s\": %s (%ld/%ld %s):\n%s\n", flow_def_id(def),
               channel == FLOW_CHANNEL_SMS ? "sms" : "ussd", input, why, used, limit, enc,
               out->screen);
    return why == NULL;
}

/* A USSD session was cut: the resume prompt (if the flow has one), then the screen again. */
static int drop_and_resume(const struct flow_def *def, enum flow_channel channel,
                           struct flow_state *st)
{
    struct flow_output out;
    int rc = flow_resume_screen(def, channel, st, &out);
    if (rc == 0 && !turn_ok(def, channel, 0, &out, st, "(resume)"))
        return 0;
    if (rc != 0 && rc != -RAIA_ENOTFOUND)
        return turn_ok(def, channel, rc, &out, st, "(resume)");
    rc = flow_redisplay(def, channel, st, &out);
    return turn_ok(def, channel, rc, &out, st, "(redisplay)") && !out.end;
}

/* One session of random input; returns 0 at the first broken rule. */
static int random_session(const struct flow_def *def, enum flow_channel channel, struct tally *t)
{
    struct flow_state st;
    struct flow_output out;
    char in[700];
    if (!turn_ok(def, channel, flow_start(def, channel, &st, &out), &out, &st, "(start)"))
        return 0;
    int turns = 0;
    while (!out.end && turns < TURNS_MAX) {
        if (channel == FLOW_CHANNEL_USSD && below(100) == 0) {
            t->resumes++;
            if (!drop_and_resume(def, channel, &st))
                return 0;
        }
        random_input(def, channel, &st, in, sizeof in);
        if (!turn_ok(def, channel, flow_step(def, channel, &st, in, &out), &out, &st, in))
            return 0;
        turns++;
    }
    t->turns += turns;
    if (!out.end) {
        t->waiting++;
        if (!turn_ok(def, channel, flow_step(def, channel, &st, "STOP", &out), &out, &st, "STOP") ||
            !out.end) {
            printf("  %s: STOP did not end a waiting session\n", flow_def_id(def));
            return 0;
        }
    }
    t->outcome[out.outcome]++;
    return 1;
}

/* One session of valid answers only: it must complete within the bound. */
static int valid_session(const struct flow_def *def, enum flow_channel channel)
{
    struct flow_state st;
    struct flow_output out;
    char in[700];
    int bound = 2 + (int)def->n_steps * FLOW_LEVELS_MAX;
    flow_start(def, channel, &st, &out);
    for (int turn = 0; turn < bound && !out.end; turn++) {
        valid_input(def, channel, &st, in, sizeof in);
        if (strcmp(in, "2") == 0 && !st.consented)
            snprintf(in, sizeof in, "1");
        if (!turn_ok(def, channel, flow_step(def, channel, &st, in, &out), &out, &st, in))
            return 0;
        if (out.end && out.outcome != FLOW_OUTCOME_COMPLETED) {
            printf("  %s: valid input \"%s\" ended the session as %s:\n%s\n", flow_def_id(def), in,
                   outcome_names[out.outcome], out.screen);
            return 0;
        }
    }
    if (!out.end)
        printf("  %s: valid answers did not complete within %d turns\n", flow_def_id(def), bound);
    return out.end;
}

/*
 * Each flow and channel gets its own stream, from the seed and its name,
 * so a run does not depend on the order readdir() lists the files in.
 */
static void seed_for(unsigned long long seed, const char *name, enum flow_channel channel)
{
    unsigned long long h = 14695981039346656037ull; /* FNV-1a */
    for (const char *c = name; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    rng_state = (seed ^ h) + (unsigned long long)channel;
    if (!rng_state)
        rng_state = 1;
}

static void run_flow(unsigned long long seed, const char *name, const struct flow_def *def,
                     enum flow_channel channel)
{
    struct tally t = {0};
    int ok = 1;
    seed_for(seed, name, channel);
    for (int s = 0; s < SESSIONS && ok; s++) {
        ok = random_session(def, channel, &t);
        t.sessions++;
    }
    test_cond("random sessions: every turn valid, every screen fits, STOP always ends", ok);
    int valid = 1;
    for (int s = 0; s < VALID_SESSIONS && valid; s++)
        valid = valid_session(def, channel);
    test_cond("valid answers always complete within the bound", valid);
    const char *ch = channel == FLOW_CHANNEL_SMS ? "sms" : "ussd";
    printf("  %s %s: %ld sessions, %ld turns, %ld completed, %ld refused, %ld abandoned, %ld "
           "stopped, %ld still waiting after %d turns, %ld resumed\n",
           name, ch, t.sessions, t.turns, t.outcome[1], t.outcome[2], t.outcome[3], t.outcome[4],
           t.waiting, TURNS_MAX, t.resumes);
    for (int o = FLOW_OUTCOME_COMPLETED; ok && o <= FLOW_OUTCOME_STOPPED; o++) {
        if (!t.outcome[o])
            printf("  %s %s: no session ended %s\n", name, ch, outcome_names[o]);
        test_cond("random sessions reach every outcome", t.outcome[o] > 0);
    }
}

int main(void)
{
    const char *env = getenv("RAIA_RANDOM_SEED");
    unsigned long long seed = env ? strtoull(env, NULL, 0) : 20261126ull;
    printf("seed %llu (set RAIA_RANDOM_SEED to replay another)\n", seed);
    DIR *d = opendir(FLOWS_DIR);
    struct dirent *e;
    int n = 0;
    test_cond("config/flows opens", d != NULL);
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", FLOWS_DIR, e->d_name);
        struct flow_def *def = load_file(path);
        test_cond(path, def != NULL);
        if (!def)
            continue;
        n++;
        test_cond("a sensitive flow runs on USSD only",
                  !flow_def_sensitive(def) || flow_def_sms_keyword(def) == NULL);
        if (flow_def_ussd_code(def))
            run_flow(seed, e->d_name, def, FLOW_CHANNEL_USSD);
        if (flow_def_sms_keyword(def))
            run_flow(seed, e->d_name, def, FLOW_CHANNEL_SMS);
        flow_def_unref(def);
    }
    if (d)
        closedir(d);
    test_cond("flows found", n > 0);
    TEST_REPORT();
}
