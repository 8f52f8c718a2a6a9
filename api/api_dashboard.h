/**
 * api_dashboard.h - the dashboard's files as raia-api serves them under
 * /dashboard (docs/dashboard.md).
 *
 * The page (dashboard/index.html, dashboard.js, dashboard.css) and the
 * chart library pinned in dashboard/package-lock.json (Chart.js's UMD
 * build, installed by `npm ci` into the build folder) are compiled into
 * raia-api by api/CMakeLists.txt, so what is served is what was built and
 * tested, and serving a file reads no disk inside the event loop. Used by
 * api/api_server.c.
 */
#ifndef RAIA_API_DASHBOARD_H
#define RAIA_API_DASHBOARD_H

#include <stddef.h>

/** One file of the dashboard; everything borrowed from static storage. */
struct api_asset {
    const char *name;         /* "index.html", "dashboard.js", ... */
    const char *content_type; /* with charset */
    const char *data;
    size_t len;
};

/** The file called name (as in /dashboard/assets/NAME), or NULL. */
const struct api_asset *api_dashboard_asset(const char *name);

/**
 * The Content-Security-Policy of every dashboard file: scripts, styles and
 * data calls from raia-api itself only, no inline script, no framing.
 */
extern const char api_dashboard_csp[];

#endif
