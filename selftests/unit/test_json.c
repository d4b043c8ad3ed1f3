// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Userspace unit tests of the tool's JSON writer (tools/fastboot/json.c,
 * compiled unmodified next to this file).  Every document it writes is
 * parsed by a real JSON parser (python3's json module, strict UTF-8), so a
 * test fails on anything a consumer of --json would reject:
 *
 *   - strings carrying invalid UTF-8 (stray continuation bytes, overlong
 *     forms, surrogates, truncated sequences, code points above U+10FFFF)
 *     and control characters, as the kernel log can: valid UTF-8 must come
 *     back unchanged, each invalid byte as U+FFFD;
 *   - a document that is never finished (a command failing half-way) must
 *     leave nothing on the output, and the next document must be whole.
 *
 * Output is KTAP; the last line is "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/fastboot/json.h"

#include "ktap.h"

static char dir[] = "/tmp/fb-test-json-XXXXXX";

/* Read a whole file; *len gets its length.  NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

/*
 * Parse the document in file doc with python3 (strict UTF-8, strict JSON:
 * one value, nothing after it) and write the string at key "s" of the
 * object, encoded as UTF-8, to file val.  Returns 0 when it parsed.
 */
static int py_parse(const char *doc, const char *val)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys\n"
		 "v = json.loads(open(sys.argv[1], \"rb\").read().decode(\"utf-8\", \"strict\"))\n"
		 "open(sys.argv[2], \"wb\").write(v[\"s\"].encode(\"utf-8\", \"strict\"))' %s %s 2>/dev/null",
		 doc, val);
	return system(cmd);
}

/* Write {"s": in} with the writer, parse it, compare with want. */
static void roundtrip(const char *what, const char *in, const char *want)
{
	char doc[64], val[64], msg[160];
	struct json j;
	size_t len = 0;
	char *got;
	FILE *f;

	snprintf(doc, sizeof(doc), "%s/doc", dir);
	snprintf(val, sizeof(val), "%s/val", dir);
	unlink(val);
	f = fopen(doc, "wb");
	if (!f) {
		ok(0, "cannot create the document file");
		return;
	}
	json_init(&j, f);
	json_open(&j, NULL, '{');
	json_str(&j, "s", in);
	json_close(&j, '}');
	json_end(&j);
	fclose(f);
	snprintf(msg, sizeof(msg), "%s: valid JSON and UTF-8", what);
	ok(py_parse(doc, val) == 0, msg);
	got = slurp(val, &len);
	snprintf(msg, sizeof(msg), "%s: the string reads back as expected", what);
	ok(got && len == strlen(want) && !memcmp(got, want, len), msg);
	if (got && (len != strlen(want) || memcmp(got, want, len))) {
		size_t i;

		printf("#   got:");
		for (i = 0; i < len; i++)
			printf(" %02x", (unsigned char)got[i]);
		printf("\n");
	}
	free(got);
}

#define R "\xef\xbf\xbd"	/* U+FFFD REPLACEMENT CHARACTER in UTF-8 */

static void strings(void)
{
	roundtrip("ASCII", "plain text", "plain text");
	roundtrip("quotes and backslashes", "a\"b\\c/", "a\"b\\c/");
	roundtrip("control characters", "\x01\x02\b\f\n\r\t\x1b\x1f\x7f",
		  "\x01\x02\b\f\n\r\t\x1b\x1f\x7f");
	roundtrip("valid 2, 3 and 4 byte UTF-8", "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	roundtrip("U+10FFFF and U+FFFF", "\xf4\x8f\xbf\xbf\xef\xbf\xbf",
		  "\xf4\x8f\xbf\xbf\xef\xbf\xbf");
	roundtrip("a lone 0xff", "a\xff" "b", "a" R "b");
	roundtrip("a stray continuation byte", "\x80x", R "x");
	roundtrip("overlong '/' (c0 af)", "\xc0\xaf", R R);
	roundtrip("overlong 3 byte (e0 80 af)", "\xe0\x80\xaf", R R R);
	roundtrip("a surrogate (ed a0 80)", "\xed\xa0\x80", R R R);
	roundtrip("above U+10FFFF (f4 90 80 80)", "\xf4\x90\x80\x80", R R R R);
	roundtrip("a truncated sequence at the end", "ok\xe2\x82", "ok" R R);
	roundtrip("a truncated sequence before ASCII", "\xe2\x82x", R R "x");
	roundtrip("f5..ff lead bytes", "\xf5\xf8\xfc\xfe", R R R R);
}

/* Bytes written to f so far, after a flush. */
static long file_size(FILE *f)
{
	fflush(f);
	return ftell(f);
}

static void partial(void)
{
	char doc[64], val[64];
	struct json j, k;
	size_t len = 0;
	char *text;
	FILE *f;

	snprintf(doc, sizeof(doc), "%s/part", dir);
	snprintf(val, sizeof(val), "%s/val", dir);
	f = fopen(doc, "wb");
	if (!f) {
		ok(0, "cannot create the document file");
		return;
	}
	/* A listing that fails half-way: never finished. */
	json_init(&j, f);
	json_open(&j, NULL, '[');
	json_open(&j, NULL, '{');
	json_str(&j, "name", "a");
	json_close(&j, '}');
	ok(file_size(f) == 0, "an unfinished document has written nothing");
	/* The next document (e.g. the error object) is whole and alone. */
	json_init(&k, f);
	json_open(&k, NULL, '{');
	json_str(&k, "s", "second");
	json_close(&k, '}');
	json_end(&k);
	fclose(f);
	ok(py_parse(doc, val) == 0, "the next document is the only one, valid");
	text = slurp(doc, &len);
	ok(text && !strcmp(text, "{\"s\":\"second\"}\n"),
	   "the next document is exactly {\"s\":\"second\"}");
	free(text);
}

int main(void)
{
	char cmd[128];

	printf("KTAP version 1\n");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	strings();
	partial();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	printf("1..%d\n%d passed, %d failed\n", n_test, passed, failed);
	return failed != 0;
}
