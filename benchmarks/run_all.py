"""Run every benchmark, write ``benchmarks/results/*.json`` and refresh the table in ``benchmarks/README.md``.

Usage (from the repository root)::

    python -m benchmarks.run_all                 # full suite, about 5 minutes on 2 cores
    python -m benchmarks.run_all --readme-only   # re-render the README table from the JSON files
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks import _harness, bench_from_events, bench_from_paths

README = _harness.BENCH_DIR / "README.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"
LABELS = {
    "ours": "`Journeys.from_events`",
    "pandas": "pandas reference",
    "pandas_vectorised": "pandas, vectorised paths",
}


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def render(events: dict[str, Any] | None, paths: dict[str, Any] | None) -> str:
    """The Markdown results section for the README."""
    lines: list[str] = []
    machine = (events or paths or {}).get("machine", {})
    if machine:
        git = machine.get("git") or {}
        lines.append(
            f"Measured {machine['date'][:10]} on {machine['cpu_count']} CPUs ({machine.get('cpu_model')}), "
            f"{machine.get('memory_gib')} GiB RAM; Python {machine['python']}, numpy {machine['numpy']}, "
            f"pandas {machine['pandas']}, pyarrow {machine.get('pyarrow')}; commit `{str(git.get('commit', '?'))[:10]}`"
            + (" with uncommitted `src/` changes" if git.get("src_modified") else "")
            + "."
        )
        lines.append("")
    if events:
        rounds = events["settings"]["rounds"]
        lines += [
            f"### `from_events` (median of {rounds} runs, each in a fresh process)",
            "",
            "| users | events | journeys | builder | build time | ours ÷ this | peak RSS | RSS after read | build increment |",
            "|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for size in events["sizes"]:
            ours = size["contenders"].get("ours", {}).get("median_seconds")
            for name, result in size["contenders"].items():
                ratio = "" if ours is None or name == "ours" else f"{ours / result['median_seconds']:.3f}"
                lines.append(
                    f"| {size['users']:,} | {size['events']:,} | {size['journeys']:,} | {LABELS.get(name, name)} "
                    f"| {_fmt_seconds(result['median_seconds'])} | {ratio} | {result['median_peak_mib']:,.0f} MiB "
                    f"| {result['median_rss_after_read_mib']:,.0f} MiB | {result['median_build_increment_mib']:,.0f} MiB |"
                )
        lines.append("")
        for size in events["sizes"]:
            goals = size.get("goals")
            if goals:
                lines.append(
                    f"- {size['users']:,} users: ours ÷ pandas reference = {size['ratio_ours_over_pandas']:.3f} "
                    f"(goal ≤ {goals['ratio_max']}: {'met' if goals['ratio_met'] else 'NOT met'}); peak "
                    f"{size['contenders']['ours']['median_peak_mib'] * 2**20 / 1e9:.2f} GB "
                    f"(goal ≤ {goals['peak_max_bytes'] / 1e9:.1f} GB: {'met' if goals['peak_met'] else 'NOT met'})."
                )
        check = events.get("check")
        if check:
            lines.append(
                f"- Same journeys as the pandas reference on {check['users']:,} users "
                f"({check['ours_vs_pandas']['journeys']:,} journeys: paths, conversions, values): "
                f"{'yes' if check['match'] else 'NO'}."
            )
        lines.append("")
    if paths:
        result = paths["result"]
        goals = paths["goals"]
        lines += [
            f"### `from_paths` (median of {paths['settings']['rounds']} runs, each in a fresh process)",
            "",
            "| distinct paths | touches | build time | peak RSS | RSS after read | build increment | goal ≤ 2 s |",
            "|---:|---:|---:|---:|---:|---:|---|",
            f"| {paths['rows']:,} | {paths['touches']:,} | {_fmt_seconds(result['median_seconds'])} "
            f"| {result['median_peak_mib']:,.0f} MiB | {result['median_rss_after_read_mib']:,.0f} MiB "
            f"| {result['median_build_increment_mib']:,.0f} MiB | {'met' if goals['seconds_met'] else 'NOT met'} |",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(events: dict[str, Any] | None, paths: dict[str, Any] | None, readme: Path = README) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{render(events, paths)}{END}{tail}")


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 100_000], help="from_events users")
    parser.add_argument("--distinct", type=int, default=1_000_000, help="from_paths distinct paths")
    parser.add_argument("--only", choices=["from_events", "from_paths"], help="run one benchmark")
    parser.add_argument("--results", type=Path, default=_harness.RESULTS_DIR, help="folder of the JSON results")
    parser.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    parser.add_argument("--readme-only", action="store_true", help="only re-render the README from the JSON files")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the Parquet inputs")
    args = parser.parse_args(argv)
    events_json = args.results / "from_events.json"
    paths_json = args.results / "from_paths.json"
    if not args.readme_only:
        if args.only in (None, "from_events"):
            payload = bench_from_events.run(tuple(args.sizes), args.rounds, regenerate=args.regenerate)
            print(f"wrote {_harness.write_json(events_json, payload)}")
        if args.only in (None, "from_paths"):
            payload = bench_from_paths.run(args.distinct, args.rounds, regenerate=args.regenerate)
            print(f"wrote {_harness.write_json(paths_json, payload)}")
    if not args.no_readme:
        update_readme(_load(events_json), _load(paths_json))
        print(f"updated {README}")


if __name__ == "__main__":
    main()
