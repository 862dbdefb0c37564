/*
 * Shared by the differential cases (the .c files of tests/diff): result lines and the
 * helpers every case may use. See diffcases.c for the rules of a case.
 */
#ifndef DIFF_H
#define DIFF_H

#define _GNU_SOURCE
#include <errno.h>

/* linux/in6.h's and linux/in.h's options that glibc's netinet/in.h lacks */
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif
#ifndef IPV6_ROUTER_ALERT_ISOLATE
#define IPV6_ROUTER_ALERT_ISOLATE 30
#endif
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND 33
#endif
#ifndef IPV6_AUTOFLOWLABEL
#define IPV6_AUTOFLOWLABEL 70
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_UNICAST_IF
#define IPV6_UNICAST_IF 76
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE 77
#endif
#ifndef IP_RECVFRAGSIZE
#define IP_RECVFRAGSIZE 25
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif

/* The running case's name, the first word of each result line. */
extern const char *cur_case;

/* errno's symbolic name ("0" for none). */
const char *errname(int e);

/* One result line: "case step: ret=R errno=E" (errno only when R < 0). */
void R(const char *step, long ret);

/* A free-form result line: "case step: ...". */
void V(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A result line for CALL with the errno it left ("what: ret=R errno=E"). */
#define TRY(what, call)                                                        \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (call);                                              \
		R(what, r_);                                                   \
	} while (0)

/* getsockopt of an int option: "ret=R errno=E val=V len=L". */
void get_int(const char *step, int fd, int level, int opt);
/* setsockopt of an int option, as a result line. */
void set_int(const char *step, int fd, int level, int opt, int v);

/* open(path, O_WRONLY) and one write of text, as a result line (the
 * open's errno when it fails). */
void write_file(const char *step, const char *path, const char *text);

/* A connected TCP pair over 127.0.0.1: *c the client, *s the accepted
 * side (the listener is closed). */
void tcp_pair(int *c, int *s);

/* Runs fn in a child (for privilege changes) and waits for it. */
void ck_child(void (*fn)(void));

/* Drops one capability from the effective set. */
int drop_cap(int cap);

/* Arms a 5-second alarm whose handler only interrupts: a call that Linux
 * answers at once but moat would block on returns EINTR instead of hanging
 * the case. guard_end() disarms it. */
void guard_begin(void);
void guard_end(void);

/* The cases of sockcases.c. */
void case_sockopt_presence(void);
void case_nonblocking_answers(void);
void case_socket_results(void);
void case_udp_cork(void);
void case_epoll_limits(void);

/* seqcases.c */
void case_random_sequences(void);
void case_option_levels(void);

/* unixcases.c */
void case_unix_edges(void);
void case_unix_oob(void);
void case_tcp_sigurg(void);

/* ip4optcases.c */
void case_ip4_options(void);
void case_ip4_msfilter(void);
void case_socket_options_more(void);

/* The case of bpfcases.c. */
void case_bpf_filters(void);

/* The cases of sockcallcases.c. */
void case_socket_calls(void);
void case_epoll_exclusive(void);

/* tcpoptcases.c */
void case_tcp_options(void);

/* keptcases.c */
void case_socket_options_kept(void);
void case_socket_timestamps(void);

/* tfocases.c */
void case_tcp_fastopen(void);

/* sendcmsgcases.c */
void case_udp_send_cmsgs(void);

/* The cases of udpcases.c. */
void case_udp_addresses(void);
void case_udp_errqueue(void);

/* mcastcases.c */
void case_mcast_loopback(void);

/* mcast6cases.c */
void case_mcast6_loopback(void);

/* nscases.c */
void case_namespaces(void);

/* mountcases.c */
void case_mount_ns(void);

/* ip6optcases.c */
void case_ipv6_sysctl(void);
void case_ip6_options(void);

/* ip6morecases.c */
void case_ip6_options_more(void);

/* seqfixcases.c */
void case_seq_fixes(void);

/* seqfix2cases.c */
void case_seq_fixes2(void);

/* connectcases.c */
void case_tcp_connect_failure(void);
void case_udp_edges(void);

/* udpgrocases.c */
void case_udp_options_last(void);

/* tcplastcases.c */
void case_tcp_options_last(void);

/* uxfiltcases.c */
void case_unix_filters(void);

/* sweeplastcases.c */
void case_sweep_last(void);

/* tcpwirecases.c */
void case_tcp_defer_accept(void);

/* fdkindcases.c */
void case_fd_kinds(void);

/* splicecases.c */
void case_splice_calls(void);

/* linkcases.c */
void case_link_loopback(void);

/* rwndcases.c */
void case_rwnd(void);

/* ip6restcases.c */
void case_ip6_options_rest(void);

/* peekoffcases.c */
void case_peek_off(void);

/* tstampcases.c */
void case_so_timestamping(void);

/* repaircases.c */
void case_tcp_repair(void);

/* ipoptcases.c */
void case_ip_options(void);

/* rawcases.c */
void case_raw_sockets(void);

/* solcases.c */
void case_socket_options_last(void);

#endif
