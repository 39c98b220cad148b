"""The Jupyter shell: the `%%oci` magic, the per-kernel session, the cells a run leaves, transcripts, and the
comm with the JupyterLab extension (`protocol.py`, `bridge.py`)."""
