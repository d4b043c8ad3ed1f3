// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fastboot setup: the kernel command line fragments a host needs.
 *
 *   fastboot setup [--region SIZE@ADDR] [--crashkernel SIZE]
 *                  [--config FILE] [--json]
 *
 * The region comes from --region, else from FASTBOOT_REGION in
 * /etc/default/fastboot.  Nothing is changed: the command prints
 * memmap=SIZE$ADDR (reserve the region), fastboot.region=SIZE@ADDR (where
 * the module finds the store) and crashkernel= (room for the crash
 * kernel), says which of them /proc/cmdline already has, and gives the
 * form to write in /etc/default/grub, where '$' must be escaped.  It also
 * says what the GRUB fragment /etc/default/grub.d/fastboot.cfg makes
 * update-grub add, from FASTBOOT_REGION and FASTBOOT_CRASHKERNEL in the
 * configuration file: the same words, worked out the same way
 * (packaging/grub/fastboot.cfg).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fastboot.h"
#include "json.h"

#define SETUP_USAGE \
	"fastboot setup [--region SIZE@ADDR] [--crashkernel SIZE] [--config FILE] [--json]"
#define DEFAULT_CRASHKERNEL	"384M"
#define PROC_CMDLINE		"/proc/cmdline"
#define GRUB_FRAGMENT		"/etc/default/grub.d/fastboot.cfg"
#define REGION_ALIGN		4096u

enum frag_state { FRAG_UNKNOWN, FRAG_MISSING, FRAG_PRESENT, FRAG_DIFFERENT };

static const char *const state_names[] = {
	[FRAG_UNKNOWN] = "unknown",
	[FRAG_MISSING] = "missing",
	[FRAG_PRESENT] = "present",
	[FRAG_DIFFERENT] = "different",
};

struct frag {
	const char *key;	/* "memmap", "fastboot.region", "crashkernel" */
	const char *purpose;
	char value[96];		/* the whole fragment, e.g. "memmap=256M$0x40000000" */
	char grub[128];		/* the same, escaped for /etc/default/grub */
	char current[256];	/* what /proc/cmdline has instead, if different */
	enum frag_state state;
	bool any_value;		/* any KEY= on the command line will do */
};

/* SIZE@ADDR or SIZE$ADDR, both parts with fb_parse_size's syntax. */
static int parse_range(const char *s, char sep, uint64_t *size, uint64_t *addr)
{
	const char *at = strchr(s, sep);
	char buf[64];
	size_t n;

	if (!at || at == s || !at[1])
		return -1;
	n = (size_t)(at - s);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (fb_parse_size(buf, size) || fb_parse_size(at + 1, addr))
		return -1;
	return 0;
}

/* The shortest exact form of a size: 256M, 1G, 4100K or bytes. */
static void fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "TGMK";
	int shift;

	for (shift = 40; shift >= 10; shift -= 10) {
		if (v && !(v & ((1ull << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift,
				 suffix[(40 - shift) / 10]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

/* Compare one /proc/cmdline word with the fragment we want. */
static enum frag_state match_word(const struct frag *fr, const char *word,
				  uint64_t size, uint64_t addr)
{
	size_t klen = strlen(fr->key);
	uint64_t s, a;

	if (strncmp(word, fr->key, klen) || word[klen] != '=')
		return FRAG_MISSING;
	word += klen + 1;
	if (!strcmp(fr->key, "memmap")) {
		/* memmap= has other forms (nn@ss, nn#ss, nn!ss): only $ is ours */
		if (!parse_range(word, '$', &s, &a) && s == size && a == addr)
			return FRAG_PRESENT;
		return FRAG_MISSING;
	}
	if (!strcmp(fr->key, "fastboot.region"))
		return !parse_range(word, '@', &s, &a) && s == size && a == addr ?
			FRAG_PRESENT : FRAG_DIFFERENT;
	/* crashkernel=: unless a size was asked for, any value will do */
	return fr->any_value || !strcmp(word, fr->value + klen + 1) ?
		FRAG_PRESENT : FRAG_DIFFERENT;
}

static void check_cmdline(struct frag *frags, int n, const char *cmdline,
			  uint64_t size, uint64_t addr)
{
	const char *p = cmdline;
	int i;

	for (i = 0; i < n; i++)
		frags[i].state = cmdline ? FRAG_MISSING : FRAG_UNKNOWN;
	if (!cmdline)
		return;
	while (*p) {
		char word[256];
		size_t w;

		p += strspn(p, " \t\n");
		w = strcspn(p, " \t\n");
		if (!w)
			break;
		snprintf(word, sizeof(word), "%.*s", (int)w, p);
		p += w;
		for (i = 0; i < n; i++) {
			enum frag_state st = match_word(&frags[i], word, size,
							addr);

			if (st == FRAG_PRESENT) {
				frags[i].state = FRAG_PRESENT;
				frags[i].current[0] = 0;
			} else if (st == FRAG_DIFFERENT &&
				   frags[i].state != FRAG_PRESENT) {
				frags[i].state = FRAG_DIFFERENT;
				snprintf(frags[i].current,
					 sizeof(frags[i].current), "%s", word);
			}
		}
	}
}

static char *read_cmdline(void)
{
	static char buf[4096];
	FILE *f = fopen(PROC_CMDLINE, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* Escape '$' for /etc/default/grub: sh turns \\\$ into \$, GRUB into $. */
static void grub_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		if (*in == '$') {
			memcpy(out + o, "\\\\\\$", 4);
			o += 4;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
}

/* What the GRUB fragment adds, as packaging/grub/fastboot.cfg works it out. */
struct grub_fragment {
	bool installed;		/* GRUB_FRAGMENT exists */
	char words[512];	/* as the kernel gets them; "" when none */
	char grub_cfg[512];	/* as written in grub.cfg ('$' escaped) */
	char why[384];		/* why nothing, or why no crashkernel= */
};

/* Only these bytes pass the fragment's checks: no shell or GRUB syntax. */
static bool only_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z') && !strchr(extra, *s))
			return false;
	return true;
}

static int grub_fragment(const char *config, struct grub_fragment *g)
{
	char region[256] = "", crash[256] = "";
	const char *at;
	int r;

	memset(g, 0, sizeof(*g));
	g->installed = access(GRUB_FRAGMENT, F_OK) == 0;
	r = fb_config_get(config, "FASTBOOT_REGION", region, sizeof(region));
	if (r < 0)
		return -1;
	if (fb_config_get(config, "FASTBOOT_CRASHKERNEL", crash, sizeof(crash)) < 0)
		return -1;
	at = strchr(region, '@');
	if (!region[0]) {
		snprintf(g->why, sizeof(g->why), "FASTBOOT_REGION is empty or unset in %s", config);
		return 0;
	}
	if (!at || at == region || !at[1] || strchr(at + 1, '@') ||
	    !only_chars(region, "@")) {
		snprintf(g->why, sizeof(g->why),
			 "FASTBOOT_REGION=%.200s in %s is not SIZE@ADDR", region, config);
		return 0;
	}
	snprintf(g->words, sizeof(g->words), "memmap=%.*s$%s fastboot.region=%s",
		 (int)(at - region), region, at + 1, region);
	snprintf(g->grub_cfg, sizeof(g->grub_cfg), "memmap=%.*s\\$%s fastboot.region=%s",
		 (int)(at - region), region, at + 1, region);
	if (crash[0] && !only_chars(crash, "@:,.+-")) {
		snprintf(g->why, sizeof(g->why),
			 "FASTBOOT_CRASHKERNEL=%.200s in %s has characters a size cannot have: no crashkernel=",
			 crash, config);
	} else if (crash[0]) {
		snprintf(g->words + strlen(g->words), sizeof(g->words) - strlen(g->words),
			 " crashkernel=%s", crash);
		snprintf(g->grub_cfg + strlen(g->grub_cfg),
			 sizeof(g->grub_cfg) - strlen(g->grub_cfg), " crashkernel=%s", crash);
	} else {
		snprintf(g->why, sizeof(g->why),
			 "FASTBOOT_CRASHKERNEL is empty in %s: no crashkernel=", config);
	}
	return 0;
}

int cmd_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "crashkernel", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *config = FB_DEFAULT_CONFIG, *region = NULL, *source = "--region";
	const char *crashkernel = DEFAULT_CRASHKERNEL, *cmdline;
	char conf_region[256], sz[32], grub_line[512] = "";
	struct frag frags[3] = {
		{ .key = "memmap",
		  .purpose = "reserve the region so the kernel never uses it" },
		{ .key = "fastboot.region",
		  .purpose = "where the module finds the store" },
		{ .key = "crashkernel", .any_value = true,
		  .purpose = "memory for the crash kernel (recovery after a panic)" },
	};
	struct grub_fragment gf;
	uint64_t size, addr;
	int c, i, missing = 0;

	optind = 0;	/* glibc: rescan with this option string */
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			region = optarg;
			break;
		case 'c':
			crashkernel = optarg;
			frags[2].any_value = false;
			if (!*optarg || optarg[strcspn(optarg, " \t\n")])
				return fb_usage_error("--crashkernel takes a value without blanks, e.g. 384M");
			break;
		case 'C':
			config = optarg;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			fb_help_exit("setup");
		default:
			return fb_usage_error("%s", SETUP_USAGE);
		}
	}
	if (optind != argc)
		return fb_usage_error("%s", SETUP_USAGE);

	if (region) {
		if (parse_range(region, '@', &size, &addr))
			return fb_usage_error("--region takes SIZE@ADDR, e.g. 256M@0x40000000");
	} else {
		int r = fb_config_get(config, "FASTBOOT_REGION", conf_region,
				   sizeof(conf_region));

		if (r < 0)
			return fb_error(config, "%s", strerror(errno));
		if (!r || !conf_region[0])
			return fb_error("setup",
					"no region: give --region SIZE@ADDR or set FASTBOOT_REGION in %s",
					config);
		region = conf_region;
		source = config;
		if (parse_range(region, '@', &size, &addr))
			return fb_error(config,
					"FASTBOOT_REGION=%s: expected SIZE@ADDR, e.g. 256M@0x40000000",
					region);
	}
	if (size % REGION_ALIGN || addr % REGION_ALIGN)
		return fb_error(region, "size and address must be multiples of 4 KiB");
	if (size < FB_MIN_REGION)
		return fb_error(region, "smaller than the minimum of %llu MiB",
				(unsigned long long)FB_MIN_REGION >> 20);
	if (addr + size < addr)
		return fb_error(region, "wraps around the address space");

	fmt_size(size, sz, sizeof(sz));
	snprintf(frags[0].value, sizeof(frags[0].value),
		 "memmap=%s$0x%" PRIx64, sz, addr);
	snprintf(frags[1].value, sizeof(frags[1].value),
		 "fastboot.region=%s@0x%" PRIx64, sz, addr);
	snprintf(frags[2].value, sizeof(frags[2].value), "crashkernel=%s",
		 crashkernel);
	for (i = 0; i < 3; i++)
		grub_escape(frags[i].value, frags[i].grub, sizeof(frags[i].grub));

	if (grub_fragment(config, &gf))
		return fb_error(config, "%s", strerror(errno));
	cmdline = read_cmdline();
	if (!cmdline)
		fprintf(stderr, "fastboot: %s: %s; cannot tell which fragments are present\n",
			PROC_CMDLINE, strerror(errno));
	check_cmdline(frags, 3, cmdline, size, addr);
	for (i = 0; i < 3; i++) {
		if (frags[i].state == FRAG_PRESENT)
			continue;
		missing++;
		snprintf(grub_line + strlen(grub_line),
			 sizeof(grub_line) - strlen(grub_line), "%s%s",
			 grub_line[0] ? " " : "", frags[i].grub);
	}

	if (opt_json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "region", '{');
		json_u64(&j, "start", addr);
		json_u64(&j, "size_bytes", size);
		json_str(&j, "source", source);
		json_close(&j, '}');
		json_open(&j, "fragments", '[');
		for (i = 0; i < 3; i++) {
			json_open(&j, NULL, '{');
			json_str(&j, "key", frags[i].key);
			json_str(&j, "value", frags[i].value);
			json_str(&j, "grub", frags[i].grub);
			json_str(&j, "state", state_names[frags[i].state]);
			if (frags[i].current[0])
				json_str(&j, "current", frags[i].current);
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_str(&j, "grub_append", grub_line);
		json_open(&j, "grub_fragment", '{');
		json_str(&j, "path", GRUB_FRAGMENT);
		json_bool(&j, "installed", gf.installed);
		json_str(&j, "config", config);
		json_str(&j, "words", gf.words);
		json_str(&j, "grub_cfg", gf.grub_cfg);
		if (gf.why[0])
			json_str(&j, "why", gf.why);
		json_close(&j, '}');
		json_close(&j, '}');
		json_end(&j);
		return EXIT_OK;
	}

	printf("Region %s@0x%" PRIx64 " (from %s).\n\n", sz, addr, source);
	printf("Kernel command line (%s):\n", cmdline ?
	       "state as in " PROC_CMDLINE : PROC_CMDLINE " unreadable");
	for (i = 0; i < 3; i++) {
		printf("  %-34s %-9s %s\n", frags[i].value,
		       state_names[frags[i].state], frags[i].purpose);
		if (frags[i].current[0])
			printf("    (the running kernel has %s; replace it)\n",
			       frags[i].current);
	}
	if (!missing) {
		printf("\nThe running kernel has all of them; nothing to do.\n");
	} else if (gf.installed && gf.words[0]) {
		printf("\nupdate-grub adds fragments through %s (below):\n"
		       "run 'update-grub' and reboot.  Without that file, append %s to\n"
		       "GRUB_CMDLINE_LINUX in /etc/default/grub (GRUB expands '$' there):\n\n"
		       "  GRUB_CMDLINE_LINUX=\"<existing options> %s\"\n",
		       GRUB_FRAGMENT, missing < 3 ? "what the running kernel lacks" : "them",
		       grub_line);
	} else {
		printf("\nWarning: GRUB expands '$' in /etc/default/grub, so memmap= is written\n"
		       "there as memmap=%s\\\\\\$0x%" PRIx64 ".  Append %s to\n"
		       "GRUB_CMDLINE_LINUX in /etc/default/grub:\n\n"
		       "  GRUB_CMDLINE_LINUX=\"<existing options> %s\"\n\n"
		       "then run 'update-grub' and reboot.  Elsewhere (kexec --append, other boot\n"
		       "loaders) write the fragments unescaped, as listed above.\n",
		       sz, addr, missing < 3 ? "what the running kernel lacks" : "them",
		       grub_line);
	}
	printf("\nGRUB fragment %s (%s), from %s:\n",
	       GRUB_FRAGMENT, gf.installed ? "installed" : "not installed", config);
	if (gf.words[0])
		printf("  update-grub appends to GRUB_CMDLINE_LINUX: %s\n"
		       "  (in grub.cfg: %s)\n", gf.words, gf.grub_cfg);
	else
		printf("  update-grub adds nothing\n");
	if (gf.why[0])
		printf("  (%s)\n", gf.why);
	return EXIT_OK;
}
