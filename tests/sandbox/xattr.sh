#!/bin/bash
# Extended attributes (sentry/vfs/xattr.c), natively and in the sandbox,
# compared: the same Python cases on a host directory (natively: itself;
# in the sandbox: bind-mounted through the gofer), on tmpfs (/tmp on both
# sides) and on the root's writable layer over a host file with attributes
# of its own (read through the gofer, copied up on the first change, the
# host file unchanged). Differences are bugs, but for the ones listed
# below with their reason.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd)
mkdir -p "$T/host" "$T/ro"
cat >"$T/cases.py" <<'EOF'
import errno, os, sys
d = sys.argv[1]
def run(name, f):
    try:
        r = f()
        print(name, "ok", r if r is not None else "")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
f = os.path.join(d, "xf")
open(f, "w").write("data")
sub = os.path.join(d, "xd")
os.makedirs(sub, exist_ok=True)
ln = os.path.join(d, "xl")
if not os.path.islink(ln):
    os.symlink("xf", ln)
run("set", lambda: os.setxattr(f, "user.a", b"1"))
run("get", lambda: os.getxattr(f, "user.a"))
run("set_replace", lambda: os.setxattr(f, "user.a", b"22", os.XATTR_REPLACE))
run("get_replaced", lambda: os.getxattr(f, "user.a"))
run("create_existing", lambda: os.setxattr(f, "user.a", b"x", os.XATTR_CREATE))
run("replace_missing", lambda: os.setxattr(f, "user.nope", b"x", os.XATTR_REPLACE))
run("get_missing", lambda: os.getxattr(f, "user.nope"))
run("set_b", lambda: os.setxattr(f, "user.b", b"\x00\xffbinary"))
run("list", lambda: sorted(os.listxattr(f)))
run("get_binary", lambda: os.getxattr(f, "user.b"))
run("empty_value", lambda: (os.setxattr(f, "user.e", b""), os.getxattr(f, "user.e")))
run("remove", lambda: os.removexattr(f, "user.b"))
run("remove_missing", lambda: os.removexattr(f, "user.b"))
run("list_after", lambda: sorted(os.listxattr(f)))
run("bad_namespace", lambda: os.setxattr(f, "foo.bar", b"x"))
run("bare_prefix", lambda: os.setxattr(f, "user.", b"x"))
run("name_too_long", lambda: os.setxattr(f, "user." + "n" * 251, b"x"))
run("value_too_big", lambda: os.setxattr(f, "user.big", b"v" * 65537))
run("dir_set", lambda: os.setxattr(sub, "user.d", b"dir"))
run("dir_get", lambda: os.getxattr(sub, "user.d"))
run("symlink_user_set", lambda: os.setxattr(ln, "user.l", b"x", follow_symlinks=False))
run("symlink_user_get", lambda: os.getxattr(ln, "user.l", follow_symlinks=False))
run("through_symlink", lambda: os.getxattr(ln, "user.a"))
run("missing_file", lambda: os.getxattr(os.path.join(d, "none"), "user.a"))
fd = os.open(f, os.O_RDONLY)
run("fd_get", lambda: os.getxattr(fd, "user.a"))
run("fd_list", lambda: sorted(os.listxattr(fd)))
os.close(fd)
EOF
clean() { rm -rf "$T/host/"* "$T/tmpside" 2>/dev/null; }

# host directory: natively, then bind-mounted
clean
native=$(python3 "$T/cases.py" "$T/host" 2>&1)
clean
inside=$("$MOAT" do --network none -v "$T:/t" -- python3 /t/cases.py /t/host 2>&1)
expect_same xattr.bind_mount_vs_native "$native" "$inside"
check xattr.bind_mount_on_host bash -c "getfattr -n user.a --only-values '$T/host/xf' 2>/dev/null | grep -qx 22 ||
	python3 -c 'import os,sys; sys.exit(os.getxattr(\"$T/host/xf\", \"user.a\") != b\"22\")'"

# the bind mount's root itself (its directory fd in the gofer is O_PATH)
inside=$("$MOAT" do --network none -v "$T/host:/h" -- python3 -c "
import os
os.setxattr('/h', 'user.top', b'root-of-mount')
print(os.getxattr('/h', 'user.top'))" 2>&1; echo "exit $?")
expect xattr.bind_mount_root "b'root-of-mount' exit 0 b'root-of-mount'" \
	"$(echo $inside) $(python3 -c "import os; print(os.getxattr('$T/host', 'user.top'))" 2>&1)"

# tmpfs: /tmp on both sides (Linux's tmpfs keeps user.* since 6.6)
native=$(d=$(mktemp -d /tmp/moat-xattr.XXXXXX) && python3 "$T/cases.py" "$d" 2>&1; rm -rf "$d")
inside=$("$MOAT" do --network none -v "$T:/t" -- sh -c 'mkdir /tmp/x && python3 /t/cases.py /tmp/x' 2>&1)
expect_same xattr.tmpfs_vs_native "$native" "$inside"

# the root's writable layer over a host file that has attributes
echo lower >"$T/lower.txt"
python3 -c "import os; os.setxattr('$T/lower.txt', 'user.lower', b'from-host')"
inside=$("$MOAT" do --network none -- python3 -c "
import os
p = '$T/lower.txt'
print(os.getxattr(p, 'user.lower'))
os.setxattr(p, 'user.new', b'in-sandbox')
print(sorted(os.listxattr(p)), os.getxattr(p, 'user.lower'))
os.removexattr(p, 'user.lower')
print(sorted(os.listxattr(p)))
" 2>&1)
expect xattr.overlay_lower "b'from-host'|['user.lower', 'user.new'] b'from-host'|['user.new']" \
	"$(tr '\n' '|' <<<"$inside" | sed 's/|$//')"
expect xattr.overlay_host_unchanged "['user.lower']" \
	"$(python3 -c "import os; print(sorted(os.listxattr('$T/lower.txt')))")"

# read-only bind mount: EROFS
echo x >"$T/ro/f"
inside=$("$MOAT" do --network none -v "$T/ro:/ro:ro" -- python3 -c "
import errno, os
try:
    os.setxattr('/ro/f', 'user.x', b'1'); print('set')
except OSError as e:
    print(errno.errorcode[e.errno])
print(os.listxattr('/ro/f'))
" 2>&1)
expect xattr.ro_bind_mount "EROFS|[]" "$(tr '\n' '|' <<<"$inside" | sed 's/|$//')"

# Expected differences (not compared above): trusted.* and security.* on a
# host tree need CAP_SYS_ADMIN / CAP_SETFCAP in the host's eyes, which the
# gofer does not have (EPERM where native root succeeds); on tmpfs and the
# writable layer they work as for Linux's root. system.* (POSIX ACLs):
# EOPNOTSUPP in the sandbox.
inside=$("$MOAT" do --network none -- python3 -c "
import os
open('/tmp/t', 'w').close()
os.setxattr('/tmp/t', 'trusted.t', b'1'); os.setxattr('/tmp/t', 'security.s', b'2')
print(sorted(os.listxattr('/tmp/t')))
" 2>&1)
expect xattr.trusted_security_tmpfs "['security.s', 'trusted.t']" "$inside"
