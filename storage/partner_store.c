/*
 * partner_store.c - SQL of `raia partners` (see partner_store.h).
 *
 * Runs as the gateway's role (raia_gateway may insert and update
 * partner_tokens and append to audit_log, 009_partners.sql). The audit
 * detail names the partner, its flows and scope: never the token or its
 * hash.
 */
#include "partner_store.h"
#include "str_copy.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char add_sql[] =
    "WITH t AS (INSERT INTO partner_tokens (name, token_sha256, flows, scope, respondent_key)"
    "  VALUES ($1, decode($2, 'hex'), string_to_array($3, ','), $4, decode($5, 'hex'))"
    "  RETURNING name, flows, scope)"
    " INSERT INTO audit_log (actor, action, detail)"
    " SELECT $6, 'partner_add', jsonb_build_object('name', name, 'flows', to_jsonb(flows),"
    "        'scope', scope) FROM t";

static const char revoke_sql[] =
    "WITH t AS (UPDATE partner_tokens SET revoked_at = now()"
    "  WHERE name = $1 AND revoked_at IS NULL RETURNING name, flows)"
    " INSERT INTO audit_log (actor, action, detail)"
    " SELECT $2, 'partner_revoke', jsonb_build_object('name', name, 'flows', to_jsonb(flows))"
    " FROM t";

static const char list_sql[] =
    "SELECT name, array_to_string(flows, ','), scope,"
    "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
    "       coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"'), '-')"
    " FROM partner_tokens ORDER BY name";

static const char unknown_sql[] = "SELECT count(*) FROM unnest(string_to_array($1, ',')) AS f(id)"
                                  " WHERE NOT EXISTS (SELECT 1 FROM flows WHERE flow_id = f.id)";

/* Runs sql with params on a fresh connection; the result (caller clears) or NULL with err. */
static const char scope_sql[] =
    "SELECT $2 = ANY (flows), scope = 'stable-pseudonym', encode(respondent_key, 'hex')"
    " FROM partner_tokens WHERE name = $1 AND revoked_at IS NULL";

static PGresult *run(const char *conninfo, const char *sql, int n, const char *const *params,
                     ExecStatusType want, struct raia_err *err)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        raia_err_set(err, RAIA_EIO, "postgres: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        raia_err_set(err, state && strcmp(state, "23505") == 0 ? RAIA_EINVAL : RAIA_EIO,
                     "postgres: %s", PQresultErrorMessage(res));
        PQclear(res);
        res = NULL;
    }
    PQfinish(c);
    return res;
}

int partner_store_add(const char *conninfo, const struct partner_new *p, const char *actor,
                      struct raia_err *err)
{
    const char *params[] = {p->name,  p->token_sha256_hex,   p->flows,
                            p->scope, p->respondent_key_hex, actor};
    PGresult *res = run(conninfo, add_sql, 6, params, PGRES_COMMAND_OK, err);
    if (!res)
        return -err->code;
    PQclear(res);
    return 0;
}

int partner_store_revoke(const char *conninfo, const char *name, const char *actor,
                         struct raia_err *err)
{
    const char *params[] = {name, actor};
    PGresult *res = run(conninfo, revoke_sql, 2, params, PGRES_COMMAND_OK, err);
    if (!res)
        return -err->code;
    int n = (int)strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (n == 0)
        return raia_err_set(err, RAIA_ENOTFOUND, "no active token named '%s'", name);
    return 0;
}

int partner_store_list(const char *conninfo, FILE *out, struct raia_err *err)
{
    PGresult *res = run(conninfo, list_sql, 0, NULL, PGRES_TUPLES_OK, err);
    if (!res)
        return -err->code;
    fprintf(out, "%-24s %-32s %-16s %-20s %s\n", "NAME", "FLOWS", "SCOPE", "CREATED", "REVOKED");
    for (int r = 0; r < PQntuples(res); r++)
        fprintf(out, "%-24s %-32s %-16s %-20s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), PQgetvalue(res, r, 4));
    PQclear(res);
    return 0;
}

int partner_store_scope(const char *conninfo, const char *name, const char *flow,
                        struct partner_scope *out, struct raia_err *err)
{
    const char *params[] = {name, flow};
    PGresult *res = run(conninfo, scope_sql, 2, params, PGRES_TUPLES_OK, err);
    if (!res)
        return -err->code;
    int found = PQntuples(res) == 1;
    if (found) {
        out->has_flow = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        out->stable_pseudonym = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        str_copy(out->respondent_key_hex, sizeof out->respondent_key_hex, PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return found ? 0 : -RAIA_ENOTFOUND;
}

int partner_store_unknown_flows(const char *conninfo, const char *flows, struct raia_err *err)
{
    const char *params[] = {flows};
    PGresult *res = run(conninfo, unknown_sql, 1, params, PGRES_TUPLES_OK, err);
    if (!res)
        return -err->code;
    int n = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}
