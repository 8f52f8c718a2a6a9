/**
 * sim_faults.h - the misbehaviour raia-smsc-sim shows on command, so tests
 * can check how the gateway copes: THROTTLE n, NORESP n, SLOW ms [n], DROP,
 * DUP on|off and REPLAY file (docs/simulators.md). Each is one control-port command,
 * called through sim_control.c's command table with the rest of the line
 * (args, modified in place); it returns NULL and answers `OK ...` to c, or
 * returns a short static reason for the `ERR` line. The faults themselves
 * are played by sim_esme.c.
 */
#ifndef RAIA_SIM_FAULTS_H
#define RAIA_SIM_FAULTS_H

#include "sim_internal.h"

/** THROTTLE n: answer the next n submit_sm with ESME_RTHROTTLED (and drop them). */
const char *sim_faults_throttle(struct sim *s, struct sim_client *c, char *args);
/** NORESP n: leave the next n submit_sm without any answer (and drop them). */
const char *sim_faults_noresp(struct sim *s, struct sim_client *c, char *args);
/**
 * SLOW ms [n]: answer the next n submit_sm (all when n is left out) ms
 * late; the message reaches its phone when the answer leaves. SLOW 0
 * disarms (answers already waiting still leave late).
 */
const char *sim_faults_slow(struct sim *s, struct sim_client *c, char *args);
/** DROP: close every gateway connection now, without unbind. */
const char *sim_faults_drop(struct sim *s, struct sim_client *c, char *args);
/** DUP on|off: send every MO deliver_sm twice, back to back. */
const char *sim_faults_dup(struct sim *s, struct sim_client *c, char *args);
/**
 * REPLAY file: send each PDU of a hex file (one PDU a line, spaces allowed,
 * `#` comments) to the gateway as it is; its answers come back to c as
 * `PDU cmd status seq` lines, then `REPLAY done`.
 */
const char *sim_faults_replay(struct sim *s, struct sim_client *c, char *args);

#endif
