/*
 * The unit test runner: every suite, one Check TCase per test, and one
 * result line per test on stdout:
 *
 *   PASS <suite>.<test>
 *   FAIL <suite>.<test> <file>:<line>: <message>
 *
 * Exit status is non-zero when any test failed.
 *
 *   build/tests/unit                 everything
 *   build/tests/unit udp 'arp.*'     only matching suites or suite.test (fnmatch)
 *
 * Tests run in forked children (Check's default; CK_FORK=no runs them in
 * process, which `make asan` does so the sanitizers see every test). Each
 * test is run by its own srunner_run() call so that the fixture knows the
 * test's name (for its pcap file, kept only when the test fails).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

const char *unit_cur_suite = "none", *unit_cur_test = "none";

struct test_ent {
	const char *suite;
	const char *name;
};

static struct test_ent *tests;
static size_t ntests, cap;
static const char *registering;

Suite *unit_suite(const char *name)
{
	registering = name;
	return suite_create(name);
}

void unit_add(Suite *s, const char *name, const TTest *fn, int fx)
{
	for (size_t i = 0; i < ntests; i++) {
		if (!strcmp(tests[i].suite, registering) && !strcmp(tests[i].name, name)) {
			fprintf(stderr, "unit: test %s.%s added twice\n", registering, name);
			abort();
		}
	}
	TCase *tc = tcase_create(name);
	if (fx)
		tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	else
		tcase_add_checked_fixture(tc, NULL, fx_plain_teardown);
	/* Generous: the sanitizer build is several times slower. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fn);
	suite_add_tcase(s, tc);
	if (ntests == cap) {
		cap = cap ? cap * 2 : 64;
		tests = realloc(tests, cap * sizeof(*tests));
		if (!tests)
			abort();
	}
	tests[ntests].suite = registering;
	tests[ntests].name = name;
	ntests++;
}

static const char *pcap_dir(void)
{
	const char *d = getenv("UNIT_PCAP_DIR");
	return d ? d : "build/test-logs/unit";
}

const char *unit_pcap_path(const char *suite, const char *test, char *buf, size_t len)
{
	if (!strcmp(pcap_dir(), ""))
		return NULL;
	snprintf(buf, len, "%s/%s.%s.pcap", pcap_dir(), suite, test);
	return buf;
}

static void mkdirs(const char *path)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

static int selected(const struct test_ent *t, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	char full[256];
	snprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	for (int i = 1; i < argc; i++)
		if (!fnmatch(argv[i], t->suite, 0) || !fnmatch(argv[i], full, 0))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	Suite *(*const suites[])(void) = {
		wire_suite, pkt_suite, timer_suite, loop_suite, eth_suite, arp_suite, link_suite, route_suite,
		ipv4_suite, reassembly_suite, icmp_suite, udp_suite, igmp_suite,
		ipv6_suite, ndp_suite, mld_suite, frag6_suite,
		tcp_states_suite, tcp_rst_suite, tcp_data_suite, tcp_timers_suite, tcp_loss_suite,
		tcp_listen_suite,
		tcp_cc_suite, tcp_options_suite, tcp_sockopts_suite, tcp_close_suite, tcp_info_suite,
		bpf_suite, raw_suite,
	};
	SRunner *sr = NULL;
	for (size_t i = 0; i < NS_ARRAY_SIZE(suites); i++) {
		Suite *s = suites[i]();
		if (!sr)
			sr = srunner_create(s);
		else
			srunner_add_suite(sr, s);
	}
	mkdirs(pcap_dir());
	setvbuf(stdout, NULL, _IOLBF, 0);

	int failed = 0, run = 0, seen = 0;
	for (size_t i = 0; i < ntests; i++) {
		if (!selected(&tests[i], argc, argv))
			continue;
		unit_cur_suite = tests[i].suite;
		unit_cur_test = tests[i].name;
		srunner_run(sr, tests[i].suite, tests[i].name, CK_SILENT);
		/* Results accumulate over runs: print the new ones. */
		int n = srunner_ntests_run(sr);
		TestResult **res = srunner_results(sr);
		char path[512];
		int ok = 1;
		if (n == seen) {
			printf("FAIL %s.%s did not run\n", tests[i].suite, tests[i].name);
			ok = 0;
		}
		for (int k = seen; k < n; k++) {
			TestResult *tr = res[k];
			if (tr_rtype(tr) == CK_PASS)
				continue;
			ok = 0;
			const char *ctx = tr_ctx(tr) == CK_CTX_SETUP	? " (in setup)"
					  : tr_ctx(tr) == CK_CTX_TEARDOWN ? " (in teardown)"
									   : "";
			printf("FAIL %s.%s %s:%d: %s%s\n", tests[i].suite, tests[i].name,
			       tr_lfile(tr) ? tr_lfile(tr) : "?", tr_lno(tr), tr_msg(tr), ctx);
		}
		free(res);
		seen = n;
		run++;
		unit_pcap_path(tests[i].suite, tests[i].name, path, sizeof(path));
		if (ok) {
			printf("PASS %s.%s\n", tests[i].suite, tests[i].name);
			unlink(path);
		} else {
			failed++;
			if (access(path, F_OK) == 0)
				printf("     frames of the failed test: %s\n", path);
		}
	}
	srunner_free(sr);
	free(tests);
	fprintf(stderr, "unit: %d tests, %d failed\n", run, failed);
	return failed ? 1 : 0;
}
