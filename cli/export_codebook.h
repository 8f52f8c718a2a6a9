/**
 * export_codebook.h - the documentation that travels with an export:
 * codebook.json (machine-readable dictionary), codebook.md (the same for
 * people) and, for --format datapackage, datapackage.json (a Frictionless
 * Tabular Data Package whose Table Schema is derived from the same columns).
 * Everything comes from the flow definition that ran and the statistics the
 * table gathered while writing the rows; the DDI Codebook (export_ddi.c)
 * is written from the same facts. Used by cli/export_cmd.c.
 */
#ifndef RAIA_EXPORT_CODEBOOK_H
#define RAIA_EXPORT_CODEBOOK_H

#include <stddef.h>

#include "export_query.h"
#include "export_table.h"
#include "flow.h"
#include "strbuf.h"

/** One export's facts; every pointer borrowed for the call. */
struct export_doc {
    const struct flow_def *def;         /* the definition the columns come from (revs[0]) */
    const struct export_flow_rev *revs; /* every registered definition of this version */
    size_t n_revs;
    int version;
    const struct export_opts *opts;
    const struct export_table *table;     /* finished */
    const struct export_privacy *privacy; /* banding and the k-anonymity check done */
    const char *created;                  /* when the export ran, ISO 8601 UTC */
};

/**
 * Write codebook.json, codebook.md, codebook.ddi.xml and (datapackage)
 * datapackage.json into opts->out_dir, as temporary files
 * (export_commit_files gives them their names).
 */
int export_codebook_write(const struct export_doc *doc, struct raia_err *err);

/** Column c's meaning in one paragraph (a question's in the flow's default language). */
void export_codebook_describe(const struct export_doc *doc, const struct export_column *c,
                              struct strbuf *sb);

/** The channels the flow offers ("USSD *384*12#", "SMS 15012 REPORT") joined by sep. */
void export_codebook_modes(const struct flow_def *def, const char *sep, struct strbuf *sb);

/**
 * Append the flow's adaptations of standard question sets (its `adaptations`
 * key) joined by sep, or one sentence saying it declares none.
 */
void export_adaptations(const struct flow_def *def, const char *sep, struct strbuf *sb);

#endif
