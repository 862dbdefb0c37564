/*
 * libFuzzer harness over the packetimpact DUT agent's request handling
 * (tools/packetimpact/dut_agent.c), netstack flavour only: the agent turns
 * JSON lines from the testbench into socket calls, and here those calls go
 * to a netstack with no host network at all. (Never the Linux flavour: it
 * would make real system calls with whatever the input says.)
 *
 * Input: request lines, as the testbench writes them to the agent's stdin;
 * each complete line ('\n'-terminated, cut at a NUL as the agent's strdup
 * cuts it) is served by serve_line(), at most MAX_REQUESTS per input. Every
 * input gets a fresh stack: 10.0.0.2/24 and fd00::2/64 (no DAD) on a
 * channel interface whose output is dropped (nobody answers ARP or a SYN
 * there), the loopback interface, the options the runner passes
 * (tests/packetimpact/run.sh), a fake clock and a zero secret, so an input
 * reproduces alone. TCP over the loopback connects, accepts and carries
 * data in full.
 *
 * Blocking: the agent waits in run_until(), which normally runs its event
 * loop on the real clock. Here it runs the stack, and when the stack has
 * nothing to do at once, steps the fake clock (to the next timer, at most
 * WAIT_STEP); a finite deadline (SO_RCVTIMEO,
 * SO_SNDTIMEO, a poll timeout, a linger time) is kept on the fake clock,
 * and any wait ends after WAIT_BUDGET steps per request as if its deadline
 * had passed. So a blocking accept() on a listener nobody connects to
 * returns EAGAIN instead of hanging.
 *
 * Checked for every request: there is a reply, it is a JSON object that
 * serialises, and it is an error ({"error": string}) or a call's result
 * ({"ret": -1 or >= 0, "errno": > 0 exactly when ret is -1}); a new fd is
 * in the agent's table. After the requests every socket is closed and the
 * stack destroyed, and no packet chunk or view may be left in use. ASan,
 * UBSan and libFuzzer's leak check do the rest.
 *
 * FUZZ_WRITE_SEEDS=DIR: write seeds (a realistic request sequence for each
 * op, errors included) into DIR and exit. FUZZ_TRACE=1: print every request
 * and its reply on stderr (to read what an input does).
 */
#define DUT_NETSTACK 1
#define DUT_AGENT_NO_MAIN 1
#include "../../tools/packetimpact/dut_agent.c"
#include "seed_file.h"

#include <limits.h>
#include <sys/stat.h>

#include "ns/link.h"
#include "ns/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_REQUESTS 256
#define WAIT_BUDGET 64
#define WAIT_STEP (10 * NS_SEC)
#define CLOCK_START (1000 * NS_SEC)

static const uint8_t DUT_MAC[6] = { 2, 0, 0, 0, 0, 2 };

static struct {
	struct ns_link *ch;
	unsigned waits;		/* wait steps in this request */
	ns_time_t real_deadline; /* the deadline of the wait in progress */
	ns_time_t deadline;	/* the same on the fake clock */
	int trace;		/* FUZZ_TRACE */
} F;

static void fail(const char *what, const char *line)
{
	fprintf(stderr, "fuzz_dut_agent: %s (request: %.200s)\n", what, line);
	abort();
}

/* Let the stack do what is due now: loopback deliveries, deferred work,
 * output (the channel's is dropped). */
static void settle(void)
{
	for (int round = 0; round < 16; round++) {
		for (int i = 0; i < 64 && ns_stack_poll(stack) > 0; i++)
			;
		int more = ns_stack_flush(stack) > 0;
		struct pkt *p;
		while ((p = ns_channel_take(F.ch)))
			pkt_unref(p);
		if (!more && !ns_stack_busy(stack))
			break;
	}
}

static void step_to(ns_time_t t)
{
	if (t > wheel.now)
		ns_wheel_advance(&wheel, t);
	settle();
}

/* run_until() for the harness (see the top of the file). */
static int fuzz_wait(ns_time_t deadline)
{
	if (deadline != F.real_deadline) {
		/* A new wait: its deadline on the fake clock, from what is left
		 * of it on the real one (rounded up to a millisecond, so that
		 * the microseconds the agent took do not matter). */
		F.real_deadline = deadline;
		F.deadline = NS_TIME_NEVER;
		if (deadline != NS_TIME_NEVER) {
			ns_time_t now = ns_clock_now();
			ns_time_t left = deadline > now ? deadline - now : 0;
			F.deadline = wheel.now + (left + NS_MSEC - 1) / NS_MSEC * NS_MSEC;
		}
	}
	if (wheel.now >= F.deadline || ++F.waits > WAIT_BUDGET)
		return -EAGAIN;
	/* As the loop: what the call just queued (to the loopback) is
	 * handled before any time passes. */
	if (ns_stack_busy(stack) || ns_stack_flush(stack) > 0) {
		settle();
		return 0;
	}
	ns_time_t next = ns_wheel_next(&wheel);
	ns_time_t t = wheel.now + WAIT_STEP;
	if (next < t)
		t = next > wheel.now ? next : wheel.now + 1;
	if (F.deadline < t)
		t = F.deadline;
	step_to(t);
	return 0;
}

static void setup(void)
{
	int trace = F.trace;
	memset(&F, 0, sizeof(F));
	F.trace = trace;
	memset(fds, 0, sizeof(fds));
	ns_wheel_init(&wheel, CLOCK_START);
	struct ns_stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.wheel = &wheel;
	if (ns_stack_create(&cfg, &stack) < 0 ||
	    ns_stack_set_option(stack, "ip6.dad_transmits", "0") < 0 ||
	    ns_stack_set_option(stack, "ip6.router_solicitations", "0") < 0 ||
	    ns_stack_set_option(stack, "ip6.reasm_timeout_ms", "5000") < 0 ||
	    ns_channel_link_create(DUT_MAC, 1500, NS_LINK_CAP_RESOLVE, &F.ch) < 0)
		abort();
	int nic = ns_stack_add_nic(stack, F.ch);
	struct ns_ip a4, a6;
	unsigned p4, p6;
	if (nic < 0 || ns_cidr_parse("10.0.0.2/24", &a4, &p4) < 0 ||
	    ns_cidr_parse("fd00::2/64", &a6, &p6) < 0 || ns_stack_add_addr(stack, nic, &a4, p4) < 0 ||
	    ns_stack_add_addr(stack, nic, &a6, p6) < 0)
		abort();
	run_until = fuzz_wait;
	settle();
}

static void teardown(void)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (fds[i].s)
			ns_close(fds[i].s);
		fds[i].s = NULL;
	}
	ns_stack_destroy(stack);
	stack = NULL;
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		fprintf(stderr, "fuzz_dut_agent: leak: %llu chunks, %llu views in use after destroy\n",
			(unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		abort();
	}
}

/* The reply must be one the testbench can read (tools/packetimpact/dut.c). */
static void check_reply(json_t *j, const char *line)
{
	if (!j)
		fail("no reply", line);
	if (!json_is_object(j))
		fail("the reply is not an object", line);
	char *s = json_dumps(j, JSON_COMPACT);
	if (!s || strchr(s, '\n'))
		fail("the reply does not serialise to one line", line);
	free(s);
	json_t *e = json_object_get(j, "error");
	if (e) {
		if (!json_is_string(e))
			fail("an error that is not a string", line);
		return;
	}
	json_t *r = json_object_get(j, "ret"), *en = json_object_get(j, "errno");
	if (!json_is_integer(r) || !json_is_integer(en))
		fail("a reply without error, ret or errno", line);
	json_int_t ret = json_integer_value(r), err = json_integer_value(en);
	if (ret < -1 || err < 0 || (ret == -1) != (err != 0))
		fail("ret and errno disagree", line);
}

/* For socket and accept, a new fd must be one the agent knows; an fd
 * number past int must not stand for a smaller one (4294967299 for 3). */
static void check_fd(json_t *req, json_t *j, const char *line)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	json_int_t ret = json_integer_value(json_object_get(j, "ret"));
	if (!op || json_object_get(j, "error") || ret < 0)
		return;
	if ((!strcmp(op, "socket") || !strcmp(op, "accept")) && !sock_of((int)ret))
		fail("a new fd the agent does not know", line);
	json_int_t fd = json_integer_value(json_object_get(req, "fd"));
	if (strcmp(op, "socket") && strcmp(op, "poll") && (fd > INT_MAX || fd < INT_MIN))
		fail("a call on an fd number out of range succeeded", line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	size_t pos = 0;
	for (int n = 0; n < MAX_REQUESTS; n++) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		if (!nl)
			break; /* the agent serves complete lines only */
		size_t len = (size_t)(nl - (data + pos));
		char *line = strndup((const char *)data + pos, len);
		pos += len + 1;
		if (!line)
			abort();
		F.waits = 0;
		F.real_deadline = 0;
		json_t *j = serve_line(line);
		if (F.trace) {
			char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
			fprintf(stderr, "[%llu ms] %s\n  -> %s\n",
				(unsigned long long)((wheel.now - CLOCK_START) / NS_MSEC), line,
				s ? s : "(none)");
			free(s);
		}
		check_reply(j, line);
		json_t *req = json_loads(line, 0, NULL);
		if (req) {
			check_fd(req, j, line);
			json_decref(req);
		}
		json_decref(j);
		free(line);
		/* Between requests the agent runs its loop; a millisecond passes. */
		step_to(wheel.now + NS_MSEC);
	}
	teardown();
	return 0;
}

/* ---- seed corpus ---- */

static void seed(const char *dir, const char *name, const char *text)
{
	seed_file(dir, name, text, strlen(text));
}

/* Values as the testbench sends them: AF_INET 2, AF_INET6 10, SOCK_STREAM
 * 1, SOCK_DGRAM 2, SOCK_NONBLOCK 2048, SOL_SOCKET 1 (SO_REUSEADDR 2,
 * SO_ERROR 4, SO_SNDBUF 7, SO_RCVBUF 8, SO_KEEPALIVE 9, SO_LINGER 13,
 * SO_RCVTIMEO 20, SO_SNDTIMEO 21), IPPROTO_TCP 6 (TCP_NODELAY 1,
 * TCP_MAXSEG 2, TCP_INFO 11), IPPROTO_IP 0 (IP_TTL 2, IP_TOS 1),
 * IPPROTO_IPV6 41 (IPV6_V6ONLY 26), POLLIN 1, POLLOUT 4, MSG_PEEK 2,
 * MSG_DONTWAIT 64, SHUT_WR 1. The agent's first fd is 3. */
static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);
	/* TCP over the loopback: listen, connect, accept, data both ways,
	 * names, shutdown, close. */
	seed(dir, "tcp-loopback",
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":2,\"int\":1}\n"
	     "{\"op\":\"bind\",\"fd\":3,\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":8080}}\n"
	     "{\"op\":\"listen\",\"fd\":3,\"backlog\":8}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"connect\",\"fd\":4,\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":8080}}\n"
	     "{\"op\":\"accept\",\"fd\":3}\n"
	     "{\"op\":\"getsockname\",\"fd\":4}\n"
	     "{\"op\":\"getpeername\",\"fd\":5}\n"
	     "{\"op\":\"send\",\"fd\":4,\"data\":\"68656c6c6f\",\"flags\":0}\n"
	     "{\"op\":\"poll\",\"fds\":[{\"fd\":5,\"events\":1},{\"fd\":4,\"events\":4}],\"timeout\":1000}\n"
	     "{\"op\":\"recv\",\"fd\":5,\"len\":2,\"flags\":2}\n"
	     "{\"op\":\"recv\",\"fd\":5,\"len\":100,\"flags\":0}\n"
	     "{\"op\":\"send\",\"fd\":5,\"data\":\"776f726c64\",\"flags\":0}\n"
	     "{\"op\":\"recv\",\"fd\":4,\"len\":100,\"flags\":0}\n"
	     "{\"op\":\"shutdown\",\"fd\":4,\"how\":1}\n"
	     "{\"op\":\"recv\",\"fd\":5,\"len\":100,\"flags\":0}\n"
	     "{\"op\":\"close\",\"fd\":5}\n"
	     "{\"op\":\"close\",\"fd\":4}\n"
	     "{\"op\":\"close\",\"fd\":3}\n");
	/* The same on IPv6, non-blocking, with a poll for the connection. */
	seed(dir, "tcp6-nonblocking",
	     "{\"op\":\"socket\",\"domain\":10,\"type\":2049,\"proto\":6}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":41,\"name\":26,\"int\":1}\n"
	     "{\"op\":\"bind\",\"fd\":3,\"addr\":{\"family\":10,\"ip\":\"::1\",\"port\":9000}}\n"
	     "{\"op\":\"listen\",\"fd\":3,\"backlog\":1}\n"
	     "{\"op\":\"accept\",\"fd\":3}\n"
	     "{\"op\":\"socket\",\"domain\":10,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"set_nonblocking\",\"fd\":4,\"on\":true}\n"
	     "{\"op\":\"connect\",\"fd\":4,\"addr\":{\"family\":10,\"ip\":\"::1\",\"port\":9000}}\n"
	     "{\"op\":\"poll\",\"fds\":[{\"fd\":4,\"events\":4}],\"timeout\":-1}\n"
	     "{\"op\":\"getsockopt\",\"fd\":4,\"level\":1,\"name\":4}\n"
	     "{\"op\":\"accept\",\"fd\":3}\n"
	     "{\"op\":\"set_nonblocking\",\"fd\":5,\"on\":false}\n"
	     "{\"op\":\"getsockopt\",\"fd\":5,\"level\":6,\"name\":11,\"kind\":\"tcp_info\"}\n"
	     "{\"op\":\"send\",\"fd\":5,\"data\":\"000102030405060708090a0b0c0d0e0f\",\"flags\":64}\n"
	     "{\"op\":\"recvfrom\",\"fd\":4,\"len\":16,\"flags\":64}\n"
	     "{\"op\":\"close\",\"fd\":4}\n"
	     "{\"op\":\"close\",\"fd\":5}\n");
	/* UDP: sendto and recvfrom with addresses, on both families. */
	seed(dir, "udp",
	     "{\"op\":\"socket\",\"domain\":2,\"type\":2,\"proto\":0}\n"
	     "{\"op\":\"bind\",\"fd\":3,\"addr\":{\"family\":2,\"ip\":\"0.0.0.0\",\"port\":5000}}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":2,\"proto\":17}\n"
	     "{\"op\":\"sendto\",\"fd\":4,\"data\":\"abcdef\",\"flags\":0,"
	     "\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":5000}}\n"
	     "{\"op\":\"recvfrom\",\"fd\":3,\"len\":1500,\"flags\":0}\n"
	     "{\"op\":\"sendto\",\"fd\":4,\"data\":\"00\",\"flags\":0,"
	     "\"addr\":{\"family\":2,\"ip\":\"10.0.0.1\",\"port\":7}}\n"
	     "{\"op\":\"connect\",\"fd\":4,\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":5000}}\n"
	     "{\"op\":\"send\",\"fd\":4,\"data\":\"ff\",\"flags\":0}\n"
	     "{\"op\":\"recv\",\"fd\":3,\"len\":0,\"flags\":0}\n"
	     "{\"op\":\"socket\",\"domain\":10,\"type\":2,\"proto\":0}\n"
	     "{\"op\":\"bind\",\"fd\":5,\"addr\":{\"family\":10,\"ip\":\"fd00::2\",\"port\":0}}\n"
	     "{\"op\":\"getsockname\",\"fd\":5}\n"
	     "{\"op\":\"sendto\",\"fd\":5,\"data\":\"0102\",\"flags\":0,"
	     "\"addr\":{\"family\":10,\"ip\":\"fd00::1\",\"port\":53}}\n"
	     "{\"op\":\"recvfrom\",\"fd\":5,\"len\":10,\"flags\":64}\n"
	     "{\"op\":\"close\",\"fd\":3}\n");
	/* Socket options of every kind the agent knows. */
	seed(dir, "sockopts",
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":13,\"linger\":{\"onoff\":1,\"linger\":5}}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":1,\"name\":13,\"kind\":\"linger\"}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":20,\"timeval\":{\"sec\":1,\"usec\":500000}}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":1,\"name\":20,\"kind\":\"timeval\"}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":21,\"timeval\":{\"sec\":0,\"usec\":1000}}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":7,\"int\":65536}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":1,\"name\":8,\"kind\":\"int\"}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":9,\"int\":1}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":6,\"name\":1,\"int\":1}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":6,\"name\":2,\"int\":536}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":6,\"name\":2}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":0,\"name\":2,\"int\":7}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":0,\"name\":1,\"int\":16}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":0,\"name\":2,\"kind\":\"int\"}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":6,\"name\":11,\"kind\":\"tcp_info\"}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":1,\"name\":4}\n"
	     "{\"op\":\"close\",\"fd\":3}\n");
	/* Blocking calls that wait for their timeout: connect to a peer
	 * that never answers, accept and recv with nothing to come, close
	 * with a linger time on a connection. */
	seed(dir, "blocking-timeouts",
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":21,\"timeval\":{\"sec\":3,\"usec\":0}}\n"
	     "{\"op\":\"connect\",\"fd\":3,\"addr\":{\"family\":2,\"ip\":\"10.0.0.1\",\"port\":80}}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"bind\",\"fd\":4,\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":7000}}\n"
	     "{\"op\":\"listen\",\"fd\":4,\"backlog\":4}\n"
	     "{\"op\":\"setsockopt\",\"fd\":4,\"level\":1,\"name\":20,\"timeval\":{\"sec\":0,\"usec\":200000}}\n"
	     "{\"op\":\"accept\",\"fd\":4}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0}\n"
	     "{\"op\":\"connect\",\"fd\":5,\"addr\":{\"family\":2,\"ip\":\"127.0.0.1\",\"port\":7000}}\n"
	     "{\"op\":\"accept\",\"fd\":4}\n"
	     "{\"op\":\"recv\",\"fd\":6,\"len\":10,\"flags\":0}\n"
	     "{\"op\":\"poll\",\"fds\":[{\"fd\":6,\"events\":1}],\"timeout\":500}\n"
	     "{\"op\":\"setsockopt\",\"fd\":5,\"level\":1,\"name\":13,\"linger\":{\"onoff\":1,\"linger\":2}}\n"
	     "{\"op\":\"send\",\"fd\":5,\"data\":\"4142434445\",\"flags\":0}\n"
	     "{\"op\":\"close\",\"fd\":5}\n"
	     "{\"op\":\"recv\",\"fd\":6,\"len\":10,\"flags\":256}\n"
	     "{\"op\":\"close\",\"fd\":6}\n");
	/* Requests the agent must refuse with an error reply. */
	seed(dir, "bad-requests",
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1\n"
	     "not json\n"
	     "[1,2,3]\n"
	     "{}\n"
	     "{\"op\":5}\n"
	     "{\"op\":\"frobnicate\",\"fd\":3}\n"
	     "{\"op\":\"close\",\"fd\":\"3\"}\n"
	     "{\"op\":\"close\",\"fd\":99999999999999999999}\n"
	     "{\"op\":\"bind\",\"fd\":3}\n"
	     "{\"op\":\"listen\",\"fd\":-1,\"backlog\":1e300}\n"
	     "{\"op\":\"recv\",\"fd\":3,\"len\":-1,\"flags\":0}\n"
	     "{\"op\":\"send\",\"fd\":3,\"data\":\"zz1\",\"flags\":0}\n"
	     "{\"op\":\"poll\",\"fds\":{\"fd\":3},\"timeout\":\"x\"}\n"
	     "{\"op\":\"getsockopt\",\"fd\":3,\"level\":1,\"name\":4,\"kind\":7}\n"
	     "{\"op\":\"setsockopt\",\"fd\":3,\"level\":1,\"name\":13,\"linger\":[1]}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":1,\"proto\":0,\"op\":\"close\"}\n"
	     "{\"op\":\"socket\",\"domain\":17,\"type\":3,\"proto\":0}\n"
	     "{\"op\":\"socket\",\"domain\":2,\"type\":5,\"proto\":0}\n"
	     "{\"op\":\"shutdown\",\"fd\":3,\"how\":7}\n"
	     "\"\\u00e9\\ud800\"\n");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	const char *trace = getenv("FUZZ_TRACE");
	F.trace = trace && *trace && strcmp(trace, "0");
	return 0;
}
