#!/usr/bin/python3
"""build-guest: builds the tiny Linux guest of the interop guest tests into a cache directory.

    build-guest.py [--cache DIR] [--rebuild]

The guest is Debian's own kernel (the package linux-image-amd64 depends on, fetched with
`apt-get download` and unpacked with `dpkg-deb -x`) and a busybox initramfs whose /init
(init.sh here) loads the QXL DRM driver and its dependencies, then runs a shell on tty1, the QXL
framebuffer console. /bin/fbdraw (fbdraw.c here, compiled with gcc -static) draws a known pattern
into /dev/fb0, /bin/drmcursor (drmcursor.c) shows a known cursor through the DRM cursor plane. The cache (default BUILD/tests/interop/guest-cache) holds:
    kernel/vmlinuz, kernel/modules/*.ko, kernel/VERSION    the downloaded kernel, kept across rebuilds
    vmlinuz, initrd.gz, guest.json                         the guest; guest.json says what it is made of
It is reused while guest.json matches the inputs (this script, init.sh, the C sources, busybox).

Needs: apt-get (package lists present, or root to run apt-get update), dpkg-deb, depmod (kmod),
busybox (busybox-static), gcc with a static libc, libdrm-dev's headers, xz/zstd only if the
modules are compressed.
SPICE_SUITE_GUEST_KERNEL_DEB=/path/to/linux-image-*.deb uses that package instead of downloading.
Prints the paths as JSON on stdout.
"""
import argparse
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get('SPICE_SUITE_SOURCE_DIR') or os.path.normpath(os.path.join(HERE, '..', '..', '..'))
BUILD_DIR = os.environ.get('SPICE_SUITE_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build')
BUSYBOX = '/bin/busybox'
# The driver the guest needs; its dependencies come from the kernel's modules.dep.
ROOT_MODULES = ['qxl']
# Bump when the layout of the cache changes in a way the input hashes do not show.
FORMAT = 1


class BuildError(Exception):
    """The guest could not be built; the message names the step and the fix."""


def log(*args):
    print('build-guest:', *args, file=sys.stderr, flush=True)


def default_cache_dir():
    return os.path.join(BUILD_DIR, 'tests', 'interop', 'guest-cache')


def run(argv, cwd=None, what=None):
    """Runs @argv; returns its stdout as text or raises BuildError with its stderr."""
    try:
        done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    except FileNotFoundError:
        raise BuildError('%s: %s is not installed (scripts/install-deps.sh installs it)'
                         % (what or argv[0], argv[0]))
    except subprocess.TimeoutExpired:
        raise BuildError('%s: %s took more than 600 s' % (what or argv[0], ' '.join(argv)))
    if done.returncode != 0:
        raise BuildError('%s: %s exited %d: %s' % (what or argv[0], ' '.join(argv), done.returncode,
                                                  done.stderr.decode('utf-8', 'replace').strip()[-2000:]))
    return done.stdout.decode('utf-8', 'replace')


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# The kernel: Debian's linux-image package

def kernel_package_name():
    """The linux-image-6.1.*-amd64 package that linux-image-amd64 currently depends on."""
    def ask():
        try:
            out = run(['apt-cache', 'depends', 'linux-image-amd64'], what='finding the kernel package')
        except BuildError:
            return None
        for line in out.splitlines():
            m = re.match(r'\s*Depends:\s*(linux-image-[0-9][^\s]*-amd64)\s*$', line)
            if m:
                return m.group(1)
        return None
    name = ask()
    if name is None and os.geteuid() == 0:
        log('apt-cache knows no linux-image-amd64: running apt-get update')
        run(['apt-get', 'update', '-q'], what='apt-get update')
        name = ask()
    if name is None:
        raise BuildError('apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package: '
                         'run apt-get update (as root), or set SPICE_SUITE_GUEST_KERNEL_DEB to a .deb')
    return name


def fetch_kernel_deb(workdir):
    given = os.environ.get('SPICE_SUITE_GUEST_KERNEL_DEB')
    if given:
        if not os.path.isfile(given):
            raise BuildError('SPICE_SUITE_GUEST_KERNEL_DEB=%s is not a file' % given)
        return given
    name = kernel_package_name()
    log('downloading %s (about 70 MB)' % name)
    run(['apt-get', 'download', '-q', name], cwd=workdir, what='apt-get download %s' % name)
    debs = [f for f in os.listdir(workdir) if f.startswith(name + '_') and f.endswith('.deb')]
    if len(debs) != 1:
        raise BuildError('apt-get download %s left %r in %s' % (name, debs, workdir))
    return os.path.join(workdir, debs[0])


def read_modules_dep(moddir):
    """{module name: (path relative to moddir, [dependency paths])} from modules.dep."""
    deps = {}
    with open(os.path.join(moddir, 'modules.dep')) as f:
        for line in f:
            if ':' not in line:
                continue
            path, rest = line.split(':', 1)
            deps[module_name(path)] = (path, rest.split())
    return deps


def module_name(path):
    base = os.path.basename(path)
    base = re.sub(r'\.ko(\.(xz|zst|gz))?$', '', base)
    return base.replace('-', '_')


def builtin_modules(moddir):
    path = os.path.join(moddir, 'modules.builtin')
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {module_name(l.strip()) for l in f if l.strip()}


def load_order(deps, builtins, roots):
    """Module names to insmod, each after all of its dependencies (built-in ones left out)."""
    order = []
    visiting = set()

    def visit(name):
        if name in order or name in builtins:
            return
        if name not in deps:
            raise BuildError('module %s is neither in modules.dep nor built in' % name)
        if name in visiting:
            raise BuildError('modules.dep has a dependency cycle through %s' % name)
        visiting.add(name)
        for dep in deps[name][1]:
            visit(module_name(dep))
        visiting.discard(name)
        order.append(name)

    for root in roots:
        visit(root)
    return order


def decompress_module(src, dst):
    """Copies a module as plain .ko (busybox insmod may not read compressed ones)."""
    if src.endswith('.ko'):
        shutil.copyfile(src, dst)
        return
    tool = {'.xz': ['xz', '-dc'], '.zst': ['zstd', '-dcq'], '.gz': ['gzip', '-dc']}[os.path.splitext(src)[1]]
    with open(dst, 'wb') as out:
        try:
            done = subprocess.run(tool + [src], stdout=out, stderr=subprocess.PIPE, timeout=120)
        except FileNotFoundError:
            raise BuildError('decompressing %s needs %s' % (src, tool[0]))
    if done.returncode != 0:
        raise BuildError('%s %s failed: %s' % (' '.join(tool), src, done.stderr.decode('utf-8', 'replace')))


def ensure_kernel(cache):
    """The kernel and the modules the guest loads, in @cache/kernel (downloaded once)."""
    kdir = os.path.join(cache, 'kernel')
    info_path = os.path.join(kdir, 'VERSION')
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
        if info.get('format') == FORMAT and info.get('roots') == ROOT_MODULES:
            return kdir, info
    shutil.rmtree(kdir, ignore_errors=True)
    work = tempfile.mkdtemp(prefix='kernel-', dir=cache)
    try:
        deb = fetch_kernel_deb(work)
        root = os.path.join(work, 'root')
        run(['dpkg-deb', '-x', deb, root], what='unpacking %s' % deb)
        versions = os.listdir(os.path.join(root, 'lib', 'modules'))
        if len(versions) != 1:
            raise BuildError('%s holds modules for %r, expected one kernel' % (deb, versions))
        version = versions[0]
        vmlinuz = os.path.join(root, 'boot', 'vmlinuz-' + version)
        if not os.path.exists(vmlinuz):
            raise BuildError('%s has no boot/vmlinuz-%s' % (deb, version))
        moddir = os.path.join(root, 'lib', 'modules', version)
        # The package ships no modules.dep (its postinst runs depmod): make one in the unpacked tree.
        run(['depmod', '-b', root, version], what='depmod')
        deps = read_modules_dep(moddir)
        order = load_order(deps, builtin_modules(moddir), ROOT_MODULES)
        staged = tempfile.mkdtemp(prefix='staged-', dir=cache)
        os.makedirs(os.path.join(staged, 'modules'))
        shutil.copyfile(vmlinuz, os.path.join(staged, 'vmlinuz'))
        files = []
        for name in order:
            fname = name + '.ko'
            decompress_module(os.path.join(moddir, deps[name][0]), os.path.join(staged, 'modules', fname))
            files.append(fname)
        info = {'format': FORMAT, 'roots': ROOT_MODULES, 'version': version,
                'package': os.path.basename(deb), 'modules': files}
        with open(os.path.join(staged, 'VERSION'), 'w') as f:
            json.dump(info, f, indent=1)
        os.rename(staged, kdir)
        log('kernel %s, modules in load order: %s' % (version, ' '.join(files)))
        return kdir, info
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The initramfs: a newc cpio written here (device nodes need no root this way)

class Cpio:
    """Writes a gzip'ed newc cpio archive; every entry owned by root, mtime 0 (reproducible)."""

    def __init__(self, path):
        self.out = gzip.GzipFile(path, 'wb', mtime=0)
        self.ino = 1

    def _entry(self, name, mode, data=b'', rdev=(0, 0)):
        namez = name.encode() + b'\0'
        header = b'070701' + b''.join(b'%08X' % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0))
        self.ino += 1
        self.out.write(header + namez)
        self.out.write(b'\0' * (-(len(header) + len(namez)) % 4))
        self.out.write(data)
        self.out.write(b'\0' * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, 0o040755)

    def file(self, name, data, executable=False):
        self._entry(name, 0o100755 if executable else 0o100644, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def close(self):
        self._entry('TRAILER!!!', 0)
        self.out.close()


# The guest's own programs: name -> (source here, extra compiler flags, package that provides them).
GUEST_PROGRAMS = {
    'fbdraw': ('fbdraw.c', [], 'libc6-dev'),
    'drmcursor': ('drmcursor.c', ['-I/usr/include/libdrm'], 'libdrm-dev (DRM uapi headers)'),
}


def build_program(workdir, name):
    source, flags, package = GUEST_PROGRAMS[name]
    out = os.path.join(workdir, name)
    run(['gcc', '-static', '-Os', '-std=gnu11', '-Wall', '-Wextra', '-Werror'] + flags +
        ['-o', out, os.path.join(HERE, source)], what='compiling %s (needs gcc and %s)' % (source, package))
    run(['strip', out], what='strip %s' % name)
    with open(out, 'rb') as f:
        return f.read()


def busybox_applets():
    out = run([BUSYBOX, '--list'], what='busybox --list (apt-get install busybox-static)')
    return sorted(a for a in out.split() if a and '/' not in a and a != 'busybox')


def write_initramfs(path, kdir, kinfo, workdir):
    with open(BUSYBOX, 'rb') as f:
        busybox = f.read()
    with open(os.path.join(HERE, 'init.sh'), 'rb') as f:
        init = f.read()
    programs = {name: build_program(workdir, name) for name in sorted(GUEST_PROGRAMS)}
    cpio = Cpio(path)
    for d in ('bin', 'sbin', 'dev', 'etc', 'lib', 'lib/modules', 'proc', 'sys', 'tmp', 'root'):
        cpio.dir(d)
    # /init's stdio before devtmpfs is mounted.
    cpio.chardev('dev/console', 5, 1)
    cpio.file('init', init, executable=True)
    cpio.file('bin/busybox', busybox, executable=True)
    for applet in busybox_applets():
        cpio.symlink('bin/' + applet, 'busybox')
    # The kernel runs /sbin/modprobe for modules it wants (request_module).
    cpio.symlink('sbin/modprobe', '../bin/busybox')
    for name, binary in programs.items():
        cpio.file('bin/' + name, binary, executable=True)
    for fname in kinfo['modules']:
        with open(os.path.join(kdir, 'modules', fname), 'rb') as f:
            cpio.file('lib/modules/' + fname, f.read())
    cpio.file('etc/guest-modules', ''.join(m + '\n' for m in kinfo['modules']).encode())
    cpio.close()


# ---------------------------------------------------------------------------------------------

def input_digest():
    h = hashlib.sha256()
    h.update(b'format %d\n' % FORMAT)
    sources = [os.path.join(HERE, GUEST_PROGRAMS[n][0]) for n in sorted(GUEST_PROGRAMS)]
    for path in [os.path.abspath(__file__), os.path.join(HERE, 'init.sh'), BUSYBOX] + sources:
        if not os.path.exists(path):
            raise BuildError('%s is missing%s' % (path, ' (apt-get install busybox-static)'
                                                  if path == BUSYBOX else ''))
        h.update(file_sha256(path).encode())
    return h.hexdigest()


def ensure_guest(cache=None, rebuild=False):
    """Builds the guest unless @cache holds a current one; returns guest.json with absolute paths."""
    cache = os.path.abspath(cache or default_cache_dir())
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two test runs of one build share the cache
        meta_path = os.path.join(cache, 'guest.json')
        digest = input_digest()
        if rebuild:
            shutil.rmtree(os.path.join(cache, 'kernel'), ignore_errors=True)
        elif os.path.exists(meta_path):
            with open(meta_path) as f:
                meta = json.load(f)
            if meta.get('inputs') == digest and all(os.path.exists(os.path.join(cache, meta.get(k, '')))
                                                    for k in ('kernel', 'initrd')):
                return with_paths(cache, meta)
        kdir, kinfo = ensure_kernel(cache)
        work = tempfile.mkdtemp(prefix='initramfs-', dir=cache)
        try:
            initrd = os.path.join(cache, 'initrd.gz')
            write_initramfs(initrd + '.new', kdir, kinfo, work)
            os.replace(initrd + '.new', initrd)
            kernel = os.path.join(cache, 'vmlinuz')
            shutil.copyfile(os.path.join(kdir, 'vmlinuz'), kernel + '.new')
            os.replace(kernel + '.new', kernel)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        meta = {'inputs': digest, 'kernel': 'vmlinuz', 'initrd': 'initrd.gz', 'kernel_version': kinfo['version'],
                'kernel_package': kinfo['package'], 'modules': kinfo['modules']}
        with open(meta_path + '.new', 'w') as f:
            json.dump(meta, f, indent=1)
        os.replace(meta_path + '.new', meta_path)
        log('guest built in %s (kernel %s, initrd %d KiB)' % (cache, kinfo['version'],
                                                               os.path.getsize(initrd) // 1024))
        return with_paths(cache, meta)


def with_paths(cache, meta):
    """guest.json names files relative to the cache (it may move): the absolute paths."""
    meta = dict(meta)
    for key in ('kernel', 'initrd'):
        meta[key] = os.path.join(cache, meta[key])
    return meta


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cache', help='cache directory (default %s)' % default_cache_dir())
    ap.add_argument('--rebuild', action='store_true', help='download and build again')
    args = ap.parse_args(argv[1:])
    try:
        meta = ensure_guest(args.cache, args.rebuild)
    except BuildError as e:
        print('build-guest: %s' % e, file=sys.stderr)
        return 1
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
