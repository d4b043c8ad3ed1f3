// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: QMP messages as data (see qmp.h).  The scanner follows
 * RFC 8259 strictly (no trailing commas, no control characters in
 * strings, escapes checked), bounds nesting at QMP_MAX_DEPTH and never
 * reads outside [line, line + len): QEMU is a peer, not a trusted one.
 */
#include <string.h>
#include "qmp.h"

#define QMP_MAX_DEPTH	64
#define QMP_KEY_MAX	64

struct js {
	const unsigned char *p, *end;
};

/* The first member named key, in document order, and where its value is. */
struct jfind {
	const char *key;
	const unsigned char *at;
};

static void ws(struct js *s)
{
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static bool eat(struct js *s, unsigned char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

static int hex4(struct js *s, unsigned int *v)
{
	int i;

	*v = 0;
	if (s->end - s->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = *s->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

/*
 * A string at s->p.  Its text goes to out (when not NULL), cut to
 * outlen - 1 bytes and NUL-terminated; *cut says whether it was cut.
 * \u escapes outside ASCII, and \u0000, become '?'.
 */
static int jstring(struct js *s, char *out, size_t outlen, bool *cut)
{
	size_t o = 0;

	if (cut)
		*cut = false;
	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = *s->p++;
		unsigned int u;

		if (c == '"') {
			if (out && outlen)
				out[o] = 0;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (s->p >= s->end)
				return -1;
			c = *s->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (hex4(s, &u))
					return -1;
				c = u && u < 0x80 ? (unsigned char)u : '?';
				break;
			default:
				return -1;
			}
		}
		if (out && outlen && o + 1 < outlen)
			out[o++] = (char)c;
		else if (cut)
			*cut = true;
	}
	return -1;
}

static bool digit(const struct js *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int jnumber(struct js *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (!digit(s))
		return -1;
	if (*s->p == '0')
		s->p++;
	else
		while (digit(s))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digit(s))
			return -1;
		while (digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digit(s))
			return -1;
		while (digit(s))
			s->p++;
	}
	return 0;
}

static int jliteral(struct js *s, const char *word)
{
	size_t l = strlen(word);

	if ((size_t)(s->end - s->p) < l || memcmp(s->p, word, l))
		return -1;
	s->p += l;
	return 0;
}

static int jvalue(struct js *s, int depth, struct jfind *f);

static int jobject(struct js *s, int depth, struct jfind *f)
{
	char key[QMP_KEY_MAX];
	bool cut;

	s->p++;	/* '{' */
	if (eat(s, '}'))
		return 0;
	do {
		ws(s);
		if (jstring(s, key, sizeof(key), &cut) || !eat(s, ':'))
			return -1;
		ws(s);
		if (f && !f->at && !cut && !strcmp(key, f->key))
			f->at = s->p;
		if (jvalue(s, depth + 1, f))
			return -1;
	} while (eat(s, ','));
	return eat(s, '}') ? 0 : -1;
}

static int jarray(struct js *s, int depth, struct jfind *f)
{
	s->p++;	/* '[' */
	if (eat(s, ']'))
		return 0;
	do {
		if (jvalue(s, depth + 1, f))
			return -1;
	} while (eat(s, ','));
	return eat(s, ']') ? 0 : -1;
}

static int jvalue(struct js *s, int depth, struct jfind *f)
{
	if (depth > QMP_MAX_DEPTH)
		return -1;
	ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return jobject(s, depth, f);
	case '[': return jarray(s, depth, f);
	case '"': return jstring(s, NULL, 0, NULL);
	case 't': return jliteral(s, "true");
	case 'f': return jliteral(s, "false");
	case 'n': return jliteral(s, "null");
	default: return jnumber(s);
	}
}

/* The whole line is one JSON value (and whitespace); finds f->key. */
static int jdocument(const char *line, size_t len, struct jfind *f)
{
	struct js s = { (const unsigned char *)line,
			(const unsigned char *)line + len };

	if (jvalue(&s, 0, f))
		return -1;
	ws(&s);
	return s.p == s.end ? 0 : -1;
}


/*
 * In an object whose opening brace s has passed: the value of member key
 * (s left at it), or NULL when it has none or is not valid (members are
 * skipped at nesting depth).
 */
static const unsigned char *find_member(struct js *s, const char *key, int depth)
{
	do {
		char k[QMP_KEY_MAX];
		bool cut;

		ws(s);
		if (jstring(s, k, sizeof(k), &cut) || !eat(s, ':'))
			return NULL;
		ws(s);
		if (!cut && !strcmp(k, key))
			return s->p;
		if (jvalue(s, depth, NULL))
			return NULL;
	} while (eat(s, ','));
	return NULL;
}
/* An integer at s->p into *v (0..UINT64_MAX), or -1. */
static int juint(struct js *s, uint64_t *v)
{
	const unsigned char *start = s->p;

	*v = 0;
	if (jnumber(s))
		return -1;
	for (; start < s->p; start++) {
		if (*start < '0' || *start > '9')
			return -1;
		if (*v > (UINT64_MAX - (uint64_t)(*start - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*start - '0');
	}
	return 0;
}

int qmp_parse(const char *line, size_t len, struct qmp_msg *m)
{
	struct js s = { (const unsigned char *)line,
			(const unsigned char *)line + len };
	int kinds = 0;

	memset(m, 0, sizeof(*m));
	if (jdocument(line, len, NULL))
		return -1;
	/* valid JSON: walk the top level once more for its members */
	if (!eat(&s, '{'))
		return -1;
	if (eat(&s, '}'))
		return -1;
	do {
		char key[QMP_KEY_MAX];
		const unsigned char *v;
		bool cut;

		ws(&s);
		if (jstring(&s, key, sizeof(key), &cut) || !eat(&s, ':'))
			return -1;
		ws(&s);
		v = s.p;
		if (jvalue(&s, 1, NULL))
			return -1;
		if (cut)
			continue;
		if (!strcmp(key, "QMP"))
			m->kind = QMP_GREETING, kinds++;
		else if (!strcmp(key, "event"))
			m->kind = QMP_EVENT, kinds++;
		else if (!strcmp(key, "return"))
			m->kind = QMP_RETURN, kinds++;
		else if (!strcmp(key, "error"))
			m->kind = QMP_ERROR, kinds++;
		else if (!strcmp(key, "id")) {
			struct js n = { v, s.p };

			m->has_id = true;
			m->id_num = !juint(&n, &m->id) && n.p == s.p;
		}
	} while (eat(&s, ','));
	if (kinds != 1) {
		m->kind = QMP_BAD;
		return -1;
	}
	return 0;
}

enum qmp_verdict qmp_judge(const char *line, size_t len, uint64_t want_id)
{
	struct qmp_msg m;

	if (qmp_parse(line, len, &m))
		return QMP_V_BAD;
	switch (m.kind) {
	case QMP_EVENT:
		return QMP_V_SKIP;
	case QMP_RETURN:
	case QMP_ERROR:
		if (m.has_id && m.id_num && m.id == want_id)
			return m.kind == QMP_RETURN ? QMP_V_RETURN : QMP_V_ERROR;
		/* Every command carries an id: an error without one is
		 * QEMU failing to read the command just sent. */
		if (!m.has_id && m.kind == QMP_ERROR)
			return QMP_V_ERROR;
		return QMP_V_SKIP;
	default:
		return QMP_V_BAD;	/* a greeting is only the first line */
	}
}

int qmp_get_str(const char *line, size_t len, const char *key, char *out,
		size_t outlen)
{
	struct jfind f = { key, NULL };
	struct js s;

	if (!outlen || jdocument(line, len, &f) || !f.at)
		return -1;
	s.p = f.at;
	s.end = (const unsigned char *)line + len;
	return jstring(&s, out, outlen, NULL);
}

int qmp_get_num(const char *line, size_t len, const char *key, long *out)
{
	struct jfind f = { key, NULL };
	struct js s;
	uint64_t v;

	if (jdocument(line, len, &f) || !f.at)
		return -1;
	s.p = f.at;
	s.end = (const unsigned char *)line + len;
	if (juint(&s, &v) || v > (uint64_t)__LONG_MAX__)
		return -1;
	*out = (long)v;
	return 0;
}

/*
 * The string member key directly inside the top-level "return" object
 * (not one nested deeper, not one of another member): what
 * query-migrate-parameters says of a parameter.
 */
int qmp_get_return_str(const char *line, size_t len, const char *key,
		       char *out, size_t outlen)
{
	struct js s = { (const unsigned char *)line,
			(const unsigned char *)line + len };
	const unsigned char *ret = NULL;
	struct qmp_msg m;

	if (!outlen || qmp_parse(line, len, &m) || m.kind != QMP_RETURN)
		return -1;
	/* valid JSON, one object: find its "return" member */
	eat(&s, '{');
	ret = find_member(&s, "return", 1);
	if (!ret || *ret != '{')
		return -1;
	s.p = ret + 1;
	if (eat(&s, '}') || !find_member(&s, key, 2))
		return -1;
	return jstring(&s, out, outlen, NULL);
}
