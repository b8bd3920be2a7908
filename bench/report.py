#!/usr/bin/env python3
"""Turns the measurements collected by bench/run.sh into the table and the JSON results.

Inputs: --results (one JSON object per wrk measurement) and --meta (one {"key": value} object
per line). Writes --output (JSON) and prints the human table on stdout. Standard library only.
"""
import argparse
import datetime
import json
import statistics
import sys

RATIO_TARGET = 0.70  # (b) and (c) vs the nginx ceiling, same transport and thread count
KEYS_TARGET = 0.90  # (d) issuance with many keys vs few keys
RSS_FRESH_TARGET_KB = 64 * 1024
RSS_KEYS_TARGET_KB = 128 * 1024
BUSY_LIMIT_PCT = 15  # CPU use by other processes before a run that makes its figures suspect

LABELS = {
    "nginx": "nginx fixed body (ceiling)",
    "token": "(b) v3 token issuance",
    "accounts": "(c) GET /rest/v3/accounts",
    "token_access_log": "(b) token, access log ON",
    "token_keys": "(d) token issuance",
}


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def rps(m):
    return m["wrk"]["rps"]


def cpu_per_request(m):
    return m.get("server_cpu_s", 0) / m["wrk"]["requests"] if m["wrk"]["requests"] else 0


def paired_ratio(num_group, den_group, value):
    """Median over repetitions of value(num) / value(den), pairing runs of the same rotation.

    Runs of one rotation were measured back to back, so their ratio is much less affected by
    the machine's speed drifting during the benchmark than a ratio of two separate medians.
    """
    den = {m.get("repetition", 1): m for m in den_group}
    ratios = [value(m) / value(den[m.get("repetition", 1)]) for m in num_group
              if m.get("repetition", 1) in den and value(den[m.get("repetition", 1)])
              and value(m)]
    return (statistics.median(ratios) if ratios else None), ratios


def mib(kb):
    return f"{kb / 1024:.1f} MiB" if kb else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    measurements = load_jsonl(args.results)
    # With --repeat, each configuration was measured several times: keep the run with the
    # median requests/s (the lower middle one for an even count), and the spread of all.
    groups = {}
    for m in measurements:
        key = (m["scenario"], m["server"], m["transport"], m["threads"], m["keys"], m["access_log"])
        groups.setdefault(key, []).append(m)
    runs = []
    for group in groups.values():
        ordered = sorted(group, key=lambda m: m["wrk"]["rps"])
        chosen = dict(ordered[(len(ordered) - 1) // 2])
        rates = [m["wrk"]["rps"] for m in group]
        chosen["repeats_rps"] = rates
        chosen["spread"] = ((max(rates) - min(rates)) / chosen["wrk"]["rps"]
                            if len(rates) > 1 and chosen["wrk"]["rps"] else None)
        chosen["errors_all_repeats"] = sum(sum(m["wrk"]["errors"].values()) for m in group)
        chosen["cpu_busy_pct_before"] = max(m.get("cpu_busy_pct_before", 0) for m in group)
        chosen["_group"] = group
        runs.append(chosen)
    meta = {}
    for item in load_jsonl(args.meta):
        meta.update(item)

    ceiling_run = {(r["transport"], r["threads"]): r for r in runs if r["scenario"] == "nginx"}
    plain_token = {(r["transport"], r["threads"]): r["wrk"]["rps"] for r in runs
                   if r["scenario"] == "token"}
    targets = []

    for r in runs:
        w = r["wrk"]
        e = w["errors"]
        # Socket read errors are counted too: wrk reports a connection the server closed.
        r["error_count"] = r["errors_all_repeats"]
        r["bytes_per_response"] = round(w["bytes"] / w["requests"]) if w["requests"] else 0
        cpu, wall = r.get("server_cpu_s", 0), r.get("wall_s", 0)
        # Server CPU as a share of one core, and CPU time per request: with 1 pinned thread,
        # well under 100 % means wrk, not the server, set the pace.
        r["server_cpu_pct"] = 100 * cpu / wall if cpu and wall else None
        r["server_cpu_us_per_request"] = 1e6 * cpu / w["requests"] if cpu and w["requests"] else None
        ref_run = ceiling_run.get((r["transport"], r["threads"]))
        r["ratio_to_nginx"] = None
        r["cpu_per_request_vs_nginx"] = None
        if r["scenario"] != "nginx" and ref_run:
            r["ratio_to_nginx"], r["ratio_to_nginx_per_repeat"] = paired_ratio(
                r["_group"], ref_run["_group"], rps)
            r["cpu_per_request_vs_nginx"], _ = paired_ratio(
                r["_group"], ref_run["_group"], cpu_per_request)
        r["target"] = None
        if r["scenario"] in ("token", "accounts") and r["ratio_to_nginx"] is not None:
            r["target"] = f">= {RATIO_TARGET:.0%} of nginx"
            r["target_met"] = r["ratio_to_nginx"] >= RATIO_TARGET and r["error_count"] == 0
            targets.append({"name": f"{r['scenario']} {r['transport']} threads={r['threads']} "
                                    "vs nginx", "value": round(r["ratio_to_nginx"], 3),
                            "target": f">= {RATIO_TARGET}", "met": r["target_met"]})
        if r["scenario"] == "token_access_log":
            base = plain_token.get((r["transport"], r["threads"]))
            r["ratio_to_log_off"] = (w["rps"] / base) if base else None

    # (d): the same measurement with few and with many keys.
    keyed = sorted((r for r in runs if r["scenario"] == "token_keys"), key=lambda r: r["keys"])
    keys_ratio = None
    if len(keyed) >= 2:
        keys_ratio, _ = paired_ratio(keyed[-1]["_group"], keyed[0]["_group"], rps)
    if keys_ratio is not None:
        targets.append({"name": f"issuance with {keyed[-1]['keys']} keys vs {keyed[0]['keys']} keys",
                        "value": round(keys_ratio, 3), "target": f">= {KEYS_TARGET}",
                        "met": keys_ratio >= KEYS_TARGET})
    rss_fresh = meta.get("rss_fresh_kb")
    if rss_fresh:
        targets.append({"name": "RSS idle, fresh data dir (KiB)", "value": rss_fresh,
                        "target": f"< {RSS_FRESH_TARGET_KB}", "met": rss_fresh < RSS_FRESH_TARGET_KB})
    bulk = meta.get("config", {}).get("bulk_keys")
    rss_bulk = meta.get(f"rss_{bulk}_keys_kb")
    if rss_bulk:
        targets.append({"name": f"RSS idle, {bulk} API keys (KiB)", "value": rss_bulk,
                        "target": f"< {RSS_KEYS_TARGET_KB}", "met": rss_bulk < RSS_KEYS_TARGET_KB})

    # ---------------------------------------------------------------- table
    cfg = meta.get("config", {})
    print()
    print(f"connect-auth HTTP benchmark  ({meta.get('host', '?')})")
    repeat = cfg.get("repeat", 1)
    print(f"wrk: {cfg.get('wrk_threads')} thread(s), {cfg.get('connections')} keep-alive "
          f"connections, {cfg.get('duration_s')} s per run after {cfg.get('warmup_s')} s warm-up; "
          f"loopback 127.0.0.1" + (f"; median of {repeat} runs (spread = (max-min)/median)"
                                   if repeat > 1 else ""))
    print(f"TLS: connect-auth {meta.get('tls_connect_auth') or 'n/a'}; "
          f"nginx {meta.get('tls_nginx') or 'n/a'} ({meta.get('nginx_certificate', 'n/a')})")
    token_bytes = meta.get("token_response_bytes")
    per_resp = {}
    for r in runs:
        per_resp.setdefault(r["scenario"], r["bytes_per_response"])
    print(f"body: nginx {meta.get('nginx_body_bytes', '?')} B, connect-auth token response "
          f"{f'{token_bytes} B' if token_bytes else 'n/a'}; with headers: "
          + ", ".join(f"{k} {v} B" for k, v in per_resp.items() if k in ("nginx", "token", "accounts")))
    print()
    show_spread = repeat > 1
    header = (f"{'scenario':<28} {'transport':<9} {'thr':>3} {'keys':>7} {'req/s':>9} "
              + (f"{'spread':>6} " if show_spread else "")
              + f"{'p50 ms':>6} {'p99 ms':>6} {'srv CPU':>7} {'us/req':>6} {'vs nginx':>8}  target")
    print(header)
    print("-" * len(header))
    order = {"nginx": 0, "token": 1, "accounts": 2, "token_access_log": 3, "token_keys": 4}
    main_rows = sorted((r for r in runs if r["scenario"] in ("nginx", "token", "accounts")),
                       key=lambda r: (r["threads"], r["transport"] != "https", order[r["scenario"]]))
    extra_rows = [r for r in runs if r["scenario"] not in ("nginx", "token", "accounts")]
    last_group = None
    for r in main_rows + [None] + extra_rows:
        if r is None:
            if extra_rows:
                print("-" * len(header))
            continue
        group = (r["threads"], r["transport"])
        if r in main_rows and last_group is not None and group != last_group:
            print()
        last_group = group
        w = r["wrk"]
        ratio = f"{r['ratio_to_nginx']:.0%}" if r["ratio_to_nginx"] is not None else "-"
        note = ""
        if r["target"]:
            note = f"{r['target']}: {'PASS' if r['target_met'] else 'FAIL'}"
        if r["scenario"] == "token_access_log" and r.get("ratio_to_log_off"):
            note = f"{r['ratio_to_log_off']:.0%} of log-off (info)"
        if r["error_count"]:
            note += f"  ERRORS {w['errors']}"
        keys = f"{r['keys']:,}" if r["server"] == "connect-auth" else "-"
        spread = f"{r['spread']:.0%}" if r["spread"] is not None else "-"
        cpu_pct = f"{r['server_cpu_pct']:.0f}%" if r["server_cpu_pct"] is not None else "-"
        us_req = (f"{r['server_cpu_us_per_request']:.1f}"
                  if r["server_cpu_us_per_request"] is not None else "-")
        print(f"{LABELS.get(r['scenario'], r['scenario']):<28} {r['transport']:<9} "
              f"{r['threads']:>3} {keys:>7} {w['rps']:>9,.0f} "
              + (f"{spread:>6} " if show_spread else "")
              + f"{w['latency_us']['p50'] / 1000:>6.2f} {w['latency_us']['p99'] / 1000:>6.2f} "
              f"{cpu_pct:>7} {us_req:>6} {ratio:>8}  {note}")
    print()
    pins = sorted({(r["threads"], r["pinning"]) for r in runs})
    for threads, desc in pins:
        print(f"pinning with {threads} server thread(s): {desc}")
    print("srv CPU: server (nginx: its workers) CPU time / wall time, 100% = one core busy; "
          "us/req: server CPU microseconds per request")

    if keyed or rss_fresh:
        print()
        print("memory and key-count scaling")
        if rss_fresh:
            print(f"  RSS idle after start, fresh data dir:      {mib(rss_fresh):>10}   "
                  f"target < 64 MiB: {'PASS' if rss_fresh < RSS_FRESH_TARGET_KB else 'FAIL'}"
                  f"   (ready in {meta.get('startup_fresh_ms', '?')} ms)")
        for r in keyed:
            k = r["keys"]
            idle = meta.get(f"rss_{k}_keys_kb")
            line = (f"  RSS idle after start, {k:>7,} API keys:   {mib(idle):>10}")
            if k == bulk and idle:
                line += f"   target < 128 MiB: {'PASS' if idle < RSS_KEYS_TARGET_KB else 'FAIL'}"
            line += (f"   (ready in {meta.get(f'startup_{k}_keys_ms', '?')} ms; "
                     f"peak after load {mib(meta.get(f'hwm_{k}_keys_kb'))})")
            print(line)
        if keys_ratio is not None:
            print(f"  (d) issuance {keyed[-1]['keys']:,} keys vs {keyed[0]['keys']:,} keys: "
                  f"{keys_ratio:.1%}   target >= 90%: {'PASS' if keys_ratio >= KEYS_TARGET else 'FAIL'}")

    busy = [r for r in runs if r.get("cpu_busy_pct_before", 0) > BUSY_LIMIT_PCT]
    if busy or meta.get("cpu_busy_pct_at_start", 0) > BUSY_LIMIT_PCT:
        worst = max([r.get("cpu_busy_pct_before", 0) for r in runs] +
                    [meta.get("cpu_busy_pct_at_start", 0)])
        print()
        print(f"WARNING: other processes were using the CPUs (up to {worst}% before a run; "
              f"{len(busy)} run(s) above {BUSY_LIMIT_PCT}%): these figures are unreliable.")
    errors = [r for r in runs if r["error_count"]]
    missed = [t for t in targets if not t["met"]]
    print()
    print(f"targets: {len(targets) - len(missed)}/{len(targets)} met"
          + (f"; runs with errors: {len(errors)}" if errors else ""))

    out = {
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **meta,
        "runs": [{k: v for k, v in r.items() if k != "_group"} for r in runs],
        "measurements": measurements,
        "keys_ratio": keys_ratio,
        "targets": targets,
        "all_targets_met": not missed,
        "runs_with_errors": len(errors),
        "runs_on_busy_cpus": len(busy),
    }
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"results: {args.output}")
    if args.strict and (missed or errors):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
