"""Three nodes on one PostgreSQL behind HAProxy (issue 10 §4, bad-inputs H): propagation within
one second, the refresh race across nodes, kill -9, a database outage, a rolling restart, and the
seed samples through the balancer. The measured figures are printed (ctest -V shows them)."""

import json
import os
import statistics
import threading
import time
import unittest
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import test_v3_seed_samples
import test_v4_seed_samples
from cluster import Cluster, ensure_installed
from harness import Client, b64, find_leaks, password_body, refresh_body, wait_until
from load import Load

CLUSTER = None
RACE_TRIALS = int(os.environ.get("CA_TEST_MN_RACE_TRIALS", "500"))
RACERS = 20
FORM = ("Content-Type", "application/x-www-form-urlencoded")
PROP_PASSWORD = "propagation pass 1"


def setUpModule():
    global CLUSTER
    reason = ensure_installed()
    if reason:
        raise unittest.SkipTest(reason)
    # A drain delay long enough for HAProxy's 200 ms checks to take a stopping node out.
    cluster = Cluster(env={"CONNECT_AUTH_SHUTDOWN_DRAIN_DELAY_MS": "1000"})
    try:
        CLUSTER = cluster.start()
    except BaseException:
        cluster.stop()
        cluster.cleanup()
        raise


def tearDownModule():
    codes = CLUSTER.stop()
    try:
        if any(code != 0 for code in codes):
            raise AssertionError("nodes exited with %r after SIGTERM" % codes)
        logs = "".join(n.log_text() for n in CLUSTER.nodes)
        leaked = find_leaks(logs, CLUSTER.secrets_seen)
        if leaked:
            raise AssertionError("the node logs contain %d secret(s)" % len(leaked))
    finally:
        CLUSTER.cleanup()


def report(line):
    print("\n[multi-node] " + line, flush=True)


def parse(body):
    try:
        return json.loads(body)
    except ValueError:
        return {}


def v3_token(client, credential):
    status, _, body = client.request("POST", "/rest/v3/oauth/token?grant_type=client_credentials",
                                     [("user", credential)])
    if status != 200:
        return None
    token = parse(body)["access_token"]
    CLUSTER.secrets_seen.add(token)
    return token


def accounts(client, token):
    return client.request("GET", "/rest/v3/accounts", [("Authorization", "Bearer " + token)])


def create_user_and_key(name, company, password="multi node pass 1"):
    front = CLUSTER.front
    guids, api_id, secret = front.seed(user=name, companies=(company,), password=password)
    return guids[0], api_id, secret


class Propagation(unittest.TestCase):
    """A change through one node or the CLI is enforced by every node within one second."""

    def setUp(self):
        self.clients = [Client(n).open() for n in CLUSTER.nodes]
        self.pool = ThreadPoolExecutor(len(self.clients))

    def tearDown(self):
        self.pool.shutdown()
        for c in self.clients:
            c.close()

    def until_all(self, check, what, limit_s=3.0):
        """Seconds until check(client) holds on every node: each node polled by its own thread,
        so one node's answer time does not delay the others' measurement."""
        start = time.monotonic()

        def poll(client):
            while not check(client):
                if time.monotonic() - start > limit_s:
                    return None
            return time.monotonic() - start

        took = list(self.pool.map(poll, self.clients))
        if None in took:
            self.fail("%s: %d node(s) still not there after %.1f s" % (what, took.count(None),
                                                                       limit_s))
        return max(took)

    def works_everywhere(self, token):
        self.until_all(lambda c: accounts(c, token)[0] == 200, "token accepted")

    def refused(self, token):
        return lambda c: accounts(c, token)[0] == 401

    def test_changes_reach_every_node_within_one_second(self):
        front = CLUSTER.front
        guid, api_id, secret = create_user_and_key("prop@acme.test", "Prop Diner",
                                                   PROP_PASSWORD)
        credential = b64(api_id + ":" + secret)
        times = {}

        def trial(kind, seconds):
            times.setdefault(kind, []).append(seconds)

        # A token (v3 and v4) issued through one node verifies on every node.
        for i in range(3):
            token = v3_token(self.clients[i], credential)
            self.assertIsNotNone(token)
            self.until_all(lambda c, t=token: accounts(c, t)[0] == 200, "v3 token of node %d" % i)
            status, _, body = self.clients[i].post_v4(
                password_body("prop@acme.test", PROP_PASSWORD, offline=False))
            self.assertEqual(status, 200, body)
            token = parse(body)["accessToken"]
            self.until_all(lambda c, t=token: accounts(c, t)[0] == 200, "v4 token of node %d" % i)

        # Access tokens revoked (RFC 7009) through one node.
        basic = ("Authorization", "Basic " + b64(api_id + ":" + secret))
        for i in range(30):
            token = v3_token(self.clients[i % 3], credential)
            self.works_everywhere(token)
            status, _, _ = self.clients[(i + 1) % 3].request(
                "POST", "/oauth2/revoke", [FORM, basic], urllib.parse.urlencode({"token": token}))
            self.assertEqual(status, 200)
            trial("revoke", self.until_all(self.refused(token), "revoked token"))

        # Keys deleted with the CLI.
        for i in range(20):
            key = front.cli_json("key", "create", "--user-name", "prop@acme.test",
                                 "--account", guid)
            CLUSTER.secrets_seen.add(key["apiSecret"])
            cred = b64(key["apiId"] + ":" + key["apiSecret"])
            wait_until(lambda: v3_token(self.clients[i % 3], cred) is not None, timeout_s=2)
            token = v3_token(self.clients[i % 3], cred)
            self.works_everywhere(token)
            front.cli("key", "delete", key["apiId"])
            trial("key delete", self.until_all(self.refused(token), "deleted key"))

        # One key regenerated again and again: each time its previous token stops working.
        key = front.cli_json("key", "create", "--user-name", "prop@acme.test", "--account", guid)
        for i in range(15):
            CLUSTER.secrets_seen.add(key["apiSecret"])
            cred = b64(key["apiId"] + ":" + key["apiSecret"])
            wait_until(lambda: v3_token(self.clients[i % 3], cred) is not None, timeout_s=2)
            token = v3_token(self.clients[i % 3], cred)
            self.works_everywhere(token)
            key = front.cli_json("key", "regenerate", key["apiId"])
            trial("key regenerate", self.until_all(self.refused(token), "regenerated key"))

        # A user disabled (its key's tokens stop working), then enabled again for the next trial.
        for i in range(15):
            wait_until(lambda: v3_token(self.clients[i % 3], credential) is not None,
                       timeout_s=2)
            token = v3_token(self.clients[i % 3], credential)
            self.works_everywhere(token)
            front.cli("user", "disable", "--user-name", "prop@acme.test")
            trial("user disable", self.until_all(self.refused(token), "disabled user"))
            front.cli("user", "enable", "--user-name", "prop@acme.test")

        # An account deactivated: no node lists it any more; activated again afterwards.
        wait_until(lambda: v3_token(self.clients[0], credential) is not None, timeout_s=2)
        token = v3_token(self.clients[0], credential)

        def lists(c, expected):
            status, _, body = accounts(c, token)
            return status == 200 and (guid in body) == expected

        for i in range(15):
            self.until_all(lambda c: lists(c, True), "account active")
            front.cli("account", "deactivate", guid)
            trial("account deactivate",
                  self.until_all(lambda c: lists(c, False), "deactivated account"))
            front.cli("account", "activate", guid)

        # RS256 signing key rotated with the CLI: every node publishes the new key.
        for i in range(5):
            rotated = front.cli_json("signing-key", "rotate", "--algorithm", "RS256")
            kid = rotated[0]["kid"]
            trial("signing-key rotate", self.until_all(
                lambda c: kid in c.request("GET", "/oauth2/keys")[2], "rotated key"))

        every = sorted(t for ts in times.values() for t in ts)
        report("propagation: %d trials, worst %.0f ms, median %.0f ms, 90th percentile %.0f ms; "
               "worst by kind: %s" % (
            len(every), every[-1] * 1000, statistics.median(every) * 1000,
            every[int(len(every) * 0.9) - 1] * 1000,
            ", ".join("%s %.0f ms (%d)" % (k, max(v) * 1000, len(v)) for k, v in times.items())))
        self.assertEqual(len(every), 100)
        self.assertLessEqual(max(every), 1.0, "a change took longer than 1 s to reach every node")


class RefreshRace(unittest.TestCase):
    """Grace 0: of 20 parallel refreshes of one token spread over the nodes, exactly one wins."""

    def test_exactly_one_winner_per_race_across_nodes(self):
        CLUSTER.set_env(CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS="0")
        user, password = "race@acme.test", "race pass 12345"
        CLUSTER.front.cli_json("user", "create", "--user-name", user, input_text=password + "\n")
        CLUSTER.secrets_seen.add(password)
        started = time.monotonic()

        # One login per trial (the losers' reuse revokes the family under grace 0).
        tokens = [None] * RACE_TRIALS
        def login(worker):
            client = Client(CLUSTER.nodes[worker % 3])
            for t in range(worker, RACE_TRIALS, 4):
                status, _, body = client.post_v4(password_body(user, password))
                self.assertEqual(status, 200, body)
                tokens[t] = parse(body)["refreshToken"]
            client.close()
        run_threads(login, 4)
        logins_s = time.monotonic() - started

        outcomes = [[None] * RACERS for _ in range(RACE_TRIALS)]
        barrier = threading.Barrier(RACERS)
        def racer(i):
            client = Client(CLUSTER.nodes[i % 3]).open()
            for t in range(RACE_TRIALS):
                barrier.wait()
                try:
                    status, _, body = client.post_v4(refresh_body(tokens[t]))
                    outcomes[t][i] = "200" if status == 200 else "%d %s" % (
                        status, parse(body).get("error"))
                except OSError as e:
                    outcomes[t][i] = "error " + type(e).__name__
            client.close()
        race_start = time.monotonic()
        run_threads(racer, RACERS)
        race_s = time.monotonic() - race_start

        counts = {}
        winners = []
        for t in range(RACE_TRIALS):
            for outcome in outcomes[t]:
                counts[outcome] = counts.get(outcome, 0) + 1
            winners.append(outcomes[t].count("200"))
        report("refresh race: %d trials x %d parallel refreshes over 3 nodes (grace 0) in "
               "%.1f s (+ %.1f s of logins); outcomes %s; trials with exactly one 200: %d" % (
                   RACE_TRIALS, RACERS, race_s, logins_s, counts, winners.count(1)))
        self.assertEqual(winners.count(1), RACE_TRIALS, "trials without exactly one winner")
        self.assertEqual(set(counts), {"200", "400 invalid_grant"})


def run_threads(target, n):
    errors = []
    def guarded(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)
    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]



class KillNine(unittest.TestCase):
    def test_kill9_during_refresh_load_loses_no_acknowledged_token(self):
        CLUSTER.set_env(CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS="30")
        load = Load(CLUSTER, "kill9", kinds=("refresh",), clients=6).start()
        victim = CLUSTER.nodes[1]
        self.addCleanup(CLUSTER.wait_all_in_rotation)  # restarts the victim for the next cases
        try:
            time.sleep(1.0)
            victim.kill9()
            killed_at = time.monotonic()
            time.sleep(2.0)
        finally:
            load.stop()
        report("kill -9 of node 2 under refresh load through HAProxy: %s" % load.summary())
        still = load.final_refresh_all()
        self.assertEqual(still, load.clients, "tokens acknowledged with a 200 no longer work")
        self.assertEqual(load.failed_after_retry, 0, load.failures)
        self.assertGreater(load.ok_after(killed_at), 0, "no refresh succeeded after the kill")


class DatabaseOutage(unittest.TestCase):
    def test_postgres_down_five_seconds_only_503_then_recovery(self):
        CLUSTER.set_env(CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS="30")
        pids = [n.process.pid for n in CLUSTER.nodes]
        load = Load(CLUSTER, "outage", kinds=("v3", "bearer", "refresh", "refresh", "login"),
                    clients=6, retry=False).start()
        time.sleep(1.0)
        CLUSTER.postgres.pause()
        down_at = time.monotonic()
        not_ready = wait_until(lambda: all(not n.ready() for n in CLUSTER.nodes), timeout_s=4.5)
        time.sleep(max(0.0, 5.0 - (time.monotonic() - down_at)))
        CLUSTER.postgres.resume()
        up_at = time.monotonic()
        recovered = wait_until(lambda: all(n.ready() for n in CLUSTER.nodes), timeout_s=15)
        time.sleep(1.5)
        load.stop()
        during = load.statuses_between(down_at, up_at)
        report("PostgreSQL stopped for %.1f s under load: every node not-ready after %s s, "
               "ready again %s s after the restart; answers during the outage by kind and "
               "status: %s; whole run: %s" % (
                   up_at - down_at, "%.1f" % not_ready if not_ready is not None else "never",
                   "%.1f" % recovered if recovered is not None else "never", during,
                   load.summary()))
        self.assertEqual([n.process.pid for n in CLUSTER.nodes], pids, "a node restarted")
        self.assertTrue(all(n.process.poll() is None for n in CLUSTER.nodes))
        self.assertIsNotNone(not_ready, "/health/ready stayed 200 with the database down")
        self.assertIsNotNone(recovered, "a node did not become ready again")
        bad = {k: v for k, v in load.statuses_between(0, float("inf")).items()
               if k.split(" ")[1] not in ("200", "503") or "without" in k}
        self.assertEqual(bad, {}, "answers other than 200 or 503 + Retry-After "
                         "(invalid_grant, 500, no answer)")
        for kind in ("v3", "bearer"):
            self.assertEqual([k for k in during if k.startswith(kind + " ")
                              and not k.endswith(" 200")], [],
                             "%s must be served from memory during the outage" % kind)
        self.assertGreater(load.ok_after(up_at + recovered, kind="refresh"), 0)
        self.assertEqual(load.final_refresh_all(), load.clients)


class RollingRestart(unittest.TestCase):
    def test_rolling_restart_under_load_fails_nothing_a_retry_does_not_absorb(self):
        CLUSTER.set_env(CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS="30")
        load = Load(CLUSTER, "rolling", kinds=("v3", "bearer", "refresh"), clients=6).start()
        time.sleep(0.5)
        stops = []
        for node in CLUSTER.nodes:
            began = time.monotonic()
            node.terminate()
            # Not-ready at once, while still serving through the drain delay.
            self.assertIsNotNone(wait_until(lambda n=node: not n.ready(), timeout_s=0.5,
                                            step_s=0.01), "still ready after SIGTERM")
            self.assertIsNone(node.process.poll(), "stopped before the drain delay")
            node.process.wait(timeout=20)  # no second SIGTERM: that would skip the delay
            stops.append(time.monotonic() - began)
            code = node.stop()
            self.assertEqual(code, 0, "a node exited with %r after SIGTERM" % code)
            node.start()
            CLUSTER.wait_all_in_rotation()
        time.sleep(0.5)
        load.stop()
        report("rolling restart of 3 nodes under load through HAProxy: SIGTERM to exit %s s; "
               "%s" % (["%.1f" % s for s in stops], load.summary()))
        self.assertEqual(load.failed_after_retry, 0, load.failures)
        self.assertEqual(load.final_refresh_all(), load.clients)


class V3SeedSamplesThroughHAProxy(test_v3_seed_samples.SeedSamples):
    @classmethod
    def make_server(cls):
        return CLUSTER.front


class V4SeedSamplesThroughHAProxy(test_v4_seed_samples.SeedSamples):
    @classmethod
    def make_server(cls):
        return CLUSTER.front


if __name__ == "__main__":
    unittest.main()
