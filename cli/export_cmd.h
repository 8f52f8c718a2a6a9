/**
 * export_cmd.h - `raia export`: a flow's responses as CSV, JSON Lines or a
 * Frictionless Data Package, with a codebook, recorded in the audit log
 * (docs/exports.md). Synchronous; called from cli/raia.c.
 */
#ifndef RAIA_EXPORT_CMD_H
#define RAIA_EXPORT_CMD_H

/**
 * Run `raia export` with argv after the word "export"; actor (borrowed) names
 * who ran it in the audit log. Returns the exit status: 0, 1 (failed, e.g.
 * unknown flow) or 2 (bad arguments, usage printed).
 */
int export_cmd(int argc, char **argv, const char *actor);

#endif
