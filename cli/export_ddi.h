/**
 * export_ddi.h - codebook.ddi.xml: the export described as a DDI Codebook
 * 2.5 document (namespace ddi:codebook:2_5) for statistical offices'
 * catalogues: study (title, version, fieldwork dates, collection mode,
 * sampling, consent texts, adaptations, disclosure control), the data file
 * and one var per column with its question in every language and its
 * categories, missing codes flagged missing="Y". Written from the same
 * export_doc as codebook.json; called by export_codebook.c.
 */
#ifndef RAIA_EXPORT_DDI_H
#define RAIA_EXPORT_DDI_H

#include "export_codebook.h"
#include "strbuf.h"

/** Append the whole XML document for doc to sb. */
void export_ddi_write(const struct export_doc *doc, struct strbuf *sb);

#endif
