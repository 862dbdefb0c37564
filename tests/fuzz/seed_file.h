/*
 * Writes one seed of a harness's corpus, DIR/seed-NAME (FUZZ_WRITE_SEEDS,
 * see tests/fuzz/run.sh), and exits when it cannot. Header-only, like
 * tests/unit/books.h, so that each harness stays one source file.
 */
#ifndef FUZZ_SEED_FILE_H
#define FUZZ_SEED_FILE_H

#include <stdio.h>
#include <stdlib.h>

static inline void seed_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

#endif
