/*
 * api_dashboard.c - the table of the dashboard's compiled-in files (see
 * api_dashboard.h).
 *
 * The byte arrays are generated at build time by api/embed_text.cmake from
 * dashboard/ and from the chart library that `npm ci` installed into the
 * build folder (api/CMakeLists.txt); each is NUL-terminated text, so its
 * length is taken once with strlen. api_server.c looks a file up for every
 * GET /dashboard[/assets/NAME].
 */
#include "api_dashboard.h"

#include <string.h>

extern const char dashboard_index_html[];
extern const char dashboard_js[];
extern const char dashboard_css[];
extern const char dashboard_chart_js[];

const char api_dashboard_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static struct api_asset assets[] = {
    {"index.html", "text/html; charset=utf-8", dashboard_index_html, 0},
    {"dashboard.js", "text/javascript; charset=utf-8", dashboard_js, 0},
    {"dashboard.css", "text/css; charset=utf-8", dashboard_css, 0},
    {"chart.umd.js", "text/javascript; charset=utf-8", dashboard_chart_js, 0},
};

const struct api_asset *api_dashboard_asset(const char *name)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        if (strcmp(assets[i].name, name) != 0)
            continue;
        if (!assets[i].len)
            assets[i].len = strlen(assets[i].data);
        return &assets[i];
    }
    return NULL;
}
