/* moat: the user-facing binary. Subcommands are dispatched from here. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "moat.h"
#include "oci.h"

void moat_random(void *buf, size_t len)
{
	uint8_t *b = buf;
	while (len) {
		ssize_t n = getrandom(b, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* No entropy source: fall back to a weak but working seed. */
			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)(i * 131 + (size_t)&buf);
			return;
		}
		b += n;
		len -= (size_t)n;
	}
}

int moat_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: moat COMMAND [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  do       run a program in a sandbox (its syscalls served by Moat's sentry)\n"
		"  stack    run the netstack on an interface (debugging, tests)\n"
		"  impair   bridge two interfaces with loss, duplication, reordering, delay, corruption\n"
		"  help     this text\n"
		"\n"
		"OCI runtime commands (runc's command line, for Docker, containerd, podman):\n"
		"  create, start, run, state, kill, delete, list, ps, pause, resume, events,\n"
		"  update, spec, features, --version; 'moat --root DIR ...' and the other\n"
		"  global options of runc come first. 'moat oci-help' lists them.\n"
		"\n"
		"Run 'moat COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "stack"))
		return cmd_stack(argc - 1, argv + 1);
	if (!strcmp(cmd, "do"))
		return cmd_do(argc - 1, argv + 1);
	if (!strcmp(cmd, "impair"))
		return cmd_impair(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "oci-help")) {
		char *av[] = { argv[0], "--help", NULL };
		return cmd_oci(2, av);
	}
	/* Anything else is runc's command line (global options first). */
	return cmd_oci(argc, argv);
}
