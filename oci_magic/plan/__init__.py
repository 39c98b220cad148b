"""Plans (`%%oci --plan`): the model first writes a numbered plan, then each step runs through the loop as
its own request in the same conversation and lands as its own cells. `records.py` holds the plan's record,
`reading.py` reads the model's plan, `prompts.py` says what the model is asked, `run.py` runs the steps."""
