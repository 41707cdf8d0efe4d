// SPDX-License-Identifier: GPL-2.0
/*
 * The one output path: text goes through printf formats, JSON through a
 * small writer that tracks nesting to place commas and, with -p,
 * newlines and indentation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

/*
 * list prints hundreds of thousands of values for a large configuration,
 * so plain strings and numbers skip printf() and stdio's per-call cost:
 * they go to a buffer of our own that is handed to stdio in big pieces
 * (always before anything else is printed, to keep the order).
 */
static char obuf[64 * 1024];
static size_t olen;

static void out_flush(void)
{
	if (olen)
		fwrite(obuf, 1, olen, stdout);
	olen = 0;
}

static void out_mem(const char *s, size_t n)
{
	char *d;

	if (olen + n > sizeof(obuf)) {
		out_flush();
		if (n > sizeof(obuf)) {
			fwrite(s, 1, n, stdout);
			return;
		}
	}
	d = obuf + olen;
	olen += n;
	/* Most pieces are a few bytes, for which calling memcpy() costs
	 * more than the copy: two overlapping fixed-size copies (single
	 * moves) cover 4 to 16 bytes.
	 */
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else {
		while (n--)
			*d++ = *s++;
	}
}

/* Copies up to the NUL, without a strlen() pass first. */
static void out_str(const char *s)
{
	for (;;) {
		while (*s && olen < sizeof(obuf))
			obuf[olen++] = *s++;
		if (!*s)
			return;
		out_flush();
	}
}

static void out_char(char c)
{
	out_mem(&c, 1);
}

static void out_u64(unsigned long long v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	out_mem(p, buf + sizeof(buf) - p);
}

/* printf() for what the short path cannot do, in order. */
static void out_printf(const char *fmt, ...)
{
	va_list ap;

	out_flush();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/*
 * Finds the one plain conversion conv in fmt, in one pass; a format with
 * anything fancier (widths, flags, a second conversion) gets at = NULL and
 * goes to printf().
 */
static void split_fmt(const char *fmt, const char *conv, size_t conv_len,
		      struct print_fmt *f)
{
	const char *p, *at = NULL;

	f->fmt = fmt;
	f->at = NULL;
	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (at || strncmp(p, conv, conv_len))
			return;
		at = p;
		p += conv_len - 1;
	}
	if (!at)
		return;
	f->at = at;
	f->tail = at + conv_len;
	f->tail_len = p - f->tail;
}

/* The split of fmt: the call site's if it has one, else a fresh one. */
static const struct print_fmt *fmt_of(const char *fmt, const char *conv,
				      size_t conv_len, struct print_fmt *cache,
				      struct print_fmt *tmp)
{
	struct print_fmt *f = cache ? cache : tmp;

	if (!cache || cache->fmt != fmt)
		split_fmt(fmt, conv, conv_len, f);
	return f;
}

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
		out_char('\n');
	out_flush();
	return fflush(stdout) ? 1 : 0;
}

static void indent(void)
{
	int i;

	out_char('\n');
	for (i = 0; i < depth; i++)
		out_str("    ");
}

/* Everything before a value: the comma, the indentation and the key. */
static void json_key(const char *key)
{
	if (has_items[depth])
		out_char(',');
	has_items[depth] = true;
	if (pretty && depth > 0)
		indent();
	if (key) {
		/* Keys are lbctl's own words: nothing to escape. */
		out_char('"');
		out_str(key);
		out_str(pretty ? "\": " : "\":");
	}
}

static void json_string(const char *s)
{
	const char *run = s;

	out_char('"');
	/* Copy runs of plain characters at once; escape the rest. */
	for (; *s; s++) {
		unsigned char c = *s;

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		out_mem(run, s - run);
		run = s + 1;
		if (c == '"' || c == '\\')
			out_printf("\\%c", c);
		else
			out_printf("\\u%04x", c);
	}
	out_mem(run, s - run);
	out_char('"');
}

static void json_open(const char *key, char bracket)
{
	if (!json)
		return;
	json_key(key);
	out_char(bracket);
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
	out_char(bracket);
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

void print_string_at(enum output_type t, const char *key, const char *fmt,
		     const char *value, struct print_fmt *cache)
{
	const struct print_fmt *f;
	struct print_fmt tmp;

	if (json && (t & PRINT_JSON)) {
		json_key(key);
		json_string(value);
	} else if (!json && (t & PRINT_FP) && fmt) {
		f = fmt_of(fmt, "%s", 2, cache, &tmp);
		if (!f->at) {
			out_printf(fmt, value);
			return;
		}
		out_mem(fmt, f->at - fmt);
		out_str(value);
		out_mem(f->tail, f->tail_len);
	}
}

void print_uint_at(enum output_type t, const char *key, const char *fmt,
		   unsigned long long value, struct print_fmt *cache)
{
	const struct print_fmt *f;
	struct print_fmt tmp;

	if (json && (t & PRINT_JSON)) {
		json_key(key);
		out_u64(value);
	} else if (!json && (t & PRINT_FP) && fmt) {
		f = fmt_of(fmt, "%llu", 4, cache, &tmp);
		if (!f->at) {
			out_printf(fmt, value);
			return;
		}
		out_mem(fmt, f->at - fmt);
		out_u64(value);
		out_mem(f->tail, f->tail_len);
	}
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (json && (t & PRINT_JSON)) {
		json_key(key);
		out_str(value ? "true" : "false");
	} else if (!json && (t & PRINT_FP) && fmt) {
		out_printf(fmt, value ? "true" : "false");
	}
}

void print_nl(void)
{
	if (!json)
		out_char('\n');
}
