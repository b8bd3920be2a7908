#!/usr/bin/env python3
"""Turns the measurements collected by bench/v4.sh into the table, the three ratios and the JSON.

Inputs: --results (one {"name", "cpu_busy_pct_before", "data"} object per line) and --meta (one
{"key": value} object per line). Writes --output (JSON) and prints the table on stdout.
Standard library only.
"""
import argparse
import datetime
import json
import sys

REFRESH_VS_RSA_TARGET = 0.70  # refresh grants/s vs openssl speed rsa2048 sign/s (one core)
PASSWORD_VS_ARGON2_TARGET = 0.90  # password grants/s vs raw argon2id hashes/s (pool threads)
V3_P99_TARGET_MS = 5.0  # v3 token p99 while password grants saturate their pool
BUSY_LIMIT_PCT = 15


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pct(v):
    return f"{100 * v:.0f}%" if v is not None else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    runs = {r["name"]: r for r in load_jsonl(args.results)}
    meta = {}
    for m in load_jsonl(args.meta):
        meta.update(m)
    cfg = meta.get("config", {})
    d = {name: r["data"] for name, r in runs.items()}

    speed = d.get("openssl_speed", {})
    argon = d.get("argon2", {})
    argon_after = d.get("argon2_after", {})
    refresh = d.get("refresh", {})
    password = d.get("password", {})
    v3_idle = d.get("v3_idle", {})
    v3_load = d.get("v3_under_password", {})
    pw_probe = d.get("password_under_probe", {})

    def ratio(a, b):
        return a / b if a and b else None

    sign1 = speed.get("sign_per_s_1")
    sign_n = speed.get("sign_per_s_multi")
    refresh_ratio = ratio(refresh.get("rps"), sign1)
    # The argon2id reference: the mean of the runs before and after the password grants.
    argon_rates = [x["rate"] for x in (argon, argon_after) if x.get("rate")]
    argon_ref = sum(argon_rates) / len(argon_rates) if argon_rates else None
    password_ratio = ratio(password.get("rps"), argon_ref)
    v3_p99 = v3_load.get("latency_us", {}).get("p99")
    v3_p99_ms = v3_p99 / 1000 if v3_p99 is not None else None

    def load_errors(x):
        return x.get("whole_run", {}).get("errors", 0) if x else 0

    def wrk_errors(x):
        return sum(x.get("errors", {}).values()) if x else 0

    def cpu(x):  # the server's CPU in the window, % of one core, and per successful grant
        if x.get("server_cpu_s") is None:
            return "srv CPU n/a"
        return (f"srv CPU {100 * x['server_cpu_s'] / x['duration_s']:.0f}% "
                f"{x['server_cpu_us_per_ok'] / 1000:.2f} ms/grant")

    rows = []  # (figure, value, p50, p99, notes)
    rows.append(("RSA-2048 sign, openssl speed (1 core)", f"{sign1:,.0f}/s" if sign1 else "n/a",
                 "", "", ""))
    rows.append((f"RSA-2048 sign, openssl speed -multi {speed.get('multi', '?')}",
                 f"{sign_n:,.0f}/s" if sign_n else "n/a", "", "", "context"))
    for when, x in (("before", argon), ("after", argon_after)):
        if not x:
            continue
        rows.append((f"argon2id raw, m={x['memory_kib']} t={x['iterations']} p=1, "
                     f"{x['threads']} thr, {when}", f"{x['rate']:,.1f}/s",
                     f"{x['latency_ms']['p50']:.1f}", f"{x['latency_ms']['p99']:.1f}",
                     "per-hash latency" + (f"; mean {argon_ref:,.1f}/s = reference"
                                           if when == "after" else "")))
    for label, x in ((f"v4 refresh grant, {cfg.get('refresh_connections')} conns", refresh),
                     (f"v4 password grant, {cfg.get('password_connections')} conns", password)):
        if not x:
            continue
        w = x["window"]
        notes = [cpu(x)]
        if x["mode"] == "password":
            notes.append(f"503: {w['unavailable_503']} 429: {w['throttled_429']}")
        else:
            notes.append(f"relogins: {x.get('relogins', 0)}")
        if load_errors(x):
            notes.append(f"ERRORS {x['whole_run']['errors']}")
        rows.append((label, f"{x['rps']:,.1f}/s", f"{x['latency_ms']['p50']:.2f}",
                     f"{x['latency_ms']['p99']:.2f}", ", ".join(notes)))
    for label, x in (("v3 token, paced, server idle", v3_idle),
                     ("v3 token, paced, under password load", v3_load)):
        if not x:
            continue
        lat = x["latency_us"]
        notes = f"wrk -c{cfg.get('probe_connections')}, {cfg.get('probe_delay_ms')} ms pause"
        if wrk_errors(x):
            notes += f", ERRORS {x['errors']}"
        rows.append((label, f"{x['rps']:,.0f}/s", f"{lat['p50'] / 1000:.2f}",
                     f"{lat['p99'] / 1000:.2f}", notes))
    if pw_probe:
        w = pw_probe["window"]
        rows.append(("  v4 password grant meanwhile", f"{pw_probe['rps']:,.1f}/s",
                     f"{pw_probe['latency_ms']['p50']:.2f}", f"{pw_probe['latency_ms']['p99']:.2f}",
                     f"503: {w['unavailable_503']}" +
                     (f", ERRORS {pw_probe['whole_run']['errors']}" if load_errors(pw_probe)
                      else "")))

    targets = [
        {"name": "refresh grants/s vs RSA-2048 sign/s (1 core)", "value": refresh_ratio,
         "target": f">= {REFRESH_VS_RSA_TARGET:.0%}",
         "met": refresh_ratio is not None and refresh_ratio >= REFRESH_VS_RSA_TARGET
         and not load_errors(refresh),
         "shown": pct(refresh_ratio)},
        {"name": "password grants/s vs raw argon2id/s", "value": password_ratio,
         "target": f">= {PASSWORD_VS_ARGON2_TARGET:.0%}",
         "met": password_ratio is not None and password_ratio >= PASSWORD_VS_ARGON2_TARGET
         and not load_errors(password),
         "shown": pct(password_ratio)},
        {"name": "v3 token p99 under password load", "value": v3_p99_ms,
         "target": f"< {V3_P99_TARGET_MS:g} ms",
         "met": v3_p99_ms is not None and v3_p99_ms < V3_P99_TARGET_MS and not wrk_errors(v3_load)
         and pw_probe.get("rps", 0) > 0,
         "shown": f"{v3_p99_ms:.2f} ms" if v3_p99_ms is not None else "n/a"},
    ]
    context = {
        "refresh_vs_rsa_multi": ratio(refresh.get("rps"), sign_n),
        "password_under_probe_vs_argon2": ratio(pw_probe.get("rps"), argon_ref),
        "v3_p99_idle_ms": v3_idle.get("latency_us", {}).get("p99", 0) / 1000 if v3_idle else None,
    }
    errors = {name: load_errors(x) for name, x in
              (("refresh", refresh), ("password", password), ("password_under_probe", pw_probe))}
    errors.update({name: wrk_errors(x) for name, x in
                   (("v3_idle", v3_idle), ("v3_under_password", v3_load))})
    busy = {name: r.get("cpu_busy_pct_before", 0) for name, r in runs.items()}

    out = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        **meta,
        "measurements": d,
        "cpu_busy_pct_before": busy,
        "targets": targets,
        "context": context,
        "errors": errors,
        "all_targets_met": all(t["met"] for t in targets),
        "runs_on_busy_cpus": any(b > BUSY_LIMIT_PCT for b in busy.values()),
    }
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    print()
    print(f"v4 benchmark, {meta.get('host', '')}; {cfg.get('transport', '?')}, "
          f"{cfg.get('duration_s', '?')} s per load after {cfg.get('warmup_s', '?')} s warm-up; "
          f"stored hash {meta.get('stored_hash_parameters', '?')}"
          + (f"; server settings {' '.join(cfg['server_settings'])}"
             if cfg.get("server_settings") else ""))
    header = f"{'figure':<46} {'value':>11} {'p50 ms':>8} {'p99 ms':>8}  notes"
    print(header)
    print("-" * len(header))
    for figure, value, p50, p99, notes in rows:
        print(f"{figure:<46} {value:>11} {p50:>8} {p99:>8}  {notes}")
    print()
    print(f"{'target':<46} {'value':>11} {'target':>8}")
    print("-" * 76)
    for t in targets:
        print(f"{t['name']:<46} {t['shown']:>11} {t['target']:>8}  "
              f"{'PASS' if t['met'] else 'FAIL'}")
    print(f"(context: refresh vs -multi sign rate {pct(context['refresh_vs_rsa_multi'])}; "
          f"password rate during the v3 probe vs raw argon2id "
          f"{pct(context['password_under_probe_vs_argon2'])}; v3 p99 idle "
          f"{context['v3_p99_idle_ms']:.2f} ms)" if context["v3_p99_idle_ms"] is not None else "")
    for name, x in (("refresh", refresh), ("password", password),
                    ("password under the v3 probe", pw_probe)):
        for s in (x or {}).get("error_samples", []):
            print(f"error sample ({name}): {json.dumps(s)}")
    if out["runs_on_busy_cpus"]:
        print(f"warning: other processes used more than {BUSY_LIMIT_PCT}% of the CPUs before "
              f"some measurements ({busy}); figures are unreliable")
    print(f"results: {args.output}")
    if args.strict and (not out["all_targets_met"] or any(errors.values())):
        sys.exit(1)


if __name__ == "__main__":
    main()
