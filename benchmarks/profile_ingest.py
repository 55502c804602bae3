"""Where ingest spends its time and memory, stage by stage, on a folder of filled returns.

    python3 benchmarks/run.py --n 1000 --keep --workdir /tmp/bench      # makes the returns
    python3 benchmarks/profile_ingest.py /tmp/bench/sheetkit-bench-*/n1000/filled [--pyinstrument DIR]

Runs the same steps as ``sheetkit.commands.ingest.ingest_returns`` one at a time, printing each stage's
seconds and the process's RSS after it (and the peak so far), then the sizes of what is held.
With ``--pyinstrument DIR`` it also writes pyinstrument profiles (text and HTML) of the whole
ingest in the main process and of ``read_return`` run in-process on a sample of the files
(the part the reader workers do). pyinstrument is not a sheetkit dependency: pip install it.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> tuple[float, float]:
    values = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def stages(folder: str) -> None:
    """Time ingest_returns with its stages wrapped (not re-implemented), RSS after each."""
    import sheetkit.consolidate.consolidation as consolidate_module
    import sheetkit.report as writer_module
    import sheetkit.returns.check as check
    from sheetkit.commands import ingest as ing

    rows = []

    def wrap(module, name, label):
        original = getattr(module, name, None)
        if original is None:
            return

        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = original(*args, **kwargs)
            if inspect.isgenerator(result):
                return timed_generator(result, label)
            rows.append((label, time.perf_counter() - started, *rss_mb()))
            return result

        setattr(module, name, timed)

    def timed_generator(gen, label):
        """Time spent inside the generator (waiting for workers, unpickling), not in its consumer."""
        inside = 0.0
        while True:
            started = time.perf_counter()
            try:
                item = next(gen)
            except StopIteration:
                inside += time.perf_counter() - started
                break
            inside += time.perf_counter() - started
            yield item
        rows.append((label + " [inside generator]", inside, *rss_mb()))

    wrap(check, "_read_all", "read: waiting on workers")
    wrap(ing, "check_returns", "read + validate + spool")
    wrap(consolidate_module, "consolidate", "consolidate")
    wrap(writer_module, "write_consolidated", "write_consolidated")
    out = Path(tempfile.mkdtemp()) / "consolidated.xlsx"
    before = rss_mb()
    started = time.perf_counter()
    report = ing.ingest_returns([folder], ing.IngestOptions(out=out))
    total = time.perf_counter() - started
    print(f"{'stage':<34}{'seconds':>9}{'RSS MB':>9}{'peak MB':>9}")
    print(f"{'start':<34}{'':>9}{before[0]:>9}{before[1]:>9}")
    for label, seconds, rss, peak in rows:
        print(f"{label:<34}{seconds:>9.2f}{rss:>9}{peak:>9}")
    print(f"{'ingest_returns total':<34}{total:>9.2f}{rss_mb()[0]:>9}{rss_mb()[1]:>9}")
    answers = sum(r.answer_count for r in report.returns)
    print(f"\n{len(report.returns)} returns, exit code {report.exit_code}, {answers:,} answers, "
          f"consolidated workbook {out.stat().st_size / 1e6:.1f} MB")


def profile(folder: str, out_dir: Path, sample: int) -> None:
    from pyinstrument import Profiler

    from sheetkit.commands.ingest import IngestOptions, ingest_returns
    from sheetkit.returns.reader import read_return
    from sheetkit.returns.folder import collect_returns

    out_dir.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.001)
    profiler.start()
    ingest_returns([folder], IngestOptions(out=Path(tempfile.mkdtemp()) / "consolidated.xlsx"))
    profiler.stop()
    (out_dir / "ingest-main.txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    (out_dir / "ingest-main.html").write_text(profiler.output_html())

    with collect_returns([folder]) as found:
        files = [f.path for f in found.files][:sample]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    started = time.perf_counter()
    for path in files:
        read_return(str(path))
    elapsed = time.perf_counter() - started
    profiler.stop()
    (out_dir / "read-return.txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    (out_dir / "read-return.html").write_text(profiler.output_html())
    print(f"read_return in one process: {elapsed:.2f} s for {len(files)} files "
          f"({1000 * elapsed / len(files):.1f} ms a file); profiles in {out_dir}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--pyinstrument", type=Path, help="also write pyinstrument profiles into this folder")
    parser.add_argument("--sample", type=int, default=200, help="files for the in-process read_return profile")
    args = parser.parse_args()
    if args.pyinstrument:
        profile(args.folder, args.pyinstrument, args.sample)
    else:
        stages(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
