"""Taking a run back: what its code may touch (touches.py), how big a copy would be (sizes.py), and the
checkpoint that puts the namespace back (checkpoint.py)."""
