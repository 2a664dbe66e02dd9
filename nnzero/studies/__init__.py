"""What the lessons measure about the makemore tool's trained models.

- ``runs``: the one record of a training run, summaries over seeds, JSON storage;
- ``gradients``: how far back the gradient reaches through a recurrent model
  (lessons 08 to 10);
- ``recurrent``: the one budget, probe set and memory task of lessons 08 to 10, and
  their stored runs (``nnzero/data/recurrent_runs.json``, made by
  ``bench/recurrent_table.py``);
- ``zoo``: every model type trained under one budget and compared (lesson 12).

These use the tool (``nnzero.makemore``); the tool never imports them.
"""
