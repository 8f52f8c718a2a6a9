/*
 * flow_render.c - every screen of a flow as a phone shows it, for
 * `raia flows render`: an author reads the whole conversation, in every
 * language, before it goes live. Screens come from flow_screen.c, the
 * engine's own builders, so the pages shown are the pages a citizen gets.
 */
#include <stdio.h>
#include <string.h>

#include "flow_def.h"

static void section(struct strbuf *out, const char *title, const char *screen,
                    enum flow_channel channel)
{
    long used, limit;
    const char *enc;
    int fits = flow_screen_fits(screen, channel, &used, &limit, &enc);
    strbuf_printf(out, "--- %s (%ld/%ld, %s%s) ---\n%s\n\n", title, used, limit, enc,
                  fits ? "" : ", TOO LONG", screen);
}

/*
 * Every page of a list step; a location step shows each level along the
 * first area of the level above (the other lists are built the same way
 * and the checker measures them all).
 */
static void render_lists(const struct flow_def *def, const struct flow_step_def *s, size_t lang,
                         enum flow_channel channel, const char *tag, struct strbuf *out)
{
    struct flow_state st;
    struct flow_menu m;
    char screen[FLOW_SCREEN_MAX], title[FLOW_ID_MAX * 2 + 48];
    memset(&st, 0, sizeof st);
    for (;;) {
        size_t first[FLOW_MENU_MAX + 1];
        int tight;
        if (flow_menu_of(def, s, lang, channel, &st, &m) < 0)
            return;
        size_t pages = flow_menu_pages(def, s, lang, channel, &m, first, &tight);
        for (size_t p = 0; p < pages; p++) {
            flow_screen_menu(def, s, lang, channel, &m, p, screen, sizeof screen);
            snprintf(title, sizeof title, "%s%s%s, page %zu of %zu%s", s->id,
                     s->type == STEP_LOCATION ? " " : "",
                     s->type == STEP_LOCATION ? s->levels[st.depth] : "", p + 1, pages, tag);
            if (pages > 1 || s->type == STEP_LOCATION)
                section(out, title, screen, channel);
        }
        if (pages == 1 && s->type != STEP_LOCATION) {
            snprintf(title, sizeof title, "%s%s", s->id, tag);
            section(out, title, screen, channel);
        }
        if (s->type != STEP_LOCATION || (size_t)st.depth + 1 >= s->n_levels || m.area[0] < 0)
            return;
        st.path[st.depth++] = m.area[0];
    }
}

/* Every screen in language lang; titles carry the language when there are several. */
static void render_language(const struct flow_def *def, size_t lang, enum flow_channel channel,
                            struct strbuf *out)
{
    char screen[FLOW_SCREEN_MAX], title[FLOW_ID_MAX + 48], tag[16] = "";
    if (def->n_langs > 1)
        snprintf(tag, sizeof tag, " [%s]", def->langs[lang]);
    flow_screen_consent(def, lang, screen, sizeof screen);
    snprintf(title, sizeof title, "consent%s", tag);
    section(out, title, screen, channel);
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct flow_step_def *s = &def->steps[i];
        struct flow_menu m;
        if (flow_menu_of(def, s, lang, channel, NULL, &m) == 0) {
            render_lists(def, s, lang, channel, tag, out);
        } else {
            flow_screen_step(def, s, lang, channel, screen, sizeof screen);
            snprintf(title, sizeof title, "%s%s", s->id, tag);
            section(out, title, screen, channel);
        }
        flow_screen_at(def, s, lang, channel, NULL, flow_screen_error(def, s, lang), screen,
                       sizeof screen);
        snprintf(title, sizeof title, "%s, after an invalid answer%s", s->id, tag);
        section(out, title, screen, channel);
        if (def->help.s[0]) {
            flow_screen_at(def, s, lang, channel, NULL, def->help.s[lang], screen, sizeof screen);
            snprintf(title, sizeof title, "%s, after HELP%s", s->id, tag);
            section(out, title, screen, channel);
        }
    }
    for (size_t e = 0; e < def->n_ends; e++) {
        /* Quotes show the longest label they can, as the checker measures them. */
        flow_screen_end(def, &def->ends[e], lang, NULL, screen, sizeof screen);
        snprintf(title, sizeof title, "%s%s", def->ends[e].id, tag);
        section(out, title, screen, channel);
    }
    const struct {
        const char *title;
        const struct flow_text *text;
    } ends[] = {{"consent declined", &def->consent.declined},
                {"stopped", &def->msg_stopped},
                {"abandoned", &def->msg_abandoned}};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        snprintf(title, sizeof title, "%s%s", ends[i].title, tag);
        section(out, title, ends[i].text->s[lang], channel);
    }
    if (def->msg_resume.s[lang]) {
        flow_screen_resume(def, lang, screen, sizeof screen);
        snprintf(title, sizeof title, "resume%s", tag);
        section(out, title, screen, channel);
    }
}

int flow_def_render(const struct flow_def *def, enum flow_channel channel, const char *lang,
                    struct strbuf *out)
{
    char screen[FLOW_SCREEN_MAX];
    int only = lang ? flow_def_lang_index(def, lang) : -1;
    if (lang && (only < 0 || !*lang))
        return -RAIA_ENOTFOUND;
    strbuf_printf(out, "%s version %d (", def->id, def->version);
    for (size_t i = 0; i < def->n_langs; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", def->langs[i]);
    strbuf_printf(out, "), %s\n\n", channel == FLOW_CHANNEL_USSD ? "USSD" : "SMS");
    if (def->n_langs > 1) {
        flow_screen_language(def, screen, sizeof screen);
        section(out, "language menu", screen, channel);
    }
    for (size_t i = 0; i < def->n_langs; i++)
        if (only < 0 || (size_t)only == i)
            render_language(def, i, channel, out);
    return out->oom ? -RAIA_ENOMEM : 0;
}
