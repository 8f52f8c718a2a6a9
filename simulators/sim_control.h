/**
 * sim_control.h - the line-based control port of raia-smsc-sim, where
 * raia-phone (or a test, or nc) plays the phones. Many clients at once; each
 * line is one command (DIAL, REPLY, SMS, SMSREV, HANGUP, REDELIVER and the
 * faults THROTTLE, NORESP, DROP, DUP, REPLAY), answered only when there is
 * something to say (SCREEN, SMS, ERR; OK for the fault commands). Listener set up by smsc_sim.c;
 * sim_phones.c writes to clients through sim_client_send(); sim_script.c
 * runs its lines through sim_control_exec().
 */
#ifndef RAIA_SIM_CONTROL_H
#define RAIA_SIM_CONTROL_H

#include "sim_internal.h"

/** Longest control line accepted, newline excluded. */
#define SIM_LINE_MAX 4096

/** Listen on opt->bind_addr:opt->control_port. Returns 0, -RAIA_EINVAL or -RAIA_EIO. */
int sim_control_listen(struct sim *s);

/** Close the listener and every client (shutdown only). */
void sim_control_close_all(struct sim *s);

/**
 * A client whose answers go to stdout (the script's); owned by s and freed
 * by sim_control_close_all(). NULL when out of memory.
 */
struct sim_client *sim_client_new_stdout(struct sim *s);

/** Send one line (the newline is added) to c. */
void sim_client_send(struct sim_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Run one command line (no newline; modified in place) on behalf of c,
 * answering `ERR ...` to c if it fails.
 */
void sim_control_exec(struct sim *s, struct sim_client *c, char *line);

/** 1 if the first word of line names a control command, else 0 (for the script check). */
int sim_control_known(const char *line);

#endif
