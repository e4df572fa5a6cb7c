"""Recording a call into one file: the layout of the picture, its composition from decoded frames, the audio mix and
the container (``recorder.py`` ties them together on a thread of its own). Qt-free, like the rest of the engine."""
