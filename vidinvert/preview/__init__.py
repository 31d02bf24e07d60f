"""`vidinvert preview`: a local page to try edits on a video's frames before rendering it.

`session` holds the opened video, its models and each frame's tracking and inversion; `edits` is
what the page asks for; `range_job` and `render_job` run in the background; `server` is the web app.
"""
