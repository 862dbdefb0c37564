/*
 * The testbench program: runs one named test against a DUT.
 *
 *   testbench --list
 *   testbench --test NAME --iface IF --dut-kind KIND
 *             --local-mac MAC --remote-mac MAC --local-ip4 IP --remote-ip4 IP
 *             [--local-ip6 IP --remote-ip6 IP] [--pcap FILE] [--result FILE]
 *             [--time-limit S] [-v] -- DUT-AGENT-COMMAND...
 *
 * It must run in the namespace that holds IF (tests/packetimpact/run.sh
 * arranges that). Exit status 0: the test passed; 1: it failed, the reason
 * is the one line in the result file; other: it could not run.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pi.h"
#include "bench.h"

static struct pi_test *tests;

void pi_test_register(struct pi_test *t)
{
	/* Keep registration order stable: append. */
	struct pi_test **pp = &tests;
	while (*pp)
		pp = &(*pp)->next;
	t->next = NULL;
	*pp = t;
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static int parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: testbench --list | --test NAME --iface IF --dut-kind KIND "
			"--local-mac M --remote-mac M --local-ip4 A --remote-ip4 A "
			"[--local-ip6 A --remote-ip6 A] [--pcap F] [--result F] [--time-limit S] [-v] "
			"-- AGENT...\n");
}

static void at_exit(void)
{
	dut_stop();
	pi_bench_close();
}

int main(int argc, char **argv)
{
	enum { O_LIST = 1, O_TEST, O_IFACE, O_KIND, O_LMAC, O_RMAC, O_L4, O_R4, O_L6, O_R6, O_PCAP,
	       O_RESULT, O_LIMIT };
	static const struct option opts[] = {
		{ "list", no_argument, 0, O_LIST },
		{ "test", required_argument, 0, O_TEST },
		{ "iface", required_argument, 0, O_IFACE },
		{ "dut-kind", required_argument, 0, O_KIND },
		{ "local-mac", required_argument, 0, O_LMAC },
		{ "remote-mac", required_argument, 0, O_RMAC },
		{ "local-ip4", required_argument, 0, O_L4 },
		{ "remote-ip4", required_argument, 0, O_R4 },
		{ "local-ip6", required_argument, 0, O_L6 },
		{ "remote-ip6", required_argument, 0, O_R6 },
		{ "pcap", required_argument, 0, O_PCAP },
		{ "result", required_argument, 0, O_RESULT },
		{ "time-limit", required_argument, 0, O_LIMIT },
		{ 0, 0, 0, 0 },
	};
	const char *name = NULL, *pcap = NULL, *result = NULL;
	int list = 0, limit = 60, o, bad = 0;
	pi_env.dut_kind = "linux";
	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case O_LIST: list = 1; break;
		case O_TEST: name = optarg; break;
		case O_IFACE: pi_env.ifname = optarg; break;
		case O_KIND: pi_env.dut_kind = optarg; break;
		case O_LMAC: bad |= parse_mac(optarg, pi_env.local_mac); break;
		case O_RMAC: bad |= parse_mac(optarg, pi_env.remote_mac); break;
		case O_L4: bad |= parse_ip4(optarg, &pi_env.local_ip4); break;
		case O_R4: bad |= parse_ip4(optarg, &pi_env.remote_ip4); break;
		case O_L6: bad |= inet_pton(AF_INET6, optarg, pi_env.local_ip6) != 1; break;
		case O_R6: bad |= inet_pton(AF_INET6, optarg, pi_env.remote_ip6) != 1; break;
		case O_PCAP: pcap = optarg; break;
		case O_RESULT: result = optarg; break;
		case O_LIMIT: limit = atoi(optarg); break;
		case 'v': pi_env.verbose = 1; break;
		default: usage(); return 2;
		}
	}
	if (list) {
		for (struct pi_test *t = tests; t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	if (bad || !name || !pi_env.ifname || optind >= argc) {
		usage();
		return 2;
	}
	struct pi_test *t = tests;
	while (t && strcmp(t->name, name))
		t = t->next;
	if (!t) {
		fprintf(stderr, "testbench: no test named %s\n", name);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (pi_bench_open(pcap, result, limit) < 0)
		return 3;
	atexit(at_exit);
	dut_start(argv + optind);
	pi_log("running %s against %s", t->name, pi_env.dut_kind);
	t->fn();
	pi_log("PASS");
	pi_bench_pass();
	return 0;
}
