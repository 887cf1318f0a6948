import sys
from pathlib import Path

# The bench's modules are scripts beside each other, not a package: make them importable.
BENCH = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(BENCH), str(BENCH / "python")]
