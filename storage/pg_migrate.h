/**
 * pg_migrate.h - applies the numbered SQL migrations in storage/migrations.
 *
 * The SQL files are compiled into the binary. Each migration runs in its own
 * transaction under an advisory lock and is recorded in schema_migrations, so
 * running it again changes nothing. Synchronous libpq: used only by the
 * `raia` CLI and tests, never inside the gateway's event loop.
 */
#ifndef RAIA_PG_MIGRATE_H
#define RAIA_PG_MIGRATE_H

#include <stdio.h>

#include "raia_err.h"

/**
 * Connect with conninfo and apply every migration not yet recorded. Prints one
 * line per applied migration to out (may be NULL). Returns 0 or -RAIA_E* with err.
 */
int pg_migrate(const char *conninfo, FILE *out, struct raia_err *err);

/** Highest migration number compiled in. */
int pg_migrate_latest(void);

#endif
