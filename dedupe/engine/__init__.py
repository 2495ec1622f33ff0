"""Engines: how the per-batch stages are spread out and the corpus-wide facts gathered.

The local engine is `dedupe.Cleaner` (threads or processes on one machine); `dask`
runs the same stages on a Dask cluster (the ``[dask]`` extra), with the
corpus-wide steps of `duplicates` spread over it. Neither changes what is decided.
"""
