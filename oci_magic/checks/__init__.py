"""The checks of a round whose code raised nothing: what the request asks for (`reading.py`), what the code
promised (`expectations.py`), and the verdict on the round and on code that would replace the user's data
(`outcome.py`)."""
