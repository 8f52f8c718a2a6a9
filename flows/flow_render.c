/*
 * flow_render.c - every screen of a flow as a phone shows it, for
 * `raia flows render`: an author reads the whole conversation, in every
 * language, before it goes live. Screens come from flow_screen.c, the
 * engine's own builders.
 */
#include <stdio.h>

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
        flow_screen_step(def, s, lang, screen, sizeof screen);
        snprintf(title, sizeof title, "%s%s", s->id, tag);
        section(out, title, screen, channel);
        flow_screen_reprompt(def, s, lang, screen, sizeof screen);
        snprintf(title, sizeof title, "%s, after an invalid answer%s", s->id, tag);
        section(out, title, screen, channel);
        if (def->help.s[0]) {
            flow_screen_help(def, s, lang, screen, sizeof screen);
            snprintf(title, sizeof title, "%s, after HELP%s", s->id, tag);
            section(out, title, screen, channel);
        }
    }
    const struct {
        const char *title;
        const struct flow_text *text;
    } ends[] = {{"end", &def->end_text},
                {"consent declined", &def->consent.declined},
                {"stopped", &def->msg_stopped},
                {"abandoned", &def->msg_abandoned}};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        snprintf(title, sizeof title, "%s%s", ends[i].title, tag);
        section(out, title, ends[i].text->s[lang], channel);
    }
}

int flow_def_render(const struct flow_def *def, enum flow_channel channel, struct strbuf *out)
{
    char screen[FLOW_SCREEN_MAX];
    strbuf_printf(out, "%s version %d (", def->id, def->version);
    for (size_t i = 0; i < def->n_langs; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", def->langs[i]);
    strbuf_printf(out, "), %s\n\n", channel == FLOW_CHANNEL_USSD ? "USSD" : "SMS");
    if (def->n_langs > 1) {
        flow_screen_language(def, screen, sizeof screen);
        section(out, "language menu", screen, channel);
    }
    for (size_t i = 0; i < def->n_langs; i++)
        render_language(def, i, channel, out);
    return out->oom ? -RAIA_ENOMEM : 0;
}
