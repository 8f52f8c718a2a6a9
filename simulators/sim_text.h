/**
 * sim_text.h - escaping of free text on the simulator control protocol.
 *
 * One control line carries one command, so a newline inside a screen or an
 * input travels as the two characters `\n`, and a backslash as `\\`. Used by
 * the SMSC simulator (sim_control.c, sim_script.c) and by raia-phone.
 * Pure functions, no I/O.
 */
#ifndef RAIA_SIM_TEXT_H
#define RAIA_SIM_TEXT_H

#include <stddef.h>

/**
 * Escape len bytes of in into out (NUL-terminated). out needs 2*len+1 bytes
 * to never truncate. Returns bytes written, or -1 if out is too small.
 */
long sim_text_escape(const char *in, size_t len, char *out, size_t size);

/**
 * Undo sim_text_escape on the NUL-terminated in, writing into out
 * (NUL-terminated; strlen(in)+1 bytes always suffice). A backslash before
 * any other character, or at the end, is kept as it is. Returns bytes
 * written, or -1 if out is too small.
 */
long sim_text_unescape(const char *in, char *out, size_t size);

#endif
