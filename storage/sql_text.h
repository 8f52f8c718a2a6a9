/**
 * sql_text.h - the SQL compiled into the binaries (generated sql_text.c,
 * see embed_sql.cmake): the numbered migrations in storage/migrations/ in
 * order, and the statements in storage/sql/: the writer's, and the person
 * locks that erase.c takes too.
 */
#ifndef RAIA_SQL_TEXT_H
#define RAIA_SQL_TEXT_H

#include <stddef.h>

struct sql_migration {
    int number;       /* from the file name: 001_initial.sql -> 1 */
    const char *name; /* "001_initial" */
    const char *text;
};

extern const struct sql_migration sql_migrations[];
extern const size_t sql_migrations_count;
extern const char sql_write_batch[];
extern const char sql_sweep_timeouts[];
extern const char sql_person_locks[];

#endif
