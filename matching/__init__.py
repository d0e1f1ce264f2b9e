"""Matching: students' ranked interests, the matcher's runs, and the live activity.

It owns each student's ranked list of datasets, the matching runs an
instructor starts, adjusts (moves, locked circles) and publishes, the circle
emails, the in-class activity (countdown, what the projector shows) and the
reads behind the projector and the students' live pages, with their
server-sent event streams (`live.py`: one read per change and process, not
per client; `live_views.py`). `engine.py` (the
integer program on SciPy/HiGHS) and `similarity.py` (scikit-learn TF-IDF) are
plain Python with no Django, usable from the command line (`manage.py match`).
"""
