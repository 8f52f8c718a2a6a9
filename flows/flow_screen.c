/*
 * flow_screen.c - builds the text of every screen a flow shows and measures
 * it in the encoding the gateway will use. The engine (what a citizen sees),
 * the checker (does it fit) and `raia flows render` all build screens here,
 * so the three can never disagree. That includes how a long list is split
 * into pages: the split depends only on the flow, the language and the
 * channel, so the checker measures exactly the pages a citizen will page
 * through.
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
void flow_screen_consent_help(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    put(out, size, &len, "%s\n1 %s\n2 %s", def->help.s[lang], def->consent.accept.s[lang],
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

/*
 * Items first..first+count of menu under its question, then "98 More" if
 * items follow, "0 Back" (multi_choice: "99 Back") if back, and "0 Done"
 * on a multi_choice list on USSD. worst marks every item, as the widest a
 * multi_choice page can get.
 */
static void menu_text(const struct flow_menu *m, size_t first, size_t count, int back, int worst,
                      const char *prefix, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    if (prefix)
        put(out, size, &len, "%s\n", prefix);
    put(out, size, &len, "%s", m->question);
    for (size_t i = first; i < first + count && i < m->n; i++) {
        int marked = m->toggles && !(m->refusal && i + 1 == m->n) &&
                     (worst || (i < 64 && (m->picked >> i & 1)));
        put(out, size, &len, "\n%zu %s%s", i + 1, marked ? FLOW_MULTI_MARK : "", m->labels[i]);
    }
    if (first + count < m->n)
        put(out, size, &len, "\n%s %s", FLOW_INPUT_MORE, m->more);
    if (back)
        put(out, size, &len, "\n%s %s", m->multi ? FLOW_INPUT_MULTI_BACK : FLOW_INPUT_BACK,
            m->back);
    if (m->toggles)
        put(out, size, &len, "\n%s %s", FLOW_INPUT_DONE, m->done);
}

/* A page fits when it fits under each text the engine may put above it. */
static int page_fits(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                     enum flow_channel channel, const struct flow_menu *m, size_t first,
                     size_t count, int back)
{
    const char *prefixes[] = {NULL, flow_screen_error(def, step, lang), def->help.s[lang]};
    char screen[FLOW_SCREEN_MAX];
    for (size_t i = 0; i < 3; i++) {
        long used, limit;
        const char *enc;
        if (i == 2 && !def->help.s[0])
            continue;
        menu_text(m, first, count, back, 1, prefixes[i], screen, sizeof screen);
        if (strlen(screen) + 1 >= sizeof screen ||
            !flow_screen_fits(screen, channel, &used, &limit, &enc))
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
    size_t pages = 0, start = 0;
    *tight = 0;
    do {
        int back = pages > 0 || menu->up;
        size_t best = 0, rest = menu->n - start;
        for (size_t k = 1; k <= rest; k++) {
            if (!page_fits(def, step, lang, channel, menu, start, k, back))
                break;
            best = k;
        }
        if (best + 1 < rest && page_fits(def, step, lang, channel, menu, start, rest, back))
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
        put(screen, sizeof screen, &n, "%s", step->text.s[lang]);
        if (step->optional)
            put(screen, sizeof screen, &n, "\n%s %s", FLOW_REFUSED_INPUT, def->prefer_not.s[lang]);
    }
    out[0] = '\0';
    if (prefix)
        put(out, size, &len, "%s\n", prefix);
    put(out, size, &len, "%s", screen);
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
            put(out, size, &len, "%.*s", (int)n, t);
            t += n;
            continue;
        }
        put(out, size, &len, "%.*s%s", (int)(open - t), t, quoted(def, step, lang, state));
        t = close + 1;
    }
}

void flow_screen_resume(const struct flow_def *def, size_t lang, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    put(out, size, &len, "%s\n1 %s\n2 %s", def->msg_resume.s[lang], def->label_continue.s[lang],
        def->label_restart.s[lang]);
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
