"""Several candidates for one round, tried on the user's data where they cannot hurt it, and the one most of
them agree with: trial.py runs them in forks of the kernel, values.py compares what they computed,
agreement.py groups and chooses, eligibility.py says when they cannot be tried."""
