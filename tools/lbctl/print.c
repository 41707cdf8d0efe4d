// SPDX-License-Identifier: GPL-2.0
/*
 * The one output path: text goes through printf formats, JSON through a
 * small writer that tracks nesting to place commas and, with -p,
 * newlines and indentation.
 */
#include <stdio.h>

#include "print.h"

#define MAX_DEPTH	16

static bool json, pretty;
static int depth;
static bool has_items[MAX_DEPTH];	/* does the container hold a value? */

void print_init(bool want_json, bool want_pretty)
{
	json = want_json || want_pretty;
	pretty = want_pretty;
	depth = 0;
	has_items[0] = false;
}

bool print_json(void)
{
	return json;
}

int print_done(void)
{
	if (json)
		putchar('\n');
	return fflush(stdout) ? 1 : 0;
}

static void indent(void)
{
	int i;

	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("    ", stdout);
}

/* Everything before a value: the comma, the indentation and the key. */
static void json_key(const char *key)
{
	if (has_items[depth])
		putchar(',');
	has_items[depth] = true;
	if (pretty && depth > 0)
		indent();
	if (key)
		printf(pretty ? "\"%s\": " : "\"%s\":", key);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_open(const char *key, char bracket)
{
	if (!json)
		return;
	json_key(key);
	putchar(bracket);
	if (depth < MAX_DEPTH - 1)
		depth++;
	has_items[depth] = false;
}

static void json_close(char bracket)
{
	if (!json)
		return;
	if (depth > 0)
		depth--;
	if (pretty && has_items[depth + 1])
		indent();
	putchar(bracket);
}

void open_object(const char *key)
{
	json_open(key, '{');
}

void close_object(void)
{
	json_close('}');
}

void open_array(const char *key)
{
	json_open(key, '[');
}

void close_array(void)
{
	json_close(']');
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value)
{
	if (json && (t & PRINT_JSON)) {
		json_key(key);
		json_string(value);
	} else if (!json && (t & PRINT_FP) && fmt) {
		printf(fmt, value);
	}
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned long long value)
{
	if (json && (t & PRINT_JSON)) {
		json_key(key);
		printf("%llu", value);
	} else if (!json && (t & PRINT_FP) && fmt) {
		printf(fmt, value);
	}
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (json && (t & PRINT_JSON)) {
		json_key(key);
		fputs(value ? "true" : "false", stdout);
	} else if (!json && (t & PRINT_FP) && fmt) {
		printf(fmt, value ? "true" : "false");
	}
}

void print_nl(void)
{
	if (!json)
		putchar('\n');
}
