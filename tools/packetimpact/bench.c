/*
 * The testbench's wire: libpcap capture and injection on the testbench end
 * of the veth, a capture thread that answers ARP and NDP for the testbench
 * and queues everything else, the expect/expect-none primitives over that
 * queue, the pcap record of the whole test, and failing.
 *
 * Threads: the capture thread only appends to the queue (under q_lock) and
 * injects ARP/NDP replies (under tx_lock); the test runs on the main thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pi.h"
#include "bench.h"

struct pi_env pi_env;

struct qnode {
	struct qnode *next;
	struct pi_pkt pkt;
};

static pcap_t *rx_pcap, *tx_pcap;
static pcap_dumper_t *dumper;
static pcap_t *dead_pcap;
static pthread_t rx_thread;
static volatile int rx_stop;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond;
static pthread_mutex_t tx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qnode *q_head, **q_tail = &q_head;
static unsigned q_len;
static const char *result_path;
static uint64_t arp_answered, nd_answered;

#define Q_MAX 4096

uint64_t pi_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pi_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t start_ms;

void pi_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[%6.3f] ", (double)(pi_now_ms() - start_ms) / 1000.0);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- failing ---- */

static void write_result(const char *msg)
{
	if (!result_path)
		return;
	int fd = open(result_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	ssize_t r = write(fd, msg, strlen(msg));
	(void)r;
	close(fd);
}

void pi_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	pi_log("FAIL: %s", msg);
	write_result(msg);
	exit(1);
}

void pi_bench_pass(void)
{
	write_result("");
}

static void on_alarm(int sig)
{
	static const char m[] = "test did not finish in its time limit";
	if (result_path) {
		int fd = open(result_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			ssize_t r = write(fd, m, sizeof(m) - 1);
			(void)r;
			close(fd);
		}
	}
	ssize_t r = write(2, "FAIL: test time limit\n", 22);
	(void)r;
	dut_kill_now();
	if (dumper)
		pcap_dump_flush(dumper);
	_exit(1);
}

/* ---- pcap record ---- */

static void record(const uint8_t *b, size_t len, int out)
{
	if (!dumper)
		return;
	struct pcap_pkthdr h;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = ts.tv_nsec / 1000;
	h.caplen = h.len = (bpf_u_int32)len;
	pthread_mutex_lock(&tx_lock);
	pcap_dump((u_char *)dumper, &h, b);
	pcap_dump_flush(dumper);
	pthread_mutex_unlock(&tx_lock);
	if (pi_env.verbose) {
		struct pi_frame f;
		char s[512];
		if (pi_frame_parse(b, len, &f) == 0) {
			pi_frame_fmt(&f, s, sizeof(s));
			pi_log("%s %s", out ? "->" : "<-", s);
		}
	}
}

/* ---- sending ---- */

static void inject(const uint8_t *b, size_t len)
{
	record(b, len, 1);
	pthread_mutex_lock(&tx_lock);
	int r = pcap_inject(tx_pcap, b, len);
	pthread_mutex_unlock(&tx_lock);
	if (r < 0)
		pi_fail("pcap_inject: %s", pcap_geterr(tx_pcap));
}

void pi_send_raw(const uint8_t *b, size_t len)
{
	inject(b, len);
}

void pi_frame_defaults(struct pi_frame *f)
{
	if (!f->eth.src.has) {
		f->eth.src.has = PI_SET;
		memcpy(f->eth.src.a, pi_env.local_mac, 6);
	}
	if (!f->eth.dst.has) {
		f->eth.dst.has = PI_SET;
		memcpy(f->eth.dst.a, pi_env.remote_mac, 6);
	}
	if (f->l3 == PI_L3_NONE)
		f->l3 = f->l4 == PI_L4_ICMP6 ? PI_L3_IPV6 : PI_L3_IPV4;
	if (f->l3 == PI_L3_IPV4) {
		if (!f->ip4.src.has)
			f->ip4.src = PI_U32(pi_env.local_ip4);
		if (!f->ip4.dst.has)
			f->ip4.dst = PI_U32(pi_env.remote_ip4);
	} else if (f->l3 == PI_L3_IPV6) {
		if (!f->ip6.src.has) {
			f->ip6.src.has = PI_SET;
			memcpy(f->ip6.src.a, pi_env.local_ip6, 16);
		}
		if (!f->ip6.dst.has) {
			f->ip6.dst.has = PI_SET;
			memcpy(f->ip6.dst.a, pi_env.remote_ip6, 16);
		}
	}
}

void pi_send(const struct pi_frame *f)
{
	struct pi_frame c = *f;
	uint8_t buf[PI_MAX_FRAME];
	pi_frame_defaults(&c);
	int n = pi_frame_build(&c, buf, sizeof(buf));
	if (n < 0)
		pi_fail("frame too large to build");
	inject(buf, (size_t)n);
}

/* ---- ARP and NDP ---- */

static void answer_arp(const uint8_t *b, size_t len)
{
	const uint8_t *a = b + 14;
	if (len < 14 + 28 || a[0] != 0 || a[1] != 1 || a[2] != 8 || a[3] != 0 || a[7] != 1)
		return;
	uint32_t tpa = ((uint32_t)a[24] << 24) | ((uint32_t)a[25] << 16) | ((uint32_t)a[26] << 8) | a[27];
	uint32_t spa = ((uint32_t)a[14] << 24) | ((uint32_t)a[15] << 16) | ((uint32_t)a[16] << 8) | a[17];
	if (tpa == 0 || spa == 0 || tpa == spa || tpa == pi_env.remote_ip4)
		return;
	uint8_t r[60];
	memset(r, 0, sizeof(r));
	memcpy(r, b + 6, 6);
	memcpy(r + 6, pi_env.local_mac, 6);
	r[12] = 0x08;
	r[13] = 0x06;
	uint8_t *p = r + 14;
	p[1] = 1;
	p[2] = 8;
	p[4] = 6;
	p[5] = 4;
	p[7] = 2;
	memcpy(p + 8, pi_env.local_mac, 6);
	memcpy(p + 14, a + 24, 4);
	memcpy(p + 18, a + 8, 6);
	memcpy(p + 24, a + 14, 4);
	arp_answered++;
	inject(r, sizeof(r));
}

static void answer_ns(const struct pi_frame *f)
{
	const uint8_t *target = f->payload.p;
	static const uint8_t zero[16];
	if (f->payload.len < 16 || f->icmp.code.v != 0)
		return;
	if (!memcmp(target, pi_env.remote_ip6, 16) || target[0] == 0xff)
		return;
	/* Never answer duplicate address detection (unspecified source): the
	 * DUT is probing for an address of its own. */
	if (!memcmp(f->ip6.src.a, target, 16) || !memcmp(f->ip6.src.a, zero, 16))
		return;
	struct pi_frame r;
	memset(&r, 0, sizeof(r));
	r.eth.dst.has = PI_SET;
	memcpy(r.eth.dst.a, f->eth.src.a, 6);
	r.l3 = PI_L3_IPV6;
	r.ip6.hlim = PI_U8(255);
	r.ip6.src.has = PI_SET;
	memcpy(r.ip6.src.a, target, 16);
	r.ip6.dst.has = PI_SET;
	memcpy(r.ip6.dst.a, f->ip6.src.a, 16);
	r.l4 = PI_L4_ICMP6;
	r.icmp.type = PI_U8(136);
	r.icmp.rest = PI_U32(0x60000000u); /* solicited, override */
	uint8_t body[24];
	memcpy(body, target, 16);
	body[16] = 2; /* target link-layer address */
	body[17] = 1;
	memcpy(body + 18, pi_env.local_mac, 6);
	r.payload.has = PI_SET;
	r.payload.p = body;
	r.payload.len = sizeof(body);
	nd_answered++;
	pi_send(&r);
}

/* ---- capture ---- */

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
	size_t len = h->caplen;
	record(b, len, 0);
	if (len >= 14 && b[12] == 0x08 && b[13] == 0x06) {
		answer_arp(b, len);
		return;
	}
	struct qnode *n = malloc(sizeof(*n));
	if (!n)
		return;
	n->next = NULL;
	n->pkt.ts_ns = now_ns();
	n->pkt.len = len > PI_MAX_FRAME ? PI_MAX_FRAME : len;
	memcpy(n->pkt.bytes, b, n->pkt.len);
	if (pi_frame_parse(n->pkt.bytes, n->pkt.len, &n->pkt.f) < 0) {
		free(n);
		return;
	}
	const struct pi_frame *f = &n->pkt.f;
	if (f->l3 == PI_L3_IPV6 && f->l4 == PI_L4_ICMP6 && f->icmp.type.v == 135) {
		answer_ns(f);
		free(n);
		return;
	}
	pthread_mutex_lock(&q_lock);
	if (q_len >= Q_MAX) {
		struct qnode *old = q_head;
		q_head = old->next;
		if (!q_head)
			q_tail = &q_head;
		free(old);
		q_len--;
	}
	*q_tail = n;
	q_tail = &n->next;
	q_len++;
	pthread_cond_broadcast(&q_cond);
	pthread_mutex_unlock(&q_lock);
}

static void *rx_main(void *arg)
{
	int fd = pcap_get_selectable_fd(rx_pcap);
	while (!rx_stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 50);
		if (r < 0 && errno != EINTR)
			break;
		pcap_dispatch(rx_pcap, -1, on_frame, NULL);
	}
	return NULL;
}

static pcap_t *open_pcap(const char *ifname, int rx)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(ifname, err);
	if (!p) {
		fprintf(stderr, "pcap_create %s: %s\n", ifname, err);
		return NULL;
	}
	pcap_set_snaplen(p, 65535);
	pcap_set_promisc(p, 1);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, 8 << 20);
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "pcap_activate %s: %s\n", ifname, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rx) {
		pcap_setdirection(p, PCAP_D_IN);
		pcap_setnonblock(p, 1, err);
	} else {
		/* The injecting handle needs no input; a filter that matches
		 * nothing keeps its buffer empty. */
		struct bpf_program prog;
		if (pcap_compile(p, &prog, "less 1", 1, PCAP_NETMASK_UNKNOWN) == 0) {
			pcap_setfilter(p, &prog);
			pcap_freecode(&prog);
		}
	}
	return p;
}

int pi_bench_open(const char *pcap_path, const char *res_path, int time_limit_s)
{
	start_ms = pi_now_ms();
	result_path = res_path;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q_cond, &ca);
	if (time_limit_s > 0) {
		signal(SIGALRM, on_alarm);
		alarm((unsigned)time_limit_s);
	}
	if (pcap_path) {
		dead_pcap = pcap_open_dead(DLT_EN10MB, 65535);
		dumper = pcap_dump_open(dead_pcap, pcap_path);
		if (!dumper) {
			fprintf(stderr, "pcap %s: %s\n", pcap_path, pcap_geterr(dead_pcap));
			return -1;
		}
	}
	rx_pcap = open_pcap(pi_env.ifname, 1);
	tx_pcap = open_pcap(pi_env.ifname, 0);
	if (!rx_pcap || !tx_pcap)
		return -1;
	if (pthread_create(&rx_thread, NULL, rx_main, NULL) != 0)
		return -1;
	return 0;
}

void pi_bench_close(void)
{
	if (rx_pcap) {
		rx_stop = 1;
		pthread_join(rx_thread, NULL);
		pcap_close(rx_pcap);
		rx_pcap = NULL;
	}
	if (tx_pcap) {
		pcap_close(tx_pcap);
		tx_pcap = NULL;
	}
	if (dumper) {
		pcap_dump_close(dumper);
		dumper = NULL;
	}
	pi_log("testbench answered %llu ARP and %llu NDP requests", (unsigned long long)arp_answered,
	       (unsigned long long)nd_answered);
}

/* ---- expecting ---- */

#define MAX_SEEN 6

struct seen {
	int n;
	unsigned total;
	char lines[MAX_SEEN][800];
};

static void remember(struct seen *s, const struct pi_frame *want, const struct pi_frame *got)
{
	s->total++;
	if (s->n == MAX_SEEN)
		return;
	char sum[256], diff[512];
	pi_frame_fmt(got, sum, sizeof(sum));
	pi_frame_match(want, got, diff, sizeof(diff));
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "  got: %s\n%s", sum, diff);
}

static void print_seen(const struct seen *s)
{
	if (s->total == 0) {
		pi_log("  no frame of this flow arrived");
		return;
	}
	pi_log("  %u frame(s) of this flow arrived that did not match:", s->total);
	for (int i = 0; i < s->n; i++)
		fprintf(stderr, "%s", s->lines[i]);
}

static int expect_(const struct pi_frame *flow, const struct pi_frame *want, int timeout_ms,
		   struct pi_pkt *got, struct seen *seen)
{
	if (!flow)
		flow = want;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	uint64_t ns = (uint64_t)dl.tv_nsec + (uint64_t)timeout_ms * 1000000ull;
	dl.tv_sec += (time_t)(ns / 1000000000ull);
	dl.tv_nsec = (long)(ns % 1000000000ull);
	pthread_mutex_lock(&q_lock);
	for (;;) {
		struct qnode **pp = &q_head;
		while (*pp) {
			struct qnode *n = *pp;
			if (!pi_frame_match(flow, &n->pkt.f, NULL, 0)) {
				pp = &n->next;
				continue;
			}
			*pp = n->next;
			if (q_tail == &n->next)
				q_tail = pp;
			q_len--;
			if (pi_frame_match(want, &n->pkt.f, NULL, 0)) {
				pthread_mutex_unlock(&q_lock);
				if (got) {
					got->ts_ns = n->pkt.ts_ns;
					got->len = n->pkt.len;
					memcpy(got->bytes, n->pkt.bytes, n->pkt.len);
					pi_frame_parse(got->bytes, got->len, &got->f);
				}
				free(n);
				return 0;
			}
			if (seen)
				remember(seen, want, &n->pkt.f);
			free(n);
		}
		if (pthread_cond_timedwait(&q_cond, &q_lock, &dl) == ETIMEDOUT) {
			/* one last look happens only if something arrived */
			int empty = 1;
			for (struct qnode *n = q_head; n; n = n->next)
				if (pi_frame_match(flow, &n->pkt.f, NULL, 0))
					empty = 0;
			if (empty)
				break;
		}
	}
	pthread_mutex_unlock(&q_lock);
	return -1;
}

int pi_expect(const struct pi_frame *flow, const struct pi_frame *want, int timeout_ms,
	      struct pi_pkt *got)
{
	struct seen s = { 0 };
	int r = expect_(flow, want, timeout_ms, got, &s);
	if (r < 0 && s.total && pi_env.verbose)
		print_seen(&s);
	return r;
}

void pi_expect_ok(const struct pi_frame *flow, const struct pi_frame *want, int timeout_ms,
		  struct pi_pkt *got, const char *what)
{
	struct seen s = { 0 };
	if (expect_(flow, want, timeout_ms, got, &s) == 0)
		return;
	pi_log("expected %s within %d ms; it did not come", what, timeout_ms);
	print_seen(&s);
	pi_fail("no %s within %d ms (%u other frame(s) of the flow)", what, timeout_ms, s.total);
}

void pi_expect_none(const struct pi_frame *want, int timeout_ms, const char *what)
{
	struct pi_pkt *got = malloc(sizeof(*got));
	if (!got)
		pi_fail("out of memory");
	if (expect_(NULL, want, timeout_ms, got, NULL) == 0) {
		char s[256];
		pi_frame_fmt(&got->f, s, sizeof(s));
		free(got);
		pi_log("unexpected frame: %s", s);
		pi_fail("unexpected %s: %s", what, s);
	}
	free(got);
}

void pi_drain(const struct pi_frame *flow)
{
	pthread_mutex_lock(&q_lock);
	struct qnode **pp = &q_head;
	while (*pp) {
		struct qnode *n = *pp;
		if (flow && !pi_frame_match(flow, &n->pkt.f, NULL, 0)) {
			pp = &n->next;
			continue;
		}
		*pp = n->next;
		if (q_tail == &n->next)
			q_tail = pp;
		q_len--;
		free(n);
	}
	pthread_mutex_unlock(&q_lock);
}
