"""Datasets: the course's catalog and the profiling of every dataset in it.

It owns datasets (built-in, uploaded by staff, or proposed by a student and
reviewed), upload checks and storage under generated names, and profiling
jobs: their state machine (`jobs.py`), the worker's runner (`runner.py`) and
the report page. `profiling/` is the engine: plain pandas and scikit-learn
with no Django, also run by `manage.py profile_dataset`.
"""
