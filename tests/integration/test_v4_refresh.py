"""Refresh-token rotation (wire-contract §3, bad-inputs §E) against the real server: rotation,
replays inside the grace period, reuse after it and of older generations (the whole family dies),
and the races: many parallel refreshes of one token never yield two live families."""

import json
import os
import sqlite3
import threading
import time
import unittest

from harness import Client, ServerTestCase, password_body, refresh_body

PASSWORD = "refresh pass 6"
USER = "refresh@acme.test"


def parse(response):
    status, _, body = response
    return status, json.loads(body)


class RefreshCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guids, _, _ = cls.server.seed(user=USER, password=PASSWORD)

    def login(self):
        return self.server.v4_login(USER, PASSWORD)["refreshToken"]

    def refresh_ok(self, token, what=""):
        status, body = parse(self.server.v4_refresh(token))
        self.assertEqual(status, 200, "%s: %s" % (what, body))
        self.assertEqual(body["scope"], "offline_access")
        self.assertNotEqual(body["refreshToken"], token)
        return body["refreshToken"]

    def assert_refused(self, token, what=""):
        status, body = parse(self.server.v4_refresh(token))
        self.assertEqual(status, 400, "%s: %s" % (what, body))
        self.assertEqual(body["error"], "invalid_grant", what)


class Rotation(RefreshCase):
    """Default grace period: 30 s."""

    def test_every_refresh_rotates(self):
        chain = [self.login()]
        for _ in range(5):
            chain.append(self.refresh_ok(chain[-1]))
        self.assertEqual(len(set(chain)), len(chain))

    def test_replay_inside_grace_is_answered_within_the_same_family(self):
        t1 = self.login()
        t2 = self.refresh_ok(t1)
        t2_sibling = self.refresh_ok(t1, "a replay of the previous generation inside grace")
        self.assertNotEqual(t2_sibling, t2)
        t3 = self.refresh_ok(t2)
        t4 = self.refresh_ok(t3)
        # t1 is now two generations old: reuse, and the family (t2_sibling included) dies.
        self.assert_refused(t1, "an older generation inside grace")
        self.assert_refused(t4, "the newest token after reuse was detected")
        self.assert_refused(t2_sibling, "the replay's token after reuse was detected")

    def test_older_generation_inside_grace_revokes_the_family(self):
        t1 = self.login()
        t2 = self.refresh_ok(t1)
        t3 = self.refresh_ok(t2)
        self.assert_refused(t1, "a token two generations old")
        self.assert_refused(t3, "the newest token of a revoked family")
        self.assert_refused(t2, "the previous generation of a revoked family")

    def test_reuse_in_one_family_leaves_other_logins_alone(self):
        a1, b1 = self.login(), self.login()
        a2 = self.refresh_ok(a1)
        self.refresh_ok(a2)
        self.assert_refused(a1)
        self.refresh_ok(b1, "another login of the same user")

    def test_replay_inside_grace_survives_a_restart(self):
        # A client whose answer was lost retries after the server came back (start-up runs the
        # maintenance pass, which prunes refresh tokens): still inside grace, still answered.
        t1 = self.login()
        t2 = self.refresh_ok(t1)
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        t2_sibling = self.refresh_ok(t1, "a replay inside grace after a restart")
        self.refresh_ok(t2, "the current token after a restart")
        self.refresh_ok(t2_sibling, "the replay's token")

    def test_unknown_and_altered_tokens_are_invalid_grant(self):
        real = self.login()
        flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
        cases = [flipped, "A" + real[1:] if real[0] != "A" else "B" + real[1:], real[:-1],
                 real + "A", "x" * 43, "' OR '1'='1' --" + "a" * 28, "refresh token",
                 real.upper() if real.upper() != real else real.lower()]
        for token in cases:
            with self.subTest(token=token[:12]):
                self.assert_refused(token)
        self.refresh_ok(real, "the real token after all these")


class ShortGrace(RefreshCase):
    server_env = {"CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS": "1"}

    def test_reuse_after_grace_revokes_the_whole_family(self):
        a1 = self.login()
        a2 = self.refresh_ok(a1)
        a3 = self.refresh_ok(a2)
        b1 = self.login()
        b2 = self.refresh_ok(b1)
        time.sleep(1.5)
        self.assert_refused(a2, "the previous generation after grace")
        self.assert_refused(a3, "the newest token after reuse was detected")
        self.assert_refused(b1, "a rotated token after grace")
        self.assert_refused(b2, "the newest token after reuse was detected")

    def test_reuse_after_grace_is_still_detected_after_a_restart(self):
        # Retired tokens must outlive the maintenance pass (run at start-up and every minute):
        # forgetting them turns a stolen-token replay into "unknown" and leaves the family alive.
        a1 = self.login()
        a2 = self.refresh_ok(a1)
        a3 = self.refresh_ok(a2)
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        time.sleep(1.2)
        self.assert_refused(a2, "the previous generation after grace")
        self.assert_refused(a3, "the newest token after reuse was detected (after a restart)")

    def test_current_token_still_rotates_after_grace(self):
        t1 = self.login()
        t2 = self.refresh_ok(t1)
        time.sleep(1.2)
        self.refresh_ok(t2, "the current token long after its rotation")


class DatabaseLocked(RefreshCase):
    """Another process holds SQLite's write lock longer than the server's busy timeout (5 s):
    every write the server attempts meanwhile (refreshes, a password login) must be answered
    503 + Retry-After, never invalid_grant (a client that hears invalid_grant throws its refresh
    token away) and never a connection closed without an answer; the tokens must still work
    afterwards."""

    def test_a_locked_database_is_503_and_spends_no_token(self):
        tokens = [self.login(), self.login()]
        results = {}

        def attempt(name, body):
            client = Client(self.server, timeout=30)
            began = time.monotonic()
            try:
                status, headers, text = client.post_v4(body)
                results[name] = (status, headers.get("retry-after"), text,
                                 time.monotonic() - began)
            except Exception as e:  # reported below
                results[name] = (repr(e), None, "", time.monotonic() - began)
            finally:
                client.close()

        requests = {"refresh 1": refresh_body(tokens[0]), "refresh 2": refresh_body(tokens[1]),
                    "login": password_body(USER, PASSWORD)}
        db = sqlite3.connect(os.path.join(self.server.data_dir, "connect-auth.db"),
                             timeout=10, isolation_level=None)
        try:
            db.execute("BEGIN EXCLUSIVE")
            threads = [threading.Thread(target=attempt, args=item) for item in requests.items()]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=40)
        finally:
            db.execute("ROLLBACK")
            db.close()
        print("\nwhile the database was locked: %s" % {n: (r[0], r[1], round(r[3], 2))
                                                       for n, r in results.items()})
        for token in tokens:
            self.refresh_ok(token, "a token after the outage")
        for name in requests:
            status, retry_after, text, _ = results[name]
            self.assertEqual(status, 503, "%s: %s" % (name, text))
            self.assertIsNotNone(retry_after, name)
            self.assertNotIn("invalid_grant", text)
            self.assertNotIn("locked", text.lower())


def fire_together(clients, tokens):
    """One REFRESH_TOKEN request per client, released at once by a barrier. Returns each
    client's (status, parsed body) or the exception it raised."""
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def run(i):
        try:
            barrier.wait()
            status, _, body = clients[i].post_v4(refresh_body(tokens[i]))
            results[i] = (status, json.loads(body))
        except Exception as e:  # reported by the caller
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class Race(RefreshCase):
    """Grace 0: of N simultaneous refreshes of one token exactly one wins; the others are reuse,
    so the family (the winner's new token included) is revoked. Never two live families."""

    server_env = {"CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS": "0"}
    ROUNDS = int(os.environ.get("CA_TEST_RACE_ROUNDS", "200"))
    THREADS = 50

    def test_exactly_one_of_fifty_parallel_refreshes_wins(self):
        clients = [Client(self.server).open() for _ in range(self.THREADS)]
        control = Client(self.server).open()  # login and check, outside the racing window
        start = threading.Barrier(self.THREADS + 1)
        done = threading.Barrier(self.THREADS + 1)
        box = {"token": None, "stop": False}
        results = [None] * self.THREADS

        def worker(i):
            while True:
                start.wait()
                if box["stop"]:
                    return
                try:
                    status, _, body = clients[i].post_v4(refresh_body(box["token"]))
                    results[i] = (status, json.loads(body))
                except Exception as e:  # reported below
                    results[i] = e
                done.wait()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(self.THREADS)]
        for t in threads:
            t.start()
        problems = []
        began = time.monotonic()
        try:
            for round_no in range(self.ROUNDS):
                status, _, body = control.post_v4(password_body(USER, PASSWORD))
                self.assertEqual(status, 200, body)
                box["token"] = json.loads(body)["refreshToken"]
                start.wait()
                done.wait(timeout=60)
                winners = [r for r in results if isinstance(r, tuple) and r[0] == 200]
                others = [r for r in results if not (isinstance(r, tuple) and r[0] == 200)]
                bad = [r for r in others
                       if not (isinstance(r, tuple) and r[0] == 400 and
                               r[1].get("error") == "invalid_grant")]
                if len(winners) != 1 or bad:
                    problems.append("round %d: %d winners, unexpected: %s"
                                    % (round_no, len(winners), [str(b)[:120] for b in bad[:3]]))
                for winner in winners:
                    again = control.post_v4(refresh_body(winner[1]["refreshToken"]))
                    status, body = parse(again)
                    if status != 400:
                        problems.append("round %d: the winner's token still works after the "
                                        "losers' reuse: %d" % (round_no, status))
                if len(problems) > 5:
                    break
        finally:
            box["stop"] = True
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            for c in clients + [control]:
                c.close()
        print("\n%d rounds of %d parallel refreshes in %.1f s"
              % (round_no + 1, self.THREADS, time.monotonic() - began))
        self.assertEqual(problems, [])


class Burst(RefreshCase):
    """A short grace (3 s) so the test can outwait it: a burst of parallel refreshes of one
    token inside grace is all answered, in one family; reuse of the original after grace kills
    every token the burst issued."""

    server_env = {"CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS": "3"}
    GRACE_S = 3
    THREADS = 50

    def burst(self, clients, token):
        results = fire_together(clients, [token] * len(clients))
        bad = [r for r in results if not (isinstance(r, tuple) and r[0] == 200)]
        self.assertEqual(bad, [], "a refresh of the burst failed inside grace")
        tokens = [r[1]["refreshToken"] for r in results]
        self.assertEqual(len(set(tokens)), len(tokens))
        return tokens, [r[1]["accessToken"] for r in results]

    def test_burst_inside_grace_then_reuse_after_grace(self):
        clients = [Client(self.server).open() for _ in range(self.THREADS)]
        try:
            a0, b0 = self.login(), self.login()
            a_tokens, a_access = self.burst(clients, a0)
            b_tokens, _ = self.burst(clients, b0)
            burst_done = time.monotonic()
            for access in a_access:
                self.assertEqual(clients[0].request(
                    "GET", "/rest/v3/accounts", [("Authorization", "Bearer " + access)])[0], 200)
            time.sleep(max(0.0, self.GRACE_S + 0.5 - (time.monotonic() - burst_done)))

            # Family B, untouched: its burst tokens are all live (one rotates, the others are
            # the previous generation inside the new grace period).
            results = fire_together(clients, b_tokens)
            self.assertEqual([r[0] if isinstance(r, tuple) else r for r in results],
                             [200] * len(b_tokens))

            # Family A: the original again, after grace → reuse; all its tokens are dead.
            self.assert_refused(a0, "the original token after grace")
            results = fire_together(clients, a_tokens)
            self.assertEqual([(r[0], r[1].get("error")) if isinstance(r, tuple) else r
                              for r in results], [(400, "invalid_grant")] * len(a_tokens))
        finally:
            for c in clients:
                c.close()


if __name__ == "__main__":
    unittest.main()
