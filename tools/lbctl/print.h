/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output path for text and JSON (print.c), after iproute2's
 * json_print: each value is printed once, with its JSON key and its text
 * format, and the mode picks which one is used.
 */
#ifndef LBCTL_PRINT_H
#define LBCTL_PRINT_H

#include <stdbool.h>

enum output_type {
	PRINT_FP = 1,		/* text output only */
	PRINT_JSON = 2,		/* JSON output only */
	PRINT_ANY = 3,		/* both */
};

void print_init(bool json, bool pretty);
bool print_json(void);
/* Ends the output (JSON: the final newline) and flushes it. */
int print_done(void);

/* Containers exist in JSON only; key is NULL inside an array. */
void open_object(const char *key);
void close_object(void);
void open_array(const char *key);
void close_array(void);

/* fmt takes exactly one argument of the value's type; it is used for
 * text and may be NULL for PRINT_JSON.
 */
void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned long long value);
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value);
/* Text only: a line break. */
void print_nl(void);

#endif /* LBCTL_PRINT_H */
