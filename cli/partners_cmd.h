/**
 * partners_cmd.h - `raia partners add|list|revoke`: the tokens partners use
 * with raia-api (docs/api.md). Synchronous; called from cli/raia.c.
 */
#ifndef RAIA_PARTNERS_CMD_H
#define RAIA_PARTNERS_CMD_H

/**
 * Run `raia partners` with argv after the word "partners"; actor (borrowed)
 * names who ran it in the audit log. Returns the exit status: 0, 1 (failed)
 * or 2 (bad arguments, usage printed).
 */
int partners_cmd(int argc, char **argv, const char *actor);

#endif
