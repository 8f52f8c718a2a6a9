/*
 * flow_screen.c - builds the text of every screen a flow shows and measures
 * it in the encoding the gateway will use. The engine (what a citizen sees),
 * the checker (does it fit) and `raia flows render` all build screens here,
 * so the three can never disagree. That includes how a long list is split
 * into pages: the split depends only on the flow, the language and the
 * channel, so the checker measures exactly the pages a citizen will page
 * through.
 */
#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "flow_def.h"
#include "strbuf.h"

/* Appends n bytes of s at *len, never past size, always NUL-terminated;
 * truncation is caught by the checker, which measures the same screens
 * before a flow goes live. Plain copies: screens are built on every turn. */
static void append_n(char *out, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= size)
        return;
    if (n > size - *len - 1)
        n = size - *len - 1;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

/*
 * A text as printf's "%s" showed it, "(null)" for one the flow does without
 * (a label no screen of that language needs). Kept byte for byte: the split
 * of a list that fits one page measures its "More" candidates with it, and
 * changing that would move page breaks of flows already running.
 */
static const char *shown(const char *text)
{
    return text ? text : "(null)";
}

/* Appends text (see shown) as append_n. */
static void append(char *out, size_t size, size_t *len, const char *text)
{
    text = shown(text);
    append_n(out, size, len, text, strlen(text));
}

/* text, then "1 first" and "2 second" on lines of their own. */
static void two_choices(char *out, size_t size, const char *text, const char *first,
                        const char *second)
{
    size_t len = 0;
    out[0] = '\0';
    append(out, size, &len, text);
    append(out, size, &len, "\n1 ");
    append(out, size, &len, first);
    append(out, size, &len, "\n2 ");
    append(out, size, &len, second);
}

/* "\n<number> " and FLOW_MULTI_MARK when marked: what goes before the label
 * of item `number` on a list (the language menu skips the "\n" of its first). */
static const char *item_lead(size_t number, int marked, char lead[32])
{
    size_t n = 0;
    lead[n++] = '\n';
    n += strbuf_ll_str(lead + n, (long long)number);
    lead[n++] = ' ';
    if (marked) {
        memcpy(lead + n, FLOW_MULTI_MARK, sizeof FLOW_MULTI_MARK - 1);
        n += sizeof FLOW_MULTI_MARK - 1;
    }
    lead[n] = '\0';
    return lead;
}

void flow_screen_language(const struct flow_def *def, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < def->n_langs; i++) {
        char lead[32];
        append(out, size, &len, item_lead(i + 1, 0, lead) + !i);
        append(out, size, &len, def->language_names.s[i]);
    }
}

void flow_screen_consent(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    two_choices(out, size, def->consent.text.s[lang], def->consent.accept.s[lang],
                def->consent.decline.s[lang]);
}

/* The consent text was just on screen: repeat only the two choices, so
 * the re-prompt fits wherever the consent screen fits. */
void flow_screen_consent_reprompt(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    two_choices(out, size, def->msg_invalid.s[lang], def->consent.accept.s[lang],
                def->consent.decline.s[lang]);
}

/* As the consent re-prompt, help at consent repeats only the two choices. */
void flow_screen_consent_help(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    two_choices(out, size, def->help.s[lang], def->consent.accept.s[lang],
                def->consent.decline.s[lang]);
}

const char *flow_screen_error(const struct flow_def *def, const struct flow_step_def *step,
                              size_t lang)
{
    return step->error.s[0] ? step->error.s[lang] : def->msg_invalid.s[lang];
}

/* Checks that path[0..depth) of state walks down step's areas level by level. */
static int path_ok(const struct flow_step_def *step, const struct flow_state *state)
{
    if (state->depth < 0 || (size_t)state->depth >= step->n_levels)
        return 0;
    for (int k = 0; k < state->depth; k++) {
        int a = state->path[k];
        if (a < 0 || (size_t)a >= step->n_areas || step->areas[a].level != k ||
            step->areas[a].parent != (k ? state->path[k - 1] : -1))
            return 0;
    }
    return 1;
}

int flow_menu_of(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                 enum flow_channel channel, const struct flow_state *state, struct flow_menu *menu)
{
    memset(menu, 0, sizeof *menu);
    menu->more = def->label_more.s[lang];
    menu->back = def->label_back.s[lang];
    menu->done = def->label_done.s[lang];
    menu->question = step->text.s[lang];
    switch (step->type) {
    case STEP_CHOICE:
    case STEP_YES_NO:
    case STEP_MULTI:
        for (size_t i = 0; i < step->n_choices; i++) {
            menu->area[menu->n] = -1;
            menu->labels[menu->n++] = step->choices[i].label.s[lang];
        }
        menu->multi = step->type == STEP_MULTI;
        menu->toggles = menu->multi && channel == FLOW_CHANNEL_USSD;
        menu->picked = state && menu->toggles ? state->picked : 0;
        break;
    case STEP_LOCATION: {
        int depth = state ? state->depth : 0;
        if (state && !path_ok(step, state))
            return -1;
        int parent = depth ? state->path[depth - 1] : -1;
        menu->question = step->level_text[depth].s[lang];
        menu->up = depth > 0;
        for (size_t a = 0; a < step->n_areas && menu->n < FLOW_MENU_MAX; a++)
            if (step->areas[a].parent == parent) {
                menu->area[menu->n] = (int)a;
                menu->labels[menu->n++] = step->areas[a].name.s[lang];
            }
        if (depth > 0)
            return 0; /* "prefer not to say" is offered at the first level only */
        break;
    }
    default:
        return -1;
    }
    if (step->optional) {
        menu->area[menu->n] = -1;
        menu->labels[menu->n++] = def->prefer_not.s[lang];
        menu->refusal = 1;
    }
    return 0;
}

/* Whether item i of m shows FLOW_MULTI_MARK; worst marks every item that can be marked. */
static int item_marked(const struct flow_menu *m, size_t i, int worst)
{
    return m->toggles && !(m->refusal && i + 1 == m->n) &&
           (worst || (i < 64 && (m->picked >> i & 1)));
}

/* The line that goes back a page: "0 Back", or "99 Back" on a multi_choice list. */
static const char *back_lead(const struct flow_menu *m)
{
    return m->multi ? "\n" FLOW_INPUT_MULTI_BACK " " : "\n" FLOW_INPUT_BACK " ";
}

#define MORE_LEAD "\n" FLOW_INPUT_MORE " "
#define DONE_LEAD "\n" FLOW_INPUT_DONE " "

/*
 * Items first..first+count of menu under its question, then "98 More" if
 * items follow, "0 Back" (multi_choice: "99 Back") if back, and "0 Done"
 * on a multi_choice list on USSD. worst marks every item, as the widest a
 * multi_choice page can get. menu_measure measures the same pieces.
 */
static void menu_text(const struct flow_menu *m, size_t first, size_t count, int back, int worst,
                      const char *prefix, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    if (prefix) {
        append(out, size, &len, prefix);
        append(out, size, &len, "\n");
    }
    append(out, size, &len, m->question);
    for (size_t i = first; i < first + count && i < m->n; i++) {
        char lead[32];
        append(out, size, &len, item_lead(i + 1, item_marked(m, i, worst), lead));
        append(out, size, &len, m->labels[i]);
    }
    if (first + count < m->n) {
        append(out, size, &len, MORE_LEAD);
        append(out, size, &len, m->more);
    }
    if (back) {
        append(out, size, &len, back_lead(m));
        append(out, size, &len, m->back);
    }
    if (m->toggles) {
        append(out, size, &len, DONE_LEAD);
        append(out, size, &len, m->done);
    }
}

/*
 * What a piece of a screen adds to it: bytes, GSM 7-bit septets (extension
 * characters count 2) and UCS-2 units. Each adds up across concatenation,
 * because no character straddles two pieces (every piece either starts with
 * "\n" or follows one that ends in ASCII). The screen is GSM 7-bit only if
 * every piece is, so pieces that are not are counted (no_gsm; no_utf8 for
 * invalid UTF-8) rather than poisoning the sums: runs of items can then be
 * measured as the difference of two running totals.
 */
struct measure {
    size_t bytes, no_gsm, no_utf8;
    long septets, units; /* of the pieces that have them */
};

static void measure_add(struct measure *sum, const char *text)
{
    const char *s = shown(text);
    size_t n = strlen(s);
    long units, septets = charset_gsm7_ucs2_length(s, n, &units);
    sum->bytes += n;
    sum->no_gsm += septets < 0;
    sum->no_utf8 += units < 0;
    sum->septets += septets < 0 ? 0 : septets;
    sum->units += units < 0 ? 0 : units;
}

/* Adds the pieces running total `more` counts beyond running total `less`. */
static void measure_range(struct measure *sum, const struct measure *more,
                          const struct measure *less)
{
    sum->bytes += more->bytes - less->bytes;
    sum->no_gsm += more->no_gsm - less->no_gsm;
    sum->no_utf8 += more->no_utf8 - less->no_utf8;
    sum->septets += more->septets - less->septets;
    sum->units += more->units - less->units;
}

/* Adds one whole piece. */
static void measure_plus(struct measure *sum, const struct measure *piece)
{
    static const struct measure none;
    measure_range(sum, piece, &none);
}

/*
 * Every piece the pages of one menu are built from, measured once per split
 * (the greedy split tries many pages; rendering each was most of a turn's
 * CPU). items[i] is the running total of the first i item lines, widest
 * (every item marked) as the checker measures them.
 */
struct menu_measures {
    struct measure prefix[3]; /* none, the error text + "\n", the help text + "\n" */
    size_t n_prefixes;
    struct measure question, more, back, done;
    struct measure items[FLOW_MENU_MAX + 2];
};

static void menu_measure(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                         const struct flow_menu *m, struct menu_measures *mm)
{
    const char *prefixes[] = {flow_screen_error(def, step, lang), def->help.s[lang]};
    memset(mm, 0, sizeof *mm);
    mm->n_prefixes = def->help.s[0] ? 3 : 2;
    for (size_t i = 1; i < mm->n_prefixes; i++) {
        if (!prefixes[i - 1])
            continue; /* as menu_text: no text, no prefix */
        measure_add(&mm->prefix[i], prefixes[i - 1]);
        measure_add(&mm->prefix[i], "\n");
    }
    measure_add(&mm->question, m->question);
    measure_add(&mm->more, MORE_LEAD);
    measure_add(&mm->more, m->more);
    measure_add(&mm->back, back_lead(m));
    measure_add(&mm->back, m->back);
    measure_add(&mm->done, DONE_LEAD);
    measure_add(&mm->done, m->done);
    for (size_t i = 0; i < m->n; i++) {
        char lead[32];
        mm->items[i + 1] = mm->items[i];
        measure_add(&mm->items[i + 1], item_lead(i + 1, item_marked(m, i, 1), lead));
        measure_add(&mm->items[i + 1], m->labels[i]);
    }
}

/*
 * USSD: one screen is 160 octets, i.e. 182 packed GSM septets or 80 UCS-2
 * units (research U5). SMS: one part is 160 septets or 70 UCS-2 units.
 * septets is -1 when the screen is not GSM 7-bit; units (-1: not valid
 * UTF-8) is read only then. The one place that knows the limits: page_fits
 * adds up pieces, flow_screen_fits measures a whole screen.
 */
static int screen_fits_counts(long septets, long units, enum flow_channel channel, long *used,
                              long *limit, const char **encoding)
{
    int ussd = channel == FLOW_CHANNEL_USSD;
    if (septets >= 0) {
        *used = septets;
        *limit = ussd ? FLOW_USSD_SCREEN_MAX : 160;
        *encoding = "GSM 7-bit";
    } else {
        *used = units;
        *limit = ussd ? 80 : 70;
        *encoding = "UCS-2";
    }
    return *used >= 0 && *used <= *limit;
}

/*
 * A page fits when it fits under each text the engine may put above it: the
 * sum of its pieces' measures, as menu_text(worst) would render it into a
 * FLOW_SCREEN_MAX buffer, must leave room for the NUL and fit the channel.
 */
static int page_fits(const struct menu_measures *mm, const struct flow_menu *m,
                     enum flow_channel channel, size_t first, size_t count, int back)
{
    struct measure body = mm->question;
    measure_range(&body, &mm->items[first + count < m->n ? first + count : m->n],
                  &mm->items[first]);
    if (first + count < m->n)
        measure_plus(&body, &mm->more);
    if (back)
        measure_plus(&body, &mm->back);
    if (m->toggles)
        measure_plus(&body, &mm->done);
    for (size_t i = 0; i < mm->n_prefixes; i++) {
        struct measure page = body;
        long used, limit;
        const char *enc;
        measure_plus(&page, &mm->prefix[i]);
        if (page.bytes + 1 >= FLOW_SCREEN_MAX ||
            !screen_fits_counts(page.no_gsm ? -1 : page.septets, page.no_utf8 ? -1 : page.units,
                                channel, &used, &limit, &enc))
            return 0;
    }
    return 1;
}

/*
 * Greedy: each page takes as many items as fit. The last page has no "More"
 * line, so taking every remaining item is tried even after a shorter count
 * failed with its "More" line.
 */
size_t flow_menu_pages(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                       enum flow_channel channel, const struct flow_menu *menu,
                       size_t first[FLOW_MENU_MAX + 1], int *tight)
{
    struct menu_measures mm;
    size_t pages = 0, start = 0;
    menu_measure(def, step, lang, menu, &mm);
    *tight = 0;
    do {
        int back = pages > 0 || menu->up;
        size_t best = 0, rest = menu->n - start;
        for (size_t k = 1; k <= rest; k++) {
            if (!page_fits(&mm, menu, channel, start, k, back))
                break;
            best = k;
        }
        if (best + 1 < rest && page_fits(&mm, menu, channel, start, rest, back))
            best = rest;
        if (!best) {
            best = 1;
            *tight = 1;
        }
        first[pages++] = start;
        start += best;
    } while (start < menu->n);
    first[pages] = menu->n;
    return pages;
}

void flow_screen_page(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, const struct flow_menu *menu, size_t page,
                      int worst, char *out, size_t size)
{
    size_t first[FLOW_MENU_MAX + 1];
    int tight;
    size_t pages = flow_menu_pages(def, step, lang, channel, menu, first, &tight);
    if (page >= pages)
        page = pages - 1;
    menu_text(menu, first[page], first[page + 1] - first[page], page > 0 || menu->up, worst, NULL,
              out, size);
}

void flow_screen_menu(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, const struct flow_menu *menu, size_t page,
                      char *out, size_t size)
{
    flow_screen_page(def, step, lang, channel, menu, page, 0, out, size);
}

void flow_screen_at(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                    enum flow_channel channel, const struct flow_state *state, const char *prefix,
                    char *out, size_t size)
{
    struct flow_menu menu;
    char screen[FLOW_SCREEN_MAX];
    size_t len = 0;
    if (flow_menu_of(def, step, lang, channel, state, &menu) == 0) {
        flow_screen_menu(def, step, lang, channel, &menu,
                         state && state->page > 0 ? (size_t)state->page : 0, screen, sizeof screen);
    } else {
        /* Free entry cannot number its refusal (any number may be an answer): it offers "*". */
        size_t n = 0;
        screen[0] = '\0';
        append(screen, sizeof screen, &n, step->text.s[lang]);
        if (step->optional) {
            append(screen, sizeof screen, &n, "\n" FLOW_REFUSED_INPUT " ");
            append(screen, sizeof screen, &n, def->prefer_not.s[lang]);
        }
    }
    out[0] = '\0';
    if (prefix) {
        append(out, size, &len, prefix);
        append(out, size, &len, "\n");
    }
    append(out, size, &len, screen);
}

void flow_screen_step(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, char *out, size_t size)
{
    flow_screen_at(def, step, lang, channel, NULL, NULL, out, size);
}

/* The widest label a quote of step can show: one outside GSM 7-bit first. */
static const char *widest_label(const struct flow_def *def, const struct flow_step_def *step,
                                size_t lang)
{
    const char *best = def->msg_no_answer.s[lang] ? def->msg_no_answer.s[lang] : "";
    long best_w = -1;
    for (size_t i = 0; i <= step->n_choices; i++) {
        const char *l = i < step->n_choices ? step->choices[i].label.s[lang] : best;
        long g = charset_gsm7_length(l, strlen(l));
        long w = g >= 0 ? g : 100000 + charset_ucs2_length(l, strlen(l));
        if (w > best_w) {
            best_w = w;
            best = l;
        }
    }
    return best;
}

/* What a quote of step shows for the answer kept in state. */
static const char *quoted(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                          const struct flow_state *state)
{
    if (!state)
        return widest_label(def, step, lang);
    size_t index = flow_def_step_index(def, step);
    int c = index < strlen(state->answers) ? flow_choice_of_mark(state->answers[index]) : -1;
    if (c >= 0 && (size_t)c < step->n_choices)
        return step->choices[c].label.s[lang];
    return def->msg_no_answer.s[lang] ? def->msg_no_answer.s[lang] : "";
}

void flow_screen_end(const struct flow_def *def, const struct flow_end *end, size_t lang,
                     const struct flow_state *state, char *out, size_t size)
{
    const char *t = end->text.s[lang];
    size_t len = 0;
    out[0] = '\0';
    while (*t) {
        const char *open = strchr(t, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        const struct flow_step_def *step = NULL;
        if (close && (size_t)(close - open - 1) < FLOW_ID_MAX) {
            char id[FLOW_ID_MAX];
            snprintf(id, sizeof id, "%.*s", (int)(close - open - 1), open + 1);
            step = flow_def_step(def, id);
        }
        if (!step) {
            size_t n = open ? (size_t)(open - t) + 1 : strlen(t);
            append_n(out, size, &len, t, n);
            t += n;
            continue;
        }
        append_n(out, size, &len, t, (size_t)(open - t));
        append(out, size, &len, quoted(def, step, lang, state));
        t = close + 1;
    }
}

void flow_screen_resume(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    two_choices(out, size, def->msg_resume.s[lang], def->label_continue.s[lang],
                def->label_restart.s[lang]);
}

int flow_screen_fits(const char *screen, enum flow_channel channel, long *used, long *limit,
                     const char **encoding)
{
    size_t n = strlen(screen);
    long septets = charset_gsm7_length(screen, n);
    return screen_fits_counts(septets, septets < 0 ? charset_ucs2_length(screen, n) : 0, channel,
                              used, limit, encoding);
}
