/* Testbench internals shared by its own files (not for tests). */
#ifndef PI_BENCH_H
#define PI_BENCH_H

/* Open capture/injection on pi_env.ifname, the pcap record (may be NULL)
 * and the result file the runner reads; arm the time limit. */
int pi_bench_open(const char *pcap_path, const char *result_path, int time_limit_s);
void pi_bench_close(void);
/* Record a pass (empty result). */
void pi_bench_pass(void);
/* Async-signal-safe: SIGKILL the DUT agent if it runs. */
void dut_kill_now(void);

#endif
