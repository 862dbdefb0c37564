/*
 * The netstack's settings under the names Linux gives them in
 * /proc/sys/net, read and written as text the way Linux's sysctl handlers
 * (proc_dointvec) do: integers separated by blanks, each checked against
 * its range (EINVAL); a vector's missing tail is left as it was, and what
 * follows the last value after a blank is ignored ("1 junk" sets 1), but
 * a number must end at a blank ("1x" is EINVAL); 0x10 and 010 are read as
 * in C. One table per stack.
 * The sentry serves these files to its sandbox (sentry/vfs/procfs.c), so
 * `sysctl -w` inside a sandbox changes that sandbox's stack and nothing
 * on the host.
 *
 * Every entry acts on the stack, except those marked "kept": their value
 * is stored and read back (programs and tests set them), but the stack has
 * no behaviour they change. Ranges are Linux's unless a comment says why.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6_priv.h"
#include "stack_priv.h"
#include "tcp/tcp_priv.h"

struct sysctl_ent {
	const char *name; /* under /proc/sys/net */
	int n;		  /* integers in the value; 0: a string */
	long min, max;	  /* of each integer */
	void (*get)(struct ns_stack *st, long v[3]);
	void (*set)(struct ns_stack *st, const long v[3]); /* NULL: read-only */
};

#define TS(st) ((st)->tcp)

/* One integer field of struct tcp_state: get/set pairs. */
#define TCP_INT(field, type)                                            \
	static void get_##field(struct ns_stack *st, long v[3])         \
	{                                                               \
		v[0] = (long)TS(st)->field;                             \
	}                                                               \
	static void set_##field(struct ns_stack *st, const long v[3])   \
	{                                                               \
		TS(st)->field = (type)v[0];                             \
	}
TCP_INT(sack, uint8_t)
TCP_INT(timestamps, uint8_t)
TCP_INT(window_scaling, uint8_t)
TCP_INT(syncookies, uint8_t)
TCP_INT(ecn, uint8_t)
TCP_INT(keepidle_s, uint32_t)
TCP_INT(keepintvl_s, uint32_t)
TCP_INT(keepcnt, uint32_t)
TCP_INT(somaxconn, uint32_t)
TCP_INT(tso_win_divisor, uint32_t)
TCP_INT(notsent_lowat, uint32_t)
TCP_INT(fastopen, int)
TCP_INT(rto_min_us, int)
TCP_INT(rto_max_ms, int)
TCP_INT(thin_lto, uint8_t)

static void get_fin_timeout(struct ns_stack *st, long v[3])
{
	v[0] = (long)(TS(st)->fin_timeout / NS_SEC);
}

static void set_fin_timeout(struct ns_stack *st, const long v[3])
{
	TS(st)->fin_timeout = (ns_time_t)v[0] * NS_SEC;
}

static void get_rmem(struct ns_stack *st, long v[3])
{
	v[0] = TS(st)->rmem_min, v[1] = TS(st)->rmem_def, v[2] = TS(st)->rmem_max;
}

static void set_rmem(struct ns_stack *st, const long v[3])
{
	TS(st)->rmem_min = (int)v[0], TS(st)->rmem_def = (int)v[1], TS(st)->rmem_max = (int)v[2];
}

static void get_wmem(struct ns_stack *st, long v[3])
{
	v[0] = TS(st)->wmem_min, v[1] = TS(st)->wmem_def, v[2] = TS(st)->wmem_max;
}

static void set_wmem(struct ns_stack *st, const long v[3])
{
	TS(st)->wmem_min = (int)v[0], TS(st)->wmem_def = (int)v[1], TS(st)->wmem_max = (int)v[2];
}

static void get_ports(struct ns_stack *st, long v[3])
{
	v[0] = st->eph_low, v[1] = st->eph_high;
}

static void set_ports(struct ns_stack *st, const long v[3])
{
	st->eph_low = (uint16_t)v[0], st->eph_high = (uint16_t)v[1];
}

#define CORE_INT(field)                                                 \
	static void get_##field(struct ns_stack *st, long v[3])         \
	{                                                               \
		v[0] = st->field;                                       \
	}                                                               \
	static void set_##field(struct ns_stack *st, const long v[3])   \
	{                                                               \
		st->field = (int)v[0];                                  \
	}
CORE_INT(core_rmem_def)
CORE_INT(core_wmem_def)
CORE_INT(core_rmem_max)
CORE_INT(core_wmem_max)
CORE_INT(bindv6only)

/* Buffer sizes: net.core's are at least Linux's SOCK_MIN_RCVBUF and
 * SOCK_MIN_SNDBUF (2304, 4608); tcp_rmem and tcp_wmem take any positive
 * value and are clamped where the stack uses them (tcp_sock_alloc), as in
 * Linux. Their first values (the floors under memory pressure) are kept. */
static const struct sysctl_ent table[] = {
	{ "core/rmem_default", 1, 2304, INT_MAX, get_core_rmem_def, set_core_rmem_def },
	{ "core/rmem_max", 1, 2304, INT_MAX, get_core_rmem_max, set_core_rmem_max },
	{ "core/somaxconn", 1, 0, INT_MAX, get_somaxconn, set_somaxconn },
	{ "core/wmem_default", 1, 4608, INT_MAX, get_core_wmem_def, set_core_wmem_def },
	{ "core/wmem_max", 1, 4608, INT_MAX, get_core_wmem_max, set_core_wmem_max },
	{ "ipv4/ip_local_port_range", 2, 1, 65535, get_ports, set_ports },
	{ "ipv4/tcp_allowed_congestion_control", 0, 0, 0, NULL, NULL },
	{ "ipv4/tcp_available_congestion_control", 0, 0, 0, NULL, NULL },
	{ "ipv4/tcp_congestion_control", 0, 0, 0, NULL, NULL },
	{ "ipv4/tcp_ecn", 1, 0, 2, get_ecn, set_ecn },
	/* (kept; bit 0 allows TCP_FASTOPEN_CONNECT and MSG_FASTOPEN) */
	{ "ipv4/tcp_fastopen", 1, INT_MIN, INT_MAX, get_fastopen, set_fastopen },
	{ "ipv4/tcp_fin_timeout", 1, 0, INT_MAX / 1000, get_fin_timeout, set_fin_timeout },
	/* (Linux takes 0 too; here 0 would mean "the default" per socket) */
	{ "ipv4/tcp_keepalive_intvl", 1, 1, 32767, get_keepintvl_s, set_keepintvl_s },
	{ "ipv4/tcp_keepalive_probes", 1, 1, 127, get_keepcnt, set_keepcnt },
	{ "ipv4/tcp_keepalive_time", 1, 1, 32767, get_keepidle_s, set_keepidle_s },
	{ "ipv4/tcp_notsent_lowat", 1, 0, UINT_MAX, get_notsent_lowat, set_notsent_lowat },
	{ "ipv4/tcp_rmem", 3, 1, INT_MAX, get_rmem, set_rmem },
	/* (a new socket's TCP_RTO_MIN_US and TCP_RTO_MAX_MS) */
	{ "ipv4/tcp_rto_max_ms", 1, 1000, 120000, get_rto_max_ms, set_rto_max_ms },
	{ "ipv4/tcp_rto_min_us", 1, 1, INT_MAX, get_rto_min_us, set_rto_min_us },
	{ "ipv4/tcp_sack", 1, 0, 255, get_sack, set_sack },
	{ "ipv4/tcp_syncookies", 1, 0, 2, get_syncookies, set_syncookies },
	{ "ipv4/tcp_thin_linear_timeouts", 1, 0, 255, get_thin_lto, set_thin_lto },
	{ "ipv4/tcp_timestamps", 1, 0, 2, get_timestamps, set_timestamps },
	/* kept: the stack sends what the window allows at once */
	{ "ipv4/tcp_tso_win_divisor", 1, 0, 255, get_tso_win_divisor, set_tso_win_divisor },
	{ "ipv4/tcp_window_scaling", 1, 0, 255, get_window_scaling, set_window_scaling },
	{ "ipv4/tcp_wmem", 3, 1, INT_MAX, get_wmem, set_wmem },
	{ "ipv6/bindv6only", 1, 0, 255, get_bindv6only, set_bindv6only },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/*
 * net.ipv6.conf.IF.KEY, named "ipv6/conf/IF/KEY": IF is "all", "default"
 * or an interface's name. An interface's mtu is its IPv6 LinkMTU (from
 * IPV6_MIN_MTU to the link's MTU, as Linux bounds it by the device's);
 * all's and default's are only stored, as on Linux (the default of new
 * interfaces is the link's MTU there, too).
 */
struct conf_ent {
	const char *name;
	long min, max;
	size_t off; /* in struct ip6_conf */
};

static const struct conf_ent conf_table[] = {
	{ "accept_dad", INT_MIN, INT_MAX, offsetof(struct ip6_conf, accept_dad) },
	{ "accept_ra", INT_MIN, INT_MAX, offsetof(struct ip6_conf, accept_ra) },
	{ "autoconf", INT_MIN, INT_MAX, offsetof(struct ip6_conf, autoconf) },
	{ "dad_transmits", INT_MIN, INT_MAX, offsetof(struct ip6_conf, dad_transmits) },
	{ "disable_ipv6", INT_MIN, INT_MAX, offsetof(struct ip6_conf, disable_ipv6) },
	{ "hop_limit", 1, 255, offsetof(struct ip6_conf, hop_limit) },
	{ "mtu", IP6_MIN_MTU, INT_MAX, offsetof(struct ip6_conf, mtu) },
};
#define NCONF (sizeof(conf_table) / sizeof(conf_table[0]))

const char *ns_sysctl_conf_key(unsigned idx)
{
	return idx < NCONF ? conf_table[idx].name : NULL;
}

/* The conf entry of an "ipv6/conf/IF/KEY" name, its struct ip6_conf in
 * *conf and the interface (NULL for all and default) in *nic; NULL when
 * there is no such name. */
static const struct conf_ent *conf_find(struct ns_stack *st, const char *name,
					struct ip6_conf **conf, struct ns_nic **nic)
{
	static const char pre[] = "ipv6/conf/";
	if (strncmp(name, pre, sizeof(pre) - 1))
		return NULL;
	const char *ifn = name + sizeof(pre) - 1, *key = strchr(ifn, '/');
	if (!key)
		return NULL;
	size_t iflen = (size_t)(key++ - ifn);
	const struct conf_ent *e = NULL;
	for (size_t i = 0; i < NCONF; i++)
		if (!strcmp(conf_table[i].name, key))
			e = &conf_table[i];
	if (!e)
		return NULL;
	*nic = NULL;
	if (iflen == 3 && !strncmp(ifn, "all", 3)) {
		*conf = &st->ip6->conf_all;
		return e;
	}
	if (iflen == 7 && !strncmp(ifn, "default", 7)) {
		*conf = &st->ip6->conf_dflt;
		return e;
	}
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_nic *n = st->nics[i];
		if (ip6n(n) && strlen(n->name) == iflen && !strncmp(n->name, ifn, iflen)) {
			*conf = &ip6n(n)->conf;
			*nic = n;
			return e;
		}
	}
	return NULL;
}

static long conf_get(const struct conf_ent *e, const struct ip6_conf *conf, const struct ns_nic *nic)
{
	if (nic && e->off == offsetof(struct ip6_conf, mtu))
		return (long)ip6n(nic)->mtu;
	return *(const int *)((const char *)conf + e->off);
}

static void conf_set(struct ns_stack *st, const struct conf_ent *e, struct ip6_conf *conf,
		     struct ns_nic *nic, long v)
{
	if (e->off == offsetof(struct ip6_conf, disable_ipv6)) {
		/* Linux: all's value goes to default and to every interface */
		if (nic) {
			ip6_nic_disable(nic, (int)v);
			return;
		}
		conf->disable_ipv6 = (int)v;
		if (conf != &st->ip6->conf_all)
			return;
		st->ip6->conf_dflt.disable_ipv6 = (int)v;
		for (int i = 1; i <= st->nnics; i++)
			if (ip6n(st->nics[i]))
				ip6_nic_disable(st->nics[i], (int)v);
		return;
	}
	if (nic && e->off == offsetof(struct ip6_conf, mtu))
		ip6n(nic)->mtu = (uint32_t)v;
	else
		*(int *)((char *)conf + e->off) = (int)v;
}

static const struct sysctl_ent *find(const char *name)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const char *ns_sysctl_name(unsigned idx)
{
	return idx < NTABLE ? table[idx].name : NULL;
}

int ns_sysctl_writable(struct ns_stack *st, const char *name)
{
	struct ip6_conf *conf;
	struct ns_nic *nic;
	if (conf_find(st, name, &conf, &nic))
		return 1;
	const struct sysctl_ent *e = find(name);
	if (!e)
		return -ENOENT;
	return e->set != NULL || !strcmp(name, "ipv4/tcp_congestion_control");
}

int ns_sysctl_read(struct ns_stack *st, const char *name, char *buf, size_t len)
{
	struct ip6_conf *conf;
	struct ns_nic *nic;
	const struct conf_ent *ce = conf_find(st, name, &conf, &nic);
	const struct sysctl_ent *e = find(name);
	if (!ce && !e)
		return -ENOENT;
	int n;
	if (ce)
		n = snprintf(buf, len, "%ld\n", conf_get(ce, conf, nic));
	else if (!strcmp(name, "ipv4/tcp_congestion_control"))
		n = snprintf(buf, len, "%s\n", TS(st)->default_cc->name);
	else if (e->n == 0)
		n = snprintf(buf, len, "reno cubic\n"); /* both lists: what tcp_cc_find knows */
	else {
		long v[3] = { 0, 0, 0 };
		e->get(st, v);
		if (e->n == 1)
			n = snprintf(buf, len, "%ld\n", v[0]);
		else if (e->n == 2)
			n = snprintf(buf, len, "%ld\t%ld\n", v[0], v[1]);
		else
			n = snprintf(buf, len, "%ld\t%ld\t%ld\n", v[0], v[1], v[2]);
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Up to n integers of s (len bytes) into v (what is not given is left
 * alone), each in [min, max]: how many, or -EINVAL. As Linux's
 * proc_get_long: an optional '-', then a C number (0x10 is 16, 010 is 8),
 * which a blank or the end of the write must follow (a NUL is neither).
 * *taken: the bytes up to the blanks after the last (what Linux's
 * proc_dointvec says a write took). */
static int parse_ints(const char *s, size_t len, int n, long min, long max, long v[3],
		      size_t *taken)
{
	const char *p = s, *lim = s + len;
	int got = 0;
	while (got < n) {
		while (p < lim && isspace((unsigned char)*p)) /* (\v, \f and \r too) */
			p++;
		if (p == lim)
			break;
		if (*p != '-' && (*p < '0' || *p > '9'))
			return -EINVAL;
		char *end;
		errno = 0;
		long x = strtol(p, &end, 0);
		if (end == p || errno || x < min || x > max || (end < lim && !is_blank(*end)))
			return -EINVAL;
		v[got++] = x;
		p = end;
	}
	while (p < lim && isspace((unsigned char)*p))
		p++;
	*taken = (size_t)(p - s);
	return got ? got : -EINVAL;
}

int ns_sysctl_write(struct ns_stack *st, const char *name, const char *text, size_t len)
{
	struct ip6_conf *conf;
	struct ns_nic *nic;
	const struct conf_ent *ce = conf_find(st, name, &conf, &nic);
	const struct sysctl_ent *e = find(name);
	if (!ce && !e)
		return -ENOENT;
	char s[128];
	if (!len)
		return 0; /* (Linux: nothing written, nothing changed) */
	if (len >= sizeof(s))
		return -EINVAL;
	memcpy(s, text, len);
	s[len] = 0;
	long v[3];
	size_t taken;
	if (ce) {
		/* an interface's mtu: up to its link's */
		long max = nic && ce->off == offsetof(struct ip6_conf, mtu) ? (long)nic->mtu : ce->max;
		if (parse_ints(s, len, 1, ce->min, max, v, &taken) < 0)
			return -EINVAL;
		conf_set(st, ce, conf, nic, v[0]);
		return (int)taken; /* (proc_dointvec's count; what follows is left) */
	}
	if (!strcmp(name, "ipv4/tcp_congestion_control")) {
		/* Linux: the name up to the first newline; unknown: ENOENT */
		s[strcspn(s, "\n")] = 0;
		const struct tcp_cc_ops *cc = tcp_cc_find(s);
		if (!cc)
			return -ENOENT;
		TS(st)->default_cc = cc;
		return (int)len;
	}
	if (!e->set)
		return -EPERM;
	e->get(st, v);
	if (parse_ints(s, len, e->n, e->min, e->max, v, &taken) < 0)
		return -EINVAL;
	/* Linux: a port range whose low end is above its high end */
	if (e->set == set_ports && v[0] > v[1])
		return -EINVAL;
	e->set(st, v);
	return (int)len;
}
