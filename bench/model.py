#!/usr/bin/env python3
"""bench/model.py - a scaling model of ocpagg across nodes.

    bench/model.py table    [--summary RUN.json] [options]   # predictions
    bench/model.py validate --netns bench/results/model_netns.csv

The job has four phases and the model gives each its own law (P ranks,
N nodes, k ranks per node, t threads per rank, c = k*t cores per node):

  plan      constant: rank 0 lists and opens the input, broadcasts the plan.
  read+agg  R input rows at r rows/s per core, on all N*c cores, but never
            faster than the shared file system delivers the input bytes:
              max(R / (r * N * c * e_t), input_bytes / fs_read)
            (e_t: efficiency of threads beside ranks, 0.8 measured at 1x2).
  exchange  P-1 pairwise rounds (rank r sends to r+j, receives from r-j).
            With row-range input (HDF5) a group sits in one rank's partial
            and belongs to another rank's day with chance (P-1)/P; with
            day-per-file Parquet each rank reads its own days and almost
            nothing moves (share m).  Per rank:
              2(P-1)*alpha + m*G/P*(P-1)/P * (b_g / (eta*beta/k) + mu)
            b_g bytes per moved group on the wire, mu seconds of serialising
            and merging per moved group, beta the link bandwidth of a node
            shared by its k ranks, eta the share of it TCP gets.
  finish    every rank finishes its days (F report rows, f core-seconds per
            row); the days' text goes to rank 0, which writes the report:
              max(F/P * f / (t*e_t),
                  B*(P-1)/P / (eta*beta) + B / fs_write)
            B = report bytes.  Rank 0's link and its write are the one
            serial path of the job: it sets the floor at many nodes.

Figures measured on the project machine (bench/results/README.md and
bench/results/model_netns.csv) are the defaults; --summary takes r, f and
the phase shape from a run summary JSON instead.  "A large cluster" is the
benchmark month: 278 nodes x 100 pods x 24 h x 30 days = 20.4 M input rows,
710 087 report rows (Parquet, bench/run.sh --rows 20000000).  C clusters
are C times the rows, groups and report of one: one job over all of them
(or C jobs of one cluster each, whose total is the 1-cluster time x C
divided by the jobs that run at once).
"""
import argparse
import csv
import json
import math
import os
import sys

# Measured on the project machine (2 cores, AMD EPYC VM, Open MPI 4.1.4).
DEFAULTS = {
    # bench/results/README.md, Parquet 2x1: 20 432 880 rows read+aggregated
    # in 2.62 s on 2 cores; finish+write 1.60 s for 710 087 report rows.
    "rows_per_cluster": 20_432_880,
    "report_rows_per_cluster": 710_087,
    "groups_per_report_row": 16935 / 18135,   # model_netns.csv dataset
    "r_core": 20_432_880 / (2.62 * 2),        # rows/s per core
    "f_core": 1.60 * 2 / 710_087,             # core-seconds per report row
    "plan_s": 0.05,
    "input_bytes_per_row": 28.0,              # snappy Parquet from ocpgen
    # bench/results/model_netns.csv (veth, one rank per host, TCP btl):
    "b_g": 527.0,        # bytes on the wire per moved group
    "b_r": 400.0,        # report bytes per row (CSV)
    # s per moved group, serialise + merge: bench/results/README.md, HDF5
    # 2x1, 0.13 s for ~175 000 moved groups through shared memory (the
    # netns runs' 5-17 us per group are small messages' fixed costs).
    "mu": 0.75e-6,
    "eta": 0.85,         # share of a link's rate TCP delivers (P >= 3)
    "e_t": 0.8,          # efficiency of threads beside ranks
}

NETWORKS = {
    # alpha: one-way latency of a small MPI message (s); beta: bytes/s.
    "10GbE": (25e-6, 10e9 / 8),
    "25GbE": (15e-6, 25e9 / 8),
    "100G-IB": (2e-6, 100e9 / 8),
}


def predict(p, clusters, nodes, ranks_per_node, threads, alpha, beta,
            fs_read, fs_write, layout):
    """Seconds per phase for one configuration."""
    P = nodes * ranks_per_node
    cores = nodes * ranks_per_node * threads
    e_t = p["e_t"] if threads > 1 else 1.0
    R = p["rows_per_cluster"] * clusters
    F = p["report_rows_per_cluster"] * clusters
    G = F * p["groups_per_report_row"]
    B = F * p["b_r"]
    read = max(R / (p["r_core"] * cores * e_t),
               R * p["input_bytes_per_row"] / fs_read)
    m = 1.0 if layout == "hdf5" else 0.05
    moved = m * G / P * (P - 1) / P
    # One node's link is shared by its ranks; two ranks on the same node
    # talk through shared memory, which the model counts as free.
    off_node = (nodes - 1) / nodes if nodes > 1 else 0.0
    exchange = (2 * (P - 1) * alpha if nodes > 1 else 0.0) + moved * (
        off_node * p["b_g"] * ranks_per_node / (p["eta"] * beta) + p["mu"])
    compute = F / P * p["f_core"] / (threads * e_t)
    serial = B * off_node / (p["eta"] * beta) + B / fs_write
    finish = max(compute, serial)
    return {"plan": p["plan_s"], "read_aggregate": read,
            "exchange": exchange, "finish": finish,
            "total": p["plan_s"] + read + exchange + finish}


def from_summary(p, path):
    """r, f and the dataset shape from a run summary."""
    s = json.load(open(path))
    cores = s["ranks"] * s.get("threads_per_rank", 1)
    rows = sum(s["rows_read"].values())
    sec = s["seconds"]
    out = s["output_rows"]["total"]
    p = dict(p)
    p["r_core"] = rows / (sec["read_aggregate"] * cores)
    p["f_core"] = (sec["finish"] + sec.get("write", 0.0)) * cores / out
    p["plan_s"] = sec["plan"]
    p["groups_per_report_row"] = (s["pod_groups"] + s["storage_groups"]) / out
    rep = s.get("report")
    if rep and os.path.isfile(rep):
        p["b_r"] = os.path.getsize(rep) / out
    ex = s.get("exchange")  # bytes and groups moved, when the driver says
    if isinstance(ex, dict) and ex.get("groups_sent"):
        p["b_g"] = ex["bytes_sent"] / ex["groups_sent"]
    return p


def cmd_table(a):
    p = dict(DEFAULTS)
    if a.summary:
        p = from_summary(p, a.summary)
    alpha, beta = NETWORKS[a.network]
    if a.latency_us is not None:
        alpha = a.latency_us * 1e-6
    if a.gbit is not None:
        beta = a.gbit * 1e9 / 8
    w = csv.writer(sys.stdout)
    w.writerow(["layout", "clusters", "nodes", "ranks", "threads", "cores",
                "plan", "read_aggregate", "exchange", "finish", "total",
                "speedup_vs_1_node", "as_separate_jobs"])
    layouts = ["hdf5", "parquet"] if a.layout == "both" else [a.layout]
    for lay in layouts:
        one = predict(p, 1, 1, a.ranks_per_node, a.threads, alpha, beta,
                      a.fs_read_gbs * 1e9, a.fs_write_gbs * 1e9, lay)["total"]
        for c in a.clusters:
            base = None
            for n in a.nodes:
                r = predict(p, c, n, a.ranks_per_node, a.threads, alpha, beta,
                            a.fs_read_gbs * 1e9, a.fs_write_gbs * 1e9, lay)
                base = base or r["total"]
                # The same month as C one-cluster jobs, N of them at a time
                # (one per node): what a cluster_id per run suggests.
                jobs = math.ceil(c / n) * one
                w.writerow([lay, c, n, n * a.ranks_per_node, a.threads,
                            n * a.ranks_per_node * a.threads,
                            *(f"{r[k]:.2f}" for k in ("plan", "read_aggregate",
                                                      "exchange", "finish",
                                                      "total")),
                            f"{base / r['total']:.1f}", f"{jobs:.2f}"])


def cmd_validate(a):
    """Predicts the bytes, exchange and finish of each netns run from the
    unshaped runs alone, and prints prediction beside measurement."""
    rows = list(csv.DictReader(open(a.netns)))
    base = {int(r["ranks"]): r for r in rows if r["rate_mbit"] == "0"}
    # Calibration, from the unshaped 2-rank run only: bytes per moved group
    # (all bytes sent less the report text that went to rank 0; the split
    # by phase marks is unreliable when a phase takes less than the 10 ms
    # between samples) and bytes per report row.
    b2 = base[2]
    G = float(b2["groups"])
    B2 = float(b2["report_bytes"])
    b_g = (float(b2["bytes_on_wire"]) - B2 / 2) / (G / 2)
    b_r = B2 / float(b2["report_rows"])
    w = csv.writer(sys.stdout)
    w.writerow(["rate_mbit", "latency_ms", "ranks", "bytes_pred", "bytes_meas",
                "exchange_s_pred", "exchange_s_meas", "finish_s_pred",
                "finish_s_meas"])
    for r in rows:
        P = int(r["ranks"])
        b0 = base[P]
        mbit = float(r["rate_mbit"])
        beta = mbit * 1e6 / 8 if mbit > 0 else float("inf")
        alpha = float(r["one_way_latency_ms"]) * 1e-3 + a.veth_latency_us * 1e-6
        moved_per_rank = G / P * (P - 1) / P
        B = float(r["report_bytes"])
        wire = moved_per_rank * P * b_g + B * (P - 1) / P
        # CPU part: what the unshaped run of the same size took.
        x_pred = (2 * (P - 1) * alpha + float(b0["exchange"])
                  + moved_per_rank * b_g / (a.eta * beta))
        f_pred = max(float(b0["finish_write"]), B * (P - 1) / P / (a.eta * beta))
        w.writerow([r["rate_mbit"], r["one_way_latency_ms"], P, int(wire),
                    r["bytes_on_wire"], f"{x_pred:.3f}", r["exchange"],
                    f"{f_pred:.3f}", r["finish_write"]])
    print(f"# calibration (unshaped, 2 ranks): b_g={b_g:.0f} B per moved group, "
          f"b_r={b_r:.0f} B per report row; eta={a.eta}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table", help="predicted seconds per phase (CSV)")
    t.add_argument("--summary", help="calibrate from this run summary JSON "
                   "(of a run whose ranks x threads fit its cores: the rates "
                   "are per core)")
    t.add_argument("--clusters", type=int, nargs="+", default=[1, 10, 100])
    t.add_argument("--nodes", type=int, nargs="+",
                   default=[1, 2, 4, 8, 16, 32, 64])
    t.add_argument("--ranks-per-node", type=int, default=4)
    t.add_argument("--threads", type=int, default=8)
    t.add_argument("--network", choices=sorted(NETWORKS), default="10GbE")
    t.add_argument("--latency-us", type=float)
    t.add_argument("--gbit", type=float, help="link rate, Gbit/s")
    t.add_argument("--fs-read-gbs", type=float, default=20.0,
                   help="shared file system read, GB/s in all (default 20)")
    t.add_argument("--fs-write-gbs", type=float, default=1.0,
                   help="one client's write, GB/s (default 1)")
    t.add_argument("--layout", choices=["parquet", "hdf5", "both"], default="both",
                   help="hdf5: row ranges, groups move; parquet: a file "
                        "per day, little moves")
    t.set_defaults(func=cmd_table)
    v = sub.add_parser("validate", help="model vs bench/model_netns.sh runs")
    v.add_argument("--netns", default="bench/results/model_netns.csv")
    v.add_argument("--eta", type=float, default=DEFAULTS["eta"])
    v.add_argument("--veth-latency-us", type=float, default=30.0)
    v.set_defaults(func=cmd_validate)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
