/*
 * fuzz_api_params.c - libFuzzer target for raia-api's request parsing
 * (api/api_params.c): the request target (path and query string) and the
 * opaque cursor, and the dashboard's file names (no path may escape them).
 *
 * The input is the request target as a client may send it, in an
 * exact-size copy so ASan sees any read past its end. A parse must either
 * fail with a 400 naming a parameter or a 404, or give a request whose ids
 * are valid, whose limit is in range and whose cursor encodes and decodes
 * to itself. Any input is also tried as a cursor on its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_params.h"

#define LIMIT_MAX 500

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < API_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static void check_cursor_round_trip(const struct api_cursor *c)
{
    char buf[API_CURSOR_MAX];
    struct api_cursor back;
    api_cursor_encode(c, buf);
    if (strlen(buf) >= API_CURSOR_MAX || api_cursor_decode(buf, &back) < 0 || back.xid != c->xid ||
        strcmp(back.session, c->session) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct api_request req;
    struct api_param_error err;
    if (api_params_parse(s, 100, LIMIT_MAX, &req, &err) == 0) {
        int with_flow = req.route == API_ROUTE_FLOW || req.route == API_ROUTE_RESPONSES ||
                        req.route == API_ROUTE_TABLES || req.route == API_ROUTE_TIMELINE ||
                        req.route == API_ROUTE_FUNNEL;
        size_t an = strlen(req.asset);
        int bad_asset = req.route == API_ROUTE_DASHBOARD &&
                        (an == 0 || req.asset[0] == '.' || strstr(req.asset, "..") ||
                         strspn(req.asset, "abcdefghijklmnopqrstuvwxyz0123456789_-.") != an);
        if ((with_flow && !valid_id(req.flow)) || bad_asset || req.limit < 1 ||
            req.limit > LIMIT_MAX || req.version < 0 ||
            (req.route == API_ROUTE_TABLES && req.n_by < 1) || req.n_by > 2)
            abort();
        for (int i = 0; i < req.n_by; i++)
            if (!valid_id(req.by[i]))
                abort();
        check_cursor_round_trip(&req.cursor);
    } else if (!((err.status == 400 && err.param) || (err.status == 404 && !err.param)) ||
               !memchr(err.message, 0, sizeof err.message)) {
        abort();
    }
    struct api_cursor c;
    if (api_cursor_decode(s, &c) == 0)
        check_cursor_round_trip(&c);
    free(s);
    return 0;
}
