/*
 * flow_golden_test.c - golden transcripts of the shipped flows: every file
 * tests/golden/<flow>.<lang>.<channel>.txt is a list of sessions of
 * config/flows/<flow>.yaml, each the inputs a citizen sends and the exact
 * screens, answers and outcome the engine must produce. The test plays
 * every session the way gateway/session.c does (the state goes through
 * flow_state_encode/_decode between turns, as it does through Redis) and
 * stops a file at its first difference with file:line and both versions.
 * It also checks that every shipped flow has a file for each language it
 * declares on each channel it declares, and none for another channel.
 *
 * The format (one item per line; docs/flows.md, "Shipped flows"):
 *
 *   # a comment               blank lines and comments are ignored
 *   === name                  a new session: flow_start, its screen follows
 *   > text                    the citizen sends text (">" alone: empty)
 *   ! resume                  the gateway shows the resume prompt (flow_resume_screen)
 *   ! redisplay               the gateway shows the waiting screen again (flow_redisplay)
 *   < line                    one line of the screen expected ("<" alone: an empty line)
 *   = consent                 this turn accepted consent
 *   = answer Q code="C" value="V"   one answer stored, in order
 *   = end OUTCOME             the session ended (completed, refused, abandoned, stopped)
 *
 * RAIA_GOLDEN_WRITE=1 rewrites each file from the engine (keeping comments,
 * sessions and inputs) for authoring; a rewritten file must be read line
 * by line before it is committed. Linked with raia_flows only; run from
 * the source root (ctest sets the working directory).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flows_help.h" /* load_file */
#include "test_help.h"

#define GOLDEN_DIR "tests/golden"
#define FLOWS_DIR "config/flows"
#define LINE_MAX_BYTES 2048
#define LINES_MAX 4096

/* One line of a golden file, kept with its number for messages. */
struct gline {
    char *text;
    int no;
};

struct golden {
    const char *path;
    struct gline lines[LINES_MAX];
    size_t n;
};

static const char *const outcome_names[] = {"none", "completed", "refused", "abandoned", "stopped"};

/* Reads path into g, one entry per line without its newline. Returns 0 or -1. */
static int golden_read(const char *path, struct golden *g)
{
    FILE *f = fopen(path, "r");
    char buf[LINE_MAX_BYTES];
    g->path = path;
    g->n = 0;
    if (!f) {
        printf("%s: cannot open\n", path);
        return -1;
    }
    while (fgets(buf, sizeof buf, f)) {
        size_t len = strlen(buf);
        const char *why = NULL;
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        else if (!feof(f))
            why = "line too long";
        if (g->n == LINES_MAX)
            why = "too many lines";
        else if (!why && !(g->lines[g->n].text = strdup(buf)))
            why = "out of memory";
        if (why) {
            printf("%s:%zu: %s\n", path, g->n + 1, why);
            fclose(f);
            return -1;
        }
        g->lines[g->n].no = (int)g->n + 1;
        g->n++;
    }
    fclose(f);
    return 0;
}

static void golden_free(struct golden *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->lines[i].text);
    g->n = 0;
}

/* An expectation line: the engine's output for one turn ("===" starts a session). */
static int is_expect(const char *line)
{
    return line[0] == '<' || strncmp(line, "= ", 2) == 0;
}

/* Appends one output line to the list being built ("" if out of memory: it then differs). */
static void add(char **lines, size_t *n, const char *text)
{
    char *copy = strdup(text);
    if (*n < LINES_MAX)
        lines[(*n)++] = copy ? copy : calloc(1, 1);
    else
        free(copy);
}

/* Formats what one turn produced as golden lines (screen, consent, answers, end). */
static size_t format_output(const struct flow_output *out, char **lines)
{
    size_t n = 0;
    char line[LINE_MAX_BYTES];
    const char *s = out->screen;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        snprintf(line, sizeof line, "<%s%.*s", len ? " " : "", (int)len, s);
        add(lines, &n, line);
        if (!nl)
            break;
        s = nl + 1;
    }
    if (out->consent_given)
        add(lines, &n, "= consent");
    for (size_t i = 0; i < out->n_answers; i++) {
        const struct flow_answer *a = &out->answers[i];
        snprintf(line, sizeof line, "= answer %s code=\"%s\" value=\"%s\"", a->question, a->code,
                 a->value);
        add(lines, &n, line);
    }
    if (out->end) {
        snprintf(line, sizeof line, "= end %s", outcome_names[out->outcome]);
        add(lines, &n, line);
    }
    return n;
}

/* The session under way while a file plays. */
struct player {
    const struct flow_def *def;
    enum flow_channel channel;
    const char *lang; /* the language the file is for */
    struct flow_state state;
    int started, ended;
};

/* The gateway keeps the state as a string between turns: so does the test. */
static int round_trip(struct flow_state *state)
{
    char buf[FLOW_STATE_MAX];
    int len = flow_state_encode(state, buf, sizeof buf);
    if (len < 0)
        return -1;
    memset(state, 0, sizeof *state);
    return flow_state_decode(buf, (size_t)len, state);
}

/*
 * Runs the action on line `at` of g (a session header, an input or a
 * gateway action) and fills out. Returns 0, or -1 with a message printed.
 */
static int act(struct golden *g, size_t at, struct player *p, struct flow_output *out)
{
    const char *line = g->lines[at].text;
    int rc;
    if (strncmp(line, "===", 3) == 0) {
        rc = flow_start(p->def, p->channel, &p->state, out);
        p->started = 1;
        p->ended = 0;
    } else if (!p->started || p->ended) {
        printf("%s:%d: '%s' %s\n", g->path, g->lines[at].no, line,
               p->started ? "after the session ended" : "before the first '=== session'");
        return -1;
    } else if (line[0] == '>') {
        rc = flow_step(p->def, p->channel, &p->state, line[1] == ' ' ? line + 2 : line + 1, out);
    } else if (strcmp(line, "! resume") == 0) {
        rc = flow_resume_screen(p->def, p->channel, &p->state, out);
    } else if (strcmp(line, "! redisplay") == 0) {
        rc = flow_redisplay(p->def, p->channel, &p->state, out);
    } else {
        printf("%s:%d: unknown line '%s'\n", g->path, g->lines[at].no, line);
        return -1;
    }
    if (rc != 0) {
        printf("%s:%d: the engine returned %d\n", g->path, g->lines[at].no, rc);
        return -1;
    }
    if (round_trip(&p->state) != 0) {
        printf("%s:%d: the state does not survive encode/decode\n", g->path, g->lines[at].no);
        return -1;
    }
    p->ended = out->end;
    if (p->state.language[0] && strcmp(p->state.language, p->lang) != 0) {
        printf("%s:%d: the session runs in '%s', the file is for '%s'\n", g->path, g->lines[at].no,
               p->state.language, p->lang);
        return -1;
    }
    return 0;
}

/* Prints the expected lines (from) and the engine's (got), marking the first difference. */
static void print_diff(const struct golden *g, size_t from, size_t n_want, char **got, size_t n_got,
                       size_t first)
{
    int no = first < n_want ? g->lines[from + first].no
                            : (n_want ? g->lines[from + n_want - 1].no + 1 : g->lines[from].no);
    printf("%s:%d: the engine's output differs (- expected, + engine):\n", g->path, no);
    for (size_t i = 0; i < n_want || i < n_got; i++) {
        const char *w = i < n_want ? g->lines[from + i].text : NULL;
        const char *o = i < n_got ? got[i] : NULL;
        if (w && o && strcmp(w, o) == 0) {
            printf("   %s\n", w);
            continue;
        }
        if (w)
            printf("  -%s\n", w);
        if (o)
            printf("  +%s\n", o);
    }
}

/*
 * Plays every session of g against def. With out_file, writes the file
 * again with the engine's output in place of the expectations. Returns the
 * number of sessions played, or -1 at the first difference.
 */
static int play_file(struct golden *g, struct player *p, FILE *out_file)
{
    int sessions = 0;
    size_t i = 0;
    while (i < g->n) {
        const char *line = g->lines[i].text;
        if (line[0] == '\0' || line[0] == '#') {
            if (out_file)
                fprintf(out_file, "%s\n", line);
            i++;
            continue;
        }
        if (is_expect(line)) {
            printf("%s:%d: expected output with no input before it\n", g->path, g->lines[i].no);
            return -1;
        }
        struct flow_output out;
        if (act(g, i, p, &out) < 0)
            return -1;
        sessions += strncmp(line, "===", 3) == 0;
        if (out_file)
            fprintf(out_file, "%s\n", line);
        size_t from = ++i;
        while (i < g->n && is_expect(g->lines[i].text))
            i++;
        char *got[LINES_MAX];
        size_t n_got = format_output(&out, got), n_want = i - from, first = 0;
        while (first < n_want && first < n_got &&
               strcmp(g->lines[from + first].text, got[first]) == 0)
            first++;
        int same = first == n_want && first == n_got;
        if (out_file)
            for (size_t k = 0; k < n_got; k++)
                fprintf(out_file, "%s\n", got[k]);
        else if (!same)
            print_diff(g, from, n_want, got, n_got, first);
        for (size_t k = 0; k < n_got; k++)
            free(got[k]);
        if (!same && !out_file)
            return -1;
    }
    return sessions;
}

/* Splits "<flow>.<lang>.<channel>.txt" into its parts; 0, or -1 for another name. */
static int parse_name(const char *name, char *flow, char *lang, char *channel, size_t size)
{
    size_t len = strlen(name);
    if (len < 5 || strcmp(name + len - 4, ".txt") != 0)
        return -1;
    char base[256];
    snprintf(base, sizeof base, "%.*s", (int)(len - 4), name);
    char *ch = strrchr(base, '.');
    if (!ch)
        return -1;
    *ch++ = '\0';
    char *lg = strrchr(base, '.');
    if (!lg)
        return -1;
    *lg++ = '\0';
    snprintf(flow, size, "%s", base);
    snprintf(lang, size, "%s", lg);
    snprintf(channel, size, "%s", ch);
    return 0;
}

/* Plays (or, when writing, rewrites) one golden file. Returns 1 if it passed. */
static int run_file(const char *name, int write)
{
    char flow[256], lang[256], channel[256], path[512], flow_path[512];
    if (parse_name(name, flow, lang, channel, sizeof flow) < 0) {
        printf("%s/%s: not named <flow>.<lang>.<ussd|sms>.txt\n", GOLDEN_DIR, name);
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
    snprintf(flow_path, sizeof flow_path, "%s/%s.yaml", FLOWS_DIR, flow);
    struct player p = {0};
    if (strcmp(channel, "ussd") != 0 && strcmp(channel, "sms") != 0) {
        printf("%s: channel '%s' is neither ussd nor sms\n", path, channel);
        return 0;
    }
    p.channel = strcmp(channel, "sms") == 0 ? FLOW_CHANNEL_SMS : FLOW_CHANNEL_USSD;
    p.lang = lang;
    struct flow_def *def = load_file(flow_path);
    if (!def) {
        printf("%s: %s does not load\n", path, flow_path);
        return 0;
    }
    p.def = def;
    int known = 0;
    for (size_t l = 0; l < flow_def_language_count(def); l++)
        known |= strcmp(flow_def_language_at(def, l), lang) == 0;
    if (!known) {
        printf("%s: '%s' is not a language of %s\n", path, lang, flow_path);
        flow_def_unref(def);
        return 0;
    }
    static struct golden g; /* large: not on the stack */
    int played = -1;
    if (golden_read(path, &g) == 0) {
        FILE *out_file = NULL;
        char tmp[600];
        if (write) {
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            out_file = fopen(tmp, "w");
        }
        if (!write || out_file)
            played = play_file(&g, &p, out_file);
        if (out_file && (fclose(out_file) != 0 || played < 0 || rename(tmp, path) != 0))
            remove(tmp);
    }
    golden_free(&g);
    flow_def_unref(def);
    if (played == 0)
        printf("%s: no session\n", path);
    else if (played > 0)
        printf("  %s: %d sessions\n", path, played);
    return played > 0;
}

/* 1 if tests/golden/<stem>.<lang>.<channel>.txt exists. */
static int has_golden(const char *stem, const char *lang, const char *channel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s.%s.txt", GOLDEN_DIR, stem, lang, channel);
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Every shipped flow has transcripts in each of its languages on each of its channels. */
static void test_coverage(void)
{
    DIR *d = opendir(FLOWS_DIR);
    struct dirent *e;
    int flows = 0;
    test_cond("config/flows opens", d != NULL);
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char stem[256], path[512];
        snprintf(stem, sizeof stem, "%.*s", (int)(len - 5), e->d_name);
        snprintf(path, sizeof path, "%s/%s", FLOWS_DIR, e->d_name);
        struct flow_def *def = load_file(path);
        test_cond(path, def != NULL);
        if (!def)
            continue;
        flows++;
        static const char *const channels[] = {"ussd", "sms"};
        for (size_t l = 0; l < flow_def_language_count(def); l++) {
            const char *lang = flow_def_language_at(def, l);
            for (size_t c = 0; c < 2; c++) {
                int declared =
                    c == 0 ? flow_def_ussd_code(def) != NULL : flow_def_sms_keyword(def) != NULL;
                int present = has_golden(stem, lang, channels[c]);
                if (declared != present)
                    printf("  %s/%s.%s.%s.txt: %s\n", GOLDEN_DIR, stem, lang, channels[c],
                           declared ? "missing" : "for a channel the flow does not use");
                test_cond("a golden file for each language and channel, no other",
                          declared == present);
            }
        }
        flow_def_unref(def);
    }
    if (d)
        closedir(d);
    test_cond("at least five shipped flows", flows >= 5);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *w = getenv("RAIA_GOLDEN_WRITE");
    int write = w && strcmp(w, "1") == 0;
    DIR *d = opendir(GOLDEN_DIR);
    struct dirent *e;
    char *names[256];
    size_t n = 0;
    test_cond("tests/golden opens", d != NULL);
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0 && n < 256 &&
            (names[n] = strdup(e->d_name)))
            n++;
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        test_cond(names[i], run_file(names[i], write));
        free(names[i]);
    }
    test_coverage();
    if (write)
        printf("RAIA_GOLDEN_WRITE=1: files rewritten from the engine; read every line.\n");
    TEST_REPORT();
}
