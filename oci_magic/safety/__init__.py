"""Code that would change the world outside the kernel asks first: risks.py reads, before code runs, what it
would delete, overwrite, send or run outside Python, and what the model is told when the user says no."""
