"""What the loop learns about the user's notebook: the namespace summary (`summary.py`), peeks at the files a
request names (`peeks.py`), the state at a failing line (`diagnose.py`) and what a round changed
(`changes.py`)."""
