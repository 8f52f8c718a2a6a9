/*
 * flow_render.c - every screen of a flow as a phone shows it, for
 * `raia flows render`: an author reads the whole conversation before it
 * goes live. Screens come from flow_screen.c, the engine's own builders.
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

int flow_def_render(const struct flow_def *def, enum flow_channel channel, struct strbuf *out)
{
    char screen[FLOW_SCREEN_MAX], title[FLOW_ID_MAX + 32];
    strbuf_printf(out, "%s version %d (%s), %s\n\n", def->id, def->version, def->language,
                  channel == FLOW_CHANNEL_USSD ? "USSD" : "SMS");
    flow_screen_consent(def, screen, sizeof screen);
    section(out, "consent", screen, channel);
    for (size_t i = 0; i < def->n_steps; i++) {
        flow_screen_step(&def->steps[i], screen, sizeof screen);
        snprintf(title, sizeof title, "%s", def->steps[i].id);
        section(out, title, screen, channel);
        flow_screen_reprompt(def, &def->steps[i], screen, sizeof screen);
        snprintf(title, sizeof title, "%s, after an invalid answer", def->steps[i].id);
        section(out, title, screen, channel);
    }
    section(out, "end", def->end_text, channel);
    section(out, "consent declined", def->consent.declined, channel);
    section(out, "stopped", def->msg_stopped, channel);
    section(out, "abandoned", def->msg_abandoned, channel);
    return out->oom ? -RAIA_ENOMEM : 0;
}
