/* The moat CLI: subcommands and shared helpers. */
#ifndef MOAT_H
#define MOAT_H

#include <stdint.h>
#include <stdio.h>

int cmd_stack(int argc, char **argv);
int cmd_do(int argc, char **argv);
int cmd_impair(int argc, char **argv);

/* Remove the kernel's addresses from `ifname` and keep the kernel from
 * answering on it. 0 or -errno. */
int moat_iface_takeover(const char *ifname);

/* Writes the string val to the file at path (sysctls, cgroup files).
 * 0 or -errno. */
int moat_write_str(const char *path, const char *val);

/* Fill buf with len random bytes (getrandom). */
void moat_random(void *buf, size_t len);

#define moat_err(...) fprintf(stderr, "moat: " __VA_ARGS__)

#endif
