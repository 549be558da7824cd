import sys
from pathlib import Path

# The function ships as a flat folder (handler.py at the zip root); import it the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
