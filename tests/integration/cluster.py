"""Several connect-auth nodes on one private PostgreSQL behind a real HAProxy, all on loopback
(test_multi_node.py). PostgreSQL comes from scripts/test-postgres.sh, HAProxy from Debian's
`haproxy` (scripts/install-deps.sh test installs both); `skip_reason()` says why they cannot run.

HAProxy runs in TCP mode (TLS passes through to the nodes), round robin, and health-checks each
node's /health/ready over TLS. When no node is ready (the shared database is down, so every node
is not-ready at once) the front falls back to the nodes that are merely alive: v3 issuance and
bearer checks are served from memory and refreshes get a 503 + Retry-After, rather than every
connection being refused."""

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import Server, wait_until

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PG_SCRIPT = os.path.join(REPO, "scripts", "test-postgres.sh")
PG_BIN = "/usr/lib/postgresql/15/bin"
# Health checks every 200 ms, one failure takes a node out and one success brings it back.
CHECK = "check check-ssl verify none inter 200ms fall 1 rise 1"


def haproxy_binary():
    return shutil.which("haproxy") or ("/usr/sbin/haproxy"
                                       if os.access("/usr/sbin/haproxy", os.X_OK) else None)


def ensure_installed():
    """Installs haproxy and postgresql-15 with scripts/install-deps.sh test when one is missing
    (a fresh machine); returns None when both are there, else why they are not."""
    if haproxy_binary() and os.access(os.path.join(PG_BIN, "initdb"), os.X_OK):
        return None
    subprocess.run(["bash", os.path.join(REPO, "scripts", "install-deps.sh"), "test"],
                   capture_output=True, timeout=900)
    missing = []
    if not haproxy_binary():
        missing.append("haproxy")
    if not os.access(os.path.join(PG_BIN, "initdb"), os.X_OK):
        missing.append("postgresql-15 (%s)" % PG_BIN)
    if missing:
        return "multi-node tests need %s, which could not be installed" % " and ".join(missing)
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A private PostgreSQL 15 (scripts/test-postgres.sh) in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="connect-auth-mn-pg-")
        self.url = None

    def _script(self, command):
        out = subprocess.run(["bash", PG_SCRIPT, command, self.dir], capture_output=True,
                             text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("test-postgres.sh %s failed: %s" % (command, out.stderr))

    def start(self):
        self._script("start")
        with open(os.path.join(self.dir, "url"), encoding="utf-8") as f:
            self.url = f.read().strip()
        return self

    def pause(self):
        self._script("pause")

    def resume(self):
        self._script("resume")

    def stop(self):
        if os.path.isdir(self.dir):
            subprocess.run(["bash", PG_SCRIPT, "stop", self.dir], capture_output=True,
                           timeout=300)
        shutil.rmtree(self.dir, ignore_errors=True)


class HAProxy:
    def __init__(self, node_ports, work_dir):
        self.port = free_port()
        self.config_path = os.path.join(work_dir, "haproxy.cfg")
        self.log_path = os.path.join(work_dir, "haproxy.log")
        ready = "\n".join("  server n%d 127.0.0.1:%d" % (i + 1, p)
                          for i, p in enumerate(node_ports))
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write("""global
  maxconn 4096
defaults
  mode tcp
  timeout connect 500ms
  timeout client 30s
  timeout server 30s
  # A check must answer within this (inter stays 200 ms): a busy node is not a dead one.
  timeout check 1s
  # A refused connection (a node that stopped accepting, or was killed before a check saw it)
  # is tried again on another node.
  retries 3
  option redispatch 1
frontend front
  bind 127.0.0.1:{port}
  use_backend ready if {{ nbsrv(ready) gt 0 }}
  default_backend alive
backend ready
  balance roundrobin
  option httpchk
  http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host 127.0.0.1 hdr Connection close
  http-check expect status 200
  default-server {check}
{servers}
backend alive
  balance roundrobin
  option httpchk
  http-check send meth GET uri /health/live ver HTTP/1.1 hdr Host 127.0.0.1 hdr Connection close
  http-check expect status 200
  default-server {check}
{servers}
""".format(port=self.port, check=CHECK, servers=ready))
        self.process = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([haproxy_binary(), "-db", "-f", self.config_path],
                                        stdout=self._log, stderr=self._log,
                                        stdin=subprocess.DEVNULL)
        if wait_until(self._listening, timeout_s=10, step_s=0.05) is None:
            raise RuntimeError("haproxy did not start: " + open(self.log_path).read())
        return self

    def _listening(self):
        if self.process.poll() is not None:
            raise RuntimeError("haproxy exited: " + open(self.log_path).read())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self._log.close()
            self.process = None


class Front(Server):
    """The cluster as one server, reached through HAProxy: what the seed-sample classes (and
    every client) see. Never started or stopped itself; its CLI acts on the shared database."""

    def __init__(self, cluster):
        first = cluster.nodes[0]
        super().__init__(env=first.env, data_dir=first.data_dir)
        self.cluster = cluster
        self.port = cluster.haproxy.port
        self.url = "https://127.0.0.1:%d" % self.port
        self.secrets_seen = cluster.secrets_seen

    def stop(self, timeout=20):
        return 0  # the cluster stops its processes itself

    def log_text(self):
        return "".join(n.log_text() for n in self.cluster.nodes)


class Cluster:
    """Three nodes (fixed loopback ports, one development certificate, one master key, one
    database) behind HAProxy."""

    def __init__(self, size=3, env=None):
        self.work_dir = tempfile.mkdtemp(prefix="connect-auth-mn-")
        self.secrets_seen = set()
        self.postgres = Postgres()
        self.size = size
        self.extra_env = dict(env or {})
        self.nodes = []
        self.haproxy = None

    def node_env(self):
        master_key = base64.b64encode(secrets.token_bytes(32)).decode()
        self.secrets_seen.update([master_key, self.postgres.url])
        env = {
            "CONNECT_AUTH_STORE_URL": self.postgres.url,
            "CONNECT_AUTH_SECRETS_MASTER_KEY": master_key,
            # Every node issues tokens for the public URL (the balancer's), not its own.
            "CONNECT_AUTH_ISSUER": "https://127.0.0.1:%d" % self.haproxy_port,
            # Behind a proxy every connection comes from the proxy's address.
            "CONNECT_AUTH_LIMITS_MAX_CONNECTIONS_PER_SOURCE": "10000",
        }
        env.update(self.extra_env)
        return env

    def start(self):
        self.postgres.start()
        self.haproxy_port = None
        ports = [free_port() for _ in range(self.size)]
        self.haproxy = HAProxy(ports, self.work_dir)
        self.haproxy_port = self.haproxy.port
        env = self.node_env()
        for i, port in enumerate(ports):
            data_dir = os.path.join(self.work_dir, "node%d" % (i + 1))
            os.makedirs(data_dir)
            if i > 0:  # one development certificate for all: clients trust one file
                shutil.copytree(self.nodes[0].cert_dir, os.path.join(data_dir, "tls"))
            node = Node(env=env, data_dir=data_dir, listen="127.0.0.1:%d" % port)
            node.secrets_seen = self.secrets_seen
            self.nodes.append(node.start())
        self.haproxy.start()
        self.front = Front(self)
        self.wait_all_in_rotation()
        return self

    def wait_all_in_rotation(self, timeout_s=10):
        """Every node running (a stopped or killed one is started again) and ready, and long
        enough for HAProxy's checks (200 ms) to have seen it."""
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                node.kill9()  # reaps an exited process; nothing if there is none
                node.start()
        for node in self.nodes:
            if wait_until(lambda n=node: n.ready(), timeout_s=timeout_s) is None:
                raise AssertionError("node %s did not become ready" % node.url)
        time.sleep(0.5)

    def set_env(self, **values):
        """Restarts every node whose environment differs (one at a time, each back in rotation
        before the next)."""
        for node in self.nodes:
            if all(node.env.get(k) == v for k, v in values.items()) and node.process:
                continue
            code = node.stop() if node.process else 0
            if code != 0:
                raise AssertionError("node %s exited with %r" % (node.url, code))
            node.env.update(values)
            node.start()
        self.wait_all_in_rotation()

    def stop(self):
        if self.haproxy is not None:
            self.haproxy.stop()
        codes = [node.stop() for node in self.nodes]
        self.postgres.stop()
        return codes

    def cleanup(self):
        shutil.rmtree(self.work_dir, ignore_errors=True)


class Node(Server):
    @property
    def cert_dir(self):
        return os.path.join(self.data_dir, "tls")

    def ready(self):
        try:
            return self.request("GET", "/health/ready")[0] == 200
        except OSError:
            return False

    def terminate(self):
        """SIGTERM without waiting (the caller watches the drain)."""
        self.process.send_signal(signal.SIGTERM)
