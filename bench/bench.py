#!/usr/bin/env python3
"""Benchmark eov against Ansible and pyinfra on N local SSH hosts.

Starts N sshd instances on loopback addresses 127.0.X.Y (each with its own config, host key and
writable root; a throwaway user with /bin/sh and an empty home, so no shell startup file taxes a
command), runs the same standard play with every tool, checks that they leave identical files,
and prints one table (also written to docs/performance.md). Run as root: see bench/README.md.
"""

import argparse
import hashlib
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
WORK = Path("/var/tmp/eovbench")
VENV = Path("/var/tmp/eovbench-venv")
USER = "eovbench"
PORT = 2200
# The hand-written reading of the figures in docs/performance.md starts here and is kept.
ANALYSIS = "## Reading the figures"


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


def address(i):
    return f"127.0.{100 + i // 250}.{1 + i % 250}"


class Hosts:
    """N sshd instances, started once for the largest N and removed at the end."""

    def __init__(self, count):
        self.count = count
        self.pids = []
        self.created_user = False

    def __enter__(self):
        # Instances left by an interrupted run (matched by their config path, which is ours).
        subprocess.run(["pkill", "-f", f"sshd -f {WORK}/sshd/"], check=False)
        time.sleep(0.5)
        if WORK.exists():
            shutil.rmtree(WORK)
        (WORK / "home").mkdir(parents=True)
        try:
            # A user left by an interrupted run has its home under WORK: it is ours to remove.
            self.created_user = pwd.getpwnam(USER).pw_dir == str(WORK / "home")
        except KeyError:
            sh("useradd", "--no-create-home", "--home-dir", str(WORK / "home"), "--shell", "/bin/sh", USER)
            self.created_user = True
        # No password, but not locked: sshd without PAM refuses locked accounts.
        sh("usermod", "-p", "*", USER)
        sh("chown", f"{USER}:", str(WORK / "home"))
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(WORK / "client_key"))
        shutil.copy(WORK / "client_key.pub", WORK / "authorized_keys")
        os.chmod(WORK / "authorized_keys", 0o644)
        Path("/run/sshd").mkdir(exist_ok=True)
        known = []
        for i in range(self.count):
            d = WORK / "sshd" / f"h{i}"
            d.mkdir(parents=True)
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host_key"))
            (d / "sshd_config").write_text(
                f"ListenAddress {address(i)}:{PORT}\nHostKey {d}/host_key\nPidFile {d}/pid\n"
                f"AuthorizedKeysFile {WORK}/authorized_keys\nStrictModes no\nUsePAM no\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n"
                "MaxSessions 100\nMaxStartups 200:30:400\nLogLevel ERROR\nUseDNS no\n"
                "Subsystem sftp internal-sftp\n"
            )
            root = WORK / "roots" / f"h{i}"
            root.mkdir(parents=True)
            sh("chown", f"{USER}:", str(root))
            subprocess.run(["/usr/sbin/sshd", "-f", str(d / "sshd_config")], check=True)
            self.pids.append(d / "pid")
            key = (d / "host_key.pub").read_text().split()[:2]
            known.append(f"[{address(i)}]:{PORT} {' '.join(key)}")
        (WORK / "known_hosts").write_text("\n".join(known) + "\n")
        for i in range(self.count):
            self.wait(address(i))
        return self

    @staticmethod
    def wait(addr):
        for _ in range(400):
            try:
                socket.create_connection((addr, PORT), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"sshd on {addr}:{PORT} did not start")

    def __exit__(self, *exc):
        # Ansible's ControlPersist masters (their control sockets are under WORK) keep sessions
        # of the throwaway user open for minutes: close them, or `userdel` refuses.
        for sock in WORK.glob("ansible-*/cp-*"):
            subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "x"],
                           check=False, capture_output=True)
        for pidfile in self.pids:
            try:
                os.kill(int(pidfile.read_text()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        if self.created_user:
            # Whatever still runs as the throwaway user is a session this benchmark opened.
            subprocess.run(["pkill", "-u", USER], check=False)
            for _ in range(20):
                if subprocess.run(["userdel", USER], check=False, capture_output=True).returncode == 0:
                    break
                time.sleep(0.25)
            else:
                print(f"warning: could not remove the user {USER}; run `userdel {USER}`", file=sys.stderr)
        shutil.rmtree(WORK, ignore_errors=True)

    def inventories(self, n):
        """eov, Ansible and pyinfra inventories for the first n hosts."""
        d = WORK / f"inv{n}"
        d.mkdir(exist_ok=True)
        key, kh = WORK / "client_key", WORK / "known_hosts"
        lines = [
            f"h{i} eov_host={address(i)} eov_port={PORT} eov_user={USER} eov_private_key_file={key} "
            f"eov_known_hosts={kh} root={WORK}/roots/h{i}"
            for i in range(n)
        ]
        (d / "eov").write_text("[all]\n" + "\n".join(lines) + "\n")
        lines = [
            f"h{i} ansible_host={address(i)} ansible_port={PORT} ansible_user={USER} "
            f"ansible_ssh_private_key_file={key} root={WORK}/roots/h{i}"
            for i in range(n)
        ]
        (d / "ansible").write_text("[all]\n" + "\n".join(lines) + "\n")
        hosts = ",\n".join(
            f'    ("h{i}", {{"ssh_hostname": "{address(i)}", "ssh_port": {PORT}, "ssh_user": "{USER}", '
            f'"ssh_key": "{key}", "ssh_known_hosts_file": "{kh}", "ssh_strict_host_key_checking": "yes", '
            f'"root": "{WORK}/roots/h{i}"}})'
            for i in range(n)
        )
        (d / "pyinfra.py").write_text(f"hosts = [\n{hosts},\n]\n")
        return d


def ansible_cfg(best, n):
    d = WORK / ("ansible-best" if best else "ansible-default")
    d.mkdir(exist_ok=True)
    # Ansible's own default ssh_args, plus the known_hosts file; "best" keeps connections longer.
    persist = "120s" if best else "60s"
    ssh_args = (f"-C -o ControlMaster=auto -o ControlPersist={persist} -o ControlPath={d}/cp-%%C "
                f"-o UserKnownHostsFile={WORK}/known_hosts -o StrictHostKeyChecking=yes")
    cfg = ["[defaults]", "host_key_checking = True", "retry_files_enabled = False", "interpreter_python = auto_silent"]
    if best:
        cfg += [f"forks = {max(n, 5)}", "gathering = explicit"]
    cfg += ["[ssh_connection]", f"ssh_args = {ssh_args}"]
    if best:
        cfg += ["pipelining = True"]
    (d / "ansible.cfg").write_text("\n".join(cfg) + "\n")
    return d / "ansible.cfg"


def measure(cmd, env=None, cwd=BENCH):
    """Wall seconds, controller CPU seconds (the process and its children) and peak RSS (MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(out.decode(errors="replace")[-3000:])
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def reset(n):
    for i in range(n):
        shutil.rmtree(WORK / "roots" / f"h{i}" / "app", ignore_errors=True)


def tree_digest(n):
    """Content, mode and names of every file the play left, over all hosts."""
    h = hashlib.sha256()
    for i in range(n):
        base = WORK / "roots" / f"h{i}" / "app"
        for p in sorted(base.rglob("*")):
            st = p.stat()
            h.update(f"{p.relative_to(base)} {oct(st.st_mode)}\n".encode())
            if p.is_file():
                h.update(p.read_bytes().replace(f"h{i}".encode(), b"HOST"))
    return h.hexdigest()[:16]


def tools(n, eov):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore")
    inv = WORK / f"inv{n}"
    t = {
        "eov": {
            "first": [str(eov), "run", "play.eov", "-i", str(inv / "eov"), "-f", str(max(n, 1))],
            "check": ["--check", "--diff"],
            "env": env,
        },
        "pyinfra": {
            "first": [str(VENV / "bin" / "pyinfra"), "-y", str(inv / "pyinfra.py"), "deploy.py"],
            "check": ["--dry", "--diff"],
            "env": env,
        },
    }
    for best in (True, False):
        name = "ansible-best" if best else "ansible-default"
        t[name] = {
            "first": [str(VENV / "bin" / "ansible-playbook"), "-i", str(inv / "ansible"), "play.yml"],
            "check": ["--check", "--diff"],
            "env": dict(env, ANSIBLE_CONFIG=str(ansible_cfg(best, n))),
        }
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,10,50,200", help="host counts (default 1,10,50,200)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions for eov (median reported)")
    ap.add_argument("--tools", default="eov,pyinfra,ansible-best,ansible-default")
    ap.add_argument("--write", default=str(REPO / "docs" / "performance.md"), help="where to write the report ('' for nowhere)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the benchmark starts sshd instances and adds a throwaway user")
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = args.tools.split(",")
    if not Path("/usr/sbin/sshd").exists():
        print("installing openssh-server (the benchmark's targets are sshd instances) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "openssh-server"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    print("building eov (release) and the transport floor ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "eov", "--example", "floor"], cwd=REPO, check=True)
    eov = REPO / "target" / "release" / "eov"
    floor_bin = REPO / "target" / "release" / "examples" / "floor"
    if any(t != "eov" for t in wanted) and not (VENV / "bin" / "pyinfra").exists():
        print("installing ansible-core and pyinfra into", VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "ansible-core", "pyinfra"], check=True)

    rows, digests = [], {}
    started = time.time()
    with Hosts(max(sizes)) as hosts:
        for n in sizes:
            inv = hosts.inventories(n)
            runs = [sh(str(floor_bin), str(inv / "eov"), "10").split() for _ in range(args.reps)]
            floor = statistics.median(float(r[0]) for r in runs)
            connect = statistics.median(float(r[1]) for r in runs)
            # The same no-ops with one SSH channel (one sshd session process) per command.
            env = dict(os.environ, EOV_SSH_NO_SESSION="1")
            runs = [sh(str(floor_bin), str(inv / "eov"), "10", env=env).split() for _ in range(args.reps)]
            channels = statistics.median(float(r[0]) for r in runs)
            rows.append(dict(tool="floor", n=n, first=connect, second=floor, channels=channels,
                             check=None, cpu=None, rss=None))
            print(f"N={n:<4} floor: {floor:.3f}s for N x 10 no-op commands on open connections, "
                  f"{channels:.3f}s with a channel per command (opening the N connections: {connect:.3f}s)",
                  flush=True)
            for name, spec in tools(n, eov).items():
                if name not in wanted:
                    continue
                reps = args.reps if name == "eov" else (3 if name == "pyinfra" and n <= 10 else 1)
                if name == "ansible-default" and n > 1:
                    continue  # forks=5 and fact gathering: minutes per run; measured at N=1.
                if name == "ansible-best" and n not in (1, 50):
                    # About 25 s a run at N=10 and several minutes at N=200 on 2 cores: measured
                    # where the targets are (N=50) and at N=1, the whole benchmark stays within
                    # ten minutes (see bench/README.md).
                    continue
                firsts, seconds, checks, cpus, rss = [], [], [], [], []
                for _ in range(reps):
                    reset(n)
                    w, c, r = measure(spec["first"], spec["env"])
                    firsts.append(w)
                    cpus.append(c)
                    rss.append(r)
                    digests.setdefault(n, {})[name] = tree_digest(n)
                    w, c, r = measure(spec["first"], spec["env"])
                    seconds.append(w)
                    rss.append(r)
                reset(n)
                w, c, r = measure(spec["first"] + spec["check"], spec["env"])
                checks.append(w)
                rss.append(r)
                row = dict(tool=name, n=n, first=statistics.median(firsts), second=statistics.median(seconds),
                           check=statistics.median(checks), cpu=statistics.median(cpus), rss=max(rss))
                rows.append(row)
                print(f"N={n:<4} {name:<16} first {row['first']:7.2f}s  no-change {row['second']:7.2f}s  "
                      f"check+diff {row['check']:7.2f}s  cpu {row['cpu']:6.2f}s  rss {row['rss']:6.1f} MB", flush=True)
    report = render(rows, digests, time.time() - started)
    print("\n" + report)
    if args.write:
        old = Path(args.write).read_text() if Path(args.write).exists() else ""
        keep = old[old.index(ANALYSIS):] if ANALYSIS in old else ""
        Path(args.write).write_text(report + ("\n" + keep if keep else ""))
        print(f"written to {args.write}")


def versions():
    def first_line(*cmd):
        try:
            return sh(*cmd).strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - a missing tool is reported as such
            return "not installed"
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    return {
        "eov": first_line("git", "-C", str(REPO), "describe", "--always", "--dirty"),
        "ansible-core": first_line(str(VENV / "bin" / "ansible"), "--version"),
        "pyinfra": first_line(str(VENV / "bin" / "pyinfra"), "--version"),
        "OpenSSH": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
        "machine": f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {cpu}",
    }


def render(rows, digests, elapsed):
    v = versions()
    out = ["# Performance", "",
           "Written by `bench/bench.py` (see bench/README.md). The same 10-task play on N hosts (local sshd",
           "instances on 127.0.X.Y); wall time is the median of the repetitions; CPU is the controller's",
           "(process and children); RSS is the largest controller process. Ratios are against eov in the",
           "same run. The floor is N x 10 no-op commands (`sh -c true`) over already-open connections",
           "through eov's own transport: its long-lived remote shell, and (`channels`) one SSH channel per",
           "command; `+ connect` is the time to open the N connections, which every run of every tool",
           "pays and the floor by definition does not. `eov/floor` compares eov's no-change run with each.", "",
           "| versions | |", "| --- | --- |"]
    out += [f"| {k} | {val} |" for k, val in v.items()]
    out += ["", "| N | tool | first run (s) | no-change (s) | check+diff (s) | CPU (s) | peak RSS (MB) | first / eov | no-change / eov |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    by = {(r["tool"], r["n"]): r for r in rows}
    for r in rows:
        if r["tool"] == "floor":
            e = by.get(("eov", r["n"]))
            ratio = (f"eov/floor = {e['second'] / r['second']:.2f}; channels {e['second'] / r['channels']:.2f}; "
                     f"+ connect {e['second'] / (r['second'] + r['first']):.2f}") if e else ""
            out.append(f"| {r['n']} | floor (channels {r['channels']:.3f}; + connect {r['first']:.3f}) | | "
                       f"{r['second']:.3f} | | | | | {ratio} |")
            continue
        e = by.get(("eov", r["n"]))
        f1 = f"{r['first'] / e['first']:.1f}x" if e and r["tool"] != "eov" else ""
        f2 = f"{r['second'] / e['second']:.1f}x" if e and r["tool"] != "eov" else ""
        out.append(f"| {r['n']} | {r['tool']} | {r['first']:.2f} | {r['second']:.2f} | {r['check']:.2f} | "
                   f"{r['cpu']:.2f} | {r['rss']:.1f} | {f1} | {f2} |")
    out += ["", "Identical results (digest of every file's name, mode and content, per tool):", ""]
    for n, d in digests.items():
        same = len(set(d.values())) == 1
        out.append(f"- N={n}: {'identical' if same else 'DIFFERENT'} ({', '.join(f'{k} {h}' for k, h in d.items())})")
    out += ["", f"Benchmark wall time: {elapsed:.0f}s.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
