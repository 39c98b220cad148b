"""The refinement loop and its records: a request, the model's reply, the code run, what went wrong fed back.

`run.py` is the loop (`run_request`); `records.py` what a run leaves (`Run`, `Round`, statuses);
`prompts.py` every message the model reads; `conversation.py` the turns kept between calls; `extract.py`
finds the code in a reply; `repetition.py` catches a reply caught in a loop.
"""
