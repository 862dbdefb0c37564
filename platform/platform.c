/* The platform registry. */
#include <errno.h>
#include <string.h>

#include "platform.h"

static const struct platform_ops *const platforms[] = {
	&platform_ptrace_ops,
	&platform_systrap_ops,
};

const struct platform_ops *platform_find(const char *name)
{
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (!name || !strcmp(platforms[i]->name, name))
			return platforms[i];
	return NULL;
}

int platform_create(const struct platform_ops *ops, const struct platform_config *cfg,
		    struct ns_loop *loop, struct platform **out)
{
	if (!ops || !cfg || !cfg->stop_fn)
		return -EINVAL;
	return ops->create(cfg, loop, out);
}
