/*
 * The gofer protocol (version 1), shared by the gofer (gofer/server.c)
 * and the sentry's client (sentry/vfs/goferfs.c). gofer/README.md is its
 * documentation; keep the two in step.
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET socketpair; every message is one
 * packet of at most GOFER_MSG_MAX bytes. The sentry sends a request and
 * reads its reply before it sends the next one (CLUNK has no reply;
 * READDIR's reply may be several packets, all but the last flagged
 * GOFER_MORE). An opened file travels as one SCM_RIGHTS fd on OPEN's
 * reply. All integers are in the host's byte order (both ends are
 * processes of one host).
 *
 * Every request is a struct gofer_req followed by name_len bytes of name
 * and name2_len bytes of name2 (no NUL terminators). Every reply is a
 * struct gofer_rep followed by data_len bytes of data.
 */
#ifndef GOFER_PROTO_H
#define GOFER_PROTO_H

#include <stdint.h>

#define GOFER_VERSION 1
#define GOFER_MSG_MAX 65536
#define GOFER_MAX_EXPORTS 64
#define GOFER_NAME_MAX 255     /* one path component */
#define GOFER_TARGET_MAX 4095  /* a symlink's target */
#define GOFER_XATTR_MAX 65000  /* an attribute's value, a list of names */

enum gofer_op {
	GOP_HELLO = 1, /* node: 0; flags: the client's version. Reply: node = number
			  of exports; data = struct gofer_export_info per export */
	GOP_ROOT,      /* flags: export index. Reply: node, attr */
	GOP_WALK,      /* node: dir; name. Reply: node, attr (no symlink followed) */
	GOP_GETATTR,   /* node. Reply: attr */
	GOP_READDIR,   /* node: dir; flags: GOFER_PLUS or 0. Reply: data =
			  gofer_dirent records (with GOFER_PLUS each followed by
			  a struct gofer_plus: a new handle, as WALK's, and the
			  attributes), GOFER_MORE on every packet but the last */
	GOP_READLINK,  /* node. Reply: data = the target */
	GOP_OPEN,      /* node: a regular file; flags: O_RDONLY/O_WRONLY/O_RDWR |
			  O_APPEND. Reply: GOFER_FD and one fd */
	GOP_STATFS,    /* node. Reply: data = struct gofer_statfs */
	GOP_CLUNK,     /* node: forget this handle (0: none); name2: more handles
			  to forget, 8 bytes each (name_len 0). No reply */
	GOP_CREATE,    /* node: dir; name; mode (S_IFREG, S_IFIFO or S_IFSOCK and
			  permissions). Reply: node, attr */
	GOP_MKDIR,     /* node: dir; name; mode. Reply: node, attr */
	GOP_SYMLINK,   /* node: dir; name; name2: target. Reply: node, attr */
	GOP_LINK,      /* node: dir; name; node2: existing non-directory. Reply: - */
	GOP_UNLINK,    /* node: dir; name; flags: 1 = rmdir. Reply: - */
	GOP_RENAME,    /* node: old dir; name; node2: new dir; name2; flags:
			  renameat2 flags. Reply: - */
	GOP_SETATTR,   /* node; valid (GOFER_SET_*), mode, uid, gid, size, times.
			  Reply: - */
	GOP_TMPFILE,   /* node: dir of a writable export. Reply: GOFER_FD and one
			  fd: an unnamed regular file there (O_TMPFILE), read-write */
	GOP_XATTR,     /* node; flags: XOP_* (0 get, 1 set, 2 list, 3 remove) | the
			  setxattr flags << 8; name: the attribute (get, set,
			  remove); name2: the value (set). Reply: data = the value
			  (get) or the NUL-separated names (list), whole */
	GOP_MAX
};

/* Reply flags. */
#define GOFER_MORE 1 /* READDIR: another packet follows */
#define GOFER_FD 2   /* one fd is attached (SCM_RIGHTS) */

/* READDIR's flag: a handle and the attributes of every entry, so that the
 * lookups that follow a listing need no round trip (the client caches them
 * briefly; one it does not use it clunks). */
#define GOFER_PLUS 1

/* SETATTR's valid bits (the sentry's ATTR_* values, fixed here). */
#define GOFER_SET_MODE 0x01
#define GOFER_SET_UID 0x02
#define GOFER_SET_GID 0x04
#define GOFER_SET_SIZE 0x08
#define GOFER_SET_ATIME 0x10
#define GOFER_SET_MTIME 0x20

struct gofer_time {
	int64_t sec;
	int64_t nsec;
};

struct gofer_req {
	uint16_t op;	     /* enum gofer_op */
	uint16_t name_len;   /* bytes of name after this header */
	uint16_t name2_len;  /* bytes of name2 after name */
	uint16_t pad;	     /* 0 */
	uint32_t flags;	     /* per op (see above) */
	uint32_t mode;	     /* CREATE, MKDIR, SETATTR */
	uint64_t node;	     /* the handle operated on */
	uint64_t node2;	     /* LINK's target, RENAME's new directory */
	uint32_t uid, gid;   /* SETATTR */
	uint64_t size;	     /* SETATTR */
	struct gofer_time atime, mtime; /* SETATTR (nsec UTIME_NOW allowed) */
};

struct gofer_attr {
	uint32_t mode, uid, gid, nlink;
	uint64_t size, blocks, ino, dev, rdev;
	struct gofer_time atime, mtime, ctime;
};

struct gofer_rep {
	int32_t err;	   /* 0 or -errno */
	uint32_t flags;	   /* GOFER_MORE, GOFER_FD */
	uint64_t node;	   /* a new handle (WALK, ROOT, CREATE, MKDIR, SYMLINK) */
	struct gofer_attr attr;
	uint32_t data_len; /* bytes after this header */
	uint32_t pad;
};

struct gofer_export_info {
	int32_t err;	  /* 0, or -errno: the export could not be opened */
	uint32_t readonly;
};

/* READDIR data: records of 12 bytes plus the name, packed, unaligned. */
struct gofer_dirent {
	uint64_t ino;
	uint8_t type;	   /* DT_* */
	uint8_t pad;
	uint16_t name_len;
	/* name_len bytes */
} __attribute__((packed));

struct gofer_plus {
	uint64_t node; /* 0: the entry could not be walked (gone meanwhile) */
	struct gofer_attr attr;
};

struct gofer_statfs {
	int64_t type, bsize, frsize, namelen, flags;
	uint64_t blocks, bfree, bavail, files, ffree;
};

#endif
