/**
 * charset.h - GSM 03.38 7-bit and UCS-2 conversions to and from UTF-8.
 *
 * SMPP carries GSM 7-bit text *unpacked*, one septet per octet (data_coding
 * 0), and UCS-2 as UTF-16BE (data_coding 8). The extension table (after ESC
 * 0x1B: ^ { } \ [ ~ ] | € and form feed) costs two septets a character.
 * Pure functions, no I/O, no logging: used by flows/ (screen length checks),
 * gateway/ (encoding MT, decoding MO) and simulators/.
 */
#ifndef RAIA_CHARSET_H
#define RAIA_CHARSET_H

#include <stddef.h>
#include <stdint.h>

/**
 * Septets needed to send utf8 in GSM 7-bit (extension characters count 2),
 * or -1 if some character has no GSM 7-bit form or utf8 is not valid UTF-8.
 */
long charset_gsm7_length(const char *utf8, size_t len);

/** UTF-16 code units needed for utf8 (characters outside the BMP count 2); -1 if invalid UTF-8. */
long charset_ucs2_length(const char *utf8, size_t len);

/**
 * Both lengths in one pass, for code that measures many short pieces (flow
 * screens): returns charset_gsm7_length(utf8, len) and sets *units to
 * charset_ucs2_length(utf8, len).
 */
long charset_gsm7_ucs2_length(const char *utf8, size_t len, long *units);

/** Number of Unicode characters in valid UTF-8, -1 if invalid. */
long charset_utf8_chars(const char *utf8, size_t len);

/**
 * Encode utf8 as unpacked GSM 7-bit septets into out (size bytes).
 * Returns bytes written, -1 if a character has no GSM form, -2 if out is too small.
 */
long charset_utf8_to_gsm7(const char *utf8, size_t len, uint8_t *out, size_t size);

/**
 * Decode unpacked septets to UTF-8 (NUL-terminated). Bytes >= 0x80, a
 * trailing ESC and ESC + undefined become '?'. out needs 3*len+1 bytes to
 * never truncate. Returns bytes written (excluding NUL), -2 if too small.
 */
long charset_gsm7_to_utf8(const uint8_t *in, size_t len, char *out, size_t size);

/** Encode utf8 as UTF-16BE. Returns bytes written, -1 invalid UTF-8, -2 too small. */
long charset_utf8_to_ucs2(const char *utf8, size_t len, uint8_t *out, size_t size);

/**
 * Decode UTF-16BE to UTF-8 (NUL-terminated). An odd trailing byte and lone
 * surrogates become U+FFFD. Returns bytes written, -2 if out is too small
 * (3*len/2*... : 2*len+1 bytes always suffice).
 */
long charset_ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t size);

/**
 * Encode utf8 as ISO-8859-1 (one octet a character) into out (size bytes;
 * out NULL only counts). Returns bytes written, -1 if a character is above
 * U+00FF or utf8 is not valid UTF-8, -2 if out is too small.
 */
long charset_utf8_to_latin1(const char *utf8, size_t len, uint8_t *out, size_t size);

/** Decode ISO-8859-1 to UTF-8; out needs 2*len+1 bytes. Returns bytes written, -2 too small. */
long charset_latin1_to_utf8(const uint8_t *in, size_t len, char *out, size_t size);

#endif
