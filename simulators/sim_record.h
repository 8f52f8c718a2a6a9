/**
 * sim_record.h - the --record file: one JSON object per line for every PDU
 * the simulator receives or sends, flushed line by line so a test can read
 * it while the simulator runs. Called by sim_esme.c; opened by smsc_sim.c.
 */
#ifndef RAIA_SIM_RECORD_H
#define RAIA_SIM_RECORD_H

#include "smpp_pdu.h"

struct sim_record;

/** Open path for appending; NULL on failure (errno set). */
struct sim_record *sim_record_open(const char *path);
/** Close the file; NULL is a no-op. */
void sim_record_free(struct sim_record *r);

/**
 * Append one line. dir is "in" or "out"; conn is the number of the gateway
 * connection (1, 2, ... in accept order); sm (may be NULL) is the decoded
 * body of a submit_sm / deliver_sm, borrowed for the call. r may be NULL.
 */
void sim_record_pdu(struct sim_record *r, const char *dir, int conn, const struct smpp_header *h,
                    const struct smpp_sm *sm);

#endif
