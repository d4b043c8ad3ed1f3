// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fastboot tool: a small JSON writer for --json output (see json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include "json.h"

/* The one document being built: a process prints at most one at a time. */
static FILE *doc;
static char *doc_buf;
static size_t doc_len;
static bool emitted;	/* a document reached its output */
static int doc_err;	/* errno of a failure to build or write one */

/* Drop the document being built, if any, unwritten. */
void json_discard(void)
{
	if (doc)
		fclose(doc);
	free(doc_buf);
	doc = NULL;
	doc_buf = NULL;
	doc_len = 0;
}

void json_init(struct json *j, FILE *out)
{
	json_discard();
	doc = open_memstream(&doc_buf, &doc_len);
	if (!doc)
		doc_err = errno ? errno : ENOMEM;
	j->out = out;
	j->f = doc;
	j->depth = 0;
	j->need_comma[0] = false;
}

/*
 * The length of the valid UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void quoted(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if (*s == '\n') {
			fputs("\\n", f);
		} else if (*s == '\t') {
			fputs("\\t", f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
		} else {
			n = utf8_len(s);
			if (n) {
				fwrite(s, 1, (size_t)n, f);
				s += n;
				continue;
			}
			fputs("\\ufffd", f);
		}
		s++;
	}
	fputc('"', f);
}

/* Separator and key before a value; key is NULL inside arrays. */
static void member(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		quoted(j->f, key);
		fputc(':', j->f);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	if (!j->f)
		return;
	member(j, key);
	fputc(bracket, j->f);
	if (j->depth == JSON_MAX_DEPTH - 1) {
		/* Deeper than any output of the tool: refuse the document. */
		doc_err = E2BIG;
		j->f = NULL;
		json_discard();
		return;
	}
	j->depth++;
	j->need_comma[j->depth] = false;
}

void json_close(struct json *j, char bracket)
{
	if (!j->f)
		return;
	fputc(bracket, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_str(struct json *j, const char *key, const char *val)
{
	if (!j->f)
		return;
	member(j, key);
	quoted(j->f, val);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	if (!j->f)
		return;
	member(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	if (!j->f)
		return;
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

/* Write the finished document to its output, whole, then flush it. */
void json_end(struct json *j)
{
	if (!j->f || j->f != doc)
		return;
	fputc('\n', doc);
	if (fclose(doc)) {
		doc = NULL;
		doc_err = errno ? errno : ENOMEM;
		json_discard();
		return;
	}
	doc = NULL;
	j->f = NULL;
	if (fwrite(doc_buf, 1, doc_len, j->out) != doc_len || fflush(j->out))
		doc_err = errno ? errno : EIO;
	emitted = true;
	json_discard();
}

/* Has a document been written out (successfully or not)? */
bool json_emitted(void)
{
	return emitted;
}

/* The errno of the first document that could not be built or written, or 0. */
int json_error(void)
{
	return doc_err;
}
