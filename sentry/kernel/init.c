/* The first task of a sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "kernel.h"

static const char *getenv_in(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* execvp(3)'s search, inside the sandbox (img: a fresh host image, or
 * NULL to replace the task's own). */
int exec_search(struct task *t, char **argv, char **envp, const struct pimage *img)
{
	const char *prog = argv[0];
	if (strchr(prog, '/'))
		return img ? do_execve_fresh(t, prog, argv, envp, img) : do_execve(t, AT_FDCWD, prog, argv, envp, 0);
	const char *path = getenv_in(envp, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int err = -ENOENT, seen_eacces = 0;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", prog);
		int e = img ? do_execve_fresh(t, full, argv, envp, img) : do_execve(t, AT_FDCWD, full, argv, envp, 0);
		if (e == -ENORETURN) {
			free(copy);
			return e;
		}
		if (e == -EACCES)
			seen_eacces = 1;
		else if (e != -ENOENT && e != -ENOTDIR && e != -ELOOP)
			err = e;
	}
	free(copy);
	return seen_eacces && err == -ENOENT ? -EACCES : err;
}

int kernel_start_init(struct kernel *k, char **argv, char **envp, const struct path *root,
		      const struct path *cwd, struct fdtable *fds, const struct cred *cred,
		      const struct rlimit *rlim)
{
	struct ptask *pt;
	struct pimage img;
	int e = platform_spawn(k->plat, &pt, &img);
	if (e) {
		fdtable_put(fds);
		return e;
	}
	struct task *t = task_alloc(k);
	struct thread_group *tg = t ? tg_alloc(k, 1) : NULL;
	if (!t || !tg) {
		platform_kill(pt);
		free(t);
		fdtable_put(fds);
		return -ENOMEM;
	}
	t->tid = 1;
	t->tg = tg;
	t->cpus = k->cpus;
	t->pt = pt;
	pt->owner = t;
	tg->leader = t;
	tg->pgid = tg->sid = 1;
	tg->host_parent = NULL; /* the sentry itself reaps pid 1 */
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		if (rlim)
			tg->rlim[r] = rlim[r];
		else
			getrlimit(r, &tg->rlim[r]);
	}
	tg->rlim[RLIMIT_NPROC].rlim_cur = tg->rlim[RLIMIT_NPROC].rlim_max = (rlim_t)k->pids_limit;
	if (tg->rlim[RLIMIT_NOFILE].rlim_max > (1 << 20))
		tg->rlim[RLIMIT_NOFILE].rlim_max = 1 << 20;
	list_add_tail(&t->tg_link, &tg->threads);
	tg->nr_threads = 1;
	k->init = tg;
	struct cred *c = &t->cred;
	if (cred)
		*c = *cred;
	else
		cred_init(c, 0, 0, NULL, 0); /* root, every capability */
	t->mm = mm_alloc();
	t->files = fds;
	t->fs = calloc(1, sizeof(*t->fs));
	t->sighand = sighand_alloc();
	if (!t->mm || !t->fs || !t->sighand) {
		platform_kill(pt);
		return -ENOMEM;
	}
	t->fs->ref = 1;
	t->fs->root = *root;
	path_get(&t->fs->root);
	t->fs->cwd = *cwd;
	path_get(&t->fs->cwd);
	t->fs->umask = 022;
	strcpy(t->comm, "init");
	pid_hash_add(k, t);
	k->nr_tasks = 1;
	t->state = TS_SYSCALL;
	e = exec_search(t, argv, envp, &img);
	if (e != -ENORETURN)
		return e ? e : -ENOEXEC;
	task_return_to_user(t);
	return 0;
}
