"""`make bench`: run every benchmarks/bench_*.py; each prints one JSON line per figure."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{script.stem}", *sys.argv[1:]],
                                cwd=HERE.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
