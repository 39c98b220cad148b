"""Suggestions as the user types: what the model sees around the cursor (prompt.py), where a suggestion
ends (ending.py), and one suggestion written from the model (suggest.py). The model runs in the kernel,
in a llama.cpp context of its own (backends/fim.py); the comm with JupyterLab is jupyter/suggestions.py's."""
