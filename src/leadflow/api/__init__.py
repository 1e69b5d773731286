"""The HTTP API: a FastAPI app built by :func:`leadflow.api.app.create_app`.

Layers: ``routers/`` (HTTP: paths, parameters, status codes) call ``data/`` (reads and writes
shaped for the API) which call the :class:`~leadflow.store.contract.Store`; every error response
is made in ``problems.py``.
"""
