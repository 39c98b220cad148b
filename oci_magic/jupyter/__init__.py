"""The Jupyter shell: the `%%oci` magic, the kernel's OciMagics (its settings and state, `manager.py`), the
cells a run leaves, transcripts, and the comm with the JupyterLab extension (`protocol.py`, `bridge.py`)."""
