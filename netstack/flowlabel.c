/*
 * IPv6 flow label leases: ipv6(7)'s IPV6_FLOWLABEL_MGR (RFC 6437 2: a
 * source chooses its labels; Linux lets sockets lease them), as Linux's
 * flow label manager keeps them.
 *
 * A lease is one label of the stack (the network namespace), with a way
 * of sharing it (struct in6_flowlabel_req's flr_share: IPV6_FL_S_EXCL,
 * by thread, by effective user, or ANY), the destination it was asked
 * for, and how long it lives: it stays at least `linger` seconds after its
 * last use and until `expires`. Sockets hold references to leases (a list
 * each: IPV6_FL_A_GET adds, IPV6_FL_A_PUT and close drop); a lease nobody
 * holds stays, lingering, until both times passed (Linux's garbage
 * collection; here checked lazily, at each look into the table).
 *
 * What a lease does: once a lease shared exclusively (EXCL, by thread,
 * by user) has been asked for in the stack, a label a socket sends
 * (sin6_flowinfo with IPV6_FLOWINFO_SEND, a connect's, an IPV6_FLOWINFO
 * control message) must be one it holds, else the call fails with
 * EINVAL (Linux's fl6_sock_lookup); only while such leases exist (Linux:
 * a global static key, dropped a second after the last one went).
 */
#include "stack_priv.h"

#include <stdlib.h>
#include <string.h>

/* linux/in6.h's struct in6_flowlabel_req (32 bytes) and its constants:
 * that header does not mix with glibc's netinet/in.h */
#define FLR_DST 0
#define FLR_LABEL 16   /* network order */
#define FLR_ACTION 20
#define FLR_SHARE 21
#define FLR_FLAGS 22
#define FLR_EXPIRES 24
#define FLR_LINGER 26
#define FLR_SIZE 32
enum { FL_A_GET = 0, FL_A_PUT = 1, FL_A_RENEW = 2 };
enum { FL_F_CREATE = 1, FL_F_EXCL = 2, FL_F_REFLECT = 4, FL_F_REMOTE = 8 };
enum { FL_S_NONE = 0, FL_S_EXCL = 1, FL_S_PROCESS = 2, FL_S_USER = 3, FL_S_ANY = 255 };

#define FL_MIN_LINGER 6	  /* seconds: shorter asks get this */
#define FL_MAX_LINGER 150 /* seconds: longer ones need CAP_NET_ADMIN */
#define FL_MAX_PER_SOCK 32
#define FL_MAX_SIZE 4096

struct ns_fl {
	struct ns_fl *next;
	uint32_t label; /* 20 bits, not 0 */
	uint8_t share;	/* FL_S_* */
	int owner_tid;	/* FL_S_PROCESS's */
	uint32_t owner_euid; /* FL_S_USER's */
	uint8_t dst[16];
	int users; /* sockets' references */
	ns_time_t linger, expires, lastuse;
	/* Hop-by-Hop and routing-header Destination Options headers asked
	 * with it (the request's control messages), NULL none */
	struct ns_ip6_sticky *opt;
};

struct ns_fl_ref {
	struct ns_fl_ref *next;
	struct ns_fl *fl;
};

/* Does a lease make the labels of others refused (Linux's
 * fl_shared_exclusive, or options of its own)? */
static int fl_exclusive(const struct ns_fl *fl)
{
	return fl->share == FL_S_EXCL || fl->share == FL_S_PROCESS || fl->share == FL_S_USER || fl->opt;
}

/* An exclusive lease more or fewer; the check stays a second after the
 * last one went (Linux defers dropping its static key by HZ). */
static void excl_inc(struct ns_stack *st)
{
	st->fl_excl++;
	st->fl_has_excl = 1;
}

static void excl_dec(struct ns_stack *st)
{
	if (--st->fl_excl == 0)
		st->fl_excl_until = st_now(st) + NS_SEC;
}

static void fl_free(struct ns_stack *st, struct ns_fl *fl)
{
	if (fl_exclusive(fl))
		excl_dec(st);
	ns_ip6_ext_free(fl->opt);
	free(fl);
}

/* Leases nobody holds whose time passed go (Linux's ip6_fl_gc). */
static void fl_gc(struct ns_stack *st)
{
	ns_time_t now = st_now(st);
	for (struct ns_fl **pp = &st->fl_leases; *pp;) {
		struct ns_fl *fl = *pp;
		if (fl->users == 0 && fl->lastuse + fl->linger > fl->expires)
			fl->expires = fl->lastuse + fl->linger;
		if (fl->users == 0 && now >= fl->expires) {
			*pp = fl->next;
			st->fl_count--;
			fl_free(st, fl);
			continue;
		}
		pp = &fl->next;
	}
}

static struct ns_fl *fl_lookup(struct ns_stack *st, uint32_t label)
{
	for (struct ns_fl *fl = st->fl_leases; fl; fl = fl->next)
		if (fl->label == label)
			return fl;
	return NULL;
}

static void fl_release(struct ns_stack *st, struct ns_fl *fl)
{
	fl->lastuse = st_now(st);
	if (--fl->users == 0 && fl->lastuse + fl->linger > fl->expires)
		fl->expires = fl->lastuse + fl->linger;
}

/* A linger or expiry asked for, in seconds: at least FL_MIN_LINGER; past
 * FL_MAX_LINGER only with CAP_NET_ADMIN (0: refused). */
static ns_time_t check_linger(const struct ns_socket *s, unsigned secs)
{
	if (secs < FL_MIN_LINGER)
		return FL_MIN_LINGER * NS_SEC;
	if (secs > FL_MAX_LINGER && !s->caller.net_admin)
		return 0;
	return secs * NS_SEC;
}

/* Linux's fl6_renew: the linger only grows, and the lease lives at least
 * `expires` (and its linger) from now. */
static int fl_renew(struct ns_socket *s, struct ns_fl *fl, unsigned linger_s, unsigned expires_s)
{
	ns_time_t linger = check_linger(s, linger_s), expires = check_linger(s, expires_s);
	if (!linger || !expires)
		return -EPERM;
	fl->lastuse = st_now(s->stack);
	if (fl->linger < linger)
		fl->linger = linger;
	if (expires < fl->linger)
		expires = fl->linger;
	if (fl->expires < fl->lastuse + expires)
		fl->expires = fl->lastuse + expires;
	return 0;
}

/* The socket's reference to a lease of this label, NULL none. */
static struct ns_fl_ref **sock_ref(struct ns_socket *s, uint32_t label)
{
	for (struct ns_fl_ref **pp = &s->fl_refs; *pp; pp = &(*pp)->next)
		if ((*pp)->fl->label == label)
			return pp;
	return NULL;
}

static int sock_link(struct ns_socket *s, struct ns_fl *fl)
{
	struct ns_fl_ref *r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fl = fl;
	r->next = s->fl_refs;
	s->fl_refs = r;
	return 0;
}

void ns_fl_sock_release(struct ns_socket *s)
{
	while (s->fl_refs) {
		struct ns_fl_ref *r = s->fl_refs;
		s->fl_refs = r->next;
		fl_release(s->stack, r->fl);
		free(r);
	}
}

void ns_fl_fini(struct ns_stack *st)
{
	while (st->fl_leases) {
		struct ns_fl *fl = st->fl_leases;
		st->fl_leases = fl->next;
		ns_ip6_ext_free(fl->opt);
		free(fl);
	}
	st->fl_count = 0;
}

int ns_fl_check(struct ns_socket *s, uint32_t label)
{
	struct ns_stack *st = s->stack;
	label &= 0xfffff;
	if (!label || !st->fl_has_excl)
		return 0;
	fl_gc(st);
	if (!st->fl_excl && st_now(st) >= st->fl_excl_until)
		return 0;
	struct ns_fl_ref **r = sock_ref(s, label);
	if (!r)
		return -EINVAL;
	(*r)->fl->lastuse = st_now(st);
	return 1;
}

int ns_fl_merge(struct ns_socket *s, uint32_t label, struct ns_ip6_sticky **ext)
{
	struct ns_fl_ref **r = sock_ref(s, label & 0xfffff);
	const struct ns_ip6_sticky *fo = r ? (*r)->fl->opt : NULL;
	const struct ns_ip6_sticky *own = *ext ? *ext : s->sticky6;
	struct ns_ip6_sticky *k =
		ns_ip6_ext_build(fo ? fo->hop : NULL, fo ? fo->dst0 : NULL, own ? own->dst1 : NULL);
	if (!k)
		return -ENOMEM;
	ns_ip6_ext_free(*ext);
	*ext = k;
	return 0;
}

/* Linux's mem_check: a socket without CAP_NET_ADMIN gets no more leases
 * once the table fills (ENOBUFS). */
static int mem_check(const struct ns_socket *s)
{
	int room = FL_MAX_SIZE - (int)s->stack->fl_count, count = 0;
	if (room > FL_MAX_SIZE - FL_MAX_PER_SOCK)
		return 0;
	for (const struct ns_fl_ref *r = s->fl_refs; r; r = r->next)
		count++;
	if (room <= 0 || ((count >= FL_MAX_PER_SOCK || (count > 0 && room < FL_MAX_SIZE / 2) ||
			   room < FL_MAX_SIZE / 4) &&
			  !s->caller.net_admin))
		return -ENOBUFS;
	return 0;
}

/*
 * A new lease from a request (Linux's fl_create), checked in Linux's
 * order: the options after the request (control messages: a Hop-by-Hop
 * or routing-header Destination Options header; a Destination Options
 * header is EINVAL), the linger and expiry (EPERM), the destination (not
 * ::, not v4-mapped: EINVAL), the way of sharing (EINVAL). An exclusive
 * one turns the check of sent labels on, even if the request then fails.
 */
static int fl_create(struct ns_socket *s, const uint8_t *q, socklen_t len, struct ns_fl **out)
{
	struct ns_fl *fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	int r = 0;
	if (len > FLR_SIZE + 64 * 1024) {
		free(fl);
		return -EINVAL;
	}
	if (len > FLR_SIZE) {
		struct ns_txopt o = NS_TXOPT_NONE;
		struct ns_ip src = ns_ip_any(AF_INET6);
		int oif = 0;
		r = ns_ip6_cmsg_bytes(s, q + FLR_SIZE, len - FLR_SIZE, &o, &src, &oif);
		if (!r && o.ext && o.ext->dst1)
			r = -EINVAL;
		if (r < 0) {
			ns_ip6_ext_free(o.ext);
			free(fl);
			return r;
		}
		fl->opt = o.ext;
	}
	uint16_t linger, expires;
	memcpy(&linger, q + FLR_LINGER, 2);
	memcpy(&expires, q + FLR_EXPIRES, 2);
	fl->expires = st_now(s->stack);
	if ((r = fl_renew(s, fl, linger, expires)) < 0)
		goto fail;
	fl->share = q[FLR_SHARE];
	memcpy(fl->dst, q + FLR_DST, 16);
	static const uint8_t any[16];
	if (!memcmp(fl->dst, any, 16) || ns_ip6_is_v4mapped(fl->dst)) {
		r = -EINVAL;
		goto fail;
	}
	fl->users = 1;
	switch (fl->share) {
	case FL_S_EXCL:
	case FL_S_ANY:
		break;
	case FL_S_PROCESS:
		fl->owner_tid = s->caller.tid;
		break;
	case FL_S_USER:
		fl->owner_euid = s->caller.euid;
		break;
	default:
		r = -EINVAL;
		goto fail;
	}
	if (fl_exclusive(fl))
		excl_inc(s->stack);
	*out = fl;
	return 0;
fail:
	ns_ip6_ext_free(fl->opt);
	free(fl);
	return r;
}

/* Take a reference to an existing lease fl1 for the request's new one fl
 * (freed here): refused with EEXIST under IPV6_FL_F_EXCL, EPERM when
 * either is exclusive or they share differently (another thread, another
 * user); else fl1 keeps the longer linger and expiry. */
static int fl_join(struct ns_socket *s, struct ns_fl *fl1, struct ns_fl *fl, int flags)
{
	struct ns_stack *st = s->stack;
	int r = 0;
	if (flags & FL_F_EXCL)
		r = -EEXIST;
	else if (fl1->share == FL_S_EXCL || fl1->share != fl->share ||
		 (fl1->share == FL_S_PROCESS && fl1->owner_tid != fl->owner_tid) ||
		 (fl1->share == FL_S_USER && fl1->owner_euid != fl->owner_euid))
		r = -EPERM;
	else if ((r = sock_link(s, fl1)) == 0) {
		fl1->users++;
		if (fl->linger > fl1->linger)
			fl1->linger = fl->linger;
		if (fl->expires > fl1->expires)
			fl1->expires = fl->expires;
	}
	fl_free(st, fl);
	return r;
}

/* IPV6_FL_A_GET (Linux's ipv6_flowlabel_get). q is the caller's request,
 * whose label takes the one chosen for a request of label 0. */
static int fl_get(struct ns_socket *s, uint8_t *q, socklen_t len)
{
	struct ns_stack *st = s->stack;
	uint16_t flags;
	uint32_t label;
	memcpy(&flags, q + FLR_FLAGS, 2);
	memcpy(&label, q + FLR_LABEL, 4);
	label = ntohl(label);
	/* A TCP socket reflecting its peer's label: Linux refuses it while
	 * net.ipv6.flowlabel_consistency is 1, its default and the only
	 * setting here. */
	if (flags & FL_F_REFLECT)
		return -EPERM;
	if (label & ~0xfffffu)
		return -EINVAL;
	/* (net.ipv6.flowlabel_state_ranges is 0 here, as Linux's default:
	 * no label is ERANGE) */
	fl_gc(st);
	struct ns_fl *fl;
	int r = fl_create(s, q, len, &fl);
	if (r < 0)
		return r;
	if (label) {
		struct ns_fl_ref **own = sock_ref(s, label);
		if (own && (flags & FL_F_EXCL)) {
			fl_free(st, fl);
			return -EEXIST;
		}
		struct ns_fl *fl1 = own ? (*own)->fl : fl_lookup(st, label);
		if (fl1 && fl1->users > 0)
			return fl_join(s, fl1, fl, flags);
	}
	if (!(flags & FL_F_CREATE)) {
		fl_free(st, fl);
		return -ENOENT;
	}
	if ((r = mem_check(s)) < 0) {
		fl_free(st, fl);
		return r;
	}
	if (label) {
		/* a lease nobody holds, lingering: taken again as it is */
		struct ns_fl *fl1 = fl_lookup(st, label);
		if (fl1)
			return fl_join(s, fl1, fl, flags);
	} else {
		do
			label = ns_random32(st) & 0xfffff;
		while (!label || fl_lookup(st, label));
		uint32_t be = htonl(label);
		memcpy(q + FLR_LABEL, &be, 4);
	}
	fl->label = label;
	fl->lastuse = st_now(st);
	if ((r = sock_link(s, fl)) < 0) {
		fl_free(st, fl);
		return r;
	}
	fl->next = st->fl_leases;
	st->fl_leases = fl;
	st->fl_count++;
	return 0;
}

int ns_fl_setsockopt(struct ns_socket *s, void *v, socklen_t len)
{
	if (len < FLR_SIZE)
		return -EINVAL;
	if (!v)
		return -EFAULT;
	uint8_t *q = v;
	uint16_t flags;
	uint32_t label;
	memcpy(&flags, q + FLR_FLAGS, 2);
	memcpy(&label, q + FLR_LABEL, 4);
	label = ntohl(label);
	switch (q[FLR_ACTION]) {
	case FL_A_PUT: {
		if (flags & FL_F_REFLECT) /* (never on: see fl_get) */
			return s->type == SOCK_STREAM ? -ESRCH : -ENOPROTOOPT;
		struct ns_fl_ref **pp = sock_ref(s, label);
		if (!pp)
			return -ESRCH;
		struct ns_fl_ref *r = *pp;
		if (label == (s->flow_label6 & 0xfffff))
			s->flow_label6 &= ~0xfffffu; /* (the connected label goes too) */
		*pp = r->next;
		fl_release(s->stack, r->fl);
		free(r);
		return 0;
	}
	case FL_A_RENEW: {
		uint16_t linger, expires;
		memcpy(&linger, q + FLR_LINGER, 2);
		memcpy(&expires, q + FLR_EXPIRES, 2);
		struct ns_fl_ref **pp = sock_ref(s, label);
		if (pp)
			return fl_renew(s, (*pp)->fl, linger, expires);
		/* another's lease: with CAP_NET_ADMIN, asked as IPV6_FL_S_NONE */
		fl_gc(s->stack);
		struct ns_fl *fl = fl_lookup(s->stack, label);
		if (q[FLR_SHARE] == FL_S_NONE && s->caller.net_admin && fl && fl->users > 0)
			return fl_renew(s, fl, linger, expires);
		return -ESRCH;
	}
	case FL_A_GET:
		return fl_get(s, q, len);
	default:
		return -EINVAL;
	}
}

int ns_fl_getsockopt(struct ns_socket *s, void *v, socklen_t *len)
{
	if (*len < FLR_SIZE)
		return -EINVAL;
	if (!v)
		return -EFAULT;
	uint8_t *q = v;
	uint16_t flags;
	memcpy(&flags, q + FLR_FLAGS, 2);
	if (q[FLR_ACTION] != FL_A_GET)
		return -EINVAL;
	uint8_t a[FLR_SIZE];
	memset(a, 0, sizeof(a));
	if (flags & FL_F_REMOTE) {
		/* the label of the last segment kept (TCP; 0 on UDP) */
		uint32_t be = htonl(s->rcv_flowinfo6 & 0xfffff);
		memcpy(a + FLR_LABEL, &be, 4);
	} else {
		/* the lease of the label the socket sends (its connect's) */
		fl_gc(s->stack);
		struct ns_fl_ref **pp = sock_ref(s, s->flow_label6 & 0xfffff);
		if (!pp)
			return -ENOENT;
		const struct ns_fl *fl = (*pp)->fl;
		ns_time_t now = st_now(s->stack);
		uint32_t be = htonl(fl->label);
		uint16_t expires = (uint16_t)(fl->expires > now ? (fl->expires - now) / NS_SEC : 0);
		uint16_t linger = (uint16_t)(fl->linger / NS_SEC);
		memcpy(a + FLR_DST, fl->dst, 16);
		memcpy(a + FLR_LABEL, &be, 4);
		a[FLR_SHARE] = fl->share;
		memcpy(a + FLR_EXPIRES, &expires, 2);
		memcpy(a + FLR_LINGER, &linger, 2);
	}
	memcpy(q, a, FLR_SIZE);
	*len = FLR_SIZE;
	return 0;
}
