"""Starts the real connect-auth binary on a free loopback port with a temporary data directory
and offers the CLI and HTTPS helpers the integration tests use. Standard library only, so it
runs on Debian's /usr/bin/python3 (which also has python3-requests for the seed sample)."""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("CA_TEST_BINARY", "")
SEEDS_DIR = os.environ.get("CA_TEST_SEEDS_DIR", "")
START_TIMEOUT_S = 20


# The message a seed test skips with when ../shared is absent (a lone clone of this repository);
# tests/integration/CMakeLists.txt reports such a test to CTest as skipped, never as passed.
SEEDS_MISSING = "seed documents not found"


def read_seed(name):
    """The text of a seed document. Raises unittest.SkipTest when the seed directory itself is
    absent; a directory without the document is a failure, not a skip. Call it before starting a
    server: a class that skips in setUpClass gets no tearDownClass."""
    if not SEEDS_DIR or not os.path.isdir(SEEDS_DIR):
        raise unittest.SkipTest(
            "%s: %s does not exist (the seeds live in ../shared/seeds next to this repository; "
            "configure with -DCONNECT_AUTH_SEEDS_DIR=DIR to use others)" % (
                SEEDS_MISSING, SEEDS_DIR or "CA_TEST_SEEDS_DIR (unset)"))
    with open(os.path.join(SEEDS_DIR, name), encoding="utf-8") as f:
        return f.read()


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Server:
    """One server process. Every secret and token a test handles is remembered, so the log check
    at the end can prove none of them was written."""

    def __init__(self, insecure_http=False, env=None, data_dir=None, extra_args=(),
                 listen="127.0.0.1:0"):
        if not BINARY or not os.access(BINARY, os.X_OK):
            raise RuntimeError("CA_TEST_BINARY must name the connect-auth binary")
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="connect-auth-it-")
        self.insecure_http = insecure_http
        self.env = dict(os.environ)
        self.env.pop("CONNECT_AUTH_CONFIG", None)
        # SIGTERM stops at once unless a test asks for the load balancer's drain delay.
        self.env["CONNECT_AUTH_SHUTDOWN_DRAIN_DELAY_MS"] = "0"
        self.env.update(env or {})
        self.listen = listen
        self.extra_args = list(extra_args)
        self.process = None
        self.url = None
        self.port = None
        self.secrets_seen = set()
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.out_path = os.path.join(self.data_dir, "server.out")

    # --- lifecycle
    def start(self):
        args = [BINARY, "serve", "--data-dir", self.data_dir, "--listen", self.listen]
        if self.insecure_http:
            args.append("--insecure-http")
        args += self.extra_args
        self._log = open(self.log_path, "ab")
        self._out = open(self.out_path, "wb")  # fresh: start() looks for this run's URL
        self.process = subprocess.Popen(args, stdout=self._out, stderr=self._log, env=self.env,
                                        stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited during start:\n" + self.log_text())
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"serving on (https?)://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(2))
                self.url = "%s://127.0.0.1:%d" % (m.group(1), self.port)
                try:
                    if self.request("GET", "/health/ready")[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become ready:\n" + self.log_text())

    def stop(self, timeout=20):
        """SIGTERM, wait for the drain; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._out.close()
        code = self.process.returncode
        self.process = None
        return code

    def kill9(self):
        """SIGKILL, no drain: what a crash or an OOM kill does. The data dir is kept."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._log.close()
        self._out.close()
        code = self.process.returncode
        self.process = None
        return code

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def cert_path(self):
        return os.path.join(self.data_dir, "tls", "dev-cert.pem")

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                return text + f.read()
        except OSError:
            return ""

    def requests_logged(self, path):
        """How many requests for `path` the access log holds, once it has settled: the server
        writes a request's line after sending the answer, so a client can be ahead of the log."""
        def count():
            total = 0
            for line in self.log_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("event") == "request" and \
                        entry.get("path") == path:
                    total += 1
            return total
        last = count()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            time.sleep(0.15)
            now = count()
            if now == last:
                return now
            last = now
        return last

    # --- HTTP
    def connection(self, timeout=10):
        if self.insecure_http:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        context = ssl.create_default_context(cafile=self.cert_path)
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context)

    def request(self, method, path, headers=None, body=None):
        """Returns (status, headers dict with lower-case names, body text)."""
        conn = self.connection()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or []):
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body.encode() if isinstance(body, str) else body)
            response = conn.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def token(self, api_id, secret):
        status, _, body = self.request(
            "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
            [("user", b64(api_id + ":" + secret))])
        if status != 200:
            raise AssertionError("token request failed: %d %s" % (status, body))
        token = json.loads(body)["access_token"]
        self.secrets_seen.add(token)
        return token

    def accounts(self, token):
        return self.request("GET", "/rest/v3/accounts", [("Authorization", "Bearer " + token)])

    # --- v4 (wire-contract §3)
    def post_v4(self, body, content_type="application/json", headers=()):
        """POSTs body (a dict is JSON-encoded; str/bytes are sent as they are) to the v4 token
        endpoint. Returns (status, headers, body text); secrets in a 200 are remembered."""
        response = self.request("POST", V4_TOKEN_PATH, v4_headers(content_type, headers),
                                v4_body(body))
        self.remember_v4(response[2])
        return response

    def remember_v4(self, body_text):
        """Adds the tokens of a v4 token response (if it is one) to secrets_seen."""
        try:
            parsed = json.loads(body_text)
        except ValueError:
            return None
        if isinstance(parsed, dict):
            for name in ("accessToken", "refreshToken"):
                if isinstance(parsed.get(name), str):
                    self.secrets_seen.add(parsed[name])
        return parsed

    def v4_login(self, user_name, password, offline=True):
        """A PASSWORD grant that must succeed; returns the parsed body."""
        self.secrets_seen.add(password)
        status, _, body = self.post_v4(password_body(user_name, password, offline))
        if status != 200:
            raise AssertionError("v4 login failed: %d %s" % (status, body))
        return json.loads(body)

    def v4_refresh(self, refresh_token, scope="OFFLINE_ACCESS"):
        """A REFRESH_TOKEN grant; returns (status, headers, body text)."""
        self.secrets_seen.add(refresh_token)
        return self.post_v4(refresh_body(refresh_token, scope))

    def jwks(self):
        status, _, body = self.request("GET", "/oauth2/keys")
        if status != 200:
            raise AssertionError("GET /oauth2/keys: %d %s" % (status, body))
        return json.loads(body)

    def user_id(self, user_name):
        for user in self.cli_json("user", "list"):
            if user["userName"] == user_name:
                return user["userId"]
        raise AssertionError("no user " + user_name)

    # --- CLI
    def cli(self, *args, input_text=None, check=True):
        result = subprocess.run([BINARY, "--data-dir", self.data_dir] + list(args),
                                input=input_text, capture_output=True, text=True,
                                env=self.env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError("cli %s failed (%d): %s" % (args, result.returncode,
                                                             result.stderr))
        return result

    def cli_json(self, *args, input_text=None):
        return json.loads(self.cli("--json", *args, input_text=input_text).stdout)

    def seed(self, user="ops@acme.test", companies=("Acme Diner",), password="correct horse 1"):
        """An account per company, a user with a role on each, and one key covering them all."""
        guids = [self.cli_json("account", "create", "--company", c, "--country", "US")
                 ["accountGuid"] for c in companies]
        self.cli_json("user", "create", "--user-name", user, input_text=password + "\n")
        self.secrets_seen.add(password)
        for g in guids:
            self.cli("user", "grant", "--user-name", user, "--account", g, "--role",
                     "ADMINISTRATOR")
        args = ["key", "create", "--user-name", user]
        for g in guids:
            args += ["--account", g]
        key = self.cli_json(*args)
        self.secrets_seen.add(key["apiSecret"])
        credential = b64(key["apiId"] + ":" + key["apiSecret"])
        self.secrets_seen.add(credential)
        # The server learns of the CLI's change by polling; the contract allows up to 1 s.
        took = wait_until(lambda: self.request(
            "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
            [("user", credential)])[0] == 200, timeout_s=1.0)
        if took is None:
            raise AssertionError("a key created with the CLI did not work within 1 s")
        return guids, key["apiId"], key["apiSecret"]


V4_TOKEN_PATH = "/rest/v4/oauth/token"


def password_body(user_name, password, offline=True):
    body = {"scope": "OFFLINE_ACCESS"} if offline else {}
    body.update({"userName": user_name, "password": password, "grantType": "PASSWORD"})
    return body


def refresh_body(refresh_token, scope="OFFLINE_ACCESS"):
    body = {} if scope is None else {"scope": scope}
    body.update({"refreshToken": refresh_token, "grantType": "REFRESH_TOKEN"})
    return body


def v4_body(body):
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode()
    return body


def v4_headers(content_type, headers=()):
    return ([("Content-Type", content_type)] if content_type is not None else []) + \
        list(headers)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_decode(token):
    """(header, claims) of a compact JWS, both as dicts in the order they were written."""
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def node_binary():
    return shutil.which("node") or shutil.which("nodejs")


def run_node(script, stdin_text="", env=None, timeout=30):
    """Runs a Node program; returns stdout (raises with stderr on a non-zero exit)."""
    node = node_binary()
    if node is None:
        raise AssertionError("node is required (scripts/install-deps.sh test installs it)")
    out = subprocess.run([node, "-e", script], input=stdin_text, capture_output=True, text=True,
                         env=env, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError("node failed (%d): %s" % (out.returncode, out.stderr))
    return out.stdout


# tests/node: Node programs that use npm packages (package.json + package-lock.json there;
# scripts/install-deps.sh test runs `npm ci` in it).
NODE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node"))


def run_node_program(name, args=(), stdin_text="", env=None, timeout=60):
    """Runs tests/node/NAME with cwd tests/node, so its node_modules resolve. Returns the
    CompletedProcess whatever the exit code (the caller reads stdout and stderr)."""
    node = node_binary()
    if node is None:  # a failure, not a skip: these tests must never pass by not running
        raise AssertionError("node is required (scripts/install-deps.sh test installs it)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        raise AssertionError("%s/node_modules is missing: run scripts/install-deps.sh test "
                             "(npm ci there)" % NODE_DIR)
    return subprocess.run([node, os.path.join(NODE_DIR, name)] + list(args), cwd=NODE_DIR,
                          input=stdin_text, capture_output=True, text=True, env=env,
                          timeout=timeout)


class Client:
    """One keep-alive HTTPS (or HTTP) connection, optionally from a chosen loopback source
    address (127.0.0.0/8 is all local on Linux, so 127.0.0.2 is a second client address).
    Never retries: a request may have been processed even when its answer is lost."""

    def __init__(self, server, source_address=None, timeout=30):
        self.server = server
        self.source = (source_address, 0) if source_address else None
        self.timeout = timeout
        self.conn = None

    def open(self):
        if self.conn is None:
            if self.server.insecure_http:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                                       timeout=self.timeout,
                                                       source_address=self.source)
            else:
                context = ssl.create_default_context(cafile=self.server.cert_path)
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.server.port, timeout=self.timeout, context=context,
                    source_address=self.source)
            self.conn.connect()
        return self

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, headers=(), body=None):
        self.open()
        try:
            self.conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers:
                self.conn.putheader(name, value)
            if body is not None:
                self.conn.putheader("Content-Length", str(len(body)))
            self.conn.endheaders(body.encode() if isinstance(body, str) else body)
            response = self.conn.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            result = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
            if response.will_close:
                self.close()
            return result
        except Exception:
            self.close()
            raise

    def post_v4(self, body, content_type="application/json", headers=()):
        response = self.request("POST", V4_TOKEN_PATH, v4_headers(content_type, headers),
                                v4_body(body))
        self.server.remember_v4(response[2])
        return response


def find_leaks(text, secrets):
    """The secrets that occur in text. Few secrets: a plain search for each. Many: one pass over
    the text, linear in its length. A secret of 23+ characters that occurs at position p covers
    the 16-character window at the first multiple of 8 at or after p, so every secret is indexed
    by its windows at offsets 0-7 and the text is probed every 8th character."""
    secrets = [s for s in set(secrets) if s]
    window, step = 16, 8
    if len(secrets) < 200:
        return [s for s in secrets if s in text]
    short = [s for s in secrets if len(s) < window + step - 1]
    leaked = [s for s in short if s in text]
    index = {}
    for s in secrets:
        if len(s) >= window + step - 1:
            for offset in range(step):
                index.setdefault(s[offset:offset + window], []).append((s, offset))
    found = set()
    for i in range(0, len(text) - window + 1, step):
        for s, offset in index.get(text[i:i + window], ()):
            if i >= offset and text.startswith(s, i - offset):
                found.add(s)
    return leaked + sorted(found)


def wait_until(predicate, timeout_s=1.0, step_s=0.02):
    """Polls predicate until it is true; returns the seconds it took, or None on timeout."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            return None
        time.sleep(step_s)


class ServerTestCase(unittest.TestCase):
    """One server per test class; after the class, the log must hold none of the secrets."""

    insecure_http = False
    server_env = None

    @classmethod
    def make_server(cls):
        """The server the class runs against (test_multi_node: the HAProxy front of a cluster)."""
        return Server(insecure_http=cls.insecure_http, env=cls.server_env).start()

    @classmethod
    def setUpClass(cls):
        cls.server = cls.make_server()

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        code = server.stop()
        try:
            if code != 0:
                raise AssertionError("server exited with %r after SIGTERM" % code)
            log = server.log_text()
            leaked = find_leaks(log, server.secrets_seen)
            if leaked:
                raise AssertionError("the server log contains %d secret(s)/token(s): %s" % (
                    len(leaked), ", ".join("%r… (%d chars)" % (s[:4], len(s)) for s in leaked)))
        finally:
            server.cleanup()
