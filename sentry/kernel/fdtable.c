/* File descriptor tables (shared by CLONE_FILES). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

void locks_remove_owner(struct inode *i, void *owner);

#define FD_HARD_MAX (1 << 20)

struct fdtable *fdtable_alloc(void)
{
	struct fdtable *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->ref = 1;
	ft->size = 64;
	ft->fds = calloc((size_t)ft->size, sizeof(*ft->fds));
	if (!ft->fds) {
		free(ft);
		return NULL;
	}
	return ft;
}

struct fdtable *fdtable_dup(struct fdtable *src)
{
	struct fdtable *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->ref = 1;
	ft->size = src->size;
	ft->lowest_free = src->lowest_free;
	ft->fds = calloc((size_t)ft->size, sizeof(*ft->fds));
	if (!ft->fds) {
		free(ft);
		return NULL;
	}
	for (int i = 0; i < src->size; i++) {
		if (src->fds[i].file) {
			ft->fds[i].file = file_get(src->fds[i].file);
			ft->fds[i].cloexec = src->fds[i].cloexec;
		}
	}
	return ft;
}

void fdtable_put(struct fdtable *ft)
{
	if (!ft || --ft->ref)
		return;
	for (int i = 0; i < ft->size; i++)
		if (ft->fds[i].file)
			file_put(ft->fds[i].file);
	free(ft->fds);
	free(ft);
}

int fd_nofile_limit(struct task *t)
{
	rlim_t lim = t->tg->rlim[RLIMIT_NOFILE].rlim_cur;
	return lim > FD_HARD_MAX ? FD_HARD_MAX : (int)lim;
}

static int grow(struct fdtable *ft, int want)
{
	if (want < ft->size)
		return 0;
	int n = ft->size;
	while (n <= want)
		n *= 2;
	struct fd_entry *nf = realloc(ft->fds, (size_t)n * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	memset(nf + ft->size, 0, (size_t)(n - ft->size) * sizeof(*nf));
	ft->fds = nf;
	ft->size = n;
	return 0;
}

int fd_install(struct task *t, struct file *f, int cloexec, int minfd)
{
	struct fdtable *ft = t->files;
	int lim = fd_nofile_limit(t);
	int start = minfd > ft->lowest_free ? minfd : ft->lowest_free;
	int fd = start;
	while (fd < ft->size && ft->fds[fd].file)
		fd++;
	if (fd >= lim)
		return minfd >= lim ? -EINVAL : -EMFILE;
	if (grow(ft, fd) < 0)
		return -ENOMEM;
	ft->fds[fd].file = file_get(f);
	ft->fds[fd].cloexec = cloexec;
	if (start == ft->lowest_free)
		ft->lowest_free = fd + 1;
	return fd;
}

int fd_install_at(struct task *t, int fd, struct file *f, int cloexec)
{
	struct fdtable *ft = t->files;
	if (fd < 0 || fd >= fd_nofile_limit(t))
		return -EBADF;
	if (grow(ft, fd) < 0)
		return -ENOMEM;
	struct file *old = ft->fds[fd].file;
	ft->fds[fd].file = file_get(f);
	ft->fds[fd].cloexec = cloexec;
	if (old)
		file_put(old);
	return fd;
}

struct file *fd_get(struct task *t, int fd)
{
	struct fdtable *ft = t->files;
	if (fd < 0 || fd >= ft->size || !ft->fds[fd].file)
		return NULL;
	return file_get(ft->fds[fd].file);
}

int fd_close(struct task *t, int fd)
{
	struct fdtable *ft = t->files;
	if (fd < 0 || fd >= ft->size || !ft->fds[fd].file)
		return -EBADF;
	struct file *f = ft->fds[fd].file;
	ft->fds[fd].file = NULL;
	ft->fds[fd].cloexec = 0;
	if (fd < ft->lowest_free)
		ft->lowest_free = fd;
	/* POSIX: closing any descriptor of a file drops the process's
	 * record locks on it. */
	if (f->inode && f->inode->locks)
		locks_remove_owner(f->inode, t->tg);
	file_put(f);
	return 0;
}

void fdtable_close_on_exec(struct fdtable *ft)
{
	for (int i = 0; i < ft->size; i++) {
		if (ft->fds[i].file && ft->fds[i].cloexec) {
			struct file *f = ft->fds[i].file;
			ft->fds[i].file = NULL;
			ft->fds[i].cloexec = 0;
			if (i < ft->lowest_free)
				ft->lowest_free = i;
			file_put(f);
		}
	}
}
