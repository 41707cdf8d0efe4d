/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output path for text and JSON (print.c), after iproute2's
 * json_print: each value is printed once, with its JSON key and its text
 * format, and the mode picks which one is used.
 */
#ifndef LBCTL_PRINT_H
#define LBCTL_PRINT_H

#include <stdbool.h>
#include <stddef.h>

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

/*
 * A text format with one plain "%s" or "%llu" in it is printed without
 * printf(): what comes before the conversion, the value, what comes after.
 * Where the format is a string literal, where the conversion sits is
 * found once and kept at the call site (a large list prints the same
 * formats 50,000 times each); a format built at run time is searched on
 * every call.
 */
struct print_fmt {
	const char *fmt;	/* the format this was found for */
	const char *at;		/* its conversion; NULL: use printf() */
	const char *tail;	/* just after the conversion */
	size_t tail_len;
};

#define PRINT_FMT_CACHE(fmt) ({					\
	static struct print_fmt __print_fmt;				\
	__builtin_constant_p(fmt) ? &__print_fmt : NULL;		\
})

/* fmt takes exactly one argument of the value's type; it is used for
 * text and may be NULL for PRINT_JSON.
 */
#define print_string(t, key, fmt, value) \
	print_string_at(t, key, fmt, value, PRINT_FMT_CACHE(fmt))
#define print_uint(t, key, fmt, value) \
	print_uint_at(t, key, fmt, value, PRINT_FMT_CACHE(fmt))
void print_string_at(enum output_type t, const char *key, const char *fmt,
		     const char *value, struct print_fmt *cache);
void print_uint_at(enum output_type t, const char *key, const char *fmt,
		   unsigned long long value, struct print_fmt *cache);
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value);
/* Text only: a line break. */
void print_nl(void);

#endif /* LBCTL_PRINT_H */
