// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot tool: vm.NAME.args as data (see vmargs.h): parse the record,
 * rewrite the saved QEMU command line for a restore, filter the saved
 * environment.  The record comes from the store, written by `vm save`;
 * it is still checked field by field.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmargs.h"

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (len > ((size_t)-1) / 4 - b->len)
		return -ENOMEM;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = 0;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -E2BIG;
	return buf_add(b, tmp, (size_t)n);
}

/* A decimal number in 0..max that is all of s (up to end, or NUL). */
static int parse_ulong(const char *s, const char **end, unsigned long max,
		       unsigned long *out)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &e, 10);
	if (errno || *out > max)
		return -1;
	if (end)
		*end = e;
	else if (*e)
		return -1;
	return 0;
}

/* "N,N,..." or "N N ..." (sep) into c->groups. */
static int parse_groups(const char *s, char sep, struct vm_cred *c)
{
	unsigned long v;

	c->ngroups = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	while (*s && *s != '\n') {
		if (c->ngroups == VM_GROUPS_MAX ||
		    parse_ulong(s, &s, (gid_t)-2, &v))
			return -1;
		c->groups[c->ngroups++] = (gid_t)v;
		if (*s == sep)
			s++;
		else if (*s && *s != '\n' && !(sep == ' ' && *s == '\t'))
			return -1;
		while (sep == ' ' && (*s == ' ' || *s == '\t'))
			s++;
	}
	return 0;
}

/* The effective id of a "Uid:" or "Gid:" line: real, effective, ... */
static int status_id(const char *status, const char *field, unsigned long *id)
{
	const char *p = strstr(status, field);
	unsigned long real;

	while (p && p != status && p[-1] != '\n')
		p = strstr(p + 1, field);
	if (!p)
		return -1;
	p += strlen(field);
	while (*p == ' ' || *p == '\t')
		p++;
	if (parse_ulong(p, &p, (uid_t)-2, &real))
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	return parse_ulong(p, &p, (uid_t)-2, id);
}

/* The credentials in the text of /proc/PID/status. */
int vm_cred_parse(const char *status, struct vm_cred *c)
{
	unsigned long uid, gid;
	const char *g = strstr(status, "\nGroups:");

	if (status_id(status, "Uid:", &uid) || status_id(status, "Gid:", &gid) ||
	    !g || parse_groups(g + 8, ' ', c))
		return -1;
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	return 0;
}

/* The header lines "uid N\ngid N\ngroups N,N\n". */
int vm_cred_print(struct buf *b, const struct vm_cred *c)
{
	int i;

	if (buf_printf(b, "uid %lu\ngid %lu\ngroups ", (unsigned long)c->uid,
		       (unsigned long)c->gid))
		return -1;
	for (i = 0; i < c->ngroups; i++)
		if (buf_printf(b, "%s%lu", i ? "," : "",
			       (unsigned long)c->groups[i]))
			return -1;
	return buf_add(b, "\n", 1);
}

/* n NUL-terminated strings from [p, end) into a new array *out. */
static int strings(const char *p, const char *end, int n, char ***out,
		   const char **next)
{
	char **v;
	int i;

	if (n < 0 || (size_t)n > (size_t)(end - p))
		return -1;
	v = calloc((size_t)n + 1, sizeof(char *));
	if (!v)
		return -1;
	for (i = 0; i < n; i++) {
		const char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;

		if (!z) {
			free(v);
			return -1;
		}
		v[i] = (char *)p;
		p = z + 1;
	}
	*out = v;
	*next = p;
	return 0;
}

/* One "key value" header line into a; -1 when the value is bad. */
static int header_line(struct vm_args *a, const char *key, const char *v,
		       unsigned int *seen)
{
	unsigned long n;

	if (!strcmp(key, "qemu"))
		snprintf(a->qemu, sizeof(a->qemu), "%s", v);
	else if (!strcmp(key, "mode"))
		snprintf(a->mode, sizeof(a->mode), "%s", v);
	else if (!strcmp(key, "running"))
		a->running = !strcmp(v, "1");
	else if (!strcmp(key, "qmp"))
		return snprintf(a->qmp, sizeof(a->qmp), "%s", v) >= (int)sizeof(a->qmp) ? -1 : 0;
	else if (!strcmp(key, "cwd"))
		return snprintf(a->cwd, sizeof(a->cwd), "%s", v) >= (int)sizeof(a->cwd) ? -1 : 0;
	else if (!strcmp(key, "uid")) {
		if (parse_ulong(v, NULL, (uid_t)-2, &n))
			return -1;
		a->cred.uid = (uid_t)n;
		*seen |= 1;
	} else if (!strcmp(key, "gid")) {
		if (parse_ulong(v, NULL, (gid_t)-2, &n))
			return -1;
		a->cred.gid = (gid_t)n;
		*seen |= 2;
	} else if (!strcmp(key, "groups")) {
		if (parse_groups(v, ',', &a->cred))
			return -1;
		*seen |= 4;
	} else if (!strcmp(key, "argc")) {
		if (parse_ulong(v, NULL, 1 << 20, &n))
			return -1;
		a->argc = (int)n;
	} else if (!strcmp(key, "envc")) {
		if (parse_ulong(v, NULL, 1 << 20, &n))
			return -1;
		a->envc = (int)n;
	}
	return 0;
}

/*
 * Parse a->raw (modified in place; a->argv and a->envp point into it).
 * On failure *why says what is wrong.
 */
int vm_args_parse(struct vm_args *a, const char **why)
{
	char *p = a->raw.p, *end = a->raw.p + a->raw.len, *hdr_end;
	const char *next;
	char *line, *save = NULL;
	unsigned int seen = 0;

	a->argv = a->envp = NULL;
	if (!p || a->raw.len < sizeof(VM_ARGS_MAGIC) - 1 ||
	    memcmp(p, VM_ARGS_MAGIC, sizeof(VM_ARGS_MAGIC) - 1)) {
		*why = "not a fastboot vm argument record";
		return -1;
	}
	hdr_end = memmem(p, a->raw.len, "\n\n", 2);
	if (!hdr_end) {
		*why = "truncated argument record";
		return -1;
	}
	*hdr_end = 0;
	a->argc = a->envc = -1;
	for (line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');

		if (!v)
			continue;
		*v++ = 0;
		if (header_line(a, line, v, &seen)) {
			*why = "damaged argument record (bad header line)";
			return -1;
		}
	}
	/* All three or none (a record from before they were kept). */
	if (seen != 0 && seen != 7) {
		*why = "damaged argument record (partial uid, gid and groups)";
		return -1;
	}
	a->cred_known = seen == 7;
	if (a->argc < 1 || a->envc < 0 ||
	    strings(hdr_end + 2, end, a->argc, &a->argv, &next) ||
	    strings(next, end, a->envc, &a->envp, &next)) {
		free(a->argv);
		a->argv = NULL;
		*why = "damaged argument record";
		return -1;
	}
	return 0;
}

void vm_args_free(struct vm_args *a)
{
	free(a->argv);
	free(a->envp);
	free(a->raw.p);
	a->argv = a->envp = NULL;
	memset(&a->raw, 0, sizeof(a->raw));
}

/* Count NUL-terminated strings (a missing final NUL is added). */
int vm_count_strings(struct buf *b)
{
	int n = 0;
	size_t i;

	if (b->len && b->p[b->len - 1])
		if (buf_add(b, "", 1))
			return -1;
	for (i = 0; i < b->len; i++)
		if (!b->p[i])
			n++;
	return n;
}

/* "-name" or "--name" */
static bool is_opt(const char *s, const char *name)
{
	if (s[0] != '-')
		return false;
	s += s[1] == '-' ? 2 : 1;
	return !strcmp(s, name);
}

/*
 * Does QEMU drop its own privileges (-runas USER, -run-with user=USER)?
 * Then it must start as root, as it did.
 */
bool vm_args_runas(const struct vm_args *a)
{
	int i;

	for (i = 1; i < a->argc; i++)
		if (is_opt(a->argv[i], "runas") ||
		    (is_opt(a->argv[i], "run-with") && i + 1 < a->argc &&
		     strstr(a->argv[i + 1], "user=")))
			return true;
	return false;
}

/*
 * Does a QEMU option value name path: "unix:PATH", "path=PATH" or
 * "chardev:..."-free text where PATH ends at ',' or the end?
 */
static bool names_path(const char *val, const char *path)
{
	size_t l = strlen(path);
	const char *p = val;

	if (!l)
		return false;
	while ((p = strstr(p, path))) {
		if ((p == val || p[-1] == ':' || p[-1] == '=') &&
		    (p[l] == 0 || p[l] == ','))
			return true;
		p++;
	}
	return false;
}

/*
 * The value of key in a QEMU option string "a,key=v,b" (",," is a
 * literal comma), into out; false when absent or too long.
 */
static bool opt_get(const char *s, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	while (*s) {
		bool at_key = !strncmp(s, key, kl) && s[kl] == '=';
		size_t o = 0;

		if (at_key)
			s += kl + 1;
		for (; *s; s++) {
			if (*s == ',' && s[1] == ',') {
				s++;
			} else if (*s == ',') {
				s++;
				break;
			}
			if (at_key) {
				if (o + 1 >= len)
					return false;
				out[o++] = *s;
			}
		}
		if (at_key) {
			out[o] = 0;
			return true;
		}
	}
	return false;
}

#define MAX_DROPPED	16

struct dropped {
	int n;
	char id[MAX_DROPPED][64];
};

/* A -mon (or -qmp/-monitor chardev:ID) that uses a dropped chardev? */
static bool uses_dropped(const char *opt, const char *val, const struct dropped *d)
{
	char id[64];
	int i;

	if (is_opt(opt, "mon")) {
		if (!opt_get(val, "chardev", id, sizeof(id)))
			return false;
	} else if (is_opt(opt, "qmp") || is_opt(opt, "qmp-pretty") ||
		   is_opt(opt, "monitor")) {
		if (strncmp(val, "chardev:", 8) ||
		    snprintf(id, sizeof(id), "%s", val + 8) >= (int)sizeof(id))
			return false;
	} else {
		return false;
	}
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->id[i], id))
			return true;
	return false;
}

/* The ids of the -chardev options that name the old socket. */
static void dropped_chardevs(const struct vm_args *a, struct dropped *d)
{
	int i;

	d->n = 0;
	for (i = 1; i + 1 < a->argc && d->n < MAX_DROPPED; i++)
		if (is_opt(a->argv[i], "chardev") &&
		    names_path(a->argv[i + 1], a->qmp) &&
		    opt_get(a->argv[i + 1], "id", d->id[d->n], sizeof(d->id[0])))
			d->n++;
}

static bool mentions(char **argv, int argc, const char *path)
{
	int i;

	for (i = 0; i < argc; i++)
		if (names_path(argv[i], path))
			return true;
	return false;
}

/*
 * The saved command line with -incoming defer (any earlier -incoming
 * dropped) and a QMP socket at qmp.  When qmp is another path than the
 * saved one, the options that named the saved socket are dropped, and
 * with a -chardev so are the -mon options that use it (QEMU refuses a
 * -mon whose chardev does not exist).  One allocation: free() the result.
 */
char **vm_restore_argv(const struct vm_args *a, const char *qmp)
{
	size_t optlen = strlen(qmp) + 48;
	char **v = calloc(1, ((size_t)a->argc + 6) * sizeof(char *) + optlen);
	char *opt = (char *)(v + a->argc + 6);
	bool other = strcmp(qmp, a->qmp) != 0;
	struct dropped d = { 0 };
	int i, o = 0;

	if (!v)
		return NULL;
	if (other)
		dropped_chardevs(a, &d);
	v[o++] = a->argv[0];
	for (i = 1; i < a->argc; i++) {
		const char *s = a->argv[i];
		const char *val = i + 1 < a->argc ? a->argv[i + 1] : NULL;

		if (is_opt(s, "incoming")) {
			i++;
			continue;
		}
		if (!strncmp(s, "-incoming=", 10) || !strncmp(s, "--incoming=", 11))
			continue;
		if (other && val && s[0] == '-' &&
		    (names_path(val, a->qmp) || uses_dropped(s, val, &d))) {
			i++;
			continue;
		}
		v[o++] = a->argv[i];
	}
	if (!mentions(v, o, qmp)) {
		snprintf(opt, optlen, "unix:%s,server=on,wait=off", qmp);
		v[o++] = "-qmp";
		v[o++] = opt;
	}
	v[o++] = "-incoming";
	v[o++] = "defer";
	v[o] = NULL;
	return v;
}

/*
 * A unix socket path at the start of a QEMU option value: "unix:PATH" up
 * to a single ',' (",," is a literal comma), into out.
 */
static bool unix_path(const char *val, char *out, size_t len)
{
	size_t o = 0;

	if (strncmp(val, "unix:", 5))
		return false;
	for (val += 5; *val; val++) {
		if (*val == ',' && val[1] != ',')
			break;
		if (*val == ',')
			val++;
		if (o + 1 >= len)
			return false;
		out[o++] = *val;
	}
	out[o] = 0;
	return o > 0;
}

/*
 * The QMP socket of a QEMU command line, into out: the first of
 * -qmp unix:PATH[,...] (or -qmp-pretty), and -mon chardev=ID,mode=control
 * with its -chardev socket,id=ID,path=PATH.  False when there is none
 * that is a unix socket (a TCP one, a chardev of another kind).
 */
bool vm_argv_qmp(char *const *argv, int argc, char *out, size_t len)
{
	char id[64], mode[32], cid[64], kind[16];
	int i, k;

	for (i = 1; i + 1 < argc; i++) {
		const char *val = argv[i + 1];

		if (is_opt(argv[i], "qmp") || is_opt(argv[i], "qmp-pretty")) {
			if (unix_path(val, out, len))
				return true;
			continue;
		}
		if (!is_opt(argv[i], "mon") ||
		    !opt_get(val, "chardev", id, sizeof(id)) ||
		    !opt_get(val, "mode", mode, sizeof(mode)) ||
		    strcmp(mode, "control"))
			continue;
		for (k = 1; k + 1 < argc; k++) {
			const char *c = argv[k + 1];

			if (!is_opt(argv[k], "chardev"))
				continue;
			/* the backend is the first element: "socket,id=..." */
			if (snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(c, ","), c) >=
			    (int)sizeof(kind) || strcmp(kind, "socket") ||
			    !opt_get(c, "id", cid, sizeof(cid)) || strcmp(cid, id))
				continue;
			if (opt_get(c, "path", out, len) && out[0])
				return true;
		}
	}
	return false;
}

/*
 * Variables that make the dynamic loader or the C library load code or
 * data from a path of the saver's choosing: every LD_* and the rest of
 * the list glibc drops for a set-user-ID program (but TMPDIR).  Never
 * restored (see Documentation/threat-model.rst).  QEMU's own settings,
 * such as QEMU_MODULE_DIR for a QEMU installed elsewhere, are kept: QEMU
 * runs as the user who set them.
 */
bool vm_env_unsafe(const char *entry)
{
	static const char *const names[] = {
		"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES",
		"LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH",
		"RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR",
	};
	size_t l = strcspn(entry, "=");
	size_t i;

	if (!strncmp(entry, "LD_", 3))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == l && !strncmp(entry, names[i], l))
			return true;
	return false;
}

/*
 * Remove the unsafe entries from the NULL-terminated envp, in place; their
 * names go to dropped as "NAME NAME".  Returns how many were dropped.
 */
int vm_env_filter(char **envp, struct buf *dropped)
{
	int i, o = 0, n = 0;

	for (i = 0; envp[i]; i++) {
		if (!vm_env_unsafe(envp[i])) {
			envp[o++] = envp[i];
			continue;
		}
		if (dropped && (buf_add(dropped, n ? " " : "", n ? 1 : 0) ||
				buf_add(dropped, envp[i], strcspn(envp[i], "="))))
			return -1;
		n++;
	}
	envp[o] = NULL;
	return n;
}
