"""Getting a model: the known models (`registry.py`), which file a setting names (`resolve.py`), models
shipped as PyPI chunks (`chunks.py`), downloads (`download.py`), the memory check (`memory.py`), and the
engine that answers a call (`engine.py`)."""
