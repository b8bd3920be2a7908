#!/usr/bin/env python3
"""Turns the measurements collected by bench/run.sh into the table and the JSON results.

Inputs: --results (one JSON object per wrk measurement) and --meta (one {"key": value} object
per line). Writes --output (JSON) and prints the human table on stdout. Standard library only.
"""
import argparse
import datetime
import json
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


def mib(kb):
    return f"{kb / 1024:.1f} MiB" if kb else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    runs = load_jsonl(args.results)
    meta = {}
    for item in load_jsonl(args.meta):
        meta.update(item)

    ceiling = {(r["transport"], r["threads"]): r["wrk"]["rps"] for r in runs
               if r["scenario"] == "nginx"}
    plain_token = {(r["transport"], r["threads"]): r["wrk"]["rps"] for r in runs
                   if r["scenario"] == "token"}
    targets = []

    for r in runs:
        w = r["wrk"]
        e = w["errors"]
        # Socket read errors are counted too: wrk reports a connection the server closed.
        r["error_count"] = sum(e.values())
        r["bytes_per_response"] = round(w["bytes"] / w["requests"]) if w["requests"] else 0
        ref = ceiling.get((r["transport"], r["threads"]))
        r["ratio_to_nginx"] = (w["rps"] / ref) if ref and r["scenario"] != "nginx" else None
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
        keys_ratio = keyed[-1]["wrk"]["rps"] / keyed[0]["wrk"]["rps"]
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
    print(f"wrk: {cfg.get('wrk_threads')} thread(s), {cfg.get('connections')} keep-alive "
          f"connections, {cfg.get('duration_s')} s per run after {cfg.get('warmup_s')} s warm-up; "
          f"loopback 127.0.0.1")
    print(f"TLS: connect-auth {meta.get('tls_connect_auth') or 'n/a'}; "
          f"nginx {meta.get('tls_nginx') or 'n/a'} ({meta.get('nginx_certificate', 'n/a')})")
    token_bytes = meta.get("token_response_bytes")
    print(f"nginx body {meta.get('nginx_body_bytes', '?')} B; connect-auth token response "
          f"{f'{token_bytes} B' if token_bytes else 'n/a'} (B/resp below includes the response headers)")
    print()
    header = (f"{'scenario':<28} {'transport':<9} {'thr':>3} {'keys':>7} {'req/s':>10} "
              f"{'p50 ms':>7} {'p99 ms':>7} {'B/resp':>6} {'vs nginx':>8}  target")
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
        print(f"{LABELS.get(r['scenario'], r['scenario']):<28} {r['transport']:<9} "
              f"{r['threads']:>3} {keys:>7} {w['rps']:>10,.0f} {w['latency_us']['p50'] / 1000:>7.2f} "
              f"{w['latency_us']['p99'] / 1000:>7.2f} {r['bytes_per_response']:>6} {ratio:>8}  {note}")
    print()
    pins = sorted({(r["threads"], r["pinning"]) for r in runs})
    for threads, desc in pins:
        print(f"pinning with {threads} server thread(s): {desc}")

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
        "runs": runs,
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
