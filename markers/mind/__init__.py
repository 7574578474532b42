"""MindAR 1.2.5 `.mind` image-target compiler, in Python on the server (no browser)."""
