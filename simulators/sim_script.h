/**
 * sim_script.h - the --script file of raia-smsc-sim: control commands
 * (any of sim_control.h) and `WAIT seconds`, one a line, played once when
 * the first gateway binds for receiving. Answers (SCREEN, SMS, ERR) are
 * printed to stdout. Loaded by smsc_sim.c, started by sim_esme.c.
 */
#ifndef RAIA_SIM_SCRIPT_H
#define RAIA_SIM_SCRIPT_H

#include "raia_err.h"
#include "sim_internal.h"

struct sim_script;

/**
 * Read and check path. Returns NULL with err filled (file:line: message) if
 * it cannot be read or a line is not a known command.
 */
struct sim_script *sim_script_load(struct sim *s, const char *path, struct raia_err *err);

/** Start playing; a no-op for NULL or a script already started. */
void sim_script_start(struct sim_script *sc);

/** Stop and free; NULL is a no-op. */
void sim_script_free(struct sim_script *sc);

#endif
