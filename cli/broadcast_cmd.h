/**
 * broadcast_cmd.h - `raia broadcast`: queue one SMS with published results
 * for every person who asked to hear back from a flow (docs/broadcast.md).
 */
#ifndef RAIA_BROADCAST_CMD_H
#define RAIA_BROADCAST_CMD_H

/**
 * Run `raia broadcast` with argv after the word "broadcast"; actor (borrowed)
 * names who ran it in the audit log. Returns the exit status: 0, 1 (failed)
 * or 2 (bad arguments, usage printed).
 */
int broadcast_cmd(int argc, char **argv, const char *actor);

#endif
